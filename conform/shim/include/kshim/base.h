/* SPDX-License-Identifier: GPL-2.0 */
/*
 * unpopcheck conformance shim: the part of the kernel's build environment every kernel file we
 * compile sees, force-included (-include) as Kbuild force-includes linux/kconfig.h and
 * compiler_types.h. Written by this project; no kernel source is copied here. Each block says
 * what it stands for and what it simplifies. The harness is single-threaded and drives one
 * operation at a time, so locks, RCU and memory barriers are no-ops (the model's concurrency is
 * checked elsewhere: docs/conformance.md).
 */
#ifndef KSHIM_BASE_H
#define KSHIM_BASE_H

/* ---- Kconfig: the options of a Debian arm64/x86 Xen dom0 kernel that these files test.
 * CONFIG_PROC_FS, STRICT_DEVMEM, IO_STRICT_DEVMEM, MEMORY_HOTREMOVE and GET_FREE_REGION are
 * off: they only add /proc/iomem printing, /dev/mem revocation and hot-remove to resource.c,
 * none of which unpopulated-alloc.c reaches. CONFIG_XEN_HAVE_PVMMU is off (auto-translated
 * guests: Arm, PVH). */
#define CONFIG_XEN 1
#define CONFIG_XEN_UNPOPULATED_ALLOC 1
#define CONFIG_ZONE_DEVICE 1
#define CONFIG_MEMORY_HOTPLUG 1
#define CONFIG_SPARSEMEM 1
#define CONFIG_64BIT 1
#define __KERNEL__ 1
#define KBUILD_MODNAME "kshim"

/* include/linux/kconfig.h's IS_ENABLED, re-expressed for y/undefined only. */
#define __ARG_PLACEHOLDER_1 0,
#define __take_second_arg(__ignored, val, ...) val
#define __is_defined(x) ___is_defined(x)
#define ___is_defined(val) ____is_defined(__ARG_PLACEHOLDER_##val)
#define ____is_defined(arg1_or_junk) __take_second_arg(arg1_or_junk 1, 0)
#define IS_ENABLED(option) __is_defined(option)
#define IS_BUILTIN(option) __is_defined(option)
#define IS_REACHABLE(option) __is_defined(option)

/* ---- freestanding types (-nostdinc: kernel code never sees libc). */
#define NULL ((void *)0)
typedef _Bool bool;
#define true 1
#define false 0
typedef signed char s8;
typedef unsigned char u8;
typedef short s16;
typedef unsigned short u16;
typedef int s32;
typedef unsigned int u32;
typedef long long s64;
typedef unsigned long long u64;
typedef u8 __u8;
typedef u16 __u16;
typedef u32 __u32;
typedef u64 __u64;
typedef s32 __s32;
typedef s64 __s64;
typedef __SIZE_TYPE__ size_t;
typedef long ssize_t;
typedef long ptrdiff_t;
typedef unsigned long uintptr_t;
typedef u8 uint8_t;
typedef u16 uint16_t;
typedef u32 uint32_t;
typedef u64 uint64_t;
typedef s32 int32_t;
typedef s64 int64_t;
typedef long long loff_t;
typedef u64 phys_addr_t;
typedef u64 dma_addr_t;
typedef phys_addr_t resource_size_t;
typedef unsigned int gfp_t;
typedef unsigned int fmode_t;
typedef int pid_t;
typedef unsigned short umode_t;
typedef __builtin_va_list va_list;
typedef struct { int counter; } atomic_t;
typedef struct { long counter; } atomic_long_t;
typedef struct { s64 counter; } atomic64_t;
struct list_head { struct list_head *next, *prev; };
struct hlist_head { struct hlist_node *first; };
struct hlist_node { struct hlist_node *next, **pprev; };
struct callback_head { struct callback_head *next; void (*func)(struct callback_head *head); };
#define rcu_head callback_head

/* ---- compiler attributes (include/linux/compiler_attributes.h, compiler_types.h). */
#define __init
#define __initdata
#define __initconst
#define __exit
#define __ref
#define __refdata
#define __cold
#define __weak __attribute__((__weak__))
#define __always_inline inline __attribute__((__always_inline__))
#define noinline __attribute__((__noinline__))
#define __maybe_unused __attribute__((__unused__))
#define __always_unused __attribute__((__unused__))
#define __used __attribute__((__used__))
#define __must_check __attribute__((__warn_unused_result__))
#define __packed __attribute__((__packed__))
#define __aligned(x) __attribute__((__aligned__(x)))
#define __printf(a, b) __attribute__((__format__(printf, a, b)))
#define __noreturn __attribute__((__noreturn__))
#define __pure __attribute__((__pure__))
#define __force
#define __iomem
#define __user
#define __rcu
#define __percpu
#define __counted_by(m)
#define __nocast
#define __bitwise
#define __preserve_most
#define __randomize_layout
#define __read_mostly
#define __ro_after_init
#define __section(s) __attribute__((__section__(s)))
#define fallthrough __attribute__((__fallthrough__))
#define notrace
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define barrier() __asm__ __volatile__("" ::: "memory")
#define __same_type(a, b) __builtin_types_compatible_p(typeof(a), typeof(b))
#define __must_be_array(a) 0
#define ARRAY_SIZE(arr) (sizeof(arr) / sizeof((arr)[0]))
#define BUILD_BUG_ON(c) _Static_assert(!(c), "BUILD_BUG_ON")
#define BUILD_BUG_ON_MSG(c, m) _Static_assert(!(c), m)
#define static_assert(expr, ...) _Static_assert(expr, #expr)
#define offsetof(t, m) __builtin_offsetof(t, m)
#define container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))
#define container_of_const container_of
#define typeof_member(T, m) typeof(((T *)0)->m)
#define sizeof_field(T, m) sizeof(((T *)0)->m)
#define __stringify_1(x...) #x
#define __stringify(x...) __stringify_1(x)
#define EXPORT_SYMBOL(s)
#define EXPORT_SYMBOL_GPL(s)
#define EXPORT_SYMBOL_NS_GPL(s, ns)
#define THIS_MODULE ((struct module *)0)
/* Initcalls and boot parameters are kept referenced as Kbuild's sections keep them; the harness
 * calls the ones it runs (unpopulated_init) itself. */
#define __kshim_keep(fn, tag) static void *__kshim_##tag##_##fn __used = (void *)(fn)
#define __initcall(fn) __kshim_keep(fn, initcall)
#define early_initcall(fn) __kshim_keep(fn, initcall)
#define core_initcall(fn) __kshim_keep(fn, initcall)
#define fs_initcall(fn) __kshim_keep(fn, initcall)
#define subsys_initcall(fn) __kshim_keep(fn, initcall)
#define device_initcall(fn) __kshim_keep(fn, initcall)
#define __setup(str, fn) __kshim_keep(fn, setup)

/* ---- READ_ONCE/WRITE_ONCE and barriers: plain accesses (one thread). */
#define READ_ONCE(x) (*(const volatile typeof(x) *)&(x))
#define WRITE_ONCE(x, val) do { *(volatile typeof(x) *)&(x) = (val); } while (0)
#define smp_load_acquire(p) READ_ONCE(*(p))
#define smp_store_release(p, v) WRITE_ONCE(*(p), v)
#define smp_mb() barrier()
#define smp_rmb() barrier()
#define smp_wmb() barrier()
#define rcu_assign_pointer(p, v) WRITE_ONCE(p, v)
#define rcu_dereference(p) READ_ONCE(p)
#define rcu_dereference_raw(p) READ_ONCE(p)
#define rcu_read_lock() do { } while (0)
#define rcu_read_unlock() do { } while (0)
#define synchronize_rcu() do { } while (0)
#define might_sleep() do { } while (0)
#define cpu_relax() do { } while (0)

/* ---- arithmetic helpers (include/linux/math.h, minmax.h, align.h, bits.h). */
#define BITS_PER_LONG 64
#define BITS_PER_LONG_LONG 64
#define BITS_PER_BYTE 8
#define BIT(nr) (1UL << (nr))
#define BIT_ULL(nr) (1ULL << (nr))
#define BIT_MASK(nr) (1UL << ((nr) % BITS_PER_LONG))
#define BIT_WORD(nr) ((nr) / BITS_PER_LONG)
#define GENMASK(h, l) (((~0UL) << (l)) & (~0UL >> (BITS_PER_LONG - 1 - (h))))
#define GENMASK_ULL(h, l) (((~0ULL) << (l)) & (~0ULL >> (63 - (h))))
#define DIV_ROUND_UP(n, d) (((n) + (d) - 1) / (d))
#define BITS_TO_LONGS(nr) DIV_ROUND_UP(nr, BITS_PER_BYTE * sizeof(long))
#define __round_mask(x, y) ((__typeof__(x))((y) - 1))
#define round_up(x, y) ((((x) - 1) | __round_mask(x, y)) + 1)
#define round_down(x, y) ((x) & ~__round_mask(x, y))
#define __ALIGN_KERNEL_MASK(x, mask) (((x) + (mask)) & ~(mask))
#define __ALIGN_KERNEL(x, a) __ALIGN_KERNEL_MASK(x, (__typeof__(x))(a) - 1)
#define __ALIGN_MASK(x, mask) __ALIGN_KERNEL_MASK((x), (mask))
#define ALIGN(x, a) __ALIGN_KERNEL((x), (a))
#define ALIGN_DOWN(x, a) __ALIGN_KERNEL((x) - ((a) - 1), (a))
#define IS_ALIGNED(x, a) (((x) & ((typeof(x))(a) - 1)) == 0)
#define min(x, y) ({ typeof(x) _x = (x); typeof(y) _y = (y); _x < _y ? _x : _y; })
#define max(x, y) ({ typeof(x) _x = (x); typeof(y) _y = (y); _x > _y ? _x : _y; })
#define max3(x, y, z) max(max(x, y), z)
#define min_t(t, x, y) ({ t _x = (x); t _y = (y); _x < _y ? _x : _y; })
#define max_t(t, x, y) ({ t _x = (x); t _y = (y); _x > _y ? _x : _y; })
#define umin(x, y) min((unsigned long long)(x), (unsigned long long)(y))
#define clamp(v, lo, hi) min(max(v, lo), hi)
#define swap(a, b) do { typeof(a) __tmp = (a); (a) = (b); (b) = __tmp; } while (0)
#define U64_MAX ((u64)~0ULL)
#define ULONG_MAX (~0UL)
#define UINT_MAX (~0U)
#define INT_MAX ((int)(~0U >> 1))
#define LONG_MAX ((long)(~0UL >> 1))
#define __ffs(x) ((unsigned long)__builtin_ctzl(x))
#define ffz(x) __ffs(~(x))
#define fls64(x) ((x) ? 64 - __builtin_clzll(x) : 0)
#define check_add_overflow(a, b, d) __builtin_add_overflow(a, b, d)
#define check_mul_overflow(a, b, d) __builtin_mul_overflow(a, b, d)
#define size_add(a, b) ((a) + (b))
#define struct_size(p, member, count) (sizeof(*(p)) + sizeof(*(p)->member) * (count))

/* ---- errno (include/uapi/asm-generic/errno-base.h values). */
#define EPERM 1
#define ENOENT 2
#define EINTR 4
#define EIO 5
#define ENXIO 6
#define E2BIG 7
#define ENOMEM 12
#define EFAULT 14
#define EBUSY 16
#define EEXIST 17
#define ENODEV 19
#define EINVAL 22
#define ENOSPC 28
#define ERANGE 34
#define ENOSYS 38
#define ENODATA 61
#define EOPNOTSUPP 95
#define MAX_ERRNO 4095
#define IS_ERR_VALUE(x) unlikely((unsigned long)(void *)(x) >= (unsigned long)-MAX_ERRNO)
static inline void *ERR_PTR(long error) { return (void *)error; }
static inline long PTR_ERR(const void *ptr) { return (long)ptr; }
static inline bool IS_ERR(const void *ptr) { return IS_ERR_VALUE((unsigned long)ptr); }
static inline bool IS_ERR_OR_NULL(const void *ptr) { return !ptr || IS_ERR(ptr); }

/* ---- printk: formatted into the harness's log (kshim_log), which the lockstep driver shows
 * beside a conformance failure. %pR is printed as [mem START-END] (lib/vsprintf.c's form for
 * IORESOURCE_MEM; flags are left out). */
__printf(1, 2) int printk(const char *fmt, ...);
#define KERN_SOH "\001"
#define KERN_EMERG KERN_SOH "0"
#define KERN_ALERT KERN_SOH "1"
#define KERN_CRIT KERN_SOH "2"
#define KERN_ERR KERN_SOH "3"
#define KERN_WARNING KERN_SOH "4"
#define KERN_NOTICE KERN_SOH "5"
#define KERN_INFO KERN_SOH "6"
#define KERN_DEBUG KERN_SOH "7"
#define KERN_CONT KERN_SOH "c"
/* pr_fmt's default is set by kshim/printk.h, which the linux/ headers include after a file's
 * own #define pr_fmt, as linux/printk.h does. */
#define pr_err(fmt, ...) printk(KERN_ERR pr_fmt(fmt), ##__VA_ARGS__)
#define pr_warn(fmt, ...) printk(KERN_WARNING pr_fmt(fmt), ##__VA_ARGS__)
#define pr_info(fmt, ...) printk(KERN_INFO pr_fmt(fmt), ##__VA_ARGS__)
#define pr_notice(fmt, ...) printk(KERN_NOTICE pr_fmt(fmt), ##__VA_ARGS__)
#define pr_debug(fmt, ...) do { if (0) printk(KERN_DEBUG pr_fmt(fmt), ##__VA_ARGS__); } while (0)
#define pr_warn_once pr_warn
#define pr_err_once pr_err
#define pr_cont(fmt, ...) printk(KERN_CONT fmt, ##__VA_ARGS__)

/* ---- BUG()/WARN(): a BUG() in kernel code longjmps back to the harness entry point that
 * called it (kshim_bug), so genalloc's BUG_ON()s are reported as the kernel's oops, not a crash
 * of the harness. WARN()s are counted and logged (kshim_warn), the code goes on as the kernel
 * does. */
__noreturn void kshim_bug(const char *file, int line, const char *cond);
int kshim_warn(const char *file, int line, const char *cond);
#define BUG() kshim_bug(__FILE__, __LINE__, "BUG()")
#define BUG_ON(c) do { if (unlikely(c)) kshim_bug(__FILE__, __LINE__, #c); } while (0)
#define WARN_ON(c) ({ int __ret = !!(c); if (unlikely(__ret)) kshim_warn(__FILE__, __LINE__, #c); unlikely(__ret); })
#define WARN_ON_ONCE(c) WARN_ON(c)
#define WARN(c, fmt...) ({ int __ret = !!(c); if (unlikely(__ret)) { kshim_warn(__FILE__, __LINE__, #c); printk(fmt); } unlikely(__ret); })
#define WARN_ONCE(c, fmt...) WARN(c, fmt)

/* ---- locks: no-ops (single-threaded harness; see the file comment). */
typedef struct { int unused; } spinlock_t;
typedef struct { int unused; } rwlock_t;
struct mutex { int unused; };
#define DEFINE_SPINLOCK(x) spinlock_t x = { 0 }
#define DEFINE_RWLOCK(x) rwlock_t x = { 0 }
#define DEFINE_MUTEX(x) struct mutex x = { 0 }
#define spin_lock_init(l) do { (void)(l); } while (0)
#define spin_lock(l) do { (void)(l); } while (0)
#define spin_unlock(l) do { (void)(l); } while (0)
#define spin_lock_irqsave(l, f) do { (void)(l); (f) = 0; } while (0)
#define spin_unlock_irqrestore(l, f) do { (void)(l); (void)(f); } while (0)
#define read_lock(l) do { (void)(l); } while (0)
#define read_unlock(l) do { (void)(l); } while (0)
#define write_lock(l) do { (void)(l); } while (0)
#define write_unlock(l) do { (void)(l); } while (0)
#define mutex_lock(l) do { (void)(l); } while (0)
#define mutex_unlock(l) do { (void)(l); } while (0)
#define lockdep_assert_held(l) do { (void)(l); } while (0)

/* ---- atomics: plain (one thread). */
#define atomic_long_read(v) ((v)->counter)
#define atomic_long_set(v, i) ((v)->counter = (i))
#define atomic_long_add(i, v) ((v)->counter += (i))
#define atomic_long_sub(i, v) ((v)->counter -= (i))
#define atomic_read(v) ((v)->counter)
#define atomic_set(v, i) ((v)->counter = (i))
#define cmpxchg(ptr, o, n) ({ typeof(*(ptr)) __o = (o); typeof(*(ptr)) __c = *(ptr); if (__c == __o) *(ptr) = (n); __c; })
#define try_cmpxchg(ptr, po, n) ({ typeof(*(ptr)) __c = cmpxchg(ptr, *(po), n); bool __ok = __c == *(po); if (!__ok) *(po) = __c; __ok; })

/* ---- string functions the files use, from the harness (no libc headers). */
void *memset(void *s, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int strcmp(const char *a, const char *b);
size_t strlen(const char *s);
char *strstr(const char *h, const char *n);
int sprintf(char *buf, const char *fmt, ...);
int snprintf(char *buf, size_t size, const char *fmt, ...);

/* ---- slab: kmalloc family with the harness's fault points (kshim.c). */
#define GFP_KERNEL 0xcc0u
#define GFP_ATOMIC 0x820u
#define GFP_NOWAIT 0x800u
#define __GFP_ZERO 0x100u
#define __GFP_NOWARN 0x2000u
#define NUMA_NO_NODE (-1)
void *kshim_kmalloc(size_t size, gfp_t flags, bool zero, const char *site);
void kfree(const void *p);
#define kmalloc(size, flags) kshim_kmalloc(size, flags, false, __func__)
#define kzalloc(size, flags) kshim_kmalloc(size, flags, true, __func__)
#define kzalloc_node(size, flags, nid) kshim_kmalloc(size, flags, true, __func__)
#define kmalloc_node(size, flags, nid) kshim_kmalloc(size, flags, false, __func__)
#define kcalloc(n, size, flags) kshim_kmalloc((n) * (size), flags, true, __func__)
#define vzalloc(size) kshim_kmalloc(size, GFP_KERNEL, true, __func__)
#define vfree(p) kfree(p)
#define vzalloc_node(size, nid) vzalloc(size)
#define kvcalloc(n, size, flags) kcalloc(n, size, flags)
void *kshim_unreached_ptr(const char *what);
int kshim_unreached(const char *what);
#define kvrealloc(...) kshim_unreached_ptr("kvrealloc")
#define kfree_const(p) kfree(p)
#define kstrdup_const(s, gfp) ((const char *)kshim_unreached_ptr("kstrdup_const"))
#define dump_stack() do { } while (0)
#define in_nmi() 0
#define is_power_of_2(n) ((n) != 0 && (((n) & ((n) - 1)) == 0))
#define roundup_pow_of_two(n) (1UL << fls64((unsigned long)(n) - 1))
#define kvfree(p) kfree(p)
#define kvzalloc(size, flags) kshim_kmalloc(size, flags, true, __func__)

#endif /* KSHIM_BASE_H */

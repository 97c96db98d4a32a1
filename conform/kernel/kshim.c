// SPDX-License-Identifier: GPL-2.0
/*
 * unpopcheck conformance shim: the kernel services the compiled files call (kmalloc with the
 * model's fault points, printk, BUG/WARN, a sparse vmemmap, memremap_pages, the arm64 mappable
 * range, the device tree's hypervisor node, the balloon) and the kapi table the C++ driver
 * uses. Written by this project. Built like the kernel files (-nostdinc, kshim/base.h forced in),
 * so it sees the same struct layouts; the few libc functions it needs are declared here.
 */
#include <linux/ioport.h>
#include <linux/mm.h>
#include <linux/genalloc.h>
#include <kshim/fs.h>
#include <xen/xen.h>
#include "kapi.h"

void *malloc(size_t n);
void *calloc(size_t n, size_t m);
void *realloc(void *p, size_t n);
void free(void *p);
void abort(void);
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int kshim_guard(int (*fn)(void *), void *arg);   /* kshim_jmp.c: setjmp around fn */
__noreturn void kshim_jump(void);                 /* kshim_jmp.c: longjmp to the guard */

#include "kshim.h"

unsigned int kshim_page_shift = 12;
unsigned int kshim_section_size_bits = 27;
unsigned int kshim_max_physmem_bits = 48;
int kshim_acpi_disabled = 1;
struct xen_memory_region xen_extra_mem[XEN_EXTRA_MEM_MAX_REGIONS];
/* Defined by unpopulated-alloc.c since v6.10 (with x86's extra-memory seeding); weak here so a
 * 6.1 build links. */
__weak unsigned long xen_unpopulated_pages;
static struct task_struct kshim_task;
struct task_struct *kshim_current = &kshim_task;
const struct kapi_world *kshim_world;

/* ---- the kernel log ---------------------------------------------------------------------- */
static char *log_buf;
static size_t log_len, log_cap;

static void log_put(const char *s, size_t n)
{
	if (log_len + n + 1 > log_cap) {
		log_cap = (log_len + n + 1) * 2 + 256;
		log_buf = realloc(log_buf, log_cap);
		if (!log_buf)
			abort();
	}
	memcpy(log_buf + log_len, s, n);
	log_len += n;
	log_buf[log_len] = 0;
}

const char *kshim_log(void) { return log_buf ? log_buf : ""; }

static void log_clear(void)
{
	log_len = 0;
	if (log_buf)
		log_buf[0] = 0;
}

/* vsnprintf of one conversion at a time, so that the kernel's %pR (lib/vsprintf.c) can be
 * printed as "[mem START-END]"; everything else goes to libc's vsnprintf unchanged. */
int printk(const char *fmt, ...)
{
	char out[512], spec[32];
	size_t o = 0;
	va_list ap;

	if (fmt[0] == '\001' && fmt[1])
		fmt += 2; /* KERN_<LEVEL> */
	__builtin_va_start(ap, fmt);
	for (const char *p = fmt; *p && o < sizeof(out) - 64; p++) {
		if (*p != '%') {
			out[o++] = *p;
			continue;
		}
		size_t s = 0;
		spec[s++] = *p++;
		while (*p && __builtin_strchr("-+ #0123456789.", *p) && s < 20)
			spec[s++] = *p++;
		int longs = 0, sz = 0;
		while (*p == 'l' || *p == 'z' || *p == 'h') {
			longs += *p == 'l';
			sz |= *p == 'z';
			spec[s++] = *p++;
		}
		spec[s++] = *p;
		spec[s] = 0;
		size_t room = sizeof(out) - o;
		int n;
		if (*p == 'p' && p[1] == 'R') {
			struct resource *r = __builtin_va_arg(ap, struct resource *);
			n = snprintf(out + o, room, "[mem %#010llx-%#010llx]", (u64)r->start, (u64)r->end);
			p++;
		} else if (*p == 's') {
			n = snprintf(out + o, room, spec, __builtin_va_arg(ap, const char *));
		} else if (*p == 'p') {
			n = snprintf(out + o, room, spec, __builtin_va_arg(ap, void *));
		} else if (*p == '%') {
			n = snprintf(out + o, room, "%%");
		} else if (longs >= 2) {
			n = snprintf(out + o, room, spec, __builtin_va_arg(ap, long long));
		} else if (longs == 1 || sz) {
			n = snprintf(out + o, room, spec, __builtin_va_arg(ap, long));
		} else {
			n = snprintf(out + o, room, spec, __builtin_va_arg(ap, int));
		}
		if (n > 0)
			o += (size_t)n < room ? (size_t)n : room - 1;
		if (!*p)
			break;
	}
	__builtin_va_end(ap);
	log_put(out, o);
	return (int)o;
}

int kshim_warn(const char *file, int line, const char *cond)
{
	printk("WARNING: %s:%d: %s\n", file, line, cond);
	return 1;
}

void kshim_bug(const char *file, int line, const char *cond)
{
	printk("kernel BUG at %s:%d: %s\n", file, line, cond);
	kshim_jump();
}

void *kshim_unreached_ptr(const char *what)
{
	printk("kshim: %s reached: the harness does not model it\n", what);
	kshim_jump();
}

int kshim_unreached(const char *what)
{
	kshim_unreached_ptr(what);
	return 0;
}

/* ---- fault points: the n-th hit from when it was armed fails, as model/linux/faults.h -------- */
static unsigned fault_hits[KAPI_F_COUNT];
static unsigned fault_at[KAPI_F_COUNT][8];
static unsigned fault_nr[KAPI_F_COUNT];

void kshim_arm_fault(int point, unsigned nth)
{
	if (point < 0 || point >= KAPI_F_COUNT || fault_nr[point] == 8 || nth == 0)
		return;
	fault_at[point][fault_nr[point]++] = fault_hits[point] + nth;
}

bool kshim_fault(int point)
{
	unsigned hit = ++fault_hits[point];

	for (unsigned i = 0; i < fault_nr[point]; i++) {
		if (fault_at[point][i] == hit) {
			fault_at[point][i] = fault_at[point][--fault_nr[point]];
			printk("kshim: injected fault %d\n", point);
			return true;
		}
	}
	return false;
}

static void faults_reset(void)
{
	memset(fault_hits, 0, sizeof(fault_hits));
	memset(fault_nr, 0, sizeof(fault_nr));
}

/* ---- slab: every allocation is registered, so a case frees all of them at the next boot and
 * PageSlab() can tell a kmalloc'ed resource from a static one ------------------------------- */
static void **slab;
static size_t slab_len, slab_cap;
bool kshim_kzalloc_faults; /* kzalloc is a fault point only while an allocator call runs */

void *kshim_kmalloc(size_t size, gfp_t flags, bool zero, const char *site)
{
	(void)flags;
	(void)zero; /* calloc'ed either way: uninitialised kmalloc memory is not what we test */
	if (kshim_kzalloc_faults && kshim_fault(KAPI_F_KZALLOC)) {
		printk("kshim: kzalloc in %s failed (injected)\n", site);
		return NULL;
	}
	void *p = calloc(1, size ? size : 1);
	if (!p)
		abort();
	if (slab_len == slab_cap) {
		slab_cap = slab_cap * 2 + 64;
		slab = realloc(slab, slab_cap * sizeof(*slab));
		if (!slab)
			abort();
	}
	slab[slab_len++] = p;
	return p;
}

static long slab_find(const void *p)
{
	for (size_t i = slab_len; i-- > 0;)
		if (slab[i] == p)
			return (long)i;
	return -1;
}

void kfree(const void *p)
{
	if (!p)
		return;
	long i = slab_find(p);
	if (i < 0) {
		printk("kshim: kfree of %p, not a kmalloc'ed object\n", p);
		kshim_jump();
	}
	slab[i] = slab[--slab_len];
	free((void *)p);
}

static struct page slab_page, other_page;
struct page *kshim_virt_to_head_page(const void *p) { return slab_find(p) >= 0 ? &slab_page : &other_page; }
bool PageSlab(const struct page *pg) { return pg == &slab_page; }

static void slab_reset(void)
{
	for (size_t i = 0; i < slab_len; i++)
		free(slab[i]);
	slab_len = 0;
}

/* ---- the sparse vmemmap ----------------------------------------------------------------------- */
struct vmem { unsigned long pfn, n; struct page *pages; };
static struct vmem *vmem;
static size_t vmem_len, vmem_cap;

void kshim_vmem_add(unsigned long pfn, unsigned long n)
{
	if (vmem_len == vmem_cap) {
		vmem_cap = vmem_cap * 2 + 16;
		vmem = realloc(vmem, vmem_cap * sizeof(*vmem));
		if (!vmem)
			abort();
	}
	vmem[vmem_len].pfn = pfn;
	vmem[vmem_len].n = n;
	vmem[vmem_len].pages = calloc(n ? n : 1, sizeof(struct page));
	if (!vmem[vmem_len].pages)
		abort();
	vmem_len++;
}

static void vmem_del(unsigned long pfn)
{
	for (size_t i = 0; i < vmem_len; i++) {
		if (vmem[i].pfn == pfn) {
			free(vmem[i].pages);
			vmem[i] = vmem[--vmem_len];
			return;
		}
	}
}

static void vmem_reset(void)
{
	for (size_t i = 0; i < vmem_len; i++)
		free(vmem[i].pages);
	vmem_len = 0;
}

/* Lookups walk newest first with a one-entry cache: callers touch runs of the same chunk. */
static size_t vmem_hit;

struct page *kshim_pfn_to_page(unsigned long pfn)
{
	if (vmem_hit < vmem_len && pfn - vmem[vmem_hit].pfn < vmem[vmem_hit].n)
		return &vmem[vmem_hit].pages[pfn - vmem[vmem_hit].pfn];
	for (size_t i = vmem_len; i-- > 0;)
		if (pfn - vmem[i].pfn < vmem[i].n) {
			vmem_hit = i;
			return &vmem[i].pages[pfn - vmem[i].pfn];
		}
	printk("kshim: pfn_to_page(%#lx): no memmap there\n", pfn);
	kshim_jump();
}

unsigned long kshim_page_to_pfn(const struct page *pg)
{
	if (vmem_hit < vmem_len && pg >= vmem[vmem_hit].pages && pg < vmem[vmem_hit].pages + vmem[vmem_hit].n)
		return vmem[vmem_hit].pfn + (unsigned long)(pg - vmem[vmem_hit].pages);
	for (size_t i = vmem_len; i-- > 0;)
		if (pg >= vmem[i].pages && pg < vmem[i].pages + vmem[i].n)
			return vmem[i].pfn + (unsigned long)(pg - vmem[i].pages);
	printk("kshim: page_to_pfn(%p): not a struct page of the memmap\n", (void *)pg);
	kshim_jump();
}

/* ---- mm/memremap.c ---------------------------------------------------------------------------- */
struct pgmap_entry { unsigned long first, last; struct dev_pagemap *pgmap; };
static struct pgmap_entry *pgmaps;
static size_t pgmap_len, pgmap_cap;

/* get_dev_pagemap(pfn, NULL): the xarray pgmap_array's entry at pfn. */
static struct dev_pagemap *get_dev_pagemap(unsigned long pfn)
{
	for (size_t i = 0; i < pgmap_len; i++)
		if (pfn >= pgmaps[i].first && pfn <= pgmaps[i].last)
			return pgmaps[i].pgmap;
	return NULL;
}

void *memremap_pages(struct dev_pagemap *pgmap, int nid)
{
	struct range *range = &pgmap->ranges[0];
	int is_ram;

	(void)nid;
	if (WARN_ONCE(!pgmap->nr_range, "nr_range must be specified\n"))
		return ERR_PTR(-EINVAL);
	if (pgmap->type != MEMORY_DEVICE_GENERIC || pgmap->nr_range != 1)
		return kshim_unreached_ptr("memremap_pages of a type other than one MEMORY_DEVICE_GENERIC range");
	/* The model's fault point: percpu_ref_init, the xarray store or arch_add_memory failing. */
	if (kshim_fault(KAPI_F_MEMREMAP_PAGES))
		return ERR_PTR(-ENOMEM);
	/* pagemap_range() */
	if (get_dev_pagemap(PHYS_PFN(range->start)) || get_dev_pagemap(PHYS_PFN(range->end))) {
		WARN(1, "Conflicting mapping in same section\n");
		return ERR_PTR(-ENOMEM);
	}
	is_ram = region_intersects(range->start, range_len(range), IORESOURCE_SYSTEM_RAM, IORES_DESC_NONE);
	if (is_ram != REGION_DISJOINT) {
		WARN_ONCE(1, "attempted on %s region %#llx-%#llx\n", is_ram == REGION_MIXED ? "mixed" : "ram",
			  range->start, range->end);
		return ERR_PTR(-ENXIO);
	}
	if (!mhp_range_allowed(range->start, range_len(range), true))
		return ERR_PTR(-EINVAL);
	if (pgmap_len == pgmap_cap) {
		pgmap_cap = pgmap_cap * 2 + 16;
		pgmaps = realloc(pgmaps, pgmap_cap * sizeof(*pgmaps));
		if (!pgmaps)
			abort();
	}
	pgmaps[pgmap_len].first = PHYS_PFN(range->start);
	pgmaps[pgmap_len].last = PHYS_PFN(range->end);
	pgmaps[pgmap_len].pgmap = pgmap;
	pgmap_len++;
	/* memmap_init_zone_device(): the struct pages of the range. */
	kshim_vmem_add(PHYS_PFN(range->start), PHYS_PFN(range_len(range)));
	for (unsigned long i = 0; i < PHYS_PFN(range_len(range)); i++)
		pfn_to_page(PHYS_PFN(range->start) + i)->pgmap = pgmap;
	return __va(range->start);
}

void memunmap_pages(struct dev_pagemap *pgmap)
{
	for (size_t i = 0; i < pgmap_len; i++) {
		if (pgmaps[i].pgmap == pgmap) {
			vmem_del(pgmaps[i].first);
			pgmaps[i] = pgmaps[--pgmap_len];
			return;
		}
	}
}

/* ---- arch/arm64/mm/mmu.c arch_get_mappable_range(): the linear map, [memstart_addr,
 * memstart_addr + 2^(VA_BITS-1) - 1], with memstart_addr = the lowest RAM rounded down to
 * ARM64_MEMSTART_ALIGN (arch/arm64/mm/init.c, kernel-pgtable.h; no KASLR, as the fixture boots).
 * x86 uses mm/memory_hotplug.c's weak default [0, -1]. Written from those sources: this one
 * function is a shim, not the arch's code (docs/conformance.md). */
struct range arch_get_mappable_range(void)
{
	const struct kapi_world *w = kshim_world;
	struct range r = { .start = 0, .end = -1ULL };

	if (w->x86)
		return r;
	unsigned shift = PAGE_SHIFT == 16 ? 29 : 30;
	if (shift < SECTION_SIZE_BITS)
		shift = SECTION_SIZE_BITS;
	u64 lowest = w->nr_ram ? ~0ULL : 0;
	for (unsigned i = 0; i < w->nr_ram; i++)
		if (w->ram[i].start < lowest)
			lowest = w->ram[i].start;
	r.start = lowest & ~((1ULL << shift) - 1);
	r.end = r.start + ((1ULL << (w->va_bits - 1)) - 1);
	return r;
}

/* ---- the device tree's hypervisor node -------------------------------------------------------- */
static int hyp_node_tag;

struct device_node *of_find_compatible_node(struct device_node *from, const char *type, const char *compat)
{
	(void)from;
	(void)type;
	if (strcmp(compat, "xen,xen") || !kshim_world->hypervisor_node)
		return NULL;
	return (struct device_node *)&hyp_node_tag;
}

void of_node_put(struct device_node *np) { (void)np; }

const u32 *of_get_address(struct device_node *np, int index, u64 *size, unsigned int *flags)
{
	static const u32 cell;

	(void)np;
	if (index < 0 || (unsigned)index >= kshim_world->nr_hyp_reg)
		return NULL;
	if (size)
		*size = kshim_world->hyp_reg[index].end - kshim_world->hyp_reg[index].start + 1;
	if (flags)
		*flags = IORESOURCE_MEM;
	return &cell;
}

int of_address_to_resource(struct device_node *np, int index, struct resource *r)
{
	(void)np;
	if (index < 0 || (unsigned)index >= kshim_world->nr_hyp_reg)
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	r->start = kshim_world->hyp_reg[index].start;
	r->end = kshim_world->hyp_reg[index].end;
	r->flags = IORESOURCE_MEM;
	r->name = "/hypervisor";
	return 0;
}

/* ---- drivers/xen/balloon.c, as the model has it (model/linux/ram.h): its fault point first,
 * then -ENOMEM when fewer RAM pages are left than asked for, else pages from the top of RAM.
 * balloon.c is not compiled here; what it hands out is the buddy allocator's choice, so the
 * driver compares only that the fallback ran and its return code, and the return code follows
 * the model's accounting by construction (docs/conformance.md). */
static unsigned balloon_calls;
static unsigned long long balloon_left;
static unsigned long long balloon_next; /* next pfn to hand out, counting down */

unsigned kshim_balloon_calls(void) { return balloon_calls; }

/* The grant table's fallback, dma_alloc_coherent() from RAM (not code under test: the harness
 * runs it on the model's RAM pool), took or gave back RAM: the balloon has what is left. */
void kshim_balloon_set_left(unsigned long long pages) { balloon_left = pages; }

int xen_alloc_ballooned_pages(unsigned int nr_pages, struct page **pages)
{
	balloon_calls++;
	if (kshim_fault(KAPI_F_BALLOON))
		return -ENOMEM;
	if (nr_pages > balloon_left)
		return -ENOMEM;
	balloon_left -= nr_pages;
	if (!nr_pages)
		return 0;
	/* One memmap chunk per call: the pages, taken from the top down. */
	kshim_vmem_add(balloon_next - nr_pages + 1, nr_pages);
	for (unsigned i = 0; i < nr_pages; i++)
		pages[i] = pfn_to_page(balloon_next - i);
	balloon_next -= nr_pages;
	return 0;
}

void xen_free_ballooned_pages(unsigned int nr_pages, struct page **pages)
{
	(void)pages;
	balloon_calls++;
	balloon_left += nr_pages;
}

static void balloon_reset(void)
{
	balloon_calls = 0;
	balloon_left = kshim_world->balloon_pages;
	balloon_next = 0;
	for (unsigned i = 0; i < kshim_world->nr_ram; i++)
		if (PHYS_PFN(kshim_world->ram[i].end) > balloon_next)
			balloon_next = PHYS_PFN(kshim_world->ram[i].end);
}

/* ---- what kernel/resource.c and lib/genalloc.c reference but the harness never reaches ------- */
#define UNREACHED(ret, name, args) ret name args { return (ret)(long)kshim_unreached(#name); }
UNREACHED(struct pseudo_fs_context *, init_pseudo, (struct fs_context *fc, unsigned long magic))
UNREACHED(int, simple_pin_fs, (struct file_system_type *t, struct vfsmount **m, int *c))
UNREACHED(struct inode *, alloc_anon_inode, (struct super_block *sb))
UNREACHED(void *, devres_alloc, (dr_release_t release, size_t size, gfp_t gfp))
UNREACHED(int, devres_release, (struct device *dev, dr_release_t r, dr_match_t m, void *d))
UNREACHED(int, devres_destroy, (struct device *dev, dr_release_t r, dr_match_t m, void *d))
UNREACHED(void *, devres_find, (struct device *dev, dr_release_t r, dr_match_t m, void *d))
UNREACHED(int, get_option, (char **str, int *pint))
void kill_anon_super(struct super_block *sb) { (void)sb; kshim_unreached("kill_anon_super"); }
void simple_release_fs(struct vfsmount **m, int *c) { (void)m; (void)c; kshim_unreached("simple_release_fs"); }
void devres_free(void *res) { (void)res; kshim_unreached("devres_free"); }
void devres_add(struct device *dev, void *res) { (void)dev; (void)res; kshim_unreached("devres_add"); }
void devm_add_action_or_reset_unreached(void) { kshim_unreached("devm_add_action_or_reset"); }
void add_wait_queue(struct wait_queue_head *q, struct wait_queue_entry *e) { (void)q; (void)e; kshim_unreached("add_wait_queue"); }
void remove_wait_queue(struct wait_queue_head *q, struct wait_queue_entry *e) { (void)q; (void)e; kshim_unreached("remove_wait_queue"); }
void schedule(void) { kshim_unreached("schedule"); }
void kshim_wake_up(struct wait_queue_head *q) { (void)q; }
void unmap_mapping_range(struct address_space *m, loff_t const b, loff_t const l, int e)
{
	(void)m; (void)b; (void)l; (void)e;
	kshim_unreached("unmap_mapping_range");
}

/* ---- resetting the world between cases -------------------------------------------------------- */
void kshim_reset(const struct kapi_world *w)
{
	kshim_world = w;
	kshim_page_shift = w->page_shift;
	kshim_section_size_bits = w->section_size_bits;
	kshim_max_physmem_bits = w->pa_bits;
	kshim_acpi_disabled = !w->acpi;
	kshim_kzalloc_faults = false;
	log_clear();
	kshim_trace_clear();
	faults_reset();
	slab_reset();
	vmem_reset();
	pgmap_len = 0;
	balloon_reset();
	memset(xen_extra_mem, 0, sizeof(xen_extra_mem));
}

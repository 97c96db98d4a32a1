// unpopwork: the guest side of scripts/capture-qemu (runs as dom0's workload under Xen).
//
//   unpopwork locate            find where kprobes can see each page of the unpopulated-alloc
//                               hand-out and give-back loops (prints probe definitions)
//   unpopwork run [KEY=VAL...]  drive xen_alloc_unpopulated_pages()/xen_free_unpopulated_pages()
//                               through gntalloc (dom0 grants its own pages) and gntdev (maps
//                               them: gntdev takes the mapping's pages from the unpopulated pool)
//
// Built static for aarch64 (capture/CMakeLists.txt is not used for it: the host build is x86;
// scripts/capture-qemu runs aarch64-linux-gnu-gcc -static). No libc beyond POSIX.
//
// Why `locate` exists: Debian's kernel package ships a stub System.map, and the upstream
// allocator has no tracepoint, so the only way to see each page handed out is a kprobe on the
// one instruction of the hand-out loop that stores the page (`pages[i] = pg`), and on the
// instruction of the give-back loop that links it (`pages[i]->zone_device_data = page_list`).
// Their offsets depend on the build; `locate` reads the function's code from /proc/kcore at
// the address /proc/kallsyms gives and decodes it. It prints the bytes too, so the host can
// disassemble them (the capture keeps that listing beside the trace).
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
// The uapi gntdev.h uses these Xen types without defining them (its grant-copy structs).
typedef uint32_t grant_ref_t;
typedef uint16_t domid_t;
#include <xen/gntalloc.h>
#include <xen/gntdev.h>

// The kernel's page size (4K, 16K or 64K arm64 kernels): set in main().
static size_t PAGE = 4096;

static void die(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "unpopwork: error: ");
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n");
  va_end(ap);
  exit(1);
}

// ---------------------------------------------------------------- locate

struct sym {
  uint64_t addr, size;
};

// Address of NAME in /proc/kallsyms and its size (distance to the next higher symbol).
static struct sym kallsyms(const char *name) {
  FILE *f = fopen("/proc/kallsyms", "r");
  if (!f) die("cannot open /proc/kallsyms: %s", strerror(errno));
  char line[512];
  uint64_t want = 0;
  // Two passes: the address first, then the next higher address of any symbol.
  while (fgets(line, sizeof line, f)) {
    char type, sname[256];
    uint64_t a;
    if (sscanf(line, "%" SCNx64 " %c %255s", &a, &type, sname) == 3 && !strcmp(sname, name)) {
      want = a;
      break;
    }
  }
  if (!want) die("%s not in /proc/kallsyms (or addresses hidden: kptr_restrict)", name);
  rewind(f);
  uint64_t next = UINT64_MAX;
  while (fgets(line, sizeof line, f)) {
    uint64_t a;
    if (sscanf(line, "%" SCNx64, &a) == 1 && a > want && a < next) next = a;
  }
  fclose(f);
  if (next == UINT64_MAX || next - want > 65536) die("cannot size %s", name);
  return (struct sym){want, next - want};
}

// Reads LEN bytes of kernel memory at virtual address VA through /proc/kcore (ELF core file).
static void kcore_read(uint64_t va, void *buf, size_t len) {
  int fd = open("/proc/kcore", O_RDONLY);
  if (fd < 0) die("cannot open /proc/kcore: %s (CONFIG_PROC_KCORE?)", strerror(errno));
  Elf64_Ehdr eh;
  if (pread(fd, &eh, sizeof eh, 0) != sizeof eh || memcmp(eh.e_ident, ELFMAG, SELFMAG))
    die("/proc/kcore: not an ELF file");
  for (int i = 0; i < eh.e_phnum; i++) {
    Elf64_Phdr ph;
    if (pread(fd, &ph, sizeof ph, eh.e_phoff + (off_t)i * eh.e_phentsize) != sizeof ph)
      die("/proc/kcore: short program header");
    if (ph.p_type == PT_LOAD && va >= ph.p_vaddr && va + len <= ph.p_vaddr + ph.p_memsz) {
      if (pread(fd, buf, len, (off_t)(ph.p_offset + (va - ph.p_vaddr))) != (ssize_t)len)
        die("/proc/kcore: cannot read %zu bytes at 0x%" PRIx64, len, va);
      close(fd);
      return;
    }
  }
  die("/proc/kcore: no segment holds 0x%" PRIx64, va);
}

// AArch64 decoding of the few instruction forms the loops compile to.
// STR Xt, [Xn, Xm|Wm, LSL|UXTW #3]  (64-bit store, register offset scaled by 8)
static int is_str_regoff8(uint32_t w) {
  if ((w & 0xFFE00C00u) != 0xF8200800u) return 0;
  unsigned option = (w >> 13) & 7, s = (w >> 12) & 1;
  return s && (option == 2 || option == 3);
}
// LDR Xt, [Xn, Xm|Wm, LSL|UXTW #3]
static int is_ldr_regoff8(uint32_t w) {
  if ((w & 0xFFE00C00u) != 0xF8600800u) return 0;
  unsigned option = (w >> 13) & 7, s = (w >> 12) & 1;
  return s && (option == 2 || option == 3);
}
// STR Xt, [Xn], #8 (post-index) and LDR Xt, [Xn], #8
static int is_str_post8(uint32_t w) { return (w & 0xFFFFFC00u) == 0xF8008400u; }
static int is_ldr_post8(uint32_t w) { return (w & 0xFFFFFC00u) == 0xF8408400u; }
static unsigned rt(uint32_t w) { return w & 31; }

static void hexdump_fn(const char *name, const struct sym *s, const uint32_t *code) {
  printf("code %s 0x%" PRIx64 " %" PRIu64 "\n", name, s->addr, s->size);
  for (uint64_t i = 0; i < s->size / 4; i++)
    printf("%08x%c", code[i], (i % 8 == 7 || i + 1 == s->size / 4) ? '\n' : ' ');
}

static int cmd_locate(void) {
  const char *an = "xen_alloc_unpopulated_pages", *fn = "xen_free_unpopulated_pages";
  struct sym a = kallsyms(an), f = kallsyms(fn);
  uint32_t *ac = malloc(a.size), *fc = malloc(f.size);
  kcore_read(a.addr, ac, a.size);
  kcore_read(f.addr, fc, f.size);
  hexdump_fn(an, &a, ac);
  hexdump_fn(fn, &f, fc);

  // Hand-out loop: `pages[i] = pg` is the only 64-bit store indexed by i*8 into the caller's
  // array. A kprobe on it fires before it executes: its Rt holds pg (struct page *).
  int found = 0;
  for (uint64_t i = 0; i < a.size / 4; i++) {
    uint32_t w = ac[i];
    if (is_str_regoff8(w) || is_str_post8(w)) {
      if (found++) die("two candidate page stores in %s (+0x%" PRIx64 ")", an, i * 4);
      printf("probe alloc_page %s+0x%" PRIx64 " x%u\n", an, i * 4, rt(w));
    }
  }
  if (!found) die("no page store found in %s", an);

  // Give-back loop: `pages[i]->zone_device_data = page_list; page_list = pages[i];` loads
  // pages[i] with a 64-bit load indexed by i*8; the probe goes on the instruction after it,
  // where the loaded register holds the page.
  found = 0;
  for (uint64_t i = 0; i + 1 < f.size / 4; i++) {
    uint32_t w = fc[i];
    if (is_ldr_regoff8(w) || is_ldr_post8(w)) {
      if (found++) die("two candidate page loads in %s (+0x%" PRIx64 ")", fn, i * 4);
      printf("probe free_page %s+0x%" PRIx64 " x%u\n", fn, (i + 1) * 4, rt(w));
    }
  }
  if (!found) die("no page load found in %s", fn);
  return 0;
}

// ---------------------------------------------------------------- run

static unsigned long long rng_state = 88172645463325252ull;
static unsigned rnd(unsigned n) {  // xorshift64: deterministic, seeded by seed=
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return (unsigned)(rng_state % n);
}

static int gntalloc_fd, gntdev_fd;
static uint32_t *grefs;      // grant refs of our own pages (granted to ourselves, domid 0)
static unsigned nr_grefs;
static uint8_t *granted;     // gntalloc's mapping of those pages
static unsigned mmap_max;    // maps up to this many pages are mmapped (real grant maps)

struct map {
  uint64_t index;
  unsigned count;
  void *va;
};

static unsigned long long stat_maps, stat_unmaps, stat_pages, stat_mmapped, stat_verified;

// Maps COUNT grants (cycling through our refs) through gntdev: the ioctl takes COUNT pages from
// the unpopulated pool; an mmap then maps the grants into them. Returns 0 or -errno.
static int map_grants(int fd, unsigned count, struct map *m, int do_mmap) {
  size_t sz = sizeof(struct ioctl_gntdev_map_grant_ref) +
              (size_t)(count ? count - 1 : 0) * sizeof(struct ioctl_gntdev_grant_ref);
  struct ioctl_gntdev_map_grant_ref *op = malloc(sz);
  if (!op) die("malloc(%zu)", sz);
  op->count = count;
  op->pad = 0;
  for (unsigned i = 0; i < count; i++) {
    op->refs[i].domid = 0;
    op->refs[i].ref = grefs[i % nr_grefs];
  }
  int r = ioctl(fd, IOCTL_GNTDEV_MAP_GRANT_REF, op);
  int err = r < 0 ? -errno : 0;
  m->index = op->index;
  m->count = count;
  m->va = NULL;
  free(op);
  if (err) return err;
  stat_maps++;
  stat_pages += count;
  if (do_mmap && count <= mmap_max) {
    void *va = mmap(NULL, count * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
                    (off_t)m->index);
    if (va == MAP_FAILED) die("mmap of %u granted pages failed: %s", count, strerror(errno));
    m->va = va;
    stat_mmapped++;
    // Each mapped page must show the pattern gntalloc's side wrote into its granted page.
    for (unsigned i = 0; i < count; i++) {
      uint32_t want = grefs[i % nr_grefs];
      uint32_t got = *(volatile uint32_t *)((uint8_t *)va + i * PAGE);
      if (got != want) die("mapped page %u of %u reads 0x%x, granted page holds 0x%x", i, count,
                           got, want);
    }
    stat_verified += count;
  }
  return 0;
}

static void unmap_grants(int fd, struct map *m) {
  if (m->va && munmap(m->va, m->count * PAGE)) die("munmap: %s", strerror(errno));
  struct ioctl_gntdev_unmap_grant_ref op = {.index = m->index, .count = m->count};
  if (ioctl(fd, IOCTL_GNTDEV_UNMAP_GRANT_REF, &op))
    die("IOCTL_GNTDEV_UNMAP_GRANT_REF(%u pages): %s", m->count, strerror(errno));
  stat_unmaps++;
  m->count = 0;
}

static void map_or_die(int fd, unsigned count, struct map *m, int do_mmap) {
  int e = map_grants(fd, count, m, do_mmap);
  if (e) die("IOCTL_GNTDEV_MAP_GRANT_REF(%u pages): %s", count, strerror(-e));
}

static void phase(const char *name) {
  printf("unpopwork: phase %s (maps %llu, pages %llu, unmaps %llu)\n", name, stat_maps,
         stat_pages, stat_unmaps);
  fflush(stdout);
}

// Phase sizes: many sizes, all live at once, then freed in several orders.
static const unsigned sizes[] = {1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65,
                                 100, 127, 128, 129, 255, 256, 257, 511, 512, 1000, 1024};
#define NSIZES (sizeof sizes / sizeof sizes[0])

static void phase_sizes(void) {
  struct map m[NSIZES];
  // Order 0: free in reverse; 1: in allocation order; 2: odd then even; 3: pseudo-random.
  for (int order = 0; order < 4; order++) {
    for (unsigned i = 0; i < NSIZES; i++) map_or_die(gntdev_fd, sizes[i], &m[i], 1);
    unsigned idx[NSIZES], n = 0;
    switch (order) {
      case 0: for (unsigned i = NSIZES; i-- > 0;) idx[n++] = i; break;
      case 1: for (unsigned i = 0; i < NSIZES; i++) idx[n++] = i; break;
      case 2:
        for (unsigned i = 1; i < NSIZES; i += 2) idx[n++] = i;
        for (unsigned i = 0; i < NSIZES; i += 2) idx[n++] = i;
        break;
      default:
        for (unsigned i = 0; i < NSIZES; i++) idx[n++] = i;
        for (unsigned i = NSIZES - 1; i > 0; i--) {
          unsigned j = rnd(i + 1), t = idx[i];
          idx[i] = idx[j];
          idx[j] = t;
        }
    }
    for (unsigned i = 0; i < n; i++) unmap_grants(gntdev_fd, &m[idx[i]]);
  }
}

// Phase repeat: the same map/unmap many times (the LIFO list hands the same pages back).
static void phase_repeat(unsigned rounds) {
  static const unsigned rs[] = {1, 16, 64};
  for (unsigned k = 0; k < 3; k++)
    for (unsigned r = 0; r < rounds; r++) {
      struct map m;
      map_or_die(gntdev_fd, rs[k], &m, 1);
      unmap_grants(gntdev_fd, &m);
    }
}

// Phase concurrent: two processes, each with its own gntdev file, map and unmap at random
// (up to 8 maps live each) at the same time: concurrent callers of the allocator.
static void phase_concurrent(unsigned iters) {
  pid_t kids[2];
  for (int k = 0; k < 2; k++) {
    pid_t p = fork();
    if (p < 0) die("fork: %s", strerror(errno));
    if (p == 0) {
      rng_state ^= (unsigned long long)(k + 1) * 0x9E3779B97F4A7C15ull;
      int fd = open("/dev/xen/gntdev", O_RDWR);
      if (fd < 0) die("child: open /dev/xen/gntdev: %s", strerror(errno));
      struct map live[8] = {0};
      for (unsigned it = 0; it < iters; it++) {
        unsigned slot = rnd(8);
        if (live[slot].count) unmap_grants(fd, &live[slot]);
        else map_or_die(fd, 1 + rnd(rnd(2) ? 8 : 200), &live[slot], rnd(4) == 0);
      }
      for (int s = 0; s < 8; s++)
        if (live[s].count) unmap_grants(fd, &live[s]);
      close(fd);
      _exit(0);
    }
    kids[k] = p;
  }
  for (int k = 0; k < 2; k++) {
    int st;
    if (waitpid(kids[k], &st, 0) < 0) die("waitpid: %s", strerror(errno));
    if (!WIFEXITED(st) || WEXITSTATUS(st)) die("concurrent child %d failed (status 0x%x)", k, st);
  }
}

// Phase growth: GROWTHS maps of BIG, BIG+1, BIG, BIG+1, ... pages held at once, then given back
// in a mixed order (middle, then every third). With BIG = one section (32768 4K pages), the
// first uses what the pool has, BIG+1 then needs a two-section growth and the next BIG one
// more section: on the 2G board that fills the low extended region and moves to the high one.
static void phase_growth(unsigned big, unsigned growths) {
  struct map m[16];
  if (growths > 16) growths = 16;
  for (unsigned i = 0; i < growths; i++) map_or_die(gntdev_fd, big + (i & 1), &m[i], 0);
  for (unsigned i = growths / 2, n = 0; n < growths; n++, i = (i + 3) % growths) {
    while (!m[i].count) i = (i + 1) % growths;
    unmap_grants(gntdev_fd, &m[i]);
  }
}

// Phase too-large: one request no extended region can hold; the allocator must fail it
// (fill_list: allocate_resource() finds no room) and leave the pool as it was.
static int phase_too_large(unsigned huge) {
  struct map m;
  int e = map_grants(gntdev_fd, huge, &m, 0);
  printf("unpopwork: too-large request of %u pages: %s\n", huge, e ? strerror(-e) : "served");
  if (!e) unmap_grants(gntdev_fd, &m);
  return e;
}

static int cmd_run(int argc, char **argv) {
  unsigned ngrefs = 256, repeat = 50, conc = 400, big = 32768, growths = 3;
  unsigned huge = 1u << 20;
  mmap_max = 256;
  for (int i = 0; i < argc; i++) {
    unsigned v;
    char key[32];
    if (sscanf(argv[i], "%31[^=]=%u", key, &v) != 2) die("bad argument '%s' (KEY=N)", argv[i]);
    if (!strcmp(key, "grefs")) ngrefs = v;
    else if (!strcmp(key, "repeat")) repeat = v;
    else if (!strcmp(key, "concurrent")) conc = v;
    else if (!strcmp(key, "big")) big = v;
    else if (!strcmp(key, "growths")) growths = v;
    else if (!strcmp(key, "huge")) huge = v;
    else if (!strcmp(key, "mmap_max")) mmap_max = v;
    else if (!strcmp(key, "seed")) rng_state = 88172645463325252ull ^ v;
    else die("unknown argument '%s'", key);
  }
  if (!ngrefs) die("grefs must be > 0");

  gntalloc_fd = open("/dev/xen/gntalloc", O_RDWR);
  if (gntalloc_fd < 0) die("open /dev/xen/gntalloc: %s", strerror(errno));
  gntdev_fd = open("/dev/xen/gntdev", O_RDWR);
  if (gntdev_fd < 0) die("open /dev/xen/gntdev: %s", strerror(errno));

  // Grant NGREFS of our own pages to ourselves (domid 0), and write each page's ref in it.
  size_t sz = sizeof(struct ioctl_gntalloc_alloc_gref) + (ngrefs - 1) * sizeof(uint32_t);
  struct ioctl_gntalloc_alloc_gref *ga = calloc(1, sz);
  ga->domid = 0;
  ga->flags = GNTALLOC_FLAG_WRITABLE;
  ga->count = ngrefs;
  if (ioctl(gntalloc_fd, IOCTL_GNTALLOC_ALLOC_GREF, ga))
    die("IOCTL_GNTALLOC_ALLOC_GREF(%u): %s (gntalloc limit=?)", ngrefs, strerror(errno));
  nr_grefs = ngrefs;
  grefs = malloc(ngrefs * sizeof *grefs);
  memcpy(grefs, ga->gref_ids, ngrefs * sizeof *grefs);
  granted = mmap(NULL, ngrefs * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, gntalloc_fd,
                 (off_t)ga->index);
  if (granted == MAP_FAILED) die("mmap gntalloc: %s", strerror(errno));
  for (unsigned i = 0; i < ngrefs; i++) *(uint32_t *)(granted + i * PAGE) = grefs[i];
  printf("unpopwork: granted %u pages to ourselves (refs %u..%u)\n", ngrefs, grefs[0],
         grefs[ngrefs - 1]);

  phase("sizes");
  phase_sizes();
  phase("repeat");
  phase_repeat(repeat);
  // Concurrent callers last: today's replay stops checking the LIFO order (order-mismatch) at
  // the first allocation whose return probe fires after another task's allocation (the
  // kretprobe runs after mutex_unlock), so the single-caller phases come first and keep it.
  phase("growth");
  if (growths) phase_growth(big, growths);
  phase("too-large");
  int e = huge ? phase_too_large(huge) : -ENOMEM;
  phase("concurrent");
  phase_concurrent(conc);
  phase("done");
  printf("unpopwork: done: %llu maps, %llu pages, %llu unmaps, %llu mmapped, %llu pages "
         "verified\n", stat_maps, stat_pages, stat_unmaps, stat_mmapped, stat_verified);
  if (!e) die("the too-large request (%u pages) was served", huge);
  return 0;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  long ps = sysconf(_SC_PAGESIZE);
  if (ps > 0) PAGE = (size_t)ps;
  if (argc >= 2 && !strcmp(argv[1], "locate")) return cmd_locate();
  if (argc >= 2 && !strcmp(argv[1], "run")) return cmd_run(argc - 2, argv + 2);
  fprintf(stderr, "usage: unpopwork locate | unpopwork run [KEY=N...]\n");
  return 2;
}

/* The C interface between one user-space build of the kernel's files (kshim.c and the compiled
 * kernel sources, linked into one object whose only global symbol is its kapi table) and the
 * C++ lockstep driver (conform/harness). Plain C types only: both sides include it, and the
 * kernel side is built without libc headers. */
#ifndef UNPOP_CONFORM_KAPI_H
#define UNPOP_CONFORM_KAPI_H

#ifdef __cplusplus
extern "C" {
#endif

/* What a call returns when the kernel code hit a BUG(): the kernel would be dead. */
#define KAPI_OOPS (-1000)

struct kapi_range {
	unsigned long long start, end; /* inclusive, as struct resource */
};

struct kapi_named {
	unsigned long long start, end;
	const char *name;
	int system_ram; /* flags IORESOURCE_SYSTEM_RAM (else IORESOURCE_MEM) */
};

/* One case's machine at boot. */
struct kapi_world {
	int x86;                 /* 0: arm64 (Arm arch init), 1: x86_64 */
	unsigned page_shift, section_size_bits, pa_bits, va_bits;
	/* iomem_resource's top level at boot, requested in this order (as the model builds it). */
	const struct kapi_named *iomem;
	unsigned nr_iomem;
	/* System RAM, for arm64's memstart_addr (the linear map's base) and the balloon. */
	const struct kapi_range *ram;
	unsigned nr_ram;
	/* Arm: the `hypervisor` node (compatible "xen,xen"); reg[0] the grant table, reg[1..]
	 * the extended regions in device-tree order. */
	int hypervisor_node, acpi;
	const struct kapi_range *hyp_reg;
	unsigned nr_hyp_reg;
	/* x86: xen_extra_mem regions, in pfns (start_pfn, n_pfns). */
	const struct kapi_range *extra_mem; /* start = start_pfn, end = n_pfns */
	unsigned nr_extra_mem;
	/* Pages the balloon shim can hand out (the model's RamPool rule: RAM minus reserved
	 * memory). The balloon is not code under test: see kshim.c. */
	unsigned long long balloon_pages;
};

/* A resource in a tree dump: preorder, depth 0 = the root's children. */
struct kapi_res {
	unsigned long long start, end;
	const char *name;
	unsigned long flags;
	unsigned depth;
};

/* Fault points, numbered as the model's FaultPoint (model/linux/faults.h). */
enum kapi_fault {
	KAPI_F_KZALLOC = 0,
	KAPI_F_ALLOCATE_RESOURCE = 1,
	KAPI_F_REQUEST_RESOURCE = 2,
	KAPI_F_MEMREMAP_PAGES = 3,
	KAPI_F_GEN_POOL_ADD = 4,
	KAPI_F_BALLOON = 5,
	KAPI_F_COUNT = 7
};

struct kapi_chunk {
	unsigned long long start, end; /* start_addr, end_addr */
	unsigned long avail;
};

struct kapi {
	const char *kernel; /* "6.12" */
	const char *arch;   /* "arm64" or "x86_64": which arch_xen_unpopulated_init is linked */
	int patched; /* 0: mainline's unpopulated-alloc.c; 1: kernel/patches applied to it */

	/* ---- drivers/xen/unpopulated-alloc.c */
	/* Frees everything of the previous case, builds iomem_resource's top level with the real
	 * request_resource() and runs the real unpopulated_init(). Returns its value. */
	int (*boot)(const struct kapi_world *w);
	/* xen_alloc_unpopulated_pages(nr, pages): pfns filled on success; KAPI_OOPS on BUG(). */
	int (*alloc)(unsigned nr, unsigned long long *pfns);
	/* xen_free_unpopulated_pages(nr, pages) of pages this build handed out. */
	int (*free)(unsigned nr, const unsigned long long *pfns);
	unsigned (*list_count)(void);
	/* page_list from its head, at most max pfns; returns the list's length (walked). Patched
	 * builds have no list: 0. list_count is then the pool's free pages. */
	unsigned long (*page_list)(unsigned long long *pfns, unsigned long max);
	int (*has_target)(void);
	int (*target_is_iomem)(void);
	/* Tree dump of iomem_resource (which 0) or the target resource (which 1) into out[max];
	 * returns the number of resources (may exceed max). */
	unsigned (*tree)(int which, struct kapi_res *out, unsigned max);
	/* The target resource's own span (xen_resource on Arm). */
	struct kapi_range (*target_span)(void);
	/* Arms a fault at its nth hit from now (1 = next), as the model's Faults::arm. */
	void (*arm_fault)(int point, unsigned nth);
	/* A run-time user of iomem_resource: a driver's request_resource() of MMIO, or memory
	 * hot-plug's System RAM (is_ram), with the real request_resource(). */
	int (*claim)(unsigned long long start, unsigned long long end, const char *name, int is_ram);
	/* Patched builds only (NULL otherwise): xen_alloc_unpopulated_contiguous_pages() for a
	 * device whose DMA mask has mask_bits bits (pfns filled on success), and
	 * xen_free_unpopulated_contiguous_pages() of pages it handed out. */
	int (*dma_alloc)(unsigned nr, unsigned mask_bits, const char *dev, unsigned long long *pfns);
	int (*dma_free)(unsigned nr, const char *dev, const unsigned long long *pfns);
	/* The RAM the balloon can still hand out, set by the driver after the model's CMA fallback
	 * (dma_alloc_coherent(), which the consumer runs, not the code under test) took or gave
	 * back RAM: the same pool serves both in the guest. */
	void (*ram_left)(unsigned long long pages);
	/* Number of xen_alloc_ballooned_pages() calls so far. */
	unsigned (*balloon_calls)(void);
	/* The kernel log since boot (printk, WARN, BUG), NUL-terminated. */
	const char *(*log)(void);
	/* Patched builds: the xen_unpop events since boot as tracefs text (kshim_trace.c); "" for
	 * mainline's file, which has no tracepoints. */
	const char *(*trace)(void);

	/* ---- kernel/resource.c on its own: a root and nodes addressed by index. */
	void (*res_reset)(unsigned long long root_start, unsigned long long root_end);
	int (*res_make)(unsigned long long start, unsigned long long end); /* returns its id (> 0) */
	int (*res_request)(int parent, int node);
	int (*res_insert)(int parent, int node);
	int (*res_allocate)(int root, int node, unsigned long long size, unsigned long long min,
			    unsigned long long max, unsigned long long align);
	int (*res_release)(int node);
	struct kapi_range (*res_get)(int node);
	unsigned (*res_tree)(struct kapi_res *out, unsigned max);

	/* ---- lib/genalloc.c on its own. */
	int (*gp_create)(int min_alloc_order); /* 0 or -ENOMEM */
	int (*gp_add)(unsigned long addr, unsigned long long size);
	unsigned long (*gp_alloc)(unsigned long size); /* 0 when none; KAPI_OOPS never */
	int (*gp_free)(unsigned long addr, unsigned long size); /* 0, or KAPI_OOPS on BUG() */
	int (*gp_has_addr)(unsigned long addr, unsigned long size);
	unsigned long (*gp_avail)(void);
	unsigned long (*gp_size)(void);
	unsigned (*gp_chunks)(struct kapi_chunk *out, unsigned max); /* list order: newest first */
	/* Allocated bit runs of chunk i as byte ranges (start, end inclusive). */
	unsigned (*gp_busy)(unsigned chunk, struct kapi_range *out, unsigned max);
	void (*gp_destroy)(void);
};

#ifdef __cplusplus
}
#endif
#endif

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * unpopcheck conformance shim: memory-model pieces of linux/mm.h, linux/memremap.h, asm/page.h
 * and linux/pfn.h. Written by this project.
 *
 * Simplifications, each visible to the lockstep driver's docs (docs/conformance.md):
 * - PAGE_SHIFT and SECTION_SIZE_BITS are variables set per case, so one build serves 4K, 16K
 *   and 64K pages; the kernel fixes them at build time. Nothing in the compiled files uses them
 *   in a constant expression.
 * - Virtual and physical addresses are the same numbers (__va/__pa are identities): the files
 *   never dereference the vaddr memremap_pages returns, they only turn it back into pages.
 * - struct page keeps the fields these files touch. The vmemmap is sparse: memremap_pages and
 *   the harness allocate struct page arrays per mapped range (kshim.c), pfn_to_page and
 *   page_to_pfn look them up both ways.
 */
#ifndef KSHIM_MM_H
#define KSHIM_MM_H
#include <linux/range.h>
#include <linux/ioport.h>

extern unsigned int kshim_page_shift;
extern unsigned int kshim_section_size_bits;
extern unsigned int kshim_max_physmem_bits;
#define PAGE_SHIFT kshim_page_shift
#define PAGE_SIZE (1UL << PAGE_SHIFT)
#define PAGE_MASK (~(PAGE_SIZE - 1))
#define SECTION_SIZE_BITS kshim_section_size_bits
#define PFN_SECTION_SHIFT (SECTION_SIZE_BITS - PAGE_SHIFT)
#define PAGES_PER_SECTION (1UL << PFN_SECTION_SHIFT)
#define MAX_PHYSMEM_BITS kshim_max_physmem_bits
#define PHYSMEM_END ((1ULL << MAX_PHYSMEM_BITS) - 1)
#define PFN_ALIGN(x) (((unsigned long)(x) + (PAGE_SIZE - 1)) & PAGE_MASK)
#define PFN_UP(x) (((x) + PAGE_SIZE - 1) >> PAGE_SHIFT)
#define PFN_DOWN(x) ((x) >> PAGE_SHIFT)
#define PFN_PHYS(x) ((phys_addr_t)(x) << PAGE_SHIFT)
#define PHYS_PFN(x) ((unsigned long)((x) >> PAGE_SHIFT))

struct page {
	unsigned long flags;
	void *zone_device_data;       /* unpopulated-alloc.c's free-list link */
	struct dev_pagemap *pgmap;
};
struct folio;
typedef struct { unsigned long pgprot; } pgprot_t;
#define PAGE_KERNEL ((pgprot_t){ 0 })

struct page *kshim_pfn_to_page(unsigned long pfn);
unsigned long kshim_page_to_pfn(const struct page *pg);
#define pfn_to_page(pfn) kshim_pfn_to_page(pfn)
#define page_to_pfn(pg) kshim_page_to_pfn(pg)
#define __va(x) ((void *)(unsigned long)(x))
#define __pa(x) ((phys_addr_t)(unsigned long)(x))
#define virt_to_page(v) pfn_to_page(PFN_DOWN(__pa(v)))
#define page_to_virt(pg) __va(PFN_PHYS(page_to_pfn(pg)))
#define page_address(pg) page_to_virt(pg)
#define virt_to_phys(v) __pa(v)
#define phys_to_virt(p) __va(p)
/* free_resource() frees only slab-allocated resources: the harness answers from its own
 * allocation registry (a resource made by kzalloc is "slab", a static one is not). */
struct page *kshim_virt_to_head_page(const void *p);
bool PageSlab(const struct page *pg);
#define virt_to_head_page(p) kshim_virt_to_head_page(p)

/* linux/memremap.h */
enum memory_type {
	MEMORY_DEVICE_PRIVATE = 1,
	MEMORY_DEVICE_COHERENT,
	MEMORY_DEVICE_FS_DAX,
	MEMORY_DEVICE_GENERIC,
	MEMORY_DEVICE_PCI_P2PDMA,
};
struct dev_pagemap_ops;
struct vmem_altmap;
struct dev_pagemap {
	struct vmem_altmap *altmap;
	unsigned long vmemmap_shift;
	enum memory_type type;
	unsigned int flags;
	const struct dev_pagemap_ops *ops;
	void *owner;
	int nr_range;
	union {
		struct range range;
		struct range ranges[1];
	};
};
/* mm/memremap.c memremap_pages() for MEMORY_DEVICE_GENERIC, with pagemap_range()'s checks in
 * its order (kshim.c): nr_range, a conflicting pgmap at the first or last pfn (-ENOMEM), the
 * real region_intersects() of kernel/resource.c against System RAM (-ENXIO), the real
 * mhp_range_allowed() of mm/memory_hotplug.c (-EINVAL). What it leaves out: percpu refs,
 * page-table and vmemmap population (arch_add_memory), KASAN shadow, move_pfn_range_to_zone. */
void *memremap_pages(struct dev_pagemap *pgmap, int nid);
void memunmap_pages(struct dev_pagemap *pgmap);

/* linux/memory_hotplug.h: the real definitions are sliced from mm/memory_hotplug.c. */
struct range arch_get_mappable_range(void);
struct range mhp_get_pluggable_range(bool need_mapping);
bool mhp_range_allowed(u64 start, u64 size, bool need_mapping);

/* linux/mm.h */
enum { REGION_DISJOINT = 0, REGION_INTERSECTS, REGION_MIXED };
int region_intersects(resource_size_t offset, size_t size, unsigned long flags, unsigned long desc);
int page_is_ram(unsigned long pfn);
#endif
#include <kshim/printk.h>

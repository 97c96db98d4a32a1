/* unpopcheck conformance shim: what the compiled files use of xen/xen.h, xen/page.h and
 * xen/balloon.h. The harness is always a Xen domain (xen_domain() is true): unpopulated-alloc
 * is only built into Xen guests. Declarations of the allocator's own API are as the kernel's. */
#ifndef KSHIM_XEN_H
#define KSHIM_XEN_H
#include <linux/ioport.h>
#include <linux/mm.h>
#define xen_domain() 1
#define xen_pv_domain() 0
#define xen_initial_domain() 1
int xen_alloc_unpopulated_pages(unsigned int nr_pages, struct page **pages);
void xen_free_unpopulated_pages(unsigned int nr_pages, struct page **pages);
int arch_xen_unpopulated_init(struct resource **res);
/* kernel/patches: what the patched file adds (declared here as its include/xen/xen.h does). */
struct device;
int xen_unpopulated_add_range(unsigned long pfn, unsigned long nr_pages);
int xen_alloc_unpopulated_contiguous_pages(struct device *dev, unsigned int nr_pages, struct page **pages);
void xen_free_unpopulated_contiguous_pages(struct device *dev, unsigned int nr_pages, struct page **pages);
extern unsigned long xen_unpopulated_pages;
/* xen/balloon.h: the fallback when there is no target resource. kshim.c hands out pages of
 * the case's RAM the way the model's RamPool does and records the call (docs/conformance.md). */
int xen_alloc_ballooned_pages(unsigned int nr_pages, struct page **pages);
void xen_free_ballooned_pages(unsigned int nr_pages, struct page **pages);
/* arch/x86/include/asm/xen/page.h: the xen_extra_mem regions arch init seeds the list with. */
#define XEN_EXTRA_MEM_MAX_REGIONS 128
struct xen_memory_region { unsigned long start_pfn; unsigned long n_pfns; };
extern struct xen_memory_region xen_extra_mem[XEN_EXTRA_MEM_MAX_REGIONS];
/* include/linux/acpi.h: Arm dom0 boots with a device tree in our cases unless the layout says
 * ACPI. */
extern int kshim_acpi_disabled;
#define acpi_disabled kshim_acpi_disabled
/* include/linux/of.h / of_address.h: the `hypervisor` node of the case's device tree. Its reg
 * entries are region 0 (grant table) and the extended regions, as Xen writes them. */
struct device_node;
struct device_node *of_find_compatible_node(struct device_node *from, const char *type, const char *compat);
void of_node_put(struct device_node *np);
const u32 *of_get_address(struct device_node *np, int index, u64 *size, unsigned int *flags);
int of_address_to_resource(struct device_node *np, int index, struct resource *r);
#endif

// SPDX-License-Identifier: GPL-2.0
/* drivers/xen/unpopulated-alloc.c, unmodified, #included so that the harness can reset and read
 * its statics (page_list, list_count, target_resource), as tools/testing does with the files it
 * tests. With KAPI_PATCHED, the file is the one kernel/patches made (found first on the include
 * path): its statics are the pool's growths and free count, and it has the contiguous API. allocate_resource() and request_resource() are routed through the harness first (by
 * macro, in this file only) so the model's fault points can fail them; the real functions of
 * kernel/resource.c then run. */
#include <linux/ioport.h>
#include <linux/mm.h>
#include "kshim.h"

/* allocate_resource()'s alignf parameter, spelled out: 6.12 names it resource_alignf, 6.1 does
 * not have the typedef. */
typedef resource_size_t (*kshim_alignf)(void *, const struct resource *, resource_size_t, resource_size_t);
int kshim_allocate_resource(struct resource *root, struct resource *new, resource_size_t size,
			    resource_size_t min, resource_size_t max, resource_size_t align,
			    kshim_alignf alignf, void *alignf_data);
int kshim_request_resource(struct resource *root, struct resource *new);
#define allocate_resource kshim_allocate_resource
#define request_resource kshim_request_resource
#include "drivers/xen/unpopulated-alloc.c"
#undef allocate_resource
#undef request_resource

int kshim_allocate_resource(struct resource *root, struct resource *new, resource_size_t size,
			    resource_size_t min, resource_size_t max, resource_size_t align,
			    kshim_alignf alignf, void *alignf_data)
{
	if (kshim_fault(KAPI_F_ALLOCATE_RESOURCE))
		return -EBUSY;
	return allocate_resource(root, new, size, min, max, align, alignf, alignf_data);
}

int kshim_request_resource(struct resource *root, struct resource *new)
{
	if (kshim_fault(KAPI_F_REQUEST_RESOURCE))
		return -EBUSY;
	return request_resource(root, new);
}

/* ---- boot ------------------------------------------------------------------------------------ */
static int boot_body(void *arg)
{
	const struct kapi_world *w = arg;

	/* iomem_resource's top level as the boot code leaves it (request_resource, the way
	 * arch/arm64/kernel/setup.c request_standard_resources() adds System RAM; entries that
	 * conflict are skipped, as the model's Kernel does). */
	for (unsigned i = 0; i < w->nr_iomem; i++) {
		struct resource *r = kzalloc(sizeof(*r), GFP_KERNEL);

		r->name = w->iomem[i].name;
		r->start = w->iomem[i].start;
		r->end = w->iomem[i].end;
		r->flags = w->iomem[i].system_ram ? IORESOURCE_SYSTEM_RAM : IORESOURCE_MEM;
		if (request_resource(&iomem_resource, r))
			kfree(r);
	}
	for (unsigned i = 0; i < w->nr_extra_mem && i < XEN_EXTRA_MEM_MAX_REGIONS; i++) {
		xen_extra_mem[i].start_pfn = w->extra_mem[i].start;
		xen_extra_mem[i].n_pfns = w->extra_mem[i].end;
		kshim_vmem_add(w->extra_mem[i].start, w->extra_mem[i].end);
	}
	return unpopulated_init();
}

static void reset_resource(struct resource *r, const char *name, resource_size_t start, resource_size_t end)
{
	r->child = r->sibling = r->parent = NULL;
	r->name = name;
	r->start = start;
	r->end = end;
}

int kshim_boot(const struct kapi_world *w)
{
	kshim_reset(w);
	/* The statics of unpopulated-alloc.c and resource.c as a fresh boot has them. */
#ifdef KAPI_PATCHED
	INIT_LIST_HEAD(&pool_growths); /* the growths themselves went with kshim_reset's heap */
	pool_free = 0;
#else
	page_list = NULL;
	list_count = 0;
#endif
	target_resource = NULL;
	xen_unpopulated_pages = 0;
	iomem_resource.child = NULL;
	iomem_resource.sibling = NULL;
	/* arch/x86/kernel/setup.c setup_arch(): iomem_resource.end = (1ULL << x86_phys_bits) - 1.
	 * arm64 keeps kernel/resource.c's [0, -1]. */
	iomem_resource.end = w->x86 ? (1ULL << w->pa_bits) - 1 : (resource_size_t)-1;
	if (kshim_arch_resource())
		reset_resource(kshim_arch_resource(), "Xen unused space", 0, 0);
	return kshim_guard(boot_body, (void *)w);
}

/* ---- the allocator's API ---------------------------------------------------------------------- */
struct page_call { unsigned nr; unsigned long long *pfns; struct page **pages; };

static int alloc_body(void *arg)
{
	struct page_call *c = arg;

	kshim_kzalloc_faults = true;
	int ret = xen_alloc_unpopulated_pages(c->nr, c->pages);
	kshim_kzalloc_faults = false;
	if (ret == 0)
		for (unsigned i = 0; i < c->nr; i++)
			c->pfns[i] = page_to_pfn(c->pages[i]);
	return ret;
}

int kshim_alloc(unsigned nr, unsigned long long *pfns)
{
	struct page **pages = kcalloc(nr ? nr : 1, sizeof(*pages), GFP_KERNEL);
	struct page_call c = { nr, pfns, pages };
	int ret = kshim_guard(alloc_body, &c);

	kshim_kzalloc_faults = false;
	kfree(pages);
	return ret;
}

static int free_body(void *arg)
{
	struct page_call *c = arg;

	for (unsigned i = 0; i < c->nr; i++)
		c->pages[i] = pfn_to_page(c->pfns[i]);
	xen_free_unpopulated_pages(c->nr, c->pages);
	return 0;
}

int kshim_free(unsigned nr, const unsigned long long *pfns)
{
	struct page **pages = kcalloc(nr ? nr : 1, sizeof(*pages), GFP_KERNEL);
	struct page_call c = { nr, (unsigned long long *)pfns, pages };
	int ret = kshim_guard(free_body, &c);

	kfree(pages);
	return ret;
}

/* A run-time iomem user, as the model's Kernel::claim: request_resource(&iomem_resource, res)
 * of a kzalloc'ed resource named after its owner (System RAM for memory hot-plug). */
int kshim_claim(unsigned long long start, unsigned long long end, const char *name, int is_ram)
{
	struct resource *r = kzalloc(sizeof(*r), GFP_KERNEL);
	size_t n = strlen(name) + 1;
	char *copy = kmalloc(n, GFP_KERNEL);
	int ret;

	memcpy(copy, name, n);
	r->name = copy;
	r->start = start;
	r->end = end;
	r->flags = is_ram ? IORESOURCE_SYSTEM_RAM : IORESOURCE_MEM;
	ret = request_resource(&iomem_resource, r); /* not a fault point: the model's claim is not */
	if (ret) {
		kfree(copy);
		kfree(r);
	}
	return ret;
}

#ifdef KAPI_PATCHED
unsigned kshim_list_count(void) { return pool_free; }
unsigned long kshim_page_list(unsigned long long *pfns, unsigned long max) { return 0; }

struct dma_call { unsigned nr; unsigned long long *pfns; struct page **pages; struct device dev; };

static int dma_alloc_body(void *arg)
{
	struct dma_call *c = arg;

	kshim_kzalloc_faults = true;
	int ret = xen_alloc_unpopulated_contiguous_pages(&c->dev, c->nr, c->pages);
	kshim_kzalloc_faults = false;
	if (ret == 0)
		for (unsigned i = 0; i < c->nr; i++)
			c->pfns[i] = page_to_pfn(c->pages[i]);
	return ret;
}

int kshim_dma_alloc(unsigned nr, unsigned mask_bits, const char *dev, unsigned long long *pfns)
{
	u64 mask = DMA_BIT_MASK(mask_bits);
	struct dma_call c = { nr, pfns, kcalloc(nr ? nr : 1, sizeof(struct page *), GFP_KERNEL),
			      { .dma_mask = &mask, .init_name = dev } };
	int ret = kshim_guard(dma_alloc_body, &c);

	kshim_kzalloc_faults = false;
	kfree(c.pages);
	return ret;
}

static int dma_free_body(void *arg)
{
	struct dma_call *c = arg;

	for (unsigned i = 0; i < c->nr; i++)
		c->pages[i] = pfn_to_page(c->pfns[i]);
	xen_free_unpopulated_contiguous_pages(&c->dev, c->nr, c->pages);
	return 0;
}

int kshim_dma_free(unsigned nr, const char *dev, const unsigned long long *pfns)
{
	u64 mask = DMA_BIT_MASK(64);
	struct dma_call c = { nr, (unsigned long long *)pfns,
			      kcalloc(nr ? nr : 1, sizeof(struct page *), GFP_KERNEL),
			      { .dma_mask = &mask, .init_name = dev } };
	int ret = kshim_guard(dma_free_body, &c);

	kfree(c.pages);
	return ret;
}
#else
unsigned kshim_list_count(void) { return list_count; }

unsigned long kshim_page_list(unsigned long long *pfns, unsigned long max)
{
	unsigned long n = 0;

	for (struct page *pg = page_list; pg; pg = pg->zone_device_data, n++)
		if (n < max)
			pfns[n] = page_to_pfn(pg);
	return n;
}
#endif

int kshim_has_target(void) { return target_resource != NULL; }
int kshim_target_is_iomem(void) { return target_resource == &iomem_resource; }

unsigned kshim_target_tree(int which, struct kapi_res *out, unsigned max)
{
	if (which == 0)
		return kshim_tree(&iomem_resource, out, max);
	return target_resource ? kshim_tree(target_resource, out, max) : 0;
}

struct kapi_range kshim_target_span(void)
{
	struct kapi_range r = { 0, 0 };

	if (target_resource) {
		r.start = target_resource->start;
		r.end = target_resource->end;
	}
	return r;
}

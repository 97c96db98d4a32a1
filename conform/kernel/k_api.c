// SPDX-License-Identifier: GPL-2.0
/* The one global symbol of a kernel build: its kapi table (KAPI_SYMBOL, e.g. kapi_612_arm64,
 * set by conform/CMakeLists.txt). Everything else is made local when the build is linked. */
#include <linux/ioport.h>
#include <linux/mm.h>
#include "kshim.h"

int kshim_boot(const struct kapi_world *w);
int kshim_alloc(unsigned nr, unsigned long long *pfns);
int kshim_free(unsigned nr, const unsigned long long *pfns);
unsigned kshim_list_count(void);
int kshim_dma_alloc(unsigned nr, unsigned mask_bits, const char *dev, unsigned long long *pfns);
int kshim_dma_free(unsigned nr, const char *dev, const unsigned long long *pfns);
int kshim_claim(unsigned long long start, unsigned long long end, const char *name, int is_ram);
unsigned long kshim_page_list(unsigned long long *pfns, unsigned long max);
int kshim_has_target(void);
int kshim_target_is_iomem(void);
unsigned kshim_target_tree(int which, struct kapi_res *out, unsigned max);
struct kapi_range kshim_target_span(void);
void kshim_res_reset(unsigned long long start, unsigned long long end);
int kshim_res_make(unsigned long long start, unsigned long long end);
int kshim_res_request(int parent, int node);
int kshim_res_insert(int parent, int node);
int kshim_res_allocate(int root, int node, unsigned long long size, unsigned long long min,
		       unsigned long long max, unsigned long long align);
int kshim_res_release(int node);
struct kapi_range kshim_res_get(int node);
unsigned kshim_res_tree(struct kapi_res *out, unsigned max);
int kshim_gp_create(int order);
int kshim_gp_add(unsigned long addr, unsigned long long size);
unsigned long kshim_gp_alloc(unsigned long size);
int kshim_gp_free(unsigned long addr, unsigned long size);
int kshim_gp_has_addr(unsigned long addr, unsigned long size);
unsigned long kshim_gp_avail(void);
unsigned long kshim_gp_size(void);
unsigned kshim_gp_chunks(struct kapi_chunk *out, unsigned max);
unsigned kshim_gp_busy(unsigned chunk, struct kapi_range *out, unsigned max);
void kshim_gp_destroy(void);

__attribute__((visibility("default"))) const struct kapi KAPI_SYMBOL = {
	.kernel = KAPI_KERNEL,
	.arch = KAPI_ARCH,
#ifdef KAPI_PATCHED
	.patched = 1,
#endif
	.boot = kshim_boot,
	.alloc = kshim_alloc,
	.free = kshim_free,
	.list_count = kshim_list_count,
	.page_list = kshim_page_list,
	.has_target = kshim_has_target,
	.target_is_iomem = kshim_target_is_iomem,
	.tree = kshim_target_tree,
	.target_span = kshim_target_span,
	.arm_fault = kshim_arm_fault,
	.claim = kshim_claim,
	.ram_left = kshim_balloon_set_left,
#ifdef KAPI_PATCHED
	.dma_alloc = kshim_dma_alloc,
	.dma_free = kshim_dma_free,
#endif
	.balloon_calls = kshim_balloon_calls,
	.log = kshim_log,
	.trace = kshim_trace,
	.res_reset = kshim_res_reset,
	.res_make = kshim_res_make,
	.res_request = kshim_res_request,
	.res_insert = kshim_res_insert,
	.res_allocate = kshim_res_allocate,
	.res_release = kshim_res_release,
	.res_get = kshim_res_get,
	.res_tree = kshim_res_tree,
	.gp_create = kshim_gp_create,
	.gp_add = kshim_gp_add,
	.gp_alloc = kshim_gp_alloc,
	.gp_free = kshim_gp_free,
	.gp_has_addr = kshim_gp_has_addr,
	.gp_avail = kshim_gp_avail,
	.gp_size = kshim_gp_size,
	.gp_chunks = kshim_gp_chunks,
	.gp_busy = kshim_gp_busy,
	.gp_destroy = kshim_gp_destroy,
};

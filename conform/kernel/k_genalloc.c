// SPDX-License-Identifier: GPL-2.0
/* lib/genalloc.c, unmodified (CONFIG_OF off: of_gen_pool_get is not compiled), and the harness's
 * access to one pool: create/add/alloc/free/has_addr as the RFC and V1 call them
 * (gen_pool_create(PAGE_SHIFT, NUMA_NO_NODE), gen_pool_set_algo(gen_pool_best_fit),
 * gen_pool_add_virt with virt == phys), and a dump of its chunks' bitmaps. */
#include "lib/genalloc.c"
#include "kshim.h"

static struct gen_pool *pool;

int kshim_gp_create(int order)
{
	static const struct kapi_world none;

	kshim_reset(&none);
	pool = gen_pool_create(order, NUMA_NO_NODE);
	if (!pool)
		return -ENOMEM;
	gen_pool_set_algo(pool, gen_pool_best_fit, NULL);
	return 0;
}

int kshim_gp_add(unsigned long addr, unsigned long long size)
{
	if (kshim_fault(KAPI_F_GEN_POOL_ADD))
		return -ENOMEM;
	return gen_pool_add_virt(pool, addr, addr, size, NUMA_NO_NODE);
}

struct gp_call { unsigned long addr, size; };

static int gp_alloc_body(void *arg)
{
	struct gp_call *c = arg;

	c->addr = gen_pool_alloc(pool, c->size);
	return 0;
}

unsigned long kshim_gp_alloc(unsigned long size)
{
	struct gp_call c = { 0, size };

	kshim_guard(gp_alloc_body, &c);
	return c.addr;
}

static int gp_free_body(void *arg)
{
	struct gp_call *c = arg;

	gen_pool_free(pool, c->addr, c->size);
	return 0;
}

int kshim_gp_free(unsigned long addr, unsigned long size)
{
	struct gp_call c = { addr, size };

	return kshim_guard(gp_free_body, &c);
}

int kshim_gp_has_addr(unsigned long addr, unsigned long size) { return gen_pool_has_addr(pool, addr, size); }
unsigned long kshim_gp_avail(void) { return gen_pool_avail(pool); }
unsigned long kshim_gp_size(void) { return gen_pool_size(pool); }

unsigned kshim_gp_chunks(struct kapi_chunk *out, unsigned max)
{
	struct gen_pool_chunk *chunk;
	unsigned n = 0;

	list_for_each_entry(chunk, &pool->chunks, next_chunk) {
		if (n < max) {
			out[n].start = chunk->start_addr;
			out[n].end = chunk->end_addr;
			out[n].avail = atomic_long_read(&chunk->avail);
		}
		n++;
	}
	return n;
}

unsigned kshim_gp_busy(unsigned index, struct kapi_range *out, unsigned max)
{
	struct gen_pool_chunk *chunk;
	unsigned i = 0, n = 0;
	int order = pool->min_alloc_order;

	list_for_each_entry(chunk, &pool->chunks, next_chunk) {
		if (i++ != index)
			continue;
		unsigned long bits = chunk_size(chunk) >> order;
		unsigned long b = find_next_bit(chunk->bits, bits, 0);

		while (b < bits) {
			unsigned long e = find_next_zero_bit(chunk->bits, bits, b);

			if (n < max) {
				out[n].start = chunk->start_addr + (b << order);
				out[n].end = chunk->start_addr + (e << order) - 1;
			}
			n++;
			b = e < bits ? find_next_bit(chunk->bits, bits, e) : bits;
		}
	}
	return n;
}

void kshim_gp_destroy(void)
{
	/* gen_pool_destroy() BUG()s on pools with allocations left; the next create's reset frees
	 * every allocation instead. */
	pool = NULL;
}

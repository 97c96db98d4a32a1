// SPDX-License-Identifier: GPL-2.0
/* kernel/resource.c, unmodified, and the harness's access to it: tree dumps and the
 * resource-tree-on-its-own API (a root and nodes by index). */
#include "kernel/resource.c"
#include "kshim.h"

unsigned kshim_tree(const struct resource *root, struct kapi_res *out, unsigned max)
{
	unsigned n = 0, depth = 0;
	const struct resource *p = root->child;

	while (p) {
		if (n < max) {
			out[n].start = p->start;
			out[n].end = p->end;
			out[n].name = p->name;
			out[n].flags = p->flags;
			out[n].depth = depth;
		}
		n++;
		if (p->child) {
			p = p->child;
			depth++;
			continue;
		}
		while (!p->sibling && p->parent && p->parent != root) {
			p = p->parent;
			depth--;
		}
		p = p->sibling;
	}
	return n;
}

/* ---- resource.c on its own -------------------------------------------------------------------- */
#define KSHIM_MAX_RES 4096
static struct resource solo_root;
static struct resource *solo[KSHIM_MAX_RES];
static int solo_len;

static struct resource *solo_get(int id) { return id == 0 ? &solo_root : (id > 0 && id < solo_len ? solo[id] : NULL); }

void kshim_res_reset(unsigned long long start, unsigned long long end)
{
	static const struct kapi_world none;

	kshim_reset(&none); /* frees every node of the previous run */
	memset(&solo_root, 0, sizeof(solo_root));
	solo_root.name = "root";
	solo_root.start = start;
	solo_root.end = end;
	solo_root.flags = IORESOURCE_MEM;
	solo_len = 1;
}

int kshim_res_make(unsigned long long start, unsigned long long end)
{
	if (solo_len == KSHIM_MAX_RES)
		return -ENOSPC;
	struct resource *r = kzalloc(sizeof(*r), GFP_KERNEL);

	r->name = "node";
	r->start = start;
	r->end = end;
	r->flags = IORESOURCE_MEM;
	solo[solo_len] = r;
	return solo_len++;
}

int kshim_res_request(int parent, int node)
{
	if (!solo_get(parent) || !solo_get(node))
		return -EINVAL;
	return request_resource(solo_get(parent), solo_get(node));
}

int kshim_res_insert(int parent, int node)
{
	if (!solo_get(parent) || !solo_get(node))
		return -EINVAL;
	return insert_resource(solo_get(parent), solo_get(node));
}

int kshim_res_allocate(int root, int node, unsigned long long size, unsigned long long min,
		       unsigned long long max, unsigned long long align)
{
	if (!solo_get(root) || !solo_get(node))
		return -EINVAL;
	return allocate_resource(solo_get(root), solo_get(node), size, min, max, align, NULL, NULL);
}

int kshim_res_release(int node)
{
	if (!solo_get(node) || node == 0)
		return -EINVAL;
	return release_resource(solo_get(node));
}

struct kapi_range kshim_res_get(int node)
{
	struct kapi_range r = { 0, 0 };

	if (solo_get(node)) {
		r.start = solo_get(node)->start;
		r.end = solo_get(node)->end;
	}
	return r;
}

unsigned kshim_res_tree(struct kapi_res *out, unsigned max) { return kshim_tree(&solo_root, out, max); }

/* Declarations shared by the harness-side C files of one kernel build (kshim.c, k_*.c). */
#ifndef UNPOP_CONFORM_KSHIM_H
#define UNPOP_CONFORM_KSHIM_H
#include "kapi.h"
extern const struct kapi_world *kshim_world;
extern bool kshim_kzalloc_faults;
void kshim_balloon_set_left(unsigned long long pages);
void kshim_reset(const struct kapi_world *w);
void kshim_arm_fault(int point, unsigned nth);
bool kshim_fault(int point);
void kshim_vmem_add(unsigned long pfn, unsigned long n);
unsigned kshim_balloon_calls(void);
const char *kshim_log(void);
const char *kshim_trace(void);
void kshim_trace_clear(void);
int kshim_guard(int (*fn)(void *), void *arg);
/* Dumps the subtree under root in preorder (depth 0 = its children). */
unsigned kshim_tree(const struct resource *root, struct kapi_res *out, unsigned max);
/* The arch init's view: xen_resource on Arm (NULL on x86). */
struct resource *kshim_arch_resource(void);
#endif

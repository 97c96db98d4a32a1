/* SPDX-License-Identifier: GPL-2.0 */
/*
 * unpopcheck conformance shim for kernel/patches' include/trace/events/xen_unpopulated.h.
 *
 * The tracepoint machinery (TRACE_EVENT, ring buffers) is not built in user space: each
 * trace_xen_unpop_*() the patched unpopulated-alloc.c calls is a function of kshim.c that
 * appends the event to a text log in the tracefs format ("task-pid [cpu] flags ts: event:
 * fields"), with the fields printed as the header's TP_printk() prints them. The harness
 * replays that log through the model (conform/harness/trace_test.cpp). What this hides: the
 * header itself is not compiled here (checkpatch checks it); its TP_printk formats are written
 * a second time below.
 */
#ifndef KSHIM_TRACE_XEN_UNPOPULATED_H
#define KSHIM_TRACE_XEN_UNPOPULATED_H
void trace_xen_unpop_init(const char *target, u64 start, u64 end, int ret);
void trace_xen_unpop_region(const char *kind, u64 start, u64 end);
void trace_xen_unpop_fill_list(unsigned int nr_pages, u64 start, u64 end, int ret, unsigned int list_count);
void trace_xen_unpop_alloc_page(unsigned long pfn);
void trace_xen_unpop_free_page(unsigned long pfn);
void trace_xen_unpop_dma_alloc_page(unsigned long pfn);
void trace_xen_unpop_dma_free_page(unsigned long pfn);
void trace_xen_unpop_alloc(unsigned int nr_pages, int ret, unsigned int list_count);
void trace_xen_unpop_free(unsigned int nr_pages, unsigned int list_count);
void trace_xen_unpop_dma_alloc(const char *dev, unsigned int nr_pages, int ret);
void trace_xen_unpop_dma_free(const char *dev, unsigned int nr_pages);
#endif

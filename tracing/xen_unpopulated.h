/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Tracepoints of the Xen unpopulated-pages allocator (drivers/xen/unpopulated-alloc.c).
 *
 * Install as include/trace/events/xen_unpopulated.h. Event and field names are fixed by
 * unpopcheck's trace contract (docs/trace-events.md): every field prints as key=value, values
 * in C notation, addresses are guest-physical byte addresses, ranges are inclusive like
 * struct resource, pfns are in the guest's page size. Call sites: tracing/README.md.
 *
 * Written for mainline >= 6.10 (single-argument __assign_str()); for older kernels replace
 * __assign_str(x) by __assign_str(x, x).
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM xen_unpop

#if !defined(_TRACE_XEN_UNPOPULATED_H) || defined(TRACE_HEADER_MULTI_READ)
#define _TRACE_XEN_UNPOPULATED_H

#include <linux/tracepoint.h>
#include <linux/types.h>

/* End of unpopulated_init(): which resource the pool grows from (or none, on error). */
TRACE_EVENT(xen_unpop_init,
	TP_PROTO(const char *target, u64 start, u64 end, int ret),
	TP_ARGS(target, start, end, ret),
	TP_STRUCT__entry(
		__string(target, target)
		__field(u64, start)
		__field(u64, end)
		__field(int, ret)
	),
	TP_fast_assign(
		__assign_str(target);
		__entry->start = start;
		__entry->end = end;
		__entry->ret = ret;
	),
	TP_printk("target=%s start=0x%llx end=0x%llx ret=%d",
		  __get_str(target), __entry->start, __entry->end, __entry->ret)
);

/* Arm arch_xen_unpopulated_init(): one per extended region from the device tree ("ext") and
 * one per "Unavailable space" hole inserted between them ("unavailable"). */
TRACE_EVENT(xen_unpop_region,
	TP_PROTO(const char *kind, u64 start, u64 end),
	TP_ARGS(kind, start, end),
	TP_STRUCT__entry(
		__string(kind, kind)
		__field(u64, start)
		__field(u64, end)
	),
	TP_fast_assign(
		__assign_str(kind);
		__entry->start = start;
		__entry->end = end;
	),
	TP_printk("kind=%s start=0x%llx end=0x%llx",
		  __get_str(kind), __entry->start, __entry->end)
);

/* Each pool growth attempt: nr_pages requested, the new "Xen scratch" range (0..0 when the
 * growth failed), the result, and the pool size afterwards. */
TRACE_EVENT(xen_unpop_fill_list,
	TP_PROTO(unsigned int nr_pages, u64 start, u64 end, int ret, unsigned int list_count),
	TP_ARGS(nr_pages, start, end, ret, list_count),
	TP_STRUCT__entry(
		__field(unsigned int, nr_pages)
		__field(u64, start)
		__field(u64, end)
		__field(int, ret)
		__field(unsigned int, list_count)
	),
	TP_fast_assign(
		__entry->nr_pages = nr_pages;
		__entry->start = start;
		__entry->end = end;
		__entry->ret = ret;
		__entry->list_count = list_count;
	),
	TP_printk("nr_pages=%u start=0x%llx end=0x%llx ret=%d list_count=%u",
		  __entry->nr_pages, __entry->start, __entry->end, __entry->ret,
		  __entry->list_count)
);

/* One page (by pfn): handed out, given back, DMA-allocated, DMA-freed. */
DECLARE_EVENT_CLASS(xen_unpop_page,
	TP_PROTO(unsigned long pfn),
	TP_ARGS(pfn),
	TP_STRUCT__entry(
		__field(unsigned long, pfn)
	),
	TP_fast_assign(
		__entry->pfn = pfn;
	),
	TP_printk("pfn=0x%lx", __entry->pfn)
);

DEFINE_EVENT(xen_unpop_page, xen_unpop_alloc_page,
	TP_PROTO(unsigned long pfn), TP_ARGS(pfn));
DEFINE_EVENT(xen_unpop_page, xen_unpop_free_page,
	TP_PROTO(unsigned long pfn), TP_ARGS(pfn));
DEFINE_EVENT(xen_unpop_page, xen_unpop_dma_alloc_page,
	TP_PROTO(unsigned long pfn), TP_ARGS(pfn));
DEFINE_EVENT(xen_unpop_page, xen_unpop_dma_free_page,
	TP_PROTO(unsigned long pfn), TP_ARGS(pfn));

/* xen_alloc_unpopulated_pages() returns (after its xen_unpop_alloc_page events). */
TRACE_EVENT(xen_unpop_alloc,
	TP_PROTO(unsigned int nr_pages, int ret, unsigned int list_count),
	TP_ARGS(nr_pages, ret, list_count),
	TP_STRUCT__entry(
		__field(unsigned int, nr_pages)
		__field(int, ret)
		__field(unsigned int, list_count)
	),
	TP_fast_assign(
		__entry->nr_pages = nr_pages;
		__entry->ret = ret;
		__entry->list_count = list_count;
	),
	TP_printk("nr_pages=%u ret=%d list_count=%u",
		  __entry->nr_pages, __entry->ret, __entry->list_count)
);

/* xen_free_unpopulated_pages() returns (after its xen_unpop_free_page events). */
TRACE_EVENT(xen_unpop_free,
	TP_PROTO(unsigned int nr_pages, unsigned int list_count),
	TP_ARGS(nr_pages, list_count),
	TP_STRUCT__entry(
		__field(unsigned int, nr_pages)
		__field(unsigned int, list_count)
	),
	TP_fast_assign(
		__entry->nr_pages = nr_pages;
		__entry->list_count = list_count;
	),
	TP_printk("nr_pages=%u list_count=%u", __entry->nr_pages, __entry->list_count)
);

/* The DMA (IPA-contiguous) helpers of the DMA-pool series return. */
TRACE_EVENT(xen_unpop_dma_alloc,
	TP_PROTO(const char *dev, unsigned int nr_pages, int ret),
	TP_ARGS(dev, nr_pages, ret),
	TP_STRUCT__entry(
		__string(dev, dev)
		__field(unsigned int, nr_pages)
		__field(int, ret)
	),
	TP_fast_assign(
		__assign_str(dev);
		__entry->nr_pages = nr_pages;
		__entry->ret = ret;
	),
	TP_printk("dev=%s nr_pages=%u ret=%d", __get_str(dev), __entry->nr_pages, __entry->ret)
);

TRACE_EVENT(xen_unpop_dma_free,
	TP_PROTO(const char *dev, unsigned int nr_pages),
	TP_ARGS(dev, nr_pages),
	TP_STRUCT__entry(
		__string(dev, dev)
		__field(unsigned int, nr_pages)
	),
	TP_fast_assign(
		__assign_str(dev);
		__entry->nr_pages = nr_pages;
	),
	TP_printk("dev=%s nr_pages=%u", __get_str(dev), __entry->nr_pages)
);

#endif /* _TRACE_XEN_UNPOPULATED_H */

/* This part must be outside protection */
#include <trace/define_trace.h>

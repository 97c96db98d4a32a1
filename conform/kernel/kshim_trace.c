// SPDX-License-Identifier: GPL-2.0
/*
 * unpopcheck conformance shim: the xen_unpop tracepoints of kernel/patches, recorded as tracefs
 * text (shim/include/trace/events/xen_unpopulated.h says what this stands for). One task
 * ("kshim", pid 1, CPU 0); the timestamp counts events in microseconds, so the order is the
 * order of the calls. Written by this project.
 */
#include <linux/ioport.h>
#include <linux/types.h>
#include <trace/events/xen_unpopulated.h>
#include "kshim.h"

void *realloc(void *p, size_t n);
void abort(void);
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

static char *trace_buf;
static size_t trace_len, trace_cap;
static unsigned long trace_events;

static __printf(2, 3) void emit(const char *event, const char *fmt, ...)
{
	char fields[256], line[384];
	va_list ap;
	int n;

	__builtin_va_start(ap, fmt);
	vsnprintf(fields, sizeof(fields), fmt, ap);
	__builtin_va_end(ap);
	trace_events++;
	n = snprintf(line, sizeof(line), "           kshim-1       [000] .....  %5lu.%06lu: %s: %s\n",
		     trace_events / 1000000, trace_events % 1000000, event, fields);
	if (n < 0 || (size_t)n >= sizeof(line))
		abort(); /* a field longer than any the events have: never silently cut */
	if (trace_len + n + 1 > trace_cap) {
		trace_cap = (trace_len + n + 1) * 2 + 4096;
		trace_buf = realloc(trace_buf, trace_cap);
		if (!trace_buf)
			abort();
	}
	memcpy(trace_buf + trace_len, line, n + 1);
	trace_len += n;
}

const char *kshim_trace(void) { return trace_buf ? trace_buf : ""; }

void kshim_trace_clear(void)
{
	trace_len = 0;
	trace_events = 0;
	if (trace_buf)
		trace_buf[0] = 0;
}

/* The fields as TP_printk() of kernel/patches' header prints them. */
void trace_xen_unpop_init(const char *target, u64 start, u64 end, int ret)
{
	emit("xen_unpop_init", "target=%s start=0x%llx end=0x%llx ret=%d", target, start, end, ret);
}

void trace_xen_unpop_region(const char *kind, u64 start, u64 end)
{
	emit("xen_unpop_region", "kind=%s start=0x%llx end=0x%llx", kind, start, end);
}

void trace_xen_unpop_fill_list(unsigned int nr_pages, u64 start, u64 end, int ret, unsigned int list_count)
{
	emit("xen_unpop_fill_list", "nr_pages=%u start=0x%llx end=0x%llx ret=%d list_count=%u", nr_pages, start,
	     end, ret, list_count);
}

void trace_xen_unpop_alloc_page(unsigned long pfn) { emit("xen_unpop_alloc_page", "pfn=0x%lx", pfn); }
void trace_xen_unpop_free_page(unsigned long pfn) { emit("xen_unpop_free_page", "pfn=0x%lx", pfn); }
void trace_xen_unpop_dma_alloc_page(unsigned long pfn) { emit("xen_unpop_dma_alloc_page", "pfn=0x%lx", pfn); }
void trace_xen_unpop_dma_free_page(unsigned long pfn) { emit("xen_unpop_dma_free_page", "pfn=0x%lx", pfn); }

void trace_xen_unpop_alloc(unsigned int nr_pages, int ret, unsigned int list_count)
{
	emit("xen_unpop_alloc", "nr_pages=%u ret=%d list_count=%u", nr_pages, ret, list_count);
}

void trace_xen_unpop_free(unsigned int nr_pages, unsigned int list_count)
{
	emit("xen_unpop_free", "nr_pages=%u list_count=%u", nr_pages, list_count);
}

void trace_xen_unpop_dma_alloc(const char *dev, unsigned int nr_pages, int ret)
{
	emit("xen_unpop_dma_alloc", "dev=%s nr_pages=%u ret=%d", dev, nr_pages, ret);
}

void trace_xen_unpop_dma_free(const char *dev, unsigned int nr_pages)
{
	emit("xen_unpop_dma_free", "dev=%s nr_pages=%u", dev, nr_pages);
}

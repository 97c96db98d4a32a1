/* unpopcheck conformance shim: linux/printk.h's default pr_fmt, defined only if the file did not
 * define its own before its first #include (kernel/resource.c does). */
#ifndef pr_fmt
#define pr_fmt(fmt) fmt
#endif

/* unpopcheck conformance shim: the kmalloc family is in kshim/base.h (fault points: kshim.c). */
#include <linux/mm.h>
#include <kshim/printk.h>

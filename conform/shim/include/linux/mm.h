/* unpopcheck conformance shim: see kshim/mm.h. */
#include <kshim/mm.h>
#include <linux/bitmap.h> /* the kernel's mm.h reaches it through mmzone.h and nodemask.h */

/* unpopcheck conformance shim: see kshim/fs.h. */
#include <linux/ioport.h>
#include <linux/mm.h>
#include <kshim/fs.h>

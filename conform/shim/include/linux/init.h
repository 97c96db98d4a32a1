/* unpopcheck conformance shim: everything <linux/init.h> provides to the compiled files is in
 * kshim/base.h (force-included), so this header is intentionally empty. */
#include <kshim/printk.h>

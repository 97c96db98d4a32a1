/* unpopcheck conformance shim: everything <linux/const.h> provides to the compiled files is in
 * kshim/base.h (force-included), so this header is intentionally empty. */

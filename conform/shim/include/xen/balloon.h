/* unpopcheck conformance shim: see xen/xen.h. */
#include <xen/xen.h>

/* unpopcheck conformance shim: see kshim/mm.h. */
#include <kshim/mm.h>

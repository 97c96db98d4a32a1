// SPDX-License-Identifier: GPL-2.0
/* Arm's arch_xen_unpopulated_init() and its xen_resource, sliced verbatim from
 * arch/arm/xen/enlighten.c at build time (conform/extract.py). It reads the hypervisor node
 * through the of_* shims of kshim.c. In the patched builds the slices are cut again from the
 * patched file (kernel/patches 4/4 adds its xen_unpop_region tracepoints). */
#include <linux/ioport.h>
#include <linux/mm.h>
#include <xen/xen.h>
#include <trace/events/xen_unpopulated.h> /* kernel/patches' enlighten.c includes it (the slice does not) */
#include "kshim.h"
#include "slices/arch_arm_xen_enlighten__EXT_REGION_INDEX.c"
#include "slices/arch_arm_xen_enlighten__xen_resource.c"
#include "slices/arch_arm_xen_enlighten__arch_xen_unpopulated_init.c"

struct resource *kshim_arch_resource(void) { return &xen_resource; }

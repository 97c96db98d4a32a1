// SPDX-License-Identifier: GPL-2.0
/* x86's arch_xen_unpopulated_init() (iomem_resource as the target, the xen_extra_mem pages
 * freed into the list), sliced verbatim from arch/x86/xen/enlighten.c at build time. */
#include <linux/ioport.h>
#include <linux/mm.h>
#include <xen/xen.h>
#include "kshim.h"
#include "slices/arch_x86_xen_enlighten__arch_xen_unpopulated_init.c"

struct resource *kshim_arch_resource(void) { return NULL; }

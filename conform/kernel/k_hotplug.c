// SPDX-License-Identifier: GPL-2.0
/* mhp_get_pluggable_range() and mhp_range_allowed(), sliced verbatim from mm/memory_hotplug.c
 * at build time (conform/extract.py). */
#include <linux/mm.h>
#include "slices/mm_memory_hotplug__mhp_get_pluggable_range.c"
#include "slices/mm_memory_hotplug__mhp_range_allowed.c"

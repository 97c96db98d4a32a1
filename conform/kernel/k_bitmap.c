// SPDX-License-Identifier: GPL-2.0
/* The bitmap functions lib/genalloc.c calls, sliced verbatim from lib/bitmap.c and
 * lib/find_bit.c at build time (conform/extract.py). */
#include <linux/bitmap.h>
#include "slices/lib_find_bit__FIND_FIRST_BIT.c"
#include "slices/lib_find_bit__FIND_NEXT_BIT.c"
#include "slices/lib_find_bit___find_first_bit.c"
#include "slices/lib_find_bit___find_next_bit.c"
#include "slices/lib_find_bit___find_next_zero_bit.c"
#include "slices/lib_bitmap____bitmap_set.c"
#include "slices/lib_bitmap____bitmap_clear.c"
#include "slices/lib_bitmap__bitmap_find_next_zero_area_off.c"

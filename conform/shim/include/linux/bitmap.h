/* unpopcheck conformance shim: what lib/genalloc.c uses of linux/bitmap.h and linux/find.h.
 * The out-of-line functions (__bitmap_set, __bitmap_clear, bitmap_find_next_zero_area_off,
 * _find_first_bit, _find_next_bit, _find_next_zero_bit) are the kernel's own, sliced from
 * lib/bitmap.c and lib/find_bit.c at build time (conform/extract.py). The inline wrappers
 * here always call them: the kernel's small_const_nbits() fast paths compute the same bits. */
#ifndef KSHIM_BITMAP_H
#define KSHIM_BITMAP_H
#define BITMAP_FIRST_WORD_MASK(start) (~0UL << ((start) & (BITS_PER_LONG - 1)))
#define BITMAP_LAST_WORD_MASK(nbits) (~0UL >> (-(nbits) & (BITS_PER_LONG - 1)))
void __bitmap_set(unsigned long *map, unsigned int start, int len);
void __bitmap_clear(unsigned long *map, unsigned int start, int len);
unsigned long bitmap_find_next_zero_area_off(unsigned long *map, unsigned long size, unsigned long start,
					     unsigned int nr, unsigned long align_mask, unsigned long align_offset);
unsigned long _find_first_bit(const unsigned long *addr, unsigned long size);
unsigned long _find_next_bit(const unsigned long *addr, unsigned long nbits, unsigned long start);
unsigned long _find_next_zero_bit(const unsigned long *addr, unsigned long nbits, unsigned long start);
static inline void bitmap_set(unsigned long *map, unsigned int start, unsigned int nbits) { __bitmap_set(map, start, nbits); }
static inline void bitmap_clear(unsigned long *map, unsigned int start, unsigned int nbits) { __bitmap_clear(map, start, nbits); }
static inline unsigned long bitmap_find_next_zero_area(unsigned long *map, unsigned long size, unsigned long start,
						       unsigned int nr, unsigned long align_mask)
{
	return bitmap_find_next_zero_area_off(map, size, start, nr, align_mask, 0);
}
/* asm-generic/bitops/generic-non-atomic.h's generic_test_bit(). */
static inline bool test_bit(unsigned long nr, const volatile unsigned long *addr)
{
	return 1UL & (addr[nr / BITS_PER_LONG] >> (nr & (BITS_PER_LONG - 1)));
}
static inline unsigned long find_first_bit(const unsigned long *addr, unsigned long size) { return _find_first_bit(addr, size); }
static inline unsigned long find_next_bit(const unsigned long *addr, unsigned long size, unsigned long off) { return _find_next_bit(addr, size, off); }
static inline unsigned long find_next_zero_bit(const unsigned long *addr, unsigned long size, unsigned long off) { return _find_next_zero_bit(addr, size, off); }
#endif

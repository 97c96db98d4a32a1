/* unpopcheck conformance shim: what kernel/patches' unpopulated-alloc.c uses of
 * linux/dma-mapping.h and linux/device.h. struct device keeps only its dma_mask pointer and
 * its name; dma_get_mask() is the kernel's (the mask, or 32 bits when the device has none),
 * dev_name() returns the name (the kernel's kobject name, set from init_name). */
#ifndef KSHIM_DMA_MAPPING_H
#define KSHIM_DMA_MAPPING_H
#define DMA_BIT_MASK(n) (((n) == 64) ? ~0ULL : ((1ULL << (n)) - 1))
struct device {
	u64 *dma_mask;
	const char *init_name;
};
static inline const char *dev_name(const struct device *dev) { return dev->init_name; }
static inline u64 dma_get_mask(struct device *dev)
{
	if (dev && dev->dma_mask && *dev->dma_mask)
		return *dev->dma_mask;
	return DMA_BIT_MASK(32);
}
#endif

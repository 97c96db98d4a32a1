/* unpopcheck conformance shim: arm64 asm/io.h PCI_IO_SIZE (16M) - 1. */
#define IO_SPACE_LIMIT 0xffffffUL

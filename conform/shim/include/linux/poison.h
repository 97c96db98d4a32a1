/* unpopcheck conformance shim: the list poison values of linux/poison.h (no
 * CONFIG_ILLEGAL_POINTER_VALUE offset). */
#define LIST_POISON1 ((void *)0x100)
#define LIST_POISON2 ((void *)0x122)

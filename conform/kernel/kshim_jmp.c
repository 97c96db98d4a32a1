/* BUG() in kernel code returns to the harness through here: the entry point that called into
 * the kernel files is run under a guard (setjmp); kshim_bug() longjmps back, and the call
 * returns KAPI_OOPS. Built with libc headers (it includes no kernel header). The kernel state
 * after a BUG() is what the kernel would have left; the driver stops the case there, as the
 * model does after an oops. */
#include <setjmp.h>
#include <stdlib.h>

#include "kapi.h"

static jmp_buf *guard;

int kshim_guard(int (*fn)(void *), void *arg)
{
	jmp_buf here;
	jmp_buf *outer = guard;
	volatile int ret = KAPI_OOPS;

	guard = &here;
	if (setjmp(here) == 0)
		ret = fn(arg);
	guard = outer;
	return ret;
}

void kshim_jump(void)
{
	if (!guard)
		abort(); /* a BUG() outside any guarded call: a harness defect */
	longjmp(*guard, 1);
}

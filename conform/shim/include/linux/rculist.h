/* unpopcheck conformance shim: linux/rculist.h's list operations as the plain ones of the real
 * linux/list.h. RCU's publication order only matters to concurrent readers; the harness has
 * none (kshim/base.h). The order of the list, which genalloc's chunk search depends on, is the
 * same: list_add_rcu adds at the head like list_add. */
#include <linux/list.h>
#define list_add_rcu(n, h) list_add(n, h)
#define list_add_tail_rcu(n, h) list_add_tail(n, h)
#define list_del_rcu(e) list_del(e)
#define list_for_each_entry_rcu(pos, head, member, ...) list_for_each_entry(pos, head, member)
#define list_first_or_null_rcu(ptr, type, member) list_first_entry_or_null(ptr, type, member)

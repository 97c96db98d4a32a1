/* SPDX-License-Identifier: GPL-2.0 */
/*
 * unpopcheck conformance shim: the VFS, device-resource, wait-queue and seq_file declarations
 * kernel/resource.c needs to compile (its iomem pseudo-fs, devm_* helpers, muxed-region waits and
 * "reserve=" boot parameter). None of that code is reached by what the harness calls; every
 * function declared here is defined in kshim.c as kshim_unreached(), which fails the case loudly
 * if it ever is. Written by this project.
 */
#ifndef KSHIM_FS_H
#define KSHIM_FS_H
#include <linux/list.h>

struct module;
struct super_block;
struct address_space;
struct inode { struct address_space *i_mapping; };
struct vfsmount { struct super_block *mnt_sb; };
struct fs_context;
struct file_system_type {
	const char *name;
	struct module *owner;
	int (*init_fs_context)(struct fs_context *);
	void (*kill_sb)(struct super_block *);
};
struct pseudo_fs_context;
struct pseudo_fs_context *init_pseudo(struct fs_context *fc, unsigned long magic);
void kill_anon_super(struct super_block *sb);
int simple_pin_fs(struct file_system_type *type, struct vfsmount **mount, int *count);
void simple_release_fs(struct vfsmount **mount, int *count);
struct inode *alloc_anon_inode(struct super_block *sb);
void unmap_mapping_range(struct address_space *mapping, loff_t const holebegin, loff_t const holelen, int even_cows);
#define DEVMEM_MAGIC 0x454d444d

struct device;
typedef void (*dr_release_t)(struct device *dev, void *res);
typedef int (*dr_match_t)(struct device *dev, void *res, void *match_data);
void *devres_alloc(dr_release_t release, size_t size, gfp_t gfp);
void devres_free(void *res);
void devres_add(struct device *dev, void *res);
int devres_release(struct device *dev, dr_release_t release, dr_match_t match, void *match_data);
void *devres_find(struct device *dev, dr_release_t release, dr_match_t match, void *match_data);
int devres_destroy(struct device *dev, dr_release_t release, dr_match_t match, void *match_data);
void devm_add_action_or_reset_unreached(void);
#define devm_add_action_or_reset(dev, fn, data) (devm_add_action_or_reset_unreached(), 0)
#define dev_err(dev, fmt, ...) printk(KERN_ERR fmt, ##__VA_ARGS__)
#define dev_warn(dev, fmt, ...) printk(KERN_WARNING fmt, ##__VA_ARGS__)
#define dev_dbg(dev, fmt, ...) do { } while (0)

struct task_struct { int state; };
extern struct task_struct *kshim_current;
#define current kshim_current
struct wait_queue_entry { struct task_struct *private; struct list_head entry; };
typedef struct wait_queue_entry wait_queue_entry_t;
struct wait_queue_head { spinlock_t lock; struct list_head head; };
typedef struct wait_queue_head wait_queue_head_t;
#define DECLARE_WAIT_QUEUE_HEAD(name) struct wait_queue_head name = { { 0 }, { &(name).head, &(name).head } }
#define DECLARE_WAITQUEUE(name, tsk) struct wait_queue_entry name = { tsk, { NULL, NULL } }
#define TASK_UNINTERRUPTIBLE 2
#define set_current_state(s) do { } while (0)
void add_wait_queue(struct wait_queue_head *wq, struct wait_queue_entry *e);
void remove_wait_queue(struct wait_queue_head *wq, struct wait_queue_entry *e);
void schedule(void);
void kshim_wake_up(struct wait_queue_head *wq);
#define wake_up(wq) kshim_wake_up(wq)

struct seq_file;
int get_option(char **str, int *pint);

/* linux/resource_ext.h */
struct resource_entry {
	struct list_head node;
	struct resource *res;
	resource_size_t offset;
	struct resource __res;
};
static inline void resource_list_del(struct resource_entry *entry) { list_del(&entry->node); }
static inline void resource_list_free_entry(struct resource_entry *entry) { kfree(entry); }
static inline void resource_list_destroy_entry(struct resource_entry *entry)
{
	resource_list_del(entry);
	resource_list_free_entry(entry);
}
#define resource_list_for_each_entry_safe(entry, tmp, list) list_for_each_entry_safe((entry), (tmp), (list), node)
#endif

/* [mounts]: the opt-in mount mode. With a [mounts] section, the container gets
 * a private mount namespace: the rootfs is mounted onto itself, the requested
 * binds, tmpfs, /proc and /dev are added, and it is entered with pivot_root
 * (the old root detached) instead of chroot. Without the section nothing here
 * runs and no mount namespace exists.
 *
 * mounts.c: the section (keys, validation, resolving, checks) and the plan of
 * mounts; mount_tree.c: building the tree in the container. */
#ifndef QRUN_MOUNTS_H
#define QRUN_MOUNTS_H

#include "diag.h"

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct config;

struct bind_mount {
        char *src; /* absolute, on the host */
        char *dst; /* absolute, inside the container */
        bool ro;
        struct loc loc; /* its line; loc.key is bind, home or workdir */
};

struct tmpfs_mount {
        char *dst;
        uint64_t size; /* bytes; 0: the kernel's default (half of memory) */
        struct loc loc;
        bool if_present; /* implied (read_only_tmpfs): only where the image has the directory */
};

enum dev_mode { DEV_NONE, DEV_MINIMAL };

struct mounts_config {
        bool enabled;           /* a [mounts] section exists, or mount mode is implied */
        const char *implied_by; /* resolved: why mount mode is on without [mounts] */
        struct bind_mount *binds;
        size_t nbinds;
        struct tmpfs_mount *tmpfs;
        size_t ntmpfs;
        bool proc;
        struct loc proc_loc;
        bool proc_host; /* resolved: no pid namespace, so the host's /proc, bound read-only */
        enum dev_mode dev;
        struct loc dev_loc;
        uint64_t shm_size;
        struct loc shm_loc;
        bool home, workdir;
        struct loc home_loc, workdir_loc;
        bool read_only_tmpfs; /* a read-only image gets a tmpfs on /tmp, /var/tmp, /run */
        struct loc read_only_tmpfs_loc;
        bool scratch; /* resolved: read_only_tmpfs added at least one */
};

extern const struct section_def mounts_section;

void mounts_config_free(struct mounts_config *m);

/* Resolve step: mount mode is implied by a SquashFS rootfs or an overlay; a
 * SquashFS rootfs without an overlay gets tmpfs on /tmp, /var/tmp and /run
 * (read_only_tmpfs) where the manifest mounts nothing at or above them;
 * home and workdir become binds of the caller's directories at
 * the same paths; workdir also sets [process] cwd. */
bool mounts_resolve(struct config *cfg, struct diag *d);

/* Adds a bind (takes src and dst); loc is the line that asked for it. */
void mounts_add_bind(struct mounts_config *m, char *src, char *dst, bool ro, struct loc loc);

/* A mount target dst (a directory, or a file when !dir) must exist in the
 * rootfs, lie on a mount of the manifest's, or be creatable there; reported
 * at loc otherwise. */
bool mounts_check_target(const struct config *cfg, const char *dst, bool dir, struct loc loc,
                         struct diag *d);

/* Check step: every bind source exists, and every target exists in the rootfs
 * or can be created there. */
bool mounts_check(const struct config *cfg, struct diag *d);

/* One mount to make. */
struct mount_step {
        enum { STEP_PROC, STEP_DEV, STEP_TMPFS, STEP_BIND } kind;
        const void *what; /* the tmpfs_mount or bind_mount */
        const char *dst;
        struct loc loc;
};

enum mount_order {
        ORDER_LINES,  /* manifest order: for reporting problems line by line */
        ORDER_DEPTHS, /* shallow targets first, then manifest order: for mounting */
};

/* Every mount the manifest asks for, in order. Caller frees. */
struct mount_step *mounts_plan(const struct mounts_config *m, enum mount_order order,
                               size_t *count);

/* In the container's first process: creates the mount namespace, builds the
 * tree and pivot_roots into it. Replaces rootfs_enter() in mount mode. */
void mounts_enter(const struct config *cfg);

/* The same in a mount namespace the caller has already created (join mode's
 * holder, which opens the namespace first): makes it private, builds the
 * tree and pivot_roots into it. */
void mounts_build(const struct config *cfg);

#endif

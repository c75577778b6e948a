/* [mounts]: the opt-in mount mode. With a [mounts] section, the container gets
 * a private mount namespace: the rootfs is mounted onto itself, the requested
 * binds, tmpfs, /proc and /dev are added, and it is entered with pivot_root
 * (the old root detached) instead of chroot. Without the section nothing here
 * runs and no mount namespace exists. */
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
        struct loc loc;
        const char *key; /* the key it came from: bind, home or workdir */
};

struct tmpfs_mount {
        char *dst;
        uint64_t size; /* bytes; 0: the kernel's default (half of memory) */
        struct loc loc;
};

enum dev_mode { DEV_NONE, DEV_MINIMAL };

struct mounts_config {
        bool enabled; /* a [mounts] section exists */
        struct bind_mount *binds;
        size_t nbinds;
        struct tmpfs_mount *tmpfs;
        size_t ntmpfs;
        bool proc;
        struct loc proc_loc;
        enum dev_mode dev;
        struct loc dev_loc;
        uint64_t shm_size;
        struct loc shm_loc;
        bool home, workdir;
        struct loc home_loc, workdir_loc;
        /* Set by validation. */
        dev_t rootfs_dev;
        ino_t rootfs_ino;
};

extern const struct section_def mounts_section;

void mounts_config_free(struct mounts_config *m);

/* In the container's first process: creates the mount namespace, builds the
 * tree and pivot_roots into it, then changes to cwd. Replaces
 * rootfs_enter() in mount mode. */
void mounts_enter(const struct mounts_config *m, const struct config *cfg, const char *cwd,
                  struct loc cwd_loc);

#endif

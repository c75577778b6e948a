/* [rootfs]: the directory the container sees as /. In chroot mode (the
 * default: no mount namespace) it is entered with chroot; mounts.c enters it
 * with pivot_root in mount mode. */
#ifndef QRUN_ROOTFS_H
#define QRUN_ROOTFS_H

#include "diag.h"

#include <sys/types.h>

struct config;

struct rootfs_config {
        char *path; /* absolute; "/" means the host root (no chroot) */
        struct loc path_loc;
        /* Resolved: an O_PATH descriptor opened once, and its identity. */
        int fd;
        dev_t dev;
        ino_t ino;
};

extern const struct section_def rootfs_section;

/* Resolve step: opens the rootfs once; everything later uses this descriptor,
 * never the path. Reports and returns false if it cannot be used. */
bool rootfs_open(struct rootfs_config *r, struct diag *d);

/* True when the container runs on the host root (no chroot). */
bool rootfs_is_host(const struct rootfs_config *r);

/* In the container: fchdir into the rootfs and chroot("."). Entering through
 * the descriptor opened at validation means a path component swapped for a
 * symlink since then is never followed. */
void rootfs_enter(const struct rootfs_config *r);

#endif

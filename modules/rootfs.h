/* [rootfs]: the directory the container sees as /, entered with chroot
 * (no mount namespace). */
#ifndef QRUN_ROOTFS_H
#define QRUN_ROOTFS_H

#include "diag.h"

struct config;

struct rootfs_config {
        char *path; /* absolute; "/" means the host root (no chroot) */
        struct loc path_loc;
        int fd; /* O_PATH descriptor, opened once during validation */
};

extern const struct section_def rootfs_section;

void rootfs_config_free(struct rootfs_config *r);

/* True when the container runs on the host root (no chroot). */
bool rootfs_is_host(const struct rootfs_config *r);

/* In the container: fchdir into the rootfs, chroot("."), then chdir to cwd.
 * Entering through the descriptor opened at validation means a path component
 * swapped for a symlink since then is never followed. */
void rootfs_enter(const struct rootfs_config *r, const char *cwd, struct loc cwd_loc);

#endif

/* [rootfs]: what the container sees as /: a directory, or a SquashFS image
 * (served by qrun's own FUSE server, squashfs.h), optionally under a writable
 * overlay. A directory without an overlay is entered with chroot (chroot
 * mode: no mount namespace); an image or an overlay imply mount mode, whose
 * tree mount_tree.c builds. */
#ifndef QRUN_ROOTFS_H
#define QRUN_ROOTFS_H

#include "diag.h"

#include <stdint.h>
#include <sys/types.h>

struct config;

enum rootfs_kind { ROOTFS_DIR, ROOTFS_HOST, ROOTFS_SQUASHFS };

enum overlay_kind { OVERLAY_NONE, OVERLAY_TMPFS, OVERLAY_DIR };

/* overlay = tmpfs[:size=N] | DIR: a writable layer over the rootfs. */
struct overlay_config {
        enum overlay_kind kind;
        uint64_t size; /* tmpfs: bytes, 0 for the kernel's default */
        char *dir;     /* DIR: absolute; qrun keeps DIR/upper and DIR/work */
        struct loc loc;
};

struct rootfs_config {
        char *path; /* absolute; "/" means the host root (no chroot) */
        struct loc path_loc;
        struct overlay_config overlay;
        const char *overlay_implied_by; /* resolved: why overlay = tmpfs without the key */
        uint64_t linger_ms; /* a SquashFS image's server outlives its last launch by this */
        struct loc linger_loc;
        /* Resolved: what path is, a descriptor opened once (O_PATH of the
         * directory, or the image opened for reading) and its identity. */
        enum rootfs_kind kind;
        int fd;
        dev_t dev;
        ino_t ino;
};

extern const struct section_def rootfs_section;

/* Resolve step: opens the rootfs once; everything later uses this descriptor,
 * never the path. Reports and returns false if it cannot be used. */
bool rootfs_open(struct rootfs_config *r, struct diag *d);

/* Check step: a SquashFS image needs a pid namespace (its FUSE server must
 * stay out of the command's reach) and a /dev/fuse the user may open. */
bool rootfs_check(const struct config *cfg, struct diag *d);

/* True when the container runs on the host root (no chroot). */
bool rootfs_is_host(const struct rootfs_config *r);

/* The rootfs directory's descriptor, for looking paths up inside it; -1 when
 * the rootfs is an image (or was not opened). */
int rootfs_dir_fd(const struct rootfs_config *r);

/* True when the rootfs needs mount mode: an image, or an overlay. */
bool rootfs_needs_mounts(const struct rootfs_config *r);

/* In the container: fchdir into the rootfs and chroot("."). Entering through
 * the descriptor opened at validation means a path component swapped for a
 * symlink since then is never followed. */
void rootfs_enter(const struct rootfs_config *r);

#endif

/* SquashFS images as the container's root, without a setuid helper: qrun
 * mounts FUSE itself in a user namespace and serves the image from a process
 * of its own (squashfuse's library over libfuse's low-level API, linked in:
 * no exec, so starting a server costs a fork, not a program's start-up).
 *
 * One server per image and user, shared by every launch from that image, so
 * that the kernel's cache of what was read stays warm between launches; it
 * ends once no launch has used it for [rootfs] linger. It lives outside every
 * container's pid namespace (the command can neither see, signal nor trace
 * it; it is not dumpable), in a user and mount namespace of its own, confined
 * by Landlock, and hands each launch a clone of its read-only mount over a
 * socket in the user's private runtime directory. */
#ifndef QRUN_SQUASHFS_H
#define QRUN_SQUASHFS_H

#include "diag.h"

#include <stddef.h>

struct config;

/* Check step: /dev/fuse exists and the user may open it (Debian's default
 * mode is 0666; some sites make it 0600). Reports at loc. */
bool squashfs_check_fuse(struct loc loc, struct diag *d);

/* In the monitor, before the user namespace: connects to the image's server
 * (cfg->rootfs.fd), starting one if none serves it, and receives a clone of
 * its mount; fails with the server's reason if there is none. */
void squashfs_start(const struct config *cfg);

/* The descriptors squashfs_start() opened (at most 2, into fds): a process
 * that must outlive the launch and keep the image mounted inherits them (join
 * mode's holder). Returns how many. */
size_t squashfs_fds(int *fds);

/* In the container's first process (join mode: the first launch's): the image's
 * detached, read-only mount (a copy of it, so that every container of qrun
 * --each can attach its own). */
int squashfs_receive(void);

/* In the monitor once the container has exited: hangs up on the server (which
 * ends after the linger if no other launch uses it). */
void squashfs_stop(void);

#endif

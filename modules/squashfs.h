/* SquashFS images as the container's root, without a setuid helper: qrun
 * mounts FUSE itself inside its user namespace and serves the image from a
 * process of its own (squashfuse's library over libfuse's low-level loop,
 * linked in: no exec, so a launch pays a fork, not a program's start-up).
 *
 * The server is a child of the monitor, so it lives outside the container's
 * pid namespace (the command can neither see, signal nor trace it; it is not
 * dumpable either); it dies with the monitor (PR_SET_PDEATHSIG, also when qrun
 * is SIGKILLed), and the monitor ends it when the container has exited. It
 * makes the mount itself, in a mount namespace of its own, and hands the
 * detached mount to the container's first process over a socket. */
#ifndef QRUN_SQUASHFS_H
#define QRUN_SQUASHFS_H

#include "diag.h"

struct config;

/* Check step: /dev/fuse exists and the user may open it (Debian's default
 * mode is 0666; some sites make it 0600). Reports at loc. */
bool squashfs_check_fuse(struct loc loc, struct diag *d);

/* In the monitor, inside the user namespace, before the container is
 * forked: starts the server for the image (cfg->rootfs.fd). */
void squashfs_start(const struct config *cfg);

/* In the container's first process: the image's detached, read-only mount
 * (fails with the server's reason if it could not make one). */
int squashfs_receive(void);

/* In the monitor once the container has exited: ends and reaps the server. */
void squashfs_stop(void);

#endif

/* Join mode ([namespaces] join = KEY, --join[=KEY]): every launch on a node
 * with the same key shares one user namespace, one mount namespace (one tree:
 * one rootfs, one /dev/shm) and the ipc (and uts, net) namespace, and no
 * launch has a pid namespace of its own: MPI ranks see each other, share
 * memory and attach to each other's memory (CMA) as they do without qrun.
 *
 * No daemon: the first launch of a key listens on the key's socket in the
 * user's runtime directory (rundir.h), execs a holder (qrun again, detached,
 * in the host's user namespace), and creates the namespaces in its monitor;
 * its first process builds the tree and sends the namespaces and the tree to
 * the holder, which hands them to each launch that connects; launches then
 * setns() into them. No launch waits for the holder's start. The holder counts
 * the launches connected to it and ends, removing its socket and lock, when
 * the last one has gone: the namespaces go with the last process in them. A
 * lock on the key orders the launches that find no holder, and a holder that
 * is ending (the SquashFS servers' election, squashfs.c). */
#ifndef QRUN_JOIN_H
#define QRUN_JOIN_H

#include "diag.h"

struct config;

/* Resolve step: the key ("auto": SLURM_JOB_ID.SLURM_STEP_ID, else
 * PMIX_NAMESPACE, else OMPI_MCA_ess_base_jobid); no pid namespace; the hpc
 * environment preset unless env_preset says otherwise. mounts_resolve()
 * then implies mount mode, dev = minimal and PMIx's directories. */
bool join_resolve(struct config *cfg, struct diag *d);

/* In the monitor, instead of userns_create(): finds the key's holder, refuses
 * it if its rootfs, ids, namespaces or mounts differ from this launch's, and
 * enters its user, ipc, uts and net namespaces; or, finding none, creates
 * those namespaces here and execs the holder (with --each, also builds the
 * tree, in a child). Stays connected to the holder until it exits. With a
 * SquashFS rootfs, the launch that starts the holder connects to the image's
 * server, and the holder keeps that connection for as long as it lives. */
void join_start(const struct config *cfg);

/* argv[0] of the holder, which a launch execs from its own binary. */
#define JOIN_HOLDER "qrun-join"

/* main() of the holder (argv: JOIN_HOLDER, the key, the key's file name);
 * refuses to run with other descriptors than a launch gives it. Never returns. */
int join_holder_main(int argc, char **argv);

/* In the container's first process, instead of mounts_enter(): the holder's
 * mount namespace and root; or, in the launch that started the holder, a new
 * mount namespace and tree, sent to the holder. */
void join_enter(const struct config *cfg);

#endif

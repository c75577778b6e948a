/* The whole configuration: one part per module, and the steps that turn a
 * parsed manifest into what the launcher acts on. */
#ifndef QRUN_CONFIG_H
#define QRUN_CONFIG_H

#include "landlock.h"
#include "mounts.h"
#include "namespaces.h"
#include "process.h"
#include "resource_limits.h"
#include "rootfs.h"
#include "seccomp.h"
#include "terminal.h"
#include "userns.h"

struct config {
        const char *manifest_path; /* as given on the command line */
        char *manifest_dir;        /* base for relative paths in the manifest */
        bool check_only;           /* --check: validate more, create nothing */
        struct rootfs_config rootfs;
        struct user_config user;
        struct ns_config ns;
        struct mounts_config mounts;
        struct process_config process;
        struct limits_config limits;
        struct seccomp_config seccomp;
        struct landlock_config landlock;
        struct terminal terminal; /* not from the manifest: decided at launch */
};

/* The defaults, before the manifest is read. */
void config_init(struct config *cfg);

/* Derives what depends on several sections and on the caller's environment,
 * in this order: opens the rootfs; [mounts] home and workdir become binds
 * (workdir sets the cwd); the command line and its environment; the seccomp
 * program. Reports what cannot be derived. */
bool config_resolve(struct config *cfg, struct diag *d);

/* Checks the resolved configuration against the system: what a SquashFS
 * rootfs needs, mount sources and targets, the cwd, Landlock paths and, with
 * --check, the command. Reports only. */
bool config_check(const struct config *cfg, struct diag *d);

/* Releases what parsing allocated (qrun itself never needs to: it execs or
 * exits; the unit tests and fuzzers do). */
void config_free(struct config *cfg);

#endif

/* The whole validated configuration: one part per module. */
#ifndef QRUN_CONFIG_H
#define QRUN_CONFIG_H

#include "resource_limits.h"
#include "namespaces.h"
#include "landlock.h"
#include "mounts.h"
#include "process.h"
#include "rootfs.h"
#include "seccomp.h"
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
};

void config_init(struct config *cfg);
/* Releases what parsing allocated (qrun itself never needs to: it execs or
 * exits; the unit tests and fuzzers do). */
void config_free(struct config *cfg);

#endif

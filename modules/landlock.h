/* [landlock]: confine the command's file system access with Landlock, with or
 * without a rootfs of its own. Paths are as the command sees them (inside the
 * chroot or the mount tree); everything not listed is denied. Applied in the
 * command's process after no_new_privs (Landlock's precondition) and before
 * the seccomp filter. */
#ifndef QRUN_LANDLOCK_H
#define QRUN_LANDLOCK_H

#include "diag.h"

#include <stddef.h>
#include <stdint.h>

struct config;

enum landlock_grant { GRANT_READ, GRANT_WRITE, GRANT_EXEC, GRANT_KINDS };

struct landlock_rule {
        char *path;
        enum landlock_grant grant;
        struct loc loc;
};

struct landlock_config {
        bool enabled; /* a [landlock] section exists */
        bool required;
        struct landlock_rule *rules;
        size_t nrules;
        struct loc section_loc; /* where the section first appears */
};

extern const struct section_def landlock_section;

void landlock_config_free(struct landlock_config *l);

/* The access rights a grant gives under Landlock ABI abi, for a directory or
 * a file (files take only the file rights). 0 for abi < 1. */
uint64_t landlock_rights(enum landlock_grant grant, int abi, bool dir);

/* Every file system right ABI abi knows. */
uint64_t landlock_handled_rights(int abi);

/* Check step: every path exists as the command will see it (chroot and host
 * mode; in mount mode a path may lie on a mount made at launch). */
bool landlock_check(const struct config *cfg, struct diag *d);

/* Restricts the calling process (the command, after no_new_privs). */
void landlock_apply(const struct landlock_config *l);

/* Takes from the calling process (after no_new_privs) every right Landlock
 * can take: opening any path, TCP bind and connect, signals and abstract unix
 * sockets beyond its domain; descriptors already open keep working. But for
 * one: removing files in the directory remove_in (-1: none). -1 with errno
 * (ENOSYS, EOPNOTSUPP: no Landlock). */
int landlock_deny_all(int remove_in);

#endif

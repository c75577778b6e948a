/* [user]: the user namespace, its one-id maps, and the capabilities the
 * command keeps. No setuid helper: exactly one uid and one gid are mapped. */
#ifndef QRUN_USERNS_H
#define QRUN_USERNS_H

#include "fail.h"

struct config;
struct diag;

#include <stdbool.h>
#include <sys/types.h>

/* Which id the one mapped id appears as inside: the caller's own, or 0. */
enum user_id { ID_SELF, ID_ROOT };

struct user_config {
        enum user_id uid, gid;
        struct loc uid_loc;
        bool fakeroot; /* root emulation: the seccomp profile's fakeroot composition */
        struct loc fakeroot_loc;
        /* Resolved: who the command is inside. */
        char *name;  /* "root", or the caller's login name (NULL: the host has none) */
        char *home;  /* /root, the caller's $HOME when [mounts] home binds it, else / */
        char *group; /* "root", or the caller's group's name (NULL: none) */
        bool passwd; /* with a mount namespace: add the user to /etc/passwd and /etc/group */
        struct loc passwd_loc;
};

extern const struct section_def user_section;

/* Resolve step: the name and home directory inside (see struct user_config). */
void userns_resolve_identity(struct user_config *u, bool home_bound);

/* Check step, --check only: in chroot mode (no mount namespace, so qrun
 * cannot add the user) a warning when the rootfs's /etc/passwd has no entry
 * for the uid the command runs as, once everything else checked out (d). */
void userns_check_identity(const struct config *cfg, const struct diag *d);

/* Refuses a setuid/setgid installation or differing real and effective ids. */
void userns_refuse_elevated_privileges(void);

/* unshare(CLONE_NEWUSER) in the calling process, then writes uid_map,
 * setgroups ("deny") and gid_map. Explains a disabled userns. The other
 * namespaces come with each container's first process (namespaces_clone). */
void userns_create(const struct user_config *u);

/* The same for helpers: the caller's uid and gid appear as inside_uid and
 * inside_gid; -1 with errno and f (what failed, a disabled userns explained). */
int userns_unshare(uid_t inside_uid, gid_t inside_gid, int other_flags, struct failure *f);

/* userns_unshare() with the ids [user] asks for inside (root: 0, else the
 * caller's), and other_flags: what userns_create() and join mode's first
 * launch do. */
int userns_unshare_as(const struct user_config *u, int other_flags, struct failure *f);

/* In the container, its root entered, with fakeroot: turns off apt's
 * privilege drop (apt checks that its setgid to _apt really happened, which
 * root emulation fakes) by writing /etc/apt/apt.conf.d/00qrun-fakeroot when
 * the image has that directory and the file is missing. The rootfs is
 * writable whenever packages can be installed at all: the user's own
 * directory or an overlay; on a read-only root nothing is written. */
void userns_prepare_fakeroot(const struct user_config *u);

/* In the monitor, once the user namespace exists: drops from the bounding set
 * (what exec can grant) every capability the command does not keep. The
 * monitor's own capabilities stay; every container inherits the set, so
 * `--each` pays for it once (41 prctl calls), not once per task. */
void userns_drop_bounding_set(const struct user_config *u);

/* Leaves the command with no capabilities (uid self) or with a root set that
 * lacks CAP_SYS_CHROOT, CAP_SYS_ADMIN and everything else that could leave the
 * chroot or build namespaces (uid 0): ambient set cleared, then capset. The
 * bounding set is already reduced (userns_drop_bounding_set). */
void userns_drop_capabilities(const struct user_config *u);

#endif

/* [namespaces]: pid, ipc, uts and (opt-in) net, created together with the user
 * namespace. The mount namespace is not among them: chroot mode has none, and
 * mount mode creates it in the container's first process (mounts.h). */
#ifndef QRUN_NAMESPACES_H
#define QRUN_NAMESPACES_H

#include "fail.h"

#include <stdbool.h>
#include <sys/types.h>

struct ns_config {
        bool pid, ipc, uts, net;
        struct loc pid_loc;
        char *join; /* [namespaces] join = KEY, or "auto" (--join) */
        struct loc join_loc;
        char *join_key; /* resolved: join's key, "auto" replaced from the environment */
};

extern const struct section_def namespaces_section;

/* The CLONE_NEW* flags to unshare together with the user namespace. */
int namespaces_clone_flags(const struct ns_config *ns);

/* fork() into new namespaces of those kinds, once the user namespace exists:
 * the child is pid 1 of its own pid namespace. Each call makes new ones, so
 * every container of `qrun --each` has its own. -1 with errno. */
pid_t namespaces_fork(const struct ns_config *ns);

/* The same for a launch's only container, whose first process runs fn(arg) in
 * the caller's memory (CLONE_VM, on a stack of its own): no page tables to
 * copy, no copy-on-write faults on either side, no address space to tear down
 * at its exit (12% of a launch on the development VM, bench/RESULTS.md). The
 * caller and the child then run at once in one memory: while the child lives,
 * the caller must not allocate, use stdio or decide anything on errno (which
 * the two share), nor change what the child reads, and the child must end
 * with _exit() or exec. The sanitizer build forks (its runtime keeps
 * per-thread state that two processes would share). -1 with errno. */
pid_t namespaces_clone(const struct ns_config *ns, int (*fn)(void *), void *arg);

/* With net, in the container's first process: brings up loopback in the new
 * network namespace (the only interface there). Needs CAP_NET_ADMIN in the
 * user namespace. */
void namespaces_setup_network(const struct ns_config *ns);

/* With uts and a hostname: sets it. */
void namespaces_set_hostname(const struct ns_config *ns, const char *hostname);

#endif

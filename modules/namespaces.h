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

/* A stack for namespaces_clone's child (1 MiB and a guard page): its top, or
 * NULL with errno. Reusable for the next child once that one has been reaped. */
void *namespaces_stack(void);

/* The container's first process, in new namespaces of the manifest's kinds
 * (none in join mode), once the user namespace exists: it runs fn(arg) in the
 * caller's memory (CLONE_VM) on stack: no page tables to copy, no
 * copy-on-write faults on either side, no address space to tear down at its
 * exit (12% of a launch on the development VM, bench/RESULTS.md). The caller
 * and the child then run at once in one memory: while the child lives, the
 * caller must not allocate, use stdio or decide anything on errno (which the
 * two share), nor change what the child reads, and the child must end with
 * _exit() or exec. With started (qrun --each, whose tasks' first processes
 * outlive their set-up), *started stays 1 until the child has exec'd, ended,
 * or said namespaces_started(): the caller waits for that
 * (namespaces_wait_started) before it goes on, so that a set-up never runs
 * beside another's, and meanwhile makes no call that could fail (its own
 * closes, fcntl) nor allocates; after it, the child may only wait, reap and
 * signal (init_run), and writes no errno. The sanitizer build forks
 * (its runtime keeps per-thread state that two processes would share) and
 * ignores stack. -1 with errno. */
pid_t namespaces_clone(const struct ns_config *ns, void *stack, int (*fn)(void *), void *arg,
                       int *started);

/* The caller of namespaces_clone: waits until *started is 0 (true), or at
 * most timeout_ms (false). */
bool namespaces_wait_started(int *started, int timeout_ms);

/* The child: its set-up is over (its command has exec'd); wakes the caller. */
void namespaces_started(int *started);

/* With net, in the container's first process: brings up loopback in the new
 * network namespace (the only interface there). Needs CAP_NET_ADMIN in the
 * user namespace. */
void namespaces_setup_network(const struct ns_config *ns);

/* With uts and a hostname: sets it. */
void namespaces_set_hostname(const struct ns_config *ns, const char *hostname);

#endif

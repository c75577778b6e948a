#define _GNU_SOURCE
#include "namespaces.h"
#include "common.h"
#include "config.h"
#include "manifest.h"

#include <errno.h>
#include <linux/futex.h>
#include <net/if.h>
#include <sched.h>
#include <stddef.h>
#include <string.h>
#include <sys/ioctl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* ---- [namespaces] keys ---- */

static bool check_join(const char *value, struct diag *d)
{
        size_t len = strlen(value);
        if (len == 0 || len > 255)
                return diag_error(d, "expected a key of 1 to 255 characters, or auto");
        for (size_t i = 0; i < len; i++)
                if ((unsigned char)value[i] < 0x21 || value[i] == 0x7f)
                        return diag_error(d,
                                          "expected a key without blanks or control characters, "
                                          "got \"%s\"",
                                          value);
        return true;
}

static const struct key_def namespaces_keys[] = {
    {"pid", KEY_BOOL, .offset = CFG(ns.pid), .loc = CFG(ns.pid_loc)},
    {"ipc", KEY_BOOL, .offset = CFG(ns.ipc)},
    {"uts", KEY_BOOL, .offset = CFG(ns.uts)},
    {"net", KEY_BOOL, .offset = CFG(ns.net)},
    {"join", KEY_STRING, .offset = CFG(ns.join), .loc = CFG(ns.join_loc), .check = check_join,
     .unset = "not set (namespaces of the launch's own)"},
};

/* Join mode shares the namespaces among the ranks on a node: a pid namespace
 * per rank cannot be part of it (docs/hpc.md says why). */
static bool validate_namespaces(const struct config *cfg, struct diag *d)
{
        const struct ns_config *ns = &cfg->ns;
        if (ns->join && ns->pid && ns->pid_loc.file)
                return diag_error_at(d, ns->pid_loc,
                                     "join mode gives the ranks no pid namespace of their own (MPI "
                                     "ranks must see each other's pids for shared memory and "
                                     "cross-memory attach): remove pid = true");
        return true;
}

const struct section_def namespaces_section = {"namespaces", namespaces_keys,
                                               ARRAY_SIZE(namespaces_keys), validate_namespaces};

/* ---- actions ---- */

int namespaces_clone_flags(const struct ns_config *ns)
{
        return (ns->pid ? CLONE_NEWPID : 0) | (ns->ipc ? CLONE_NEWIPC : 0) |
               (ns->uts ? CLONE_NEWUTS : 0) | (ns->net ? CLONE_NEWNET : 0);
}

/* The namespaces a container's first process is created in. Joined launches
 * share the key's namespaces, entered already (join_start): none. */
static unsigned long container_flags(const struct ns_config *ns)
{
        return ns->join_key ? 0ul : (unsigned long)namespaces_clone_flags(ns);
}

/* The child's stack: it builds the tree in mount mode (paths on the stack)
 * and then is pid 1. A guard page below it, so that an overflow faults
 * instead of writing into the caller's memory. */
#define CHILD_STACK (1024 * 1024)

void *namespaces_stack(void)
{
        size_t guard = (size_t)sysconf(_SC_PAGESIZE);
        char *stack = mmap(NULL, guard + CHILD_STACK, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
        if (stack == MAP_FAILED)
                return NULL;
        if (mprotect(stack, guard, PROT_NONE) < 0) {
                int err = errno;
                munmap(stack, guard + CHILD_STACK);
                errno = err;
                return NULL;
        }
        return stack + guard + CHILD_STACK;
}

pid_t namespaces_clone(const struct ns_config *ns, void *stack, int (*fn)(void *), void *arg,
                       int *started)
{
#ifdef __SANITIZE_ADDRESS__
        (void)stack;
        if (started)
                *started = 0; /* a copy of our memory: nothing of ours to wait for */
        /* clone(2) without a new stack is fork(2) with namespace flags. */
        pid_t pid = (pid_t)syscall(SYS_clone, container_flags(ns) | SIGCHLD, 0ul, 0ul, 0ul, 0ul);
        if (pid == 0)
                _exit(fn(arg));
        return pid;
#else
        int flags = (int)container_flags(ns) | CLONE_VM | SIGCHLD;
        if (!started)
                return clone(fn, stack, flags, arg);
        /* Set before the child exists; the kernel clears it (and wakes
         * namespaces_wait_started) when the child execs or ends. */
        *started = 1;
        pid_t pid = clone(fn, stack, flags | CLONE_CHILD_CLEARTID, arg, NULL, NULL, started);
        if (pid < 0)
                *started = 0;
        return pid;
#endif
}

/* Not FUTEX_PRIVATE_FLAG: the kernel's wake at the child's exec or exit
 * (CLONE_CHILD_CLEARTID) is not a private one. */
bool namespaces_wait_started(int *started, int timeout_ms)
{
        /* The set-up we wait for may read errno, ours too, after a call of
         * its own: a timeout's ETIMEDOUT must not stay there. */
        int err = errno;
        struct timespec ts = {timeout_ms / 1000, (long)(timeout_ms % 1000) * 1000000};
        if (__atomic_load_n(started, __ATOMIC_ACQUIRE))
                syscall(SYS_futex, started, FUTEX_WAIT, 1, &ts, NULL, 0);
        errno = err;
        return !__atomic_load_n(started, __ATOMIC_ACQUIRE);
}

void namespaces_started(int *started)
{
        __atomic_store_n(started, 0, __ATOMIC_RELEASE);
        syscall(SYS_futex, started, FUTEX_WAKE, 1, NULL, NULL, 0);
}

void namespaces_setup_network(const struct ns_config *ns)
{
        if (!ns->net)
                return;
        uint64_t started = step_start();
        int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                fail("netns", errno, "socket(AF_INET) to configure loopback");
        struct ifreq ifr = {0};
        strcpy(ifr.ifr_name, "lo");
        if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
                fail("netns", errno, "ioctl(SIOCGIFFLAGS) of the loopback interface");
        ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
        if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
                fail("netns", errno, "ioctl(SIOCSIFFLAGS): unable to bring up loopback");
        close(fd);
        verbose_step("netns", started, "loopback up");
}

void namespaces_set_hostname(const struct ns_config *ns, const char *hostname)
{
        if (!ns->uts || !hostname)
                return;
        if (sethostname(hostname, strlen(hostname)) < 0)
                fail("uts", errno, "sethostname(\"%s\")", hostname);
}

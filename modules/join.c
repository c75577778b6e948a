#define _GNU_SOURCE
#include "join.h"
#include "common.h"
#include "config.h"
#include "rundir.h"
#include "squashfs.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* The namespaces a holder hands out, in this order, then its root. */
static const char *const ns_names[] = {"user", "ipc", "uts", "net", "mnt"};
enum { NS_USER, NS_IPC, NS_UTS, NS_NET, NS_MNT, NS_ROOT, NS_FDS };

/* What must be equal for two launches to share a holder. */
struct identity {
        uint64_t rootfs_dev, rootfs_ino, mounts;
        int32_t uid, gid, ns_flags, unused;
};

/* ---- resolving ---- */

/* join = auto: the job step's id, as the launchers set it for every rank. */
static char *key_from_environment(void)
{
        const char *job = getenv("SLURM_JOB_ID"), *step = getenv("SLURM_STEP_ID");
        if (job && *job && step && *step)
                return xasprintf("slurm-%s.%s", job, step);
        const char *ids[] = {"PMIX_NAMESPACE", "OMPI_MCA_ess_base_jobid"};
        for (size_t i = 0; i < ARRAY_SIZE(ids); i++) {
                const char *v = getenv(ids[i]);
                if (v && *v)
                        return xasprintf("%s-%s", i ? "ompi" : "pmix", v);
        }
        return NULL;
}

bool join_resolve(struct config *cfg, struct diag *d)
{
        struct ns_config *ns = &cfg->ns;
        if (!ns->join)
                return true;
        ns->join_key = strcmp(ns->join, "auto") ? xstrdup(ns->join) : key_from_environment();
        if (!ns->join_key)
                return diag_error_at(d, ns->join_loc,
                                     "auto: none of SLURM_JOB_ID and SLURM_STEP_ID, "
                                     "PMIX_NAMESPACE or OMPI_MCA_ess_base_jobid is set: give a "
                                     "key (--join=KEY)");
        ns->pid = false;
        if (!cfg->process.env_preset_loc.file)
                cfg->process.env_preset = ENV_PRESET_HPC;
        /* A read-only image has no room for the mount points of PMIx's
         * directories (/var/spool/slurmd/pmix.J.S on the host, rarely in an
         * image): the ranks share one writable layer over it, a tmpfs
         * discarded with the holder, as a Docker container's is. Before
         * mounts_resolve(), which binds those directories. */
        struct rootfs_config *r = &cfg->rootfs;
        if (r->kind == ROOTFS_SQUASHFS && r->overlay.kind == OVERLAY_NONE) {
                r->overlay.kind = OVERLAY_TMPFS;
                r->overlay.loc = ns->join_loc;
                r->overlay_implied_by = "[namespaces] join (a read-only image has no room for "
                                        "the mount points of PMIx's directories)";
        }
        return true;
}

/* ---- what launches of one key must agree on ---- */

static uint64_t hash_text(uint64_t h, const char *s)
{
        return fnv1a(h, s ? s : "", s ? strlen(s) + 1 : 1);
}

static uint64_t hash_mounts(const struct config *cfg)
{
        const struct mounts_config *m = &cfg->mounts;
        const struct overlay_config *o = &cfg->rootfs.overlay;
        uint64_t v[] = {m->proc, m->dev, m->shm_size, o->kind, o->size, m->nbinds, m->ntmpfs};
        uint64_t h = fnv1a(0xcbf29ce484222325ULL, v, sizeof(v));
        h = hash_text(h, o->dir);
        for (size_t i = 0; i < m->nbinds; i++) {
                h = hash_text(hash_text(h, m->binds[i].src), m->binds[i].dst);
                h = fnv1a(h, &m->binds[i].ro, sizeof(m->binds[i].ro));
        }
        for (size_t i = 0; i < m->ntmpfs; i++) {
                h = hash_text(h, m->tmpfs[i].dst);
                h = fnv1a(h, &m->tmpfs[i].size, sizeof(m->tmpfs[i].size));
        }
        return h;
}

static struct identity identity_of(const struct config *cfg)
{
        return (struct identity){.rootfs_dev = cfg->rootfs.dev,
                                 .rootfs_ino = cfg->rootfs.ino,
                                 .mounts = hash_mounts(cfg),
                                 .uid = cfg->user.uid,
                                 .gid = cfg->user.gid,
                                 .ns_flags = namespaces_clone_flags(&cfg->ns)};
}

/* What differs between ours and the holder's, or NULL. */
static const char *difference(const struct identity *ours, const struct identity *theirs)
{
        if (ours->rootfs_dev != theirs->rootfs_dev || ours->rootfs_ino != theirs->rootfs_ino)
                return "another rootfs";
        if (ours->uid != theirs->uid || ours->gid != theirs->gid)
                return "another [user] uid or gid";
        if (ours->ns_flags != theirs->ns_flags)
                return "other [namespaces] (ipc, uts, net)";
        if (ours->mounts != theirs->mounts)
                return "other mounts ([mounts], [rootfs] overlay)";
        return NULL;
}

/* ---- the holder ---- */

struct holder {
        int dir, lock, fds[NS_FDS];
        const char *name;
        struct identity id;
        struct pollfd *members; /* [0]: the listening socket, then one per launch */
        size_t n, cap;
};

/* The hello: the identity, then the namespaces' descriptors and the root
 * (the first launch's to the holder, the holder's to each launch); 0 or -1
 * with errno. */
static int send_hello(int sock, const struct identity *id, const int fds[NS_FDS])
{
        char control[CMSG_SPACE(NS_FDS * sizeof(int))] = {0};
        struct iovec iov = {(void *)id, sizeof(*id)};
        struct msghdr msg = {.msg_iov = &iov,
                             .msg_iovlen = 1,
                             .msg_control = control,
                             .msg_controllen = sizeof(control)};
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_len = CMSG_LEN(NS_FDS * sizeof(int));
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        memcpy(CMSG_DATA(c), fds, NS_FDS * sizeof(int));
        ssize_t n;
        while ((n = sendmsg(sock, &msg, MSG_NOSIGNAL)) < 0 && errno == EINTR)
                ;
        return n == (ssize_t)sizeof(*id) ? 0 : -1;
}

/* A hello, into *id and fds; -1 with f (*absent: the other side hung up: no
 * holder answers, none yet or one ending; or the first launch failed). */
static int receive_hello(int c, struct identity *id, int fds[NS_FDS], bool *absent,
                         struct failure *f)
{
        char control[CMSG_SPACE(NS_FDS * sizeof(int))];
        struct cmsghdr *cm;
        ssize_t n = rundir_receive(c, id, sizeof(*id), control, sizeof(control), &cm);
        *absent = n == 0 || (n < 0 && errno == ECONNRESET);
        if (n <= 0)
                return errno = n == 0 ? ECONNRESET : errno, failure(f, "the holder hung up");
        if (n != (ssize_t)sizeof(*id) || !cm || cm->cmsg_type != SCM_RIGHTS ||
            cm->cmsg_len != CMSG_LEN(NS_FDS * sizeof(int)))
                return errno = EPROTO, failure(f, "the holder sent no namespaces");
        memcpy(fds, CMSG_DATA(cm), NS_FDS * sizeof(int));
        return 0;
}

/* Counts a launch connected on c, once it has its namespaces. */
static void add_member(struct holder *h, int c)
{
        if (send_hello(c, &h->id, h->fds) < 0) {
                close(c);
                return;
        }
        if (h->n == h->cap) {
                h->cap = h->cap ? h->cap * 2 : 64;
                h->members = xrealloc(h->members, h->cap * sizeof(*h->members));
        }
        h->members[h->n++] = (struct pollfd){c, POLLIN, 0};
}

static void accept_member(struct holder *h)
{
        int c = rundir_accept(h->members[0].fd);
        if (c >= 0)
                add_member(h, c);
}

/* The last launch has gone: ends unless one is starting (it holds the lock)
 * or connecting. Connecting to the socket is refused from now on; a launch
 * that got in meanwhile sees its connection reset and elects anew. */
static bool may_end(struct holder *h)
{
        if (!rundir_may_end(h->lock, h->members[0].fd))
                return false;
        rundir_remove(h->dir, h->name, h->lock);
        return true;
}

_Noreturn static void serve(struct holder *h)
{
        for (;;) {
                int timeout = h->n == 1 ? 10 : -1; /* idle: try to end until it can */
                if (h->n == 1 && may_end(h))
                        _exit(0);
                if (poll(h->members, h->n, timeout) < 0 && errno != EINTR)
                        _exit(EXIT_QRUN_FAILED);
                if (h->members[0].revents & POLLIN)
                        accept_member(h);
                for (size_t i = h->n; i-- > 1;) {
                        char byte;
                        if (!h->members[i].revents)
                                continue;
                        ssize_t r = recv(h->members[i].fd, &byte, 1, MSG_DONTWAIT);
                        if (r > 0 || (r < 0 && (errno == EAGAIN || errno == EINTR)))
                                continue;
                        close(h->members[i].fd); /* hung up: that launch has exited */
                        h->members[i] = h->members[--h->n];
                }
        }
}

static int open_own_ns(const char *name)
{
        char path[32];
        snprintf(path, sizeof(path), "/proc/self/ns/%s", name);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                fail("join", errno, "unable to open %s of the joined namespaces", path);
        return fd;
}

/* The holder's descriptors, where the launch puts them before exec: the
 * runtime directory, the key's listening socket, the launch's connection,
 * then the SquashFS server's (squashfs_fds), which it only keeps open. */
enum { HOLDER_DIR = 3, HOLDER_LISTENER, HOLDER_FIRST, HOLDER_SQUASHFS };

/* Whether the descriptors are what a launch gives the holder. */
static bool holder_fds_valid(void)
{
        struct stat st[3];
        for (int i = 0; i < 3; i++)
                if (fstat(HOLDER_DIR + i, &st[i]) < 0)
                        return false;
        return S_ISDIR(st[0].st_mode) && S_ISSOCK(st[1].st_mode) && S_ISSOCK(st[2].st_mode);
}

static bool valid_name(const char *name)
{
        return strlen(name) == 21 && !strncmp(name, "join-", 5) &&
               strspn(name + 5, "0123456789abcdef") == 16;
}

/* Exec'd by the first launch of a key before it creates the namespaces: it
 * stays in the host's user namespace, where the ranks have no capability (so
 * they cannot trace it, dumpable or not), in a fresh address space. It waits
 * for the hello that the launch's first process sends once it has built the
 * tree (the identity, the namespaces and the root), meanwhile launches that
 * connect wait in the listener's backlog, and then hands that hello to each.
 * Nobody reads its errors: if it fails, connections are reset and the next
 * launch starts a holder. */
int join_holder_main(int argc, char **argv)
{
        if (argc != 3 || !valid_name(argv[2]) || !holder_fds_valid())
                fail("join", EINVAL, "%s is join mode's holder, which only a launch of qrun starts",
                     JOIN_HOLDER);
        char name[32], title[300];
        snprintf(name, sizeof(name), "%s", argv[2]); /* the title overwrites argv */
        snprintf(title, sizeof(title), "%s %s", JOIN_HOLDER, argv[1]);
        if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0 || detach_stdio_and_title(title) < 0)
                _exit(EXIT_QRUN_FAILED);
        struct holder h = {.dir = HOLDER_DIR, .name = name};
        h.members = xmalloc(64 * sizeof(*h.members));
        h.cap = 64;
        h.members[h.n++] = (struct pollfd){HOLDER_LISTENER, POLLIN, 0};
        char lock[128];
        snprintf(lock, sizeof(lock), "%s.lock", name); /* the file the launch held */
        if ((h.lock = openat(h.dir, lock, O_RDWR | O_CLOEXEC | O_NOFOLLOW)) < 0)
                _exit(EXIT_QRUN_FAILED);
        rundir_sweep(h.dir, "join-", name); /* while the first launch builds the tree */
        struct failure f;
        bool hung_up;
        if (receive_hello(HOLDER_FIRST, &h.id, h.fds, &hung_up, &f) < 0) {
                /* The launch failed before it sent them: its files go, as at
                 * an end, unless a launch is waiting (it sees the reset). */
                may_end(&h);
                _exit(EXIT_QRUN_FAILED);
        }
        add_member(&h, HOLDER_FIRST); /* its hello is read only by --each (join_start) */
        serve(&h);
}

/* ---- the launch's side ---- */

static int connection = -1;                           /* to the holder: counted while open */
static int joined[NS_FDS] = {-1, -1, -1, -1, -1, -1}; /* the holder's namespaces and root */
static bool builds_tree; /* this launch made the namespaces: its first process builds the tree */

/* Connects to the key's holder; 0 and `connection` set, or -1 with f. */
static int connect_holder(int dir, const char *name, struct identity *id, bool *absent,
                          struct failure *f)
{
        struct ucred peer;
        int c = rundir_connect(dir, name, "namespaces' holder", &peer, absent, f);
        if (c < 0)
                return -1;
        if (receive_hello(c, id, joined, absent, f) < 0) {
                close_keep_errno(c);
                return -1;
        }
        connection = c;
        return 0;
}

struct holder_exec {
        char *argv[4];
        int fds[HOLDER_SQUASHFS + 2 - HOLDER_DIR];
        int n;
        int err; /* set by the child if it could not exec */
};

/* In the child, in our memory while we wait (CLONE_VFORK): the descriptors to
 * their places, a session of its own, exec. */
static int holder_exec(void *arg)
{
        struct holder_exec *x = arg;
        int tmp[ARRAY_SIZE(x->fds)];
        for (int i = 0; i < x->n; i++) /* above the places first: one may be another's */
                if ((tmp[i] = fcntl(x->fds[i], F_DUPFD, HOLDER_DIR + x->n)) < 0)
                        goto out;
        for (int i = 0; i < x->n; i++)
                if (dup2(tmp[i], HOLDER_DIR + i) < 0)
                        goto out;
        if (syscall(SYS_close_range, (unsigned)(HOLDER_DIR + x->n), ~0U, 0) < 0 || setsid() < 0)
                goto out;
        char *envp[] = {NULL};
        execve("/proc/self/exe", x->argv, envp);
out:
        x->err = errno;
        return EXIT_QRUN_FAILED;
}

/* Starts the holder: qrun again, exec'd (join_holder_main). A fork would copy
 * our page tables and make every page we write afterwards a copy-on-write
 * fault; exec'd, it costs us a vfork. 0, or -1 with errno. */
static int spawn_holder(const char *key, const char *name, int dir, int listener, int first)
{
        struct holder_exec x = {
            {JOIN_HOLDER, (char *)key, (char *)name, NULL}, {dir, listener, first}, 3, 0};
        x.n += (int)squashfs_fds(x.fds + 3);
#ifdef __SANITIZE_ADDRESS__ /* as init.c's spawn_command */
        pid_t pid = fork();
        if (pid == 0)
                _exit(holder_exec(&x));
#else
        static char stack[32 * 1024] __attribute__((aligned(16), section(".lbss")));
        pid_t pid = clone(holder_exec, stack + sizeof(stack), CLONE_VM | CLONE_VFORK | SIGCHLD, &x);
#endif
        if (pid < 0)
                return -1;
        if (x.err) {
                waitpid(pid, NULL, 0);
                return errno = x.err, -1;
        }
        return 0;
}

/* The first launch of a key, holding its lock: listens on the key's socket,
 * starts the holder, lets the lock go (launches connecting now wait in the
 * backlog for the holder's hello), and creates the namespaces here, in the
 * monitor: the state the others reach by setns. Nothing here waits for the
 * holder; its first process builds the tree and sends it (join_enter). */
static void create_namespaces(const struct config *cfg, int dir, const char *name, int lock)
{
        struct failure f;
        char sock[128];
        snprintf(sock, sizeof(sock), "%s.sock", name);
        if (unlinkat(dir, sock, 0) < 0 && errno != ENOENT)
                fail("join", errno, "unable to remove the old %s", sock);
        if (cfg->rootfs.kind == ROOTFS_SQUASHFS)
                squashfs_start(cfg); /* outside the namespaces; the holder keeps the server */
        int listener = rundir_listen(dir, name, &f), pair[2];
        if (listener < 0)
                fail("join", errno, "%s", f.what);
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) < 0)
                fail("join", errno, "socketpair");
        /* Before the user namespace: the holder stays in the host's. */
        if (spawn_holder(cfg->ns.join_key, name, dir, listener, pair[1]) < 0)
                fail("join", errno, "unable to start the namespaces' holder");
        close(pair[1]);
        close(listener);
        close(lock);
        if (userns_unshare_as(&cfg->user, namespaces_clone_flags(&cfg->ns), &f) < 0)
                fail("join", errno, "%s", f.what);
        /* No pid namespace hides the monitor from the ranks, and it keeps the
         * host's root: they must not trace it. */
        if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
                fail("join", errno, "prctl(PR_SET_DUMPABLE)");
        connection = pair[0];
        builds_tree = true;
}

/* No holder answered: under the key's lock, asks again, else creates the
 * namespaces and starts one (true). */
static bool start_holder(const struct config *cfg, int dir, const char *name, struct identity *id)
{
        struct failure f;
        bool absent;
        int l = rundir_lock(dir, name, &f);
        if (l < 0)
                fail("join", errno, "%s", f.what);
        if (connect_holder(dir, name, id, &absent, &f) < 0 && absent) {
                create_namespaces(cfg, dir, name, l); /* releases the lock */
                return true;
        }
        if (connection < 0)
                fail("join", errno, "%s", f.what);
        close(l);
        return false;
}

/* The mount namespace and tree, built in this process, and the hello a
 * joining launch gets: the identity, the namespaces and the root. */
static void build_tree(const struct config *cfg)
{
        if (unshare(CLONE_NEWNS) < 0)
                fail("join", errno, "unshare(CLONE_NEWNS)");
        int fds[NS_FDS];
        for (int i = NS_USER; i < NS_ROOT; i++)
                fds[i] = open_own_ns(ns_names[i]); /* before pivot_root hides /proc */
        mounts_build(cfg);
        if ((fds[NS_ROOT] = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
                fail("join", errno, "unable to open the joined root");
        struct identity id = identity_of(cfg);
        if (send_hello(connection, &id, fds) < 0)
                fail("join", errno, "sending the tree to the namespaces' holder");
        for (int i = 0; i < NS_FDS; i++)
                close(fds[i]);
}

/* --each: every task enters the tree, so one made now, in a child, not by the
 * first task; then the holder's hello, as a joining launch gets it. */
static void build_tree_for_tasks(const struct config *cfg)
{
        pid_t pid = fork();
        if (pid < 0)
                fail("join", errno, "unable to fork to build the joined tree");
        if (pid == 0) {
                build_tree(cfg);
                _exit(0);
        }
        int status;
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        fail("join", errno, "waitpid");
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                exit(EXIT_QRUN_FAILED); /* the child said why */
        struct identity id;
        bool absent;
        struct failure f;
        if (receive_hello(connection, &id, joined, &absent, &f) < 0)
                fail("join", errno, "%s", f.what);
        builds_tree = false;
}

static void enter_ns(int i, int type)
{
        if (setns(joined[i], type) < 0)
                fail("join", errno, "setns into the joined %s namespace", ns_names[i]);
        close(joined[i]);
        joined[i] = -1;
}

/* A launch that found the key's holder: refuses it if it differs, else enters
 * its user, ipc, uts (and net) namespaces. */
static void enter_holder_ns(const struct config *cfg, const struct identity *theirs)
{
        struct identity ours = identity_of(cfg);
        const char *why = difference(&ours, theirs);
        if (why)
                fail("join", 0,
                     "the launches already joined as \"%s\" use %s: launches of one key must "
                     "share their rootfs, [user], [namespaces] and mounts",
                     cfg->ns.join_key, why);
        enter_ns(NS_USER, CLONE_NEWUSER); /* first: it owns the others */
        int flags = namespaces_clone_flags(&cfg->ns);
        static const int types[] = {0, CLONE_NEWIPC, CLONE_NEWUTS, CLONE_NEWNET};
        for (int i = NS_IPC; i <= NS_NET; i++)
                if (flags & types[i])
                        enter_ns(i, types[i]);
        /* No pid namespace hides the monitor from the ranks now, and it keeps
         * the host's root: they must not trace it. */
        if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
                fail("join", errno, "prctl(PR_SET_DUMPABLE)");
}

void join_start(const struct config *cfg)
{
        uint64_t started = step_start();
        const char *key = cfg->ns.join_key;
        struct failure f;
        int dir = rundir_open(&f);
        if (dir < 0)
                fail("join", errno, "%s", f.what);
        char name[32];
        snprintf(name, sizeof(name), "join-%016" PRIx64, hash_text(0xcbf29ce484222325ULL, key));
        struct identity theirs;
        bool absent, created = false;
        if (connect_holder(dir, name, &theirs, &absent, &f) < 0 && !absent)
                fail("join", errno, "%s", f.what);
        if (connection < 0)
                created = start_holder(cfg, dir, name, &theirs);
        close(dir);
        if (!created)
                enter_holder_ns(cfg, &theirs);
        else if (cfg->process.per_task)
                build_tree_for_tasks(cfg);
        verbose_step("join", started, "%s the namespaces of \"%s\"", created ? "created" : "joined",
                     key);
}

void join_enter(const struct config *cfg)
{
        uint64_t started = step_start();
        if (builds_tree) {
                build_tree(cfg);
                verbose_step("join", started, "built the joined tree for the namespaces' holder");
                return;
        }
        if (setns(joined[NS_MNT], CLONE_NEWNS) < 0)
                fail("join", errno, "setns into the joined mount namespace");
        if (fchdir(joined[NS_ROOT]) < 0)
                fail("join", errno, "fchdir into the joined root");
        if (chroot(".") < 0)
                fail("join", errno, "chroot into the joined root");
        if (chdir("/") < 0)
                fail("join", errno, "chdir to the joined root");
        for (int i = 0; i < NS_FDS; i++)
                if (joined[i] >= 0)
                        close(joined[i]);
        close(cfg->rootfs.fd);
        verbose_step("join", started, "entered the joined mount namespace and root %s",
                     cfg->rootfs.path);
}

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

/* One message of size bytes with n descriptors; 0 or -1 with errno. */
static int send_with_fds(int sock, const void *data, size_t size, const int *fds, size_t n)
{
        char control[CMSG_SPACE(NS_FDS * sizeof(int))] = {0};
        struct iovec iov = {(void *)data, size};
        struct msghdr msg = {.msg_iov = &iov,
                             .msg_iovlen = 1,
                             .msg_control = control,
                             .msg_controllen = CMSG_SPACE(n * sizeof(int))};
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_len = CMSG_LEN(n * sizeof(int));
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        memcpy(CMSG_DATA(c), fds, n * sizeof(int));
        ssize_t r;
        while ((r = sendmsg(sock, &msg, MSG_NOSIGNAL)) < 0 && errno == EINTR)
                ;
        return r == (ssize_t)size ? 0 : -1;
}

/* Sends the identity and the namespaces' descriptors to a launch. */
static int send_hello(int sock, const struct holder *h)
{
        return send_with_fds(sock, &h->id, sizeof(h->id), h->fds, NS_FDS);
}

/* Counts a launch connected on c, once it has its namespaces. */
static void add_member(struct holder *h, int c)
{
        if (send_hello(c, h) < 0) {
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

struct holder_start {
        const struct config *cfg;
        int dir;
        const char *name;
        int listener; /* bound by the launch: others may connect before the holder runs */
        int first;    /* the starting launch's connection: its first process sends the tree */
};

/* The mount namespace and root that the first launch's first process built
 * (join_enter), into h->fds; -1 if it failed before sending them. */
static int receive_tree(struct holder *h, int first)
{
        char byte, control[CMSG_SPACE(2 * sizeof(int))];
        struct cmsghdr *cm;
        ssize_t n = rundir_receive(first, &byte, 1, control, sizeof(control), &cm);
        if (n != 1 || !cm || cm->cmsg_type != SCM_RIGHTS ||
            cm->cmsg_len != CMSG_LEN(2 * sizeof(int)))
                return -1;
        memcpy(h->fds + NS_MNT, CMSG_DATA(cm), 2 * sizeof(int));
        return 0;
}

/* Forked by the first launch once it has created the user, ipc, uts (and net)
 * namespaces: it is in them, and not dumpable (inherited). While the launch's
 * first process builds the tree, it starts and waits for it; launches that
 * connect meanwhile wait in the listener's backlog. Nobody reads its errors:
 * if it fails, connections are reset and the next launch starts a holder. */
_Noreturn static void holder_main(void *arg, int ready)
{
        const struct holder_start *a = arg;
        char title[300];
        snprintf(title, sizeof(title), "qrun-join %s", a->cfg->ns.join_key);
        close(ready); /* the launch does not wait for it */
        if (detach_stdio_and_title(title) < 0)
                _exit(EXIT_QRUN_FAILED);
        verbose = false;
        struct holder h = {.dir = a->dir, .name = a->name, .id = identity_of(a->cfg)};
        h.members = xmalloc(64 * sizeof(*h.members));
        h.cap = 64;
        h.members[h.n++] = (struct pollfd){a->listener, POLLIN, 0};
        char lock[128];
        snprintf(lock, sizeof(lock), "%s.lock", a->name); /* the file the launch held */
        if ((h.lock = openat(a->dir, lock, O_RDWR | O_CLOEXEC | O_NOFOLLOW)) < 0)
                _exit(EXIT_QRUN_FAILED);
        for (int i = NS_USER; i < NS_MNT; i++)
                h.fds[i] = open_own_ns(ns_names[i]);
        rundir_sweep(a->dir, "join-", a->name); /* while the first launch builds the tree */
        if (receive_tree(&h, a->first) < 0)
                _exit(EXIT_QRUN_FAILED);
        add_member(&h, a->first); /* its hello is read only by --each (join_start) */
        serve(&h);
}

/* ---- the launch's side ---- */

static int connection = -1;                           /* to the holder: counted while open */
static int joined[NS_FDS] = {-1, -1, -1, -1, -1, -1}; /* the holder's namespaces and root */
static bool builds_tree; /* this launch made the namespaces: its first process builds the tree */

/* The holder's identity and descriptors, into *id and joined; -1 with f
 * (*absent: no holder answers, none yet or one ending). */
static int receive_hello(int c, struct identity *id, bool *absent, struct failure *f)
{
        char control[CMSG_SPACE(sizeof(joined))];
        struct cmsghdr *cm;
        ssize_t n = rundir_receive(c, id, sizeof(*id), control, sizeof(control), &cm);
        *absent = n == 0 || (n < 0 && errno == ECONNRESET);
        if (n <= 0)
                return errno = n == 0 ? ECONNRESET : errno, failure(f, "the holder hung up");
        if (n != (ssize_t)sizeof(*id) || !cm || cm->cmsg_type != SCM_RIGHTS ||
            cm->cmsg_len != CMSG_LEN(sizeof(joined)))
                return errno = EPROTO, failure(f, "the holder sent no namespaces");
        memcpy(joined, CMSG_DATA(cm), sizeof(joined));
        return 0;
}

/* Connects to the key's holder; 0 and `connection` set, or -1 with f. */
static int connect_holder(int dir, const char *name, struct identity *id, bool *absent,
                          struct failure *f)
{
        struct ucred peer;
        int c = rundir_connect(dir, name, "namespaces' holder", &peer, absent, f);
        if (c < 0)
                return -1;
        if (receive_hello(c, id, absent, f) < 0) {
                close_keep_errno(c);
                return -1;
        }
        connection = c;
        return 0;
}

/* The first launch of a key: creates the namespaces here, in the monitor
 * (the state the others reach by setns), listens on the key's socket, and
 * forks the holder. Holding the key's lock; it can go once the socket listens.
 * Nothing here waits for the holder: its start overlaps this launch's. */
static void create_namespaces(const struct config *cfg, int dir, const char *name, int lock)
{
        struct failure f;
        char sock[128];
        snprintf(sock, sizeof(sock), "%s.sock", name);
        if (unlinkat(dir, sock, 0) < 0 && errno != ENOENT)
                fail("join", errno, "unable to remove the old %s", sock);
        if (cfg->rootfs.kind == ROOTFS_SQUASHFS)
                squashfs_start(cfg); /* outside the namespaces; the holder keeps the server */
        if (userns_unshare(cfg->user.uid == ID_ROOT ? 0 : geteuid(),
                           cfg->user.gid == ID_ROOT ? 0 : getegid(),
                           namespaces_clone_flags(&cfg->ns), &f) < 0)
                fail("join", errno, "%s", f.what);
        /* Before the fork: the holder inherits it. No pid namespace hides the
         * monitor and the holder from the ranks, and both keep the host's
         * root and the runtime directory: the ranks must not trace them. */
        if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
                fail("join", errno, "prctl(PR_SET_DUMPABLE)");
        int listener = rundir_listen(dir, name, &f), pair[2];
        if (listener < 0)
                fail("join", errno, "%s", f.what);
        close(lock); /* a launch connecting now waits for the holder's hello */
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0)
                fail("join", errno, "socketpair");
        struct holder_start a = {cfg, dir, name, listener, pair[1]};
        int keep[5] = {dir, listener, pair[1]};
        size_t nkeep = 3 + squashfs_fds(keep + 3);
        int ready = spawn_detached(keep, nkeep, holder_main, &a, &f);
        if (ready < 0)
                fail("join", errno, "%s", f.what);
        close(ready);
        close(pair[1]);
        close(listener);
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

/* The mount namespace and tree, built in this process and sent to the holder. */
static void build_tree(const struct config *cfg)
{
        if (unshare(CLONE_NEWNS) < 0)
                fail("join", errno, "unshare(CLONE_NEWNS)");
        int fds[2] = {open_own_ns("mnt")}; /* before pivot_root hides /proc */
        mounts_build(cfg);
        if ((fds[1] = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
                fail("join", errno, "unable to open the joined root");
        if (send_with_fds(connection, "", 1, fds, 2) < 0)
                fail("join", errno, "sending the tree to the namespaces' holder");
        close(fds[0]);
        close(fds[1]);
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
        if (receive_hello(connection, &id, &absent, &f) < 0)
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

#define _GNU_SOURCE
#include "squashfs.h"
#include "blob.h"
#include "common.h"
#include "config.h"
#include "landlock.h"

#include "rundir.h"
#include "userns.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/mount.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef OPEN_TREE_CLOEXEC
#define OPEN_TREE_CLOEXEC O_CLOEXEC
#endif

/* ll.h brings FUSE_USE_VERSION (32) as squashfuse was built; it declares a
 * function without a prototype, hence the pragma. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstrict-prototypes"
#include <squashfuse/file.h>
#include <squashfuse/ll.h>
#pragma GCC diagnostic pop

/* The launch's side: its connection to the image's server (held until the
 * container has exited: the server counts connections) and the mount. */
static int connection = -1;
static int image_mount = -1;
static pid_t server_pid; /* the server's, as SO_PEERCRED told it */

/* What the server sends when it cannot make the mount (or start): why. */
struct server_failure {
        int err;
        char what[480];
};

bool squashfs_check_fuse(struct loc loc, struct diag *d)
{
        if (access("/dev/fuse", R_OK | W_OK) == 0)
                return true;
        if (errno == ENOENT)
                return diag_error_at(d, loc,
                                     "a SquashFS rootfs needs FUSE, and /dev/fuse does not exist "
                                     "(as root: modprobe fuse)");
        return diag_error_at(d, loc,
                             "a SquashFS rootfs needs FUSE, and /dev/fuse is not open to you "
                             "(%s; as root: chmod 0666 /dev/fuse, Debian's default)",
                             strerror(errno));
}

/* ---- files owned by the container's user ----
 *
 * An image's files carry the ids of whoever made it (root, with mksquashfs
 * -all-root). In a user namespace that maps only the user's id they would
 * show as nobody, and an overlay could not copy them up (EOVERFLOW): like an
 * imported directory, the image's files are the user's. The build links with
 * --wrap for fuse_reply_attr and fuse_reply_entry (tools/build-vars.sh), so
 * squashfuse's replies pass through these two. */
static uid_t owner_uid;
static gid_t owner_gid;

int __real_fuse_reply_attr(fuse_req_t req, const struct stat *attr, double timeout);
int __real_fuse_reply_entry(fuse_req_t req, const struct fuse_entry_param *e);
int __wrap_fuse_reply_attr(fuse_req_t req, const struct stat *attr, double timeout);
int __wrap_fuse_reply_entry(fuse_req_t req, const struct fuse_entry_param *e);

int __wrap_fuse_reply_attr(fuse_req_t req, const struct stat *attr, double timeout)
{
        struct stat st = *attr;
        st.st_uid = owner_uid;
        st.st_gid = owner_gid;
        return __real_fuse_reply_attr(req, &st, timeout);
}

int __wrap_fuse_reply_entry(fuse_req_t req, const struct fuse_entry_param *e)
{
        struct fuse_entry_param entry = *e;
        entry.attr.st_uid = owner_uid;
        entry.attr.st_gid = owner_gid;
        return __real_fuse_reply_entry(req, &entry);
}

/* The image never changes under a server (a rewritten image gets a server of
 * its own), so what a file or a directory listing put in the kernel's cache
 * stays valid: every launch after the first finds it there. */
int __real_fuse_reply_open(fuse_req_t req, const struct fuse_file_info *fi);
int __wrap_fuse_reply_open(fuse_req_t req, const struct fuse_file_info *fi);

int __wrap_fuse_reply_open(fuse_req_t req, const struct fuse_file_info *fi)
{
        struct fuse_file_info kept = *fi;
        kept.keep_cache = 1;
        kept.cache_readdir = 1;
        return __real_fuse_reply_open(req, &kept);
}

/* ---- the server's side ---- */

/* Sends a mount, or the reason there is none, on sock. */
static void send_mount(int sock, int mnt, const struct failure *why)
{
        struct server_failure f = {mnt < 0 ? errno : 0, ""};
        if (mnt < 0)
                snprintf(f.what, sizeof(f.what), "%.470s", why->what);
        char control[CMSG_SPACE(sizeof(int))] = {0};
        struct iovec iov = {&f, sizeof(f)};
        struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
        if (mnt >= 0) {
                msg.msg_control = control;
                msg.msg_controllen = sizeof(control);
                struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
                c->cmsg_len = CMSG_LEN(sizeof(int));
                c->cmsg_level = SOL_SOCKET;
                c->cmsg_type = SCM_RIGHTS;
                memcpy(CMSG_DATA(c), &mnt, sizeof(int));
        }
        while (sendmsg(sock, &msg, MSG_NOSIGNAL) < 0 && errno == EINTR)
                ;
}

static int fs_set(int fs, const char *key, const char *value, struct failure *f)
{
        unsigned cmd = value ? FSCONFIG_SET_STRING : FSCONFIG_SET_FLAG;
        if (syscall(SYS_fsconfig, fs, cmd, key, value, 0) < 0)
                return failure(f, "fsconfig %s of the FUSE mount", key);
        return 0;
}

/* A detached, read-only FUSE mount on the device fuse; -1 with f. */
static int make_mount(int fuse, struct failure *f)
{
        char fd[16], uid[16], gid[16];
        snprintf(fd, sizeof(fd), "%d", fuse);
        owner_uid = geteuid(); /* 0 in the server's namespace: the user, outside */
        owner_gid = getegid();
        snprintf(uid, sizeof(uid), "%u", (unsigned)owner_uid);
        snprintf(gid, sizeof(gid), "%u", (unsigned)owner_gid);
        int fs = (int)syscall(SYS_fsopen, "fuse", FSOPEN_CLOEXEC);
        if (fs < 0)
                return failure(f, "fsopen(\"fuse\")");
        int mnt = -1;
        if (fs_set(fs, "fd", fd, f) == 0 && fs_set(fs, "rootmode", "40000", f) == 0 &&
            fs_set(fs, "user_id", uid, f) == 0 && fs_set(fs, "group_id", gid, f) == 0 &&
            fs_set(fs, "default_permissions", NULL, f) == 0) {
                if (syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
                        failure(f, "unable to create the FUSE mount");
                else if ((mnt = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC,
                                             MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID |
                                                 MOUNT_ATTR_NODEV)) < 0)
                        failure(f, "fsmount of the FUSE mount");
        }
        close_keep_errno(fs);
        return mnt;
}

/* ---- fewer round trips ----
 *
 * Every FUSE request is a round trip from the command to this server, and a
 * launch opens the same files as the last one did: python3 -c pass made 66
 * requests with a warm cache, 16 READLINKs and 23 OPENs with their RELEASEs.
 * The kernel can do without both: it caches symlink targets like file data
 * when asked (FUSE_CAP_CACHE_SYMLINKS), and once an open answers ENOSYS it
 * opens files itself (no_open, keeping their cache); a read then names the
 * inode alone, which read_inode looks up for each request. */
static bool kernel_opens; /* the kernel takes ENOSYS from open as success */

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
        (void)userdata;
        if (conn->capable & FUSE_CAP_CACHE_SYMLINKS)
                conn->want |= FUSE_CAP_CACHE_SYMLINKS;
        kernel_opens = conn->capable & FUSE_CAP_NO_OPEN_SUPPORT;
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
        if (!kernel_opens) /* before Linux 4.19: squashfuse's open (and release) */
                sqfs_ll_op_open(req, ino, fi);
        else if ((fi->flags & O_ACCMODE) != O_RDONLY)
                fuse_reply_err(req, EROFS);
        else
                fuse_reply_err(req, ENOSYS);
}

static void read_inode(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                       struct fuse_file_info *fi)
{
        (void)fi;
        sqfs_ll *ll = fuse_req_userdata(req);
        sqfs_inode inode;
        char *buf = malloc(size ? size : 1);
        sqfs_off_t got = (sqfs_off_t)size;
        if (!buf)
                fuse_reply_err(req, ENOMEM);
        else if (sqfs_ll_inode(ll, &inode, ino) != SQFS_OK)
                fuse_reply_err(req, ENOENT);
        else if (sqfs_read_range(&ll->fs, &inode, (sqfs_off_t)off, &got, buf) != SQFS_OK)
                fuse_reply_err(req, EIO);
        else
                fuse_reply_buf(req, buf, (size_t)got);
        free(buf);
}

/* squashfuse's low-level operations: a read-only file system. */
static const struct fuse_lowlevel_ops operations = {
    .init = op_init,
    .lookup = sqfs_ll_op_lookup,
    .forget = sqfs_ll_op_forget,
    .getattr = sqfs_ll_op_getattr,
    .readlink = sqfs_ll_op_readlink,
    .open = op_open,
    .read = read_inode,
    .opendir = sqfs_ll_op_opendir,
    .readdir = sqfs_ll_op_readdir,
    .releasedir = sqfs_ll_op_releasedir,
    .statfs = stfs_ll_op_statfs,
    .getxattr = sqfs_ll_op_getxattr,
    .listxattr = sqfs_ll_op_listxattr,
    .create = sqfs_ll_op_create,
};

/* Squashfuse parses the image, which may come from anyone, in a process that
 * is not chrooted: once the image, /dev/fuse, its socket and its lock are
 * open, Landlock takes every path from it (and TCP, and signals beyond
 * itself), so that a parser bug cannot reach the user's files. A kernel
 * without Landlock only loses this second line; any other refusal ends the
 * launch. -1 with f. */
static int confine_server(int dir, struct failure *f)
{
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return failure(f, "prctl(PR_SET_NO_NEW_PRIVS) for the FUSE server");
        /* Removing files in the runtime directory stays: its own socket and lock. */
        if (landlock_deny_all(dir) < 0 && errno != ENOSYS && errno != EOPNOTSUPP)
                return failure(f, "Landlock for the FUSE server");
        return 0;
}

/* ---- one server per image, shared ----
 *
 * Every launch from an image used to mount it anew, so the kernel kept no page
 * of it between launches and each one read and decompressed again what its
 * command touched (python3 -c pass: 60 ms). Now the user's launches from one
 * image share one server and one FUSE mount, whose page cache stays warm: the
 * server hands each launch a clone of its mount (open_tree), counts the
 * launches connected to it, and ends once none has been for the longest
 * linger they asked for. It lives in a user and mount namespace of its own,
 * detached from any launch (so that it can outlive them); it is found
 * through a socket in the user's private runtime directory, named after the
 * image file's identity (a changed image gets a new server). A lock file
 * orders the launches that find no server, and a server that ends; the
 * server that ends removes both files (a Slurm job's cgroup is in the name:
 * they would pile up, two per job). */

struct server {
        struct fuse_session *se;
        struct fuse_buf buf;
        int mnt, lock, dir; /* dir: the runtime directory */
        const char *name;   /* of its files there */
        uint64_t linger_ms, idle_since;
        struct pollfd *fds; /* [0]: /dev/fuse, [1]: the listening socket, then launches */
        size_t nfds, cap;
};

/* common.h's clock, in milliseconds. */
static uint64_t now_ms(void)
{
        return now_us() / 1000;
}

static void add_fd(struct server *s, int fd)
{
        if (s->nfds == s->cap) {
                s->cap = s->cap ? s->cap * 2 : 16;
                s->fds = xrealloc(s->fds, s->cap * sizeof(*s->fds));
        }
        s->fds[s->nfds++] = (struct pollfd){fd, POLLIN, 0};
}

/* A launch connected: if it is the user's, it gets a clone of the mount (the
 * clone's page cache is the mount's) and is counted until it hangs up. */
static void accept_launch(struct server *s)
{
        int c = rundir_accept(s->fds[1].fd);
        if (c < 0)
                return;
        struct failure f;
        int clone = (int)syscall(SYS_open_tree, s->mnt, "",
                                 OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
        if (clone < 0)
                failure(&f, "open_tree of the image's mount");
        send_mount(c, clone, &f);
        if (clone < 0) {
                close(c);
                return;
        }
        close(clone);
        add_fd(s, c);
}

/* A launch's message (the linger it asks for) or its hang-up. */
static void launch_event(struct server *s, size_t i)
{
        uint32_t linger;
        ssize_t n = recv(s->fds[i].fd, &linger, sizeof(linger), MSG_DONTWAIT);
        if (n == (ssize_t)sizeof(linger)) {
                if (linger > s->linger_ms)
                        s->linger_ms = linger;
                return;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return;
        close(s->fds[i].fd);
        s->fds[i] = s->fds[--s->nfds];
        if (s->nfds == 2)
                s->idle_since = now_ms();
}

/* Ends the server if no launch is starting one (it holds the lock, and may be
 * about to connect here) and none has connected meanwhile; under the lock, it
 * removes its socket and lock file (rundir_lock() then takes a new one). */
static bool may_end(struct server *s)
{
        if (!rundir_may_end(s->lock, s->fds[1].fd))
                return false;
        close(s->fds[1].fd);
        rundir_remove(s->dir, s->name, s->lock);
        return true;
}

/* One FUSE request; the server ends if the connection was aborted. */
static void fuse_request(struct server *s)
{
        int res = fuse_session_receive_buf(s->se, &s->buf);
        if (res == -EINTR || res == -EAGAIN)
                return;
        if (res <= 0)
                _exit(res == 0 ? 0 : EXIT_QRUN_FAILED);
        fuse_session_process_buf(s->se, &s->buf);
}

_Noreturn static void serve(struct server *s)
{
        for (;;) {
                int timeout = -1;
                if (s->nfds == 2) { /* idle */
                        uint64_t now = now_ms(), end = s->idle_since + s->linger_ms;
                        if (now >= end && may_end(s))
                                _exit(0);
                        timeout = now >= end ? 10 : (int)(end - now > 60000 ? 60000 : end - now);
                }
                if (poll(s->fds, s->nfds, timeout) < 0 && errno != EINTR)
                        _exit(EXIT_QRUN_FAILED);
                if (s->fds[0].revents)
                        fuse_request(s);
                if (s->fds[1].revents & POLLIN)
                        accept_launch(s);
                for (size_t i = s->nfds; i-- > 2;)
                        if (s->fds[i].revents)
                                launch_event(s, i);
        }
}

/* Everything the server needs, opened before it confines itself; -1 with f. */
static int server_prepare(struct server *s, int image, int dir, const char *name, struct failure *f)
{
        char path[32], lock[64];
        snprintf(path, sizeof(path), "/proc/self/fd/%d", image); /* the file checked */
        snprintf(lock, sizeof(lock), "%s.lock", name);
        blob_prepare_xz(); /* an image may be xz-compressed */
        sqfs_ll *ll = sqfs_ll_open(path, 0);
        char *argv[] = {"qrun-squashfs", NULL};
        struct fuse_args args = FUSE_ARGS_INIT(1, argv);
        int fuse, listener;
        errno = 0;
        if (!ll)
                return failure(f, "squashfuse cannot read this image");
        if (userns_unshare(0, 0, CLONE_NEWNS, f) < 0) /* the mount API needs both */
                return -1;
        /* Not before: a process that is not dumpable cannot write its id maps. */
        if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) /* its user cannot trace it either */
                return failure(f, "prctl(PR_SET_DUMPABLE) for the FUSE server");
        if ((fuse = open("/dev/fuse", O_RDWR | O_CLOEXEC)) < 0)
                return failure(f, "/dev/fuse");
        if ((s->mnt = make_mount(fuse, f)) < 0)
                return -1;
        if ((s->lock = openat(dir, lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0)
                return failure(f, "unable to open %s in the runtime directory", lock);
        if ((listener = rundir_listen(dir, name, f)) < 0)
                return -1;
        char device[32];
        snprintf(device, sizeof(device), "/dev/fd/%d", fuse); /* mounted already: use this fd */
        s->se = fuse_session_new(&args, &operations, sizeof(operations), ll);
        if (!s->se || fuse_session_mount(s->se, device) != 0)
                return errno = EINVAL, failure(f, "libfuse refused the FUSE session");
        add_fd(s, fuse);
        add_fd(s, listener);
        return confine_server(dir, f);
}

/* The server process: detached from the launch that started it (no stdio of
 * its, no signals from its terminal, no cwd pinning its file system), then
 * prepared, then reports to the launch waiting on ready, then serves. */
_Noreturn static void server_main(int image, const char *path, int dir, const char *name, int ready,
                                  uint64_t linger_ms)
{
        char title[4096];
        snprintf(title, sizeof(title), "qrun-squashfs %s", path);
        if (detach_stdio_and_title(title) < 0)
                _exit(EXIT_QRUN_FAILED);
        struct server s = {.linger_ms = linger_ms, .mnt = -1, .lock = -1, .dir = dir, .name = name};
        struct failure f;
        int ok = server_prepare(&s, image, dir, name, &f);
        struct server_failure r = {ok < 0 ? (errno ? errno : EINVAL) : 0, ""};
        if (ok < 0)
                snprintf(r.what, sizeof(r.what), "%.470s", f.what);
        if (write(ready, &r, sizeof(r)) != (ssize_t)sizeof(r) || ok < 0)
                _exit(EXIT_QRUN_FAILED);
        close(ready);
        s.idle_since = now_ms();
        serve(&s);
}

/* ---- the launch's side ---- */

/* The server's name: the image file's identity (device, inode, size and
 * times: a rewritten image gets a server of its own) and the launch's cgroup.
 * A server lives in the cgroup of the launch that started it, and batch
 * systems end a job by killing its cgroup: shared across two Slurm jobs, one
 * job's end would take the other's rootfs away. So launches share a server
 * only within one cgroup (one job, one CI job, one login session). */
static void server_name(int image, char *name, size_t size)
{
        struct stat st = {0};
        fstat(image, &st);
        uint64_t id[] = {st.st_dev,         st.st_ino,          (uint64_t)st.st_size,
                         st.st_mtim.tv_sec, st.st_mtim.tv_nsec, st.st_ctim.tv_sec,
                         st.st_ctim.tv_nsec};
        uint64_t h = fnv1a(0xcbf29ce484222325ULL, id, sizeof(id));
        char cgroup[4096];
        int fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);
        ssize_t n = fd < 0 ? 0 : read(fd, cgroup, sizeof(cgroup));
        if (fd >= 0)
                close(fd);
        h = fnv1a(h, cgroup, n > 0 ? (size_t)n : 0);
        snprintf(name, size, "sqfs-%016" PRIx64, h);
}

/* The mount the server sends on c, or -1 with f (*absent: the server hung up
 * without an answer, as one that is ending does). */
static int receive_mount(int c, bool *absent, struct failure *f)
{
        struct server_failure r = {0};
        char control[CMSG_SPACE(sizeof(int))];
        struct cmsghdr *cm;
        ssize_t n = rundir_receive(c, &r, sizeof(r), control, sizeof(control), &cm);
        if (n <= 0) {
                *absent = n == 0 || errno == ECONNRESET;
                if (n == 0)
                        errno = ECONNRESET;
                return failure(f, "the FUSE server hung up");
        }
        if (!cm || cm->cmsg_type != SCM_RIGHTS) {
                r.what[sizeof(r.what) - 1] = '\0';
                errno = r.err;
                return failure(f, "%s", r.what);
        }
        int mnt;
        memcpy(&mnt, CMSG_DATA(cm), sizeof(int));
        return mnt;
}

/* Connects to the image's server: the clone of its mount, and `connection`
 * set; -1 with f (*absent: no server answers there, none yet or one ending). */
static int connect_server(int dir, const char *name, uint32_t linger_ms, bool *absent,
                          struct failure *f)
{
        struct ucred peer;
        int c = rundir_connect(dir, name, "FUSE server", &peer, absent, f);
        if (c < 0)
                return -1;
        int mnt = receive_mount(c, absent, f);
        if (mnt < 0) {
                close_keep_errno(c);
                return -1;
        }
        /* Counted from now on; the linger asked for may be longer. */
        send(c, &linger_ms, sizeof(linger_ms), MSG_NOSIGNAL);
        connection = c;
        server_pid = peer.pid; /* for -v */
        return mnt;
}

struct server_start {
        int image, dir;
        const char *path, *name;
        uint64_t linger_ms;
};

_Noreturn static void server_trampoline(void *arg, int ready)
{
        struct server_start *a = arg;
        server_main(a->image, a->path, a->dir, a->name, ready, a->linger_ms);
}

/* Starts a server, detached (a session of its own, outliving the launch), and
 * waits until it serves or says why it cannot; -1 with f. */
static int spawn_server(int image, const char *path, int dir, const char *name, uint64_t linger_ms,
                        struct failure *f)
{
        struct server_start a = {image, dir, path, name, linger_ms};
        int keep[] = {image, dir};
        int ready = spawn_detached(keep, 2, server_trampoline, &a, f);
        if (ready < 0)
                return -1;
        /* While it starts: the files of servers that were killed (a job's
         * end kills its cgroup; kill(1) sends SIGTERM), which could not
         * remove them, two per server. */
        rundir_sweep(dir, "sqfs-", name);
        struct server_failure r;
        ssize_t n;
        while ((n = read(ready, &r, sizeof(r))) < 0 && errno == EINTR)
                ;
        close(ready);
        if (n != (ssize_t)sizeof(r))
                return errno = EPIPE, failure(f, "the FUSE server ended before it was ready");
        r.what[sizeof(r.what) - 1] = '\0';
        if (r.err)
                return errno = r.err, failure(f, "%s", r.what);
        return 0;
}

/* No server answered: under the image's lock (launches that find none at once
 * start one between them), asks again, else replaces the socket of a server
 * that ended and starts one. The clone of its mount, or -1 with f. */
static int start_server(const struct rootfs_config *r, int dir, const char *name,
                        uint32_t linger_ms, bool *started, struct failure *f)
{
        char sock[64];
        snprintf(sock, sizeof(sock), "%s.sock", name);
        int l = rundir_lock(dir, name, f);
        if (l < 0)
                return -1;
        int mnt = -1;
        bool absent;
        mnt = connect_server(dir, name, linger_ms, &absent, f);
        if (mnt < 0 && absent) {
                if (unlinkat(dir, sock, 0) < 0 && errno != ENOENT)
                        failure(f, "unable to remove the old %s", sock);
                else if (spawn_server(r->fd, r->path, dir, name, linger_ms, f) == 0) {
                        *started = true;
                        mnt = connect_server(dir, name, linger_ms, &absent, f);
                }
        }
        close_keep_errno(l); /* the lock goes with it */
        return mnt;
}

void squashfs_start(const struct config *cfg)
{
        uint64_t started = step_start();
        const struct rootfs_config *r = &cfg->rootfs;
        uint32_t linger = r->linger_ms > UINT32_MAX ? UINT32_MAX : (uint32_t)r->linger_ms;
        struct failure f;
        char name[32];
        bool absent, new_server = false;
        int dir = rundir_open(&f);
        if (dir < 0)
                fail("squashfs", errno, "%s", f.what);
        server_name(r->fd, name, sizeof(name));
        image_mount = connect_server(dir, name, linger, &absent, &f);
        if (image_mount < 0 && absent)
                image_mount = start_server(r, dir, name, linger, &new_server, &f);
        if (image_mount < 0)
                fail("squashfs", errno, "%s: %s", r->path, f.what);
        close(dir);
        verbose_step("squashfs", started, "%s FUSE server %d for %s, linger %u ms",
                     new_server ? "started" : "shared", (int)server_pid, r->path, linger);
}

size_t squashfs_fds(int *fds)
{
        size_t n = 0;
        if (connection >= 0)
                fds[n++] = connection;
        if (image_mount >= 0)
                fds[n++] = image_mount;
        return n;
}

int squashfs_receive(void)
{
        /* The connection stays open here too: the server counts the socket,
         * not its descriptors, so this copy changes nothing while the monitor
         * holds one (and dies with it); join mode's holder, which keeps the
         * tree the ranks share, keeps the server by its own (squashfs_fds).
         *
         * A copy of the detached mount: attaching image_mount itself would
         * leave nothing for the next container of qrun --each (EINVAL). A
         * kernel that cannot copy a detached mount gets the mount itself: one
         * container works, the next reports move_mount's EINVAL. */
        int copy = (int)syscall(SYS_open_tree, image_mount, "",
                                OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
        return copy >= 0 ? copy : image_mount;
}

void squashfs_stop(void)
{
        /* The container is gone: the server may end once no launch is left. */
        if (connection >= 0)
                close(connection);
        if (image_mount >= 0)
                close(image_mount);
        connection = image_mount = -1;
}

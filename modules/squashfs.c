#define _GNU_SOURCE
#include "squashfs.h"
#include "common.h"
#include "config.h"
#include "landlock.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* ll.h brings FUSE_USE_VERSION (32) as squashfuse was built; it declares a
 * function without a prototype, hence the pragma. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstrict-prototypes"
#include <squashfuse/ll.h>
#pragma GCC diagnostic pop

/* The server, as the monitor and the container's first process know it. */
static pid_t server_pid = -1;
static int container_end = -1; /* the socket end the container receives on */

/* What the server sends when it cannot make the mount: why. */
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

/* ---- the server's side ---- */

/* Sends the mount, or the reason there is none, to the container. */
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
        owner_uid = geteuid(); /* as the container sees itself */
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

/* squashfuse's low-level operations: a read-only file system. */
static const struct fuse_lowlevel_ops operations = {
    .lookup = sqfs_ll_op_lookup,
    .forget = sqfs_ll_op_forget,
    .getattr = sqfs_ll_op_getattr,
    .readlink = sqfs_ll_op_readlink,
    .open = sqfs_ll_op_open,
    .read = sqfs_ll_op_read,
    .release = sqfs_ll_op_release,
    .opendir = sqfs_ll_op_opendir,
    .readdir = sqfs_ll_op_readdir,
    .releasedir = sqfs_ll_op_releasedir,
    .statfs = stfs_ll_op_statfs,
    .getxattr = sqfs_ll_op_getxattr,
    .listxattr = sqfs_ll_op_listxattr,
    .create = sqfs_ll_op_create,
};

/* Serves the image on the mounted device until the mount is gone. */
_Noreturn static void serve(sqfs_ll *ll, int fuse)
{
        char *argv[] = {"qrun-squashfs", NULL};
        struct fuse_args args = FUSE_ARGS_INIT(1, argv);
        char device[32];
        snprintf(device, sizeof(device), "/dev/fd/%d", fuse); /* already mounted: use this fd */
        struct fuse_session *se = fuse_session_new(&args, &operations, sizeof(operations), ll);
        if (!se || fuse_session_mount(se, device) != 0)
                _exit(EXIT_QRUN_FAILED);
        fuse_session_loop(se); /* returns when the container's mount namespace is gone */
        _exit(0);
}

/* Squashfuse parses the image, which may come from anyone, in a process that
 * is not chrooted: once the image and /dev/fuse are open, Landlock takes every
 * path from it (and TCP, and signals beyond itself), so that a parser bug
 * cannot reach the user's files. A kernel without Landlock only loses this
 * second line; any other refusal ends the launch. -1 with f. */
static int confine_server(struct failure *f)
{
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return failure(f, "prctl(PR_SET_NO_NEW_PRIVS) for the FUSE server");
        if (landlock_deny_all() < 0 && errno != ENOSYS && errno != EOPNOTSUPP)
                return failure(f, "Landlock for the FUSE server");
        return 0;
}

/* The server: the image opened (a bad one is reported, never served), then
 * the mount made and confined, handed over, then the requests served. */
_Noreturn static void server_main(const struct config *cfg, int sock, pid_t monitor)
{
        struct failure f;
        char image[32];
        int fuse = -1, mnt = -1;
        /* Gone with qrun, even on SIGKILL; not traceable by the container's
         * processes, which run as the same user. */
        if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() != monitor)
                _exit(EXIT_QRUN_FAILED);
        prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
        snprintf(image, sizeof(image), "/proc/self/fd/%d", cfg->rootfs.fd); /* the file checked */
        sqfs_ll *ll = sqfs_ll_open(image, 0);
        errno = 0;
        if (!ll)
                failure(&f, "%s: squashfuse cannot read this image", cfg->rootfs.path);
        else if (unshare(CLONE_NEWNS) < 0) /* the mount API needs a mount namespace of ours */
                failure(&f, "unshare(CLONE_NEWNS) for the FUSE server");
        else if ((fuse = open("/dev/fuse", O_RDWR | O_CLOEXEC)) < 0) /* inside the userns */
                failure(&f, "/dev/fuse");
        else if ((mnt = make_mount(fuse, &f)) >= 0 && confine_server(&f) < 0) {
                close(mnt);
                mnt = -1;
        }
        send_mount(sock, mnt, &f);
        if (mnt < 0)
                _exit(EXIT_QRUN_FAILED);
        close(mnt);
        close(sock);
        serve(ll, fuse);
}

void squashfs_start(const struct config *cfg)
{
        uint64_t started = step_start();
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
                fail("squashfs", errno, "socketpair for the FUSE server");
        pid_t monitor = getpid();
        server_pid = fork();
        if (server_pid < 0)
                fail("squashfs", errno, "unable to fork the FUSE server");
        if (server_pid == 0) {
                close(sv[0]);
                server_main(cfg, sv[1], monitor);
        }
        close(sv[1]);
        container_end = sv[0];
        verbose_step("squashfs", started, "FUSE server %d for %s", (int)server_pid,
                     cfg->rootfs.path);
}

int squashfs_receive(void)
{
        struct server_failure f = {0};
        char control[CMSG_SPACE(sizeof(int))];
        struct iovec iov = {&f, sizeof(f)};
        struct msghdr msg = {.msg_iov = &iov,
                             .msg_iovlen = 1,
                             .msg_control = control,
                             .msg_controllen = sizeof(control)};
        ssize_t n;
        while ((n = recvmsg(container_end, &msg, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
                ;
        if (n < 0)
                fail("squashfs", errno, "recvmsg from the FUSE server");
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        if (n == 0)
                fail("squashfs", 0, "the FUSE server ended before it mounted the image");
        if (!c || c->cmsg_type != SCM_RIGHTS) {
                f.what[sizeof(f.what) - 1] = '\0';
                fail("squashfs", f.err, "%s", f.what);
        }
        int mnt;
        memcpy(&mnt, CMSG_DATA(c), sizeof(int));
        close(container_end);
        return mnt;
}

void squashfs_stop(void)
{
        if (server_pid <= 0)
                return;
        /* The container is gone: nothing needs the image any more. */
        kill(server_pid, SIGKILL);
        while (waitpid(server_pid, NULL, 0) < 0 && errno == EINTR)
                ;
        server_pid = -1;
}

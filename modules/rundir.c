#define _GNU_SOURCE
#include "rundir.h"
#include "common.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
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

/* Someone else's /tmp/qrun-UID must not hand us a rootfs or namespaces. */
void rundir_path(char *path, size_t size)
{
        const char *xdg = getenv("XDG_RUNTIME_DIR");
        struct stat st;
        if (xdg && xdg[0] == '/' && stat(xdg, &st) == 0 && S_ISDIR(st.st_mode) &&
            st.st_uid == getuid())
                snprintf(path, size, "%s/qrun", xdg);
        else
                snprintf(path, size, "/tmp/qrun-%u", (unsigned)getuid());
}

int rundir_open(struct failure *f)
{
        char path[4096];
        struct stat st;
        rundir_path(path, sizeof(path));
        /* Open first: it exists but for the first launch after a reboot. */
        int dir = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dir < 0 && errno == ENOENT) {
                if (mkdir(path, 0700) < 0 && errno != EEXIST)
                        return failure(f, "unable to create %s", path);
                dir = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        }
        if (dir < 0 || fstat(dir, &st) < 0)
                return failure(f, "%s", path);
        if (st.st_uid != getuid() || (st.st_mode & 077)) {
                close(dir);
                errno = EPERM;
                return failure(f,
                               "%s is not a private directory of yours (owner %u, mode %04o): "
                               "remove it, or set XDG_RUNTIME_DIR",
                               path, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777));
        }
        return dir;
}

void rundir_socket_address(struct sockaddr_un *a, int dir, const char *name)
{
        *a = (struct sockaddr_un){.sun_family = AF_UNIX};
        snprintf(a->sun_path, sizeof(a->sun_path), "/proc/self/fd/%d/%s.sock", dir, name);
}

int rundir_listen(int dir, const char *name, struct failure *f)
{
        struct sockaddr_un a;
        rundir_socket_address(&a, dir, name);
        int l = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (l < 0)
                return failure(f, "socket for %s.sock", name);
        if (bind(l, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(l, 128) < 0) {
                failure(f, "unable to listen on %s.sock in the runtime directory", name);
                close_keep_errno(l);
                return -1;
        }
        return l;
}

int rundir_connect(int dir, const char *name, const char *what, struct ucred *peer, bool *absent,
                   struct failure *f)
{
        struct sockaddr_un a;
        rundir_socket_address(&a, dir, name);
        char sock[128];
        snprintf(sock, sizeof(sock), "%s.sock", name);
        /* No socket, nobody listens: found without connect(), whose lookup
         * through /proc/self/fd and a socket of its own cost 0.1-0.3 ms on
         * the development VM (the first launch of a join key asks twice). */
        struct stat st;
        *absent = fstatat(dir, sock, &st, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT;
        if (*absent)
                return failure(f, "unable to reach the %s on %s", what, sock);
        int c = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (c < 0)
                return failure(f, "socket to reach the %s", what);
        socklen_t len = sizeof(*peer);
        if (connect(c, (struct sockaddr *)&a, sizeof(a)) < 0) {
                *absent = errno == ENOENT || errno == ECONNREFUSED;
                failure(f, "unable to reach the %s on %s.sock", what, name);
        } else if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, peer, &len) < 0) {
                failure(f, "SO_PEERCRED of the %s", what);
        } else if (peer->uid != getuid()) {
                errno = EPERM;
                failure(f, "%s.sock is served by uid %u, not by you", name, (unsigned)peer->uid);
        } else {
                return c;
        }
        close_keep_errno(c);
        return -1;
}

/* Whether the locked descriptor l is still the file dir/file names. */
static bool lock_is_current(int dir, const char *file, int l)
{
        struct stat held, named;
        return fstat(l, &held) == 0 && fstatat(dir, file, &named, AT_SYMLINK_NOFOLLOW) == 0 &&
               held.st_dev == named.st_dev && held.st_ino == named.st_ino;
}

int rundir_lock(int dir, const char *name, struct failure *f)
{
        char file[128];
        snprintf(file, sizeof(file), "%s.lock", name);
        for (;;) {
                int l = openat(dir, file, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
                if (l < 0)
                        return failure(f, "unable to open %s in the runtime directory", file);
                while (flock(l, LOCK_EX) < 0)
                        if (errno != EINTR) {
                                failure(f, "flock of %s", file);
                                close_keep_errno(l);
                                return -1;
                        }
                if (lock_is_current(dir, file, l))
                        return l;
                close(l); /* removed by its last user meanwhile: take the new one */
        }
}

int rundir_accept(int listener)
{
        int c = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
        if (c < 0)
                return -1;
        struct ucred peer;
        socklen_t len = sizeof(peer);
        if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &peer, &len) < 0 || peer.uid != getuid()) {
                close(c);
                return -1;
        }
        return c;
}

ssize_t rundir_receive(int c, void *buf, size_t size, void *control, size_t control_size,
                       struct cmsghdr **cm)
{
        struct iovec iov = {buf, size};
        struct msghdr msg = {.msg_iov = &iov,
                             .msg_iovlen = 1,
                             .msg_control = control,
                             .msg_controllen = control_size};
        ssize_t n;
        while ((n = recvmsg(c, &msg, MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
                ;
        *cm = n > 0 ? CMSG_FIRSTHDR(&msg) : NULL;
        return n;
}

bool rundir_may_end(int lock, int listener)
{
        if (flock(lock, LOCK_EX | LOCK_NB) < 0)
                return false;
        struct pollfd p = {listener, POLLIN, 0};
        if (poll(&p, 1, 0) > 0) {
                flock(lock, LOCK_UN);
                return false;
        }
        return true;
}

void rundir_remove(int dir, const char *name, int lock)
{
        char file[128];
        snprintf(file, sizeof(file), "%s.lock", name);
        if (!lock_is_current(dir, file, lock))
                return; /* never another holder's files */
        snprintf(file, sizeof(file), "%s.sock", name);
        unlinkat(dir, file, 0);
        snprintf(file, sizeof(file), "%s.lock", name);
        unlinkat(dir, file, 0);
}

/* Whether NAME.sock has nobody listening on it (or is gone). */
static bool nobody_serves(int dir, const char *name)
{
        struct sockaddr_un a;
        rundir_socket_address(&a, dir, name);
        int c = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (c < 0)
                return false;
        bool dead = connect(c, (struct sockaddr *)&a, sizeof(a)) < 0 &&
                    (errno == ECONNREFUSED || errno == ENOENT);
        close(c);
        return dead;
}

/* NAME's files, if they are a dead one's: taken under NAME.lock without
 * waiting, so that a live one and one being started (whose launch holds the
 * lock) are never touched. */
static void remove_if_dead(int dir, const char *name)
{
        char file[128];
        snprintf(file, sizeof(file), "%s.lock", name);
        int l = openat(dir, file, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
        if (l < 0)
                return;
        if (flock(l, LOCK_EX | LOCK_NB) == 0 && lock_is_current(dir, file, l) &&
            nobody_serves(dir, name))
                rundir_remove(dir, name, l);
        close(l);
}

void rundir_sweep(int dir, const char *prefix, const char *own)
{
        int fd = openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d = fd < 0 ? NULL : fdopendir(fd);
        if (!d) {
                if (fd >= 0)
                        close(fd);
                return;
        }
        size_t plen = strlen(prefix);
        for (struct dirent *e; (e = readdir(d));) {
                size_t len = strlen(e->d_name);
                if (len < plen + 5 || len >= 64 || strncmp(e->d_name, prefix, plen) ||
                    strcmp(e->d_name + len - 5, ".lock"))
                        continue; /* ours are short: join-HASH, sqfs-HASH */
                char name[64];
                snprintf(name, sizeof(name), "%.*s", (int)(len - 5), e->d_name);
                if (strcmp(name, own))
                        remove_if_dead(dir, name);
        }
        closedir(d);
}

void close_all_but(int *keep, size_t n)
{
        for (size_t i = 1; i < n; i++) /* ascending */
                for (size_t j = i; j > 0 && keep[j - 1] > keep[j]; j--) {
                        int t = keep[j];
                        keep[j] = keep[j - 1];
                        keep[j - 1] = t;
                }
        unsigned from = 0;
        for (size_t i = 0; i < n; i++) {
                if ((unsigned)keep[i] > from)
                        syscall(SYS_close_range, from, (unsigned)keep[i] - 1, 0);
                from = (unsigned)keep[i] + 1;
        }
        syscall(SYS_close_range, from, ~0U, 0);
}

int spawn_detached(int *keep, size_t n, void (*run)(void *arg, int ready), void *arg,
                   struct failure *f)
{
        int ready[2];
        if (pipe2(ready, O_CLOEXEC) < 0)
                return failure(f, "pipe to a detached process");
        /* One fork, no second one to leave the caller's children: the
         * process stays the caller's child until the caller exits (then it
         * is the nearest subreaper's, where a grandchild would have gone at
         * once). The caller waits for its containers by pid (--each reaps
         * any child, and ignores those not its tasks'), so it cannot take
         * this one for one of them. The second fork cost a join step's first
         * rank 0.87 ms of its 9.6 (bench/results/70-mpi.md). */
        pid_t pid = fork();
        if (pid == 0) {
                int *all = xmalloc((n + 1) * sizeof(*all));
                memcpy(all, keep, n * sizeof(*all));
                all[n] = ready[1];
                close_all_but(all, n + 1);
                if (setsid() < 0)
                        _exit(EXIT_QRUN_FAILED);
                run(arg, ready[1]);
                _exit(EXIT_QRUN_FAILED); /* run() does not return */
        }
        close(ready[1]);
        if (pid < 0) {
                close_keep_errno(ready[0]);
                return failure(f, "unable to fork a detached process");
        }
        return ready[0];
}

/* The title replaces the argv inherited from the launch, which the detached
 * process outlives: written over the argv area (/proc/self/stat's arg_start
 * and arg_end, fields 48 and 49). */
static void set_title(const char *title)
{
        char stat[1024];
        int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
        ssize_t n = fd < 0 ? -1 : read(fd, stat, sizeof(stat) - 1);
        if (fd >= 0)
                close(fd);
        char *p = n > 0 ? strrchr((stat[n] = '\0', stat), ')') : NULL;
        unsigned long start = 0, end = 0;
        for (int field = 2; p && field < 48; field++) /* p is at the end of field 2 */
                p = strchr(p + 1, ' ');
        if (!p || sscanf(p, " %lu %lu", &start, &end) != 2 || end <= start)
                return;
        char *area = (char *)start;
        size_t size = end - start;
        memset(area, 0, size);
        snprintf(area, size, "%s", title);
}

/* No stdio of the launch's, no signals from its terminal, no cwd pinning its
 * file system. */
int detach_stdio_and_title(const char *title)
{
        sigset_t all;
        sigemptyset(&all);
        sigprocmask(SIG_SETMASK, &all, NULL);
        signal(SIGPIPE, SIG_IGN);
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 || dup2(null, 2) < 0 ||
            chdir("/") < 0)
                return -1;
        close(null);
        char comm[16];
        snprintf(comm, sizeof(comm), "%s", title); /* up to the first 15 bytes */
        comm[strcspn(comm, " ")] = '\0';
        prctl(PR_SET_NAME, comm, 0, 0, 0);
        set_title(title);
        return 0;
}

uint64_t fnv1a(uint64_t h, const void *data, size_t size)
{
        for (size_t i = 0; i < size; i++) {
                h ^= ((const unsigned char *)data)[i];
                h *= 0x100000001b3ULL;
        }
        return h;
}

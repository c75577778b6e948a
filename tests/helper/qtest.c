/*
 * qtest: a static probe that integration tests run inside the container. The
 * chroot has no /proc, so it asks the kernel directly and prints one line.
 *
 *   qtest ids | caps | fds | session | tiocsti | rlimits | umask | nnp | pid
 *   qtest tiocsti REQUEST   ioctl(0, REQUEST, "#") through syscall(): all 64 bits
 *                           of REQUEST reach the filter (0x100005412, 0x541c)
 *   qtest terminal          /dev/tty opens (a controlling terminal), and whether
 *                           the process's group is the terminal's foreground
 *   qtest orphan            an orphan exits: prints "reaped" once pid 1 reaped it
 *   qtest chroot-escape P   tries the second-chroot escape, then opens P
 *   qtest open P            opens P for reading, prints "ok" or the errno name
 *   qtest netifs            interfaces and whether they are up
 *   qtest loopback          a TCP round trip over 127.0.0.1
 *   qtest msgq KEY [create] looks up (or creates) a SysV message queue
 *   qtest sys NAME [ARG...]  a raw system call (arguments in decimal or 0x...);
 *                           prints "ok" or the errno name
 *   qtest seccomp-mode      PR_GET_SECCOMP: 0 none, 2 filter
 *   qtest int80             x86_64: a 32-bit getpid through int 0x80
 *   qtest clone3            a plain clone3 (the child exits at once)
 *   qtest clone-flags HEX   clone with these flags (plus SIGCHLD)
 *   qtest exit N | raise SIG
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/msg.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *errno_name(int e)
{
        switch (e) {
        case 0:
                return "ok";
        case EPERM:
                return "EPERM";
        case ENOENT:
                return "ENOENT";
        case ESRCH:
                return "ESRCH";
        case EIO:
                return "EIO";
        case EBADF:
                return "EBADF";
        case EACCES:
                return "EACCES";
        case EEXIST:
                return "EEXIST";
        case ENOTDIR:
                return "ENOTDIR";
        case EINVAL:
                return "EINVAL";
        case ENOTTY:
                return "ENOTTY";
        case EROFS:
                return "EROFS";
        case ENOSYS:
                return "ENOSYS";
        case EAGAIN:
                return "EAGAIN";
        case ENOSPC:
                return "ENOSPC";
        case EAFNOSUPPORT:
                return "EAFNOSUPPORT";
        case EFAULT:
                return "EFAULT";
        case ENOMEM:
                return "ENOMEM";
        default: {
                static char buf[32];
                snprintf(buf, sizeof(buf), "errno%d", e);
                return buf;
        }
        }
}

static int cmd_ids(void)
{
        gid_t groups[64];
        int n = getgroups(64, groups);
        printf("uid=%u gid=%u euid=%u egid=%u groups=", getuid(), getgid(), geteuid(), getegid());
        for (int i = 0; i < n; i++)
                printf("%s%u", i ? "," : "", groups[i]);
        printf("\n");
        return 0;
}

static int cmd_caps(void)
{
        struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
        struct __user_cap_data_struct d[2];
        if (syscall(SYS_capget, &h, d) < 0)
                return perror("capget"), 1;
        unsigned long long inh = d[0].inheritable | (unsigned long long)d[1].inheritable << 32;
        unsigned long long prm = d[0].permitted | (unsigned long long)d[1].permitted << 32;
        unsigned long long eff = d[0].effective | (unsigned long long)d[1].effective << 32;
        unsigned long long bnd = 0, amb = 0;
        for (int c = 0; c < 64; c++) {
                int r = prctl(PR_CAPBSET_READ, c, 0, 0, 0);
                if (r < 0)
                        break;
                if (r)
                        bnd |= 1ull << c;
                if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, c, 0, 0) == 1)
                        amb |= 1ull << c;
        }
        printf("CapInh=%016llx CapPrm=%016llx CapEff=%016llx CapBnd=%016llx CapAmb=%016llx\n", inh,
               prm, eff, bnd, amb);
        return 0;
}

static int cmd_fds(void)
{
        printf("fds=");
        int first = 1;
        for (int fd = 0; fd < 4096; fd++)
                if (fcntl(fd, F_GETFD) >= 0) {
                        printf("%s%d", first ? "" : ",", fd);
                        first = 0;
                }
        printf("\n");
        return 0;
}

static int cmd_session(void)
{
        printf("pid=%d sid=%d pgid=%d\n", getpid(), getsid(0), getpgid(0));
        return 0;
}

static int cmd_terminal(void)
{
        int fd = open("/dev/tty", O_RDWR | O_NOCTTY);
        printf("devtty=%s fg=%s\n", errno_name(fd < 0 ? errno : 0),
               tcgetpgrp(0) == getpgrp() ? "yes" : "no");
        return 0;
}

static int cmd_tiocsti(const char *request)
{
        char c[256] = "#"; /* room for what another request writes back */
        long r =
            *request ? syscall(SYS_ioctl, 0, strtoull(request, NULL, 0), c) : ioctl(0, TIOCSTI, c);
        printf("tiocsti=%s\n", errno_name(r < 0 ? errno : 0));
        return 0;
}

static int cmd_rlimits(void)
{
        static const struct {
                const char *name;
                int res;
        } r[] = {{"nofile", RLIMIT_NOFILE}, {"nproc", RLIMIT_NPROC}, {"as", RLIMIT_AS},
                 {"fsize", RLIMIT_FSIZE},   {"cpu", RLIMIT_CPU},     {"core", RLIMIT_CORE},
                 {"stack", RLIMIT_STACK}};
        for (size_t i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
                struct rlimit rl;
                getrlimit(r[i].res, &rl);
                printf("%s%s=", i ? " " : "", r[i].name);
                if (rl.rlim_cur == RLIM_INFINITY)
                        printf("unlimited");
                else
                        printf("%llu", (unsigned long long)rl.rlim_cur);
                if (rl.rlim_max == RLIM_INFINITY)
                        printf("/unlimited");
                else
                        printf("/%llu", (unsigned long long)rl.rlim_max);
        }
        printf("\n");
        return 0;
}

static int cmd_orphan(void)
{
        int fds[2];
        if (pipe(fds) < 0)
                return perror("pipe"), 1;
        pid_t child = fork();
        if (child == 0) {
                pid_t grandchild = fork();
                if (grandchild == 0) {
                        usleep(50 * 1000); /* outlive the parent: reparented to pid 1 */
                        _exit(0);
                }
                write(fds[1], &grandchild, sizeof(grandchild));
                _exit(0);
        }
        pid_t orphan;
        read(fds[0], &orphan, sizeof(orphan));
        waitpid(child, NULL, 0);
        /* A zombie still answers kill(pid, 0); a reaped process does not. */
        for (int i = 0; i < 300; i++) {
                if (kill(orphan, 0) < 0 && errno == ESRCH) {
                        printf("reaped\n");
                        return 0;
                }
                usleep(10 * 1000);
        }
        printf("zombie\n");
        return 1;
}

static int cmd_chroot_escape(const char *target)
{
        mkdir("/tmp/escape", 0700);
        int r = chroot("/tmp/escape");
        printf("chroot=%s", errno_name(r < 0 ? errno : 0));
        if (r == 0) {
                for (int i = 0; i < 64; i++)
                        chdir("..");
                r = chroot(".");
                printf(" second=%s", errno_name(r < 0 ? errno : 0));
        }
        int fd = open(target, O_RDONLY);
        printf(" open=%s\n", errno_name(fd < 0 ? errno : 0));
        return 0;
}

static int cmd_open(const char *path)
{
        int fd = open(path, O_RDONLY);
        printf("%s\n", errno_name(fd < 0 ? errno : 0));
        return 0;
}

/* Creates (or truncates) path and writes one byte. */
static int cmd_create(const char *path)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int err = fd < 0 ? errno : (write(fd, "x", 1) == 1 ? 0 : errno);
        printf("%s\n", errno_name(err));
        return 0;
}

/* Writes path in 64 KiB blocks until an error or limit bytes: "wrote=N err". */
static int cmd_fill(const char *path, long long limit)
{
        static char block[65536];
        long long total = 0;
        int err = 0;
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0)
                err = errno;
        while (fd >= 0 && total < limit) {
                ssize_t n = write(fd, block, sizeof(block));
                if (n <= 0) {
                        err = n < 0 ? errno : EIO;
                        break;
                }
                total += n;
        }
        printf("wrote=%lld %s\n", total, errno_name(err));
        return 0;
}

static int cmd_netifs(void)
{
        struct if_nameindex *ifs = if_nameindex();
        int s = socket(AF_INET, SOCK_DGRAM, 0);
        if (!ifs || s < 0)
                return perror("netifs"), 1;
        for (struct if_nameindex *i = ifs; i->if_index; i++) {
                struct ifreq ifr = {0};
                snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", i->if_name);
                ioctl(s, SIOCGIFFLAGS, &ifr);
                printf("%s%s:%s", i == ifs ? "" : " ", i->if_name,
                       (ifr.ifr_flags & IFF_UP) ? "up" : "down");
        }
        printf("\n");
        return 0;
}

static int cmd_loopback(void)
{
        struct sockaddr_in addr = {.sin_family = AF_INET,
                                   .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        socklen_t len = sizeof(addr);
        int server = socket(AF_INET, SOCK_STREAM, 0);
        int client = socket(AF_INET, SOCK_STREAM, 0);
        if (server < 0 || client < 0 || bind(server, (struct sockaddr *)&addr, len) < 0 ||
            listen(server, 1) < 0 || getsockname(server, (struct sockaddr *)&addr, &len) < 0 ||
            connect(client, (struct sockaddr *)&addr, len) < 0) {
                printf("loopback=%s\n", errno_name(errno));
                return 0;
        }
        int conn = accept(server, NULL, NULL);
        char buf[5] = "";
        write(client, "ping", 4);
        read(conn, buf, 4);
        printf("loopback=%s\n", strcmp(buf, "ping") ? "garbled" : "ok");
        return 0;
}

static int cmd_msgq(const char *key, int create)
{
        int id = msgget((key_t)strtol(key, NULL, 0), create ? IPC_CREAT | 0600 : 0);
        printf("msgq=%s\n", errno_name(id < 0 ? errno : 0));
        return 0;
}

static const struct {
        const char *name;
        long nr;
} syscalls[] = {
    {"vmsplice", SYS_vmsplice},
    {"add_key", SYS_add_key},
    {"socket", SYS_socket},
    {"personality", SYS_personality},
    {"ptrace", SYS_ptrace},
    {"keyctl", SYS_keyctl},
    {"unshare", SYS_unshare},
    {"getppid", SYS_getppid},
    {"userfaultfd", SYS_userfaultfd},
    {"mount", SYS_mount},
    {"syslog", SYS_syslog},
    {"kexec_load", SYS_kexec_load},
    {"bpf", SYS_bpf},
    {"io_uring_setup", SYS_io_uring_setup},
    {"setresuid", SYS_setresuid},
    {"setgroups", SYS_setgroups},
    {"capset", SYS_capset},
};

static int cmd_sys(int argc, char **argv)
{
        long nr = -1, a[6] = {0};
        for (size_t i = 0; i < sizeof(syscalls) / sizeof(*syscalls); i++)
                if (!strcmp(syscalls[i].name, argv[2]))
                        nr = syscalls[i].nr;
        char *end = "";
        if (nr < 0)
                nr = strtol(argv[2], &end, 0);
        if (nr < 0 || *end) {
                printf("unknown system call %s\n", argv[2]);
                return 2;
        }
        for (int i = 3; i < argc && i < 9; i++)
                a[i - 3] = (long)strtoull(argv[i], NULL, 0);
        long r = syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
        printf("%s\n", errno_name(r < 0 ? errno : 0));
        return 0;
}

static int cmd_int80(void)
{
#if defined(__x86_64__)
        long ret;
        __asm__ volatile("int $0x80" : "=a"(ret) : "a"(20L) : "memory"); /* i386 getpid */
        printf("int80 returned %ld\n", ret);
        return 0;
#else
        printf("int80 unsupported\n");
        return 2;
#endif
}

static int report_child(long pid)
{
        if (pid < 0) {
                printf("%s\n", errno_name(errno));
                return 0;
        }
        if (pid == 0)
                _exit(0);
        int status;
        waitpid((pid_t)pid, &status, 0);
        printf("ok\n");
        return 0;
}

static int cmd_clone3(void)
{
        struct {
                uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
        } args = {.exit_signal = SIGCHLD};
        return report_child(syscall(SYS_clone3, &args, sizeof(args)));
}

static int cmd_clone_flags(const char *hex)
{
        unsigned long flags = strtoul(hex, NULL, 16) | SIGCHLD;
        return report_child(syscall(SYS_clone, flags, 0, 0, 0, 0));
}

int main(int argc, char **argv)
{
        setvbuf(stdout, NULL, _IONBF, 0);
        const char *cmd = argc > 1 ? argv[1] : "";
        const char *arg = argc > 2 ? argv[2] : "";
        if (!strcmp(cmd, "ids"))
                return cmd_ids();
        if (!strcmp(cmd, "caps"))
                return cmd_caps();
        if (!strcmp(cmd, "fds"))
                return cmd_fds();
        if (!strcmp(cmd, "session"))
                return cmd_session();
        if (!strcmp(cmd, "tiocsti"))
                return cmd_tiocsti(arg);
        if (!strcmp(cmd, "terminal"))
                return cmd_terminal();
        if (!strcmp(cmd, "rlimits"))
                return cmd_rlimits();
        if (!strcmp(cmd, "umask")) {
                mode_t m = umask(0);
                printf("umask=%04o\n", (unsigned)m);
                return 0;
        }
        if (!strcmp(cmd, "nnp"))
                return printf("nnp=%d\n", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0)), 0;
        if (!strcmp(cmd, "pid"))
                return printf("pid=%d ppid=%d\n", getpid(), getppid()), 0;
        if (!strcmp(cmd, "orphan"))
                return cmd_orphan();
        if (!strcmp(cmd, "chroot-escape"))
                return cmd_chroot_escape(arg);
        if (!strcmp(cmd, "open"))
                return cmd_open(arg);
        if (!strcmp(cmd, "create"))
                return cmd_create(arg);
        if (!strcmp(cmd, "mkdir"))
                return printf("%s\n", errno_name(mkdir(arg, 0755) < 0 ? errno : 0)), 0;
        if (!strcmp(cmd, "fill") && argc > 3)
                return cmd_fill(arg, atoll(argv[3]));
        if (!strcmp(cmd, "netifs"))
                return cmd_netifs();
        if (!strcmp(cmd, "loopback"))
                return cmd_loopback();
        if (!strcmp(cmd, "msgq"))
                return cmd_msgq(arg, argc > 3 && !strcmp(argv[3], "create"));
        if (!strcmp(cmd, "sys") && argc > 2)
                return cmd_sys(argc, argv);
        if (!strcmp(cmd, "seccomp-mode"))
                return printf("seccomp=%d\n", prctl(PR_GET_SECCOMP, 0, 0, 0, 0)), 0;
        if (!strcmp(cmd, "int80"))
                return cmd_int80();
        if (!strcmp(cmd, "clone3"))
                return cmd_clone3();
        if (!strcmp(cmd, "clone-flags") && argc > 2)
                return cmd_clone_flags(argv[2]);
        if (!strcmp(cmd, "exit"))
                return atoi(arg);
        if (!strcmp(cmd, "raise"))
                return raise(atoi(arg)), 99;
        fprintf(stderr, "qtest: unknown command \"%s\"\n", cmd);
        return 2;
}

/*
 * escape: the escape attempts of tests/security/escape.t, one small function
 * each. An attempt tries one way out of the sandbox and prints what the kernel
 * answered, as one line: "ok" when a call succeeded, otherwise the errno name
 * (compound attempts print "step=result" pairs). The expected answers live in
 * escape.t, beside the reason they are expected, so an attempt that starts to
 * succeed fails the suite instead of passing quietly.
 *
 *   escape NAME [ARG...]     run one attempt (escape list: the names)
 *
 * Every call goes through syscall(2) with explicit arguments, so what is
 * tested is the kernel and qrun's filter, not a libc wrapper's opinion.
 * Built static with musl: the rootfs has no libc of its own.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/capability.h>
#include <linux/keyctl.h>
#include <linux/mount.h>
#include <linux/perf_event.h>
#include <linux/reboot.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <dirent.h>
#include <unistd.h>

#define ERRNO(e)                                                                                   \
        {                                                                                          \
                e, #e                                                                              \
        }
static const struct {
        int value;
        const char *name;
} errno_names[] = {
    ERRNO(EPERM),  ERRNO(ENOENT), ERRNO(ESRCH),        ERRNO(EIO),    ERRNO(EBADF),
    ERRNO(EAGAIN), ERRNO(ENOMEM), ERRNO(EACCES),       ERRNO(EFAULT), ERRNO(EBUSY),
    ERRNO(EEXIST), ERRNO(EXDEV),  ERRNO(ENOTDIR),      ERRNO(EINVAL), ERRNO(ENOTTY),
    ERRNO(EROFS),  ERRNO(ENOSYS), ERRNO(EAFNOSUPPORT), ERRNO(ENOKEY), ERRNO(EOPNOTSUPP),
    ERRNO(ESTALE), ERRNO(ENODEV),
};

static const char *errno_name(int e)
{
        static char other[32];
        if (e == 0)
                return "ok";
        for (size_t i = 0; i < sizeof(errno_names) / sizeof(*errno_names); i++)
                if (errno_names[i].value == e)
                        return errno_names[i].name;
        snprintf(other, sizeof(other), "errno%d", e);
        return other;
}

/* The answer of a raw system call: "ok" or the errno name. */
static const char *answer(long ret)
{
        return errno_name(ret < 0 ? errno : 0);
}

static long number(const char *text)
{
        return (long)strtoull(text, NULL, 0);
}

/* ---- the root and inherited descriptors ---- */

/* The classic escape: chroot into a subdirectory (keeping the cwd outside
 * it), climb with "..", chroot there, then open a host path. */
static int chroot_escape(char **argv)
{
        const char *host_path = argv[0];
        long r = syscall(SYS_chroot, "/bin");
        printf("chroot=%s", answer(r));
        if (r == 0) {
                for (int i = 0; i < 64; i++)
                        syscall(SYS_chdir, "..");
                printf(" second=%s", answer(syscall(SYS_chroot, ".")));
        }
        printf(" open=%s\n", answer(syscall(SYS_openat, AT_FDCWD, host_path, O_RDONLY)));
        return 0;
}

/* Any descriptor above stderr that qrun (or its caller) left open could be a
 * directory outside the root: fchdir to it, or openat(fd, ".."). Prints the
 * answer every descriptor gave, which is EBADF when none is open. */
static int through_fds(const char *how)
{
        const char *first = NULL;
        for (int fd = 3; fd < 1024; fd++) {
                long r = !strcmp(how, "fchdir")
                             ? syscall(SYS_fchdir, fd)
                             : syscall(SYS_openat, fd, "..", O_RDONLY | O_DIRECTORY);
                const char *a = answer(r);
                if (r >= 0 || errno != EBADF) {
                        printf("fd%d=%s\n", fd, a);
                        return 0;
                }
                first = a;
        }
        printf("%s\n", first);
        return 0;
}

static int fchdir_fds(char **argv)
{
        (void)argv;
        return through_fds("fchdir");
}

static int openat_fds(char **argv)
{
        (void)argv;
        return through_fds("openat");
}

/* open_by_handle_at ignores the root: a handle names any inode of the file
 * system (the "shocker" exploit). Tries the real handle of / and a forged one
 * for inode 2, the root directory of ext2/3/4 file systems. */
static int open_by_handle(char **argv)
{
        (void)argv;
        struct {
                struct {
                        unsigned int handle_bytes;
                        int handle_type;
                } h;
                unsigned char data[128];
        } handle = {{sizeof(handle.data), 0}, {0}};
        int mount_id;
        long r = syscall(SYS_name_to_handle_at, AT_FDCWD, "/", &handle, &mount_id, 0);
        printf("name_to_handle=%s", answer(r));
        int root = (int)syscall(SYS_openat, AT_FDCWD, "/", O_RDONLY | O_DIRECTORY);
        if (r == 0)
                printf(" real=%s", answer(syscall(SYS_open_by_handle_at, root, &handle, O_RDONLY)));
        memset(&handle, 0, sizeof(handle));
        handle.h.handle_bytes = 8;
        handle.h.handle_type = 1; /* FILEID_INO32_GEN: inode 2, generation 0 */
        handle.data[0] = 2;
        printf(" forged=%s\n", answer(syscall(SYS_open_by_handle_at, root, &handle, O_RDONLY)));
        return 0;
}

/* ---- processes outside the container ---- */

static int ptrace_attach(char **argv)
{
        printf("%s\n", answer(syscall(SYS_ptrace, 16 /* PTRACE_ATTACH */, number(argv[0]), 0, 0)));
        return 0;
}

static int process_vm_readv_(char **argv)
{
        char buf[16];
        struct iovec local = {buf, sizeof(buf)};
        struct iovec remote = {(void *)0x400000, sizeof(buf)};
        printf("%s\n",
               answer(syscall(SYS_process_vm_readv, number(argv[0]), &local, 1, &remote, 1, 0)));
        return 0;
}

static int kill_(char **argv)
{
        printf("%s\n", answer(syscall(SYS_kill, number(argv[0]), SIGKILL)));
        return 0;
}

static int pidfd_open_(char **argv)
{
        printf("%s\n", answer(syscall(SYS_pidfd_open, number(argv[0]), 0)));
        return 0;
}

/* Opens /proc/PID/FILE (status, environ, root...). */
static int proc_file(char **argv)
{
        char path[64];
        snprintf(path, sizeof(path), "/proc/%s/%s", argv[0], argv[1]);
        printf("%s\n", answer(syscall(SYS_openat, AT_FDCWD, path, O_RDONLY)));
        return 0;
}

/* The pids /proc lists, in order; "none" for an empty /proc. */
static int proc_pids(char **argv)
{
        (void)argv;
        DIR *d = opendir("/proc");
        if (!d)
                return printf("%s\n", errno_name(errno)), 0;
        int pids[64], n = 0;
        for (struct dirent *e; (e = readdir(d)) && n < 64;)
                if (e->d_name[0] >= '0' && e->d_name[0] <= '9')
                        pids[n++] = atoi(e->d_name);
        for (int i = 1; i < n; i++)
                for (int j = i; j > 0 && pids[j - 1] > pids[j]; j--) {
                        int t = pids[j];
                        pids[j] = pids[j - 1];
                        pids[j - 1] = t;
                }
        for (int i = 0; i < n; i++)
                printf("%s%d", i ? " " : "", pids[i]);
        printf("%s\n", n ? "" : "none");
        return 0;
}

/* Pushes a command into the terminal on stdin, as if typed at its prompt;
 * argv[0], if given, is the request to use instead (all 64 bits reach the
 * filter: 0x100005412 is TIOCSTI for the kernel, which reads an unsigned int). */
static int tiocsti(char **argv)
{
        char c = '#';
        unsigned long request = argv[0] ? strtoul(argv[0], NULL, 0) : TIOCSTI;
        printf("%s\n", answer(syscall(SYS_ioctl, 0, request, &c)));
        return 0;
}

/* ---- mounts and namespaces ---- */

static int mount_(char **argv)
{
        (void)argv;
        printf("%s\n", answer(syscall(SYS_mount, "none", "/tmp", "tmpfs", 0, NULL)));
        return 0;
}

static int umount2_(char **argv)
{
        printf("%s\n", answer(syscall(SYS_umount2, argv[0], MNT_DETACH)));
        return 0;
}

static int pivot_root_(char **argv)
{
        (void)argv;
        printf("%s\n", answer(syscall(SYS_pivot_root, ".", ".")));
        return 0;
}

static int move_mount_(char **argv)
{
        (void)argv;
        printf("%s\n", answer(syscall(SYS_move_mount, AT_FDCWD, "/bin", AT_FDCWD, "/tmp",
                                      MOVE_MOUNT_F_SYMLINKS)));
        return 0;
}

static int open_tree_(char **argv)
{
        (void)argv;
        printf("%s\n", answer(syscall(SYS_open_tree, AT_FDCWD, "/", OPEN_TREE_CLONE)));
        return 0;
}

static int fsopen_(char **argv)
{
        (void)argv;
        printf("%s\n", answer(syscall(SYS_fsopen, "tmpfs", 0)));
        return 0;
}

static int unshare_(char **argv)
{
        printf("%s\n", answer(syscall(SYS_unshare, number(argv[0]))));
        return 0;
}

/* Prints "ok" if a child was created (it exits at once), else the errno. */
static int report_child(long pid)
{
        if (pid == 0)
                _exit(0);
        if (pid > 0)
                waitpid((pid_t)pid, NULL, 0);
        printf("%s\n", answer(pid));
        return 0;
}

static int clone_(char **argv)
{
        return report_child(syscall(SYS_clone, number(argv[0]) | SIGCHLD, 0, 0, 0, 0));
}

static int clone3_(char **argv)
{
        struct {
                uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
        } args = {.flags = (uint64_t)number(argv[0]), .exit_signal = SIGCHLD};
        return report_child(syscall(SYS_clone3, &args, sizeof(args)));
}

/* setns through a pidfd (of pid 1, the container's init) and through FD, a
 * descriptor the caller may have passed (e.g. the host's mount namespace). */
static int setns_(char **argv)
{
        long pidfd = syscall(SYS_pidfd_open, 1, 0);
        printf("pidfd=%s", answer(pidfd));
        if (pidfd >= 0)
                printf(" setns=%s", answer(syscall(SYS_setns, pidfd, CLONE_NEWNS | CLONE_NEWUSER)));
        printf(" fd%s=%s\n", argv[0], answer(syscall(SYS_setns, number(argv[0]), 0)));
        return 0;
}

/* ---- keys ---- */

/* Looks for a key the caller added to its user keyring outside. */
static int keyctl_search(char **argv)
{
        printf("%s\n", answer(syscall(SYS_keyctl, KEYCTL_SEARCH, KEY_SPEC_USER_KEYRING, "user",
                                      argv[0], 0)));
        return 0;
}

/* Adds a user key to the user keyring; it expires after a minute, so nothing
 * outlives the test. Used inside (an attempt) and outside (the setup). */
static int add_key_(char **argv)
{
        long id = syscall(SYS_add_key, "user", argv[0], "secret", 6, KEY_SPEC_USER_KEYRING);
        if (id >= 0)
                syscall(SYS_keyctl, KEYCTL_SET_TIMEOUT, id, 60);
        printf("%s\n", answer(id));
        return 0;
}

/* ---- calls that act on the whole machine ---- */

static int bpf_(char **argv)
{
        (void)argv;
        union bpf_attr attr;
        memset(&attr, 0, sizeof(attr));
        attr.map_type = BPF_MAP_TYPE_ARRAY;
        attr.key_size = 4;
        attr.value_size = 4;
        attr.max_entries = 1;
        printf("%s\n", answer(syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof(attr))));
        return 0;
}

/* A software counter on every CPU for the caller: allowed to anybody when
 * perf_event_paranoid permits, so only the filter stands in the way. */
static int perf_event_open_(char **argv)
{
        (void)argv;
        struct perf_event_attr attr;
        memset(&attr, 0, sizeof(attr));
        attr.type = PERF_TYPE_SOFTWARE;
        attr.size = sizeof(attr);
        attr.config = PERF_COUNT_SW_CPU_CLOCK;
        attr.exclude_kernel = 1;
        printf("%s\n", answer(syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0)));
        return 0;
}

static int userfaultfd_(char **argv)
{
        (void)argv;
        printf("%s\n", answer(syscall(SYS_userfaultfd, 1 /* UFFD_USER_MODE_ONLY */)));
        return 0;
}

static int kexec_load_(char **argv)
{
        (void)argv;
        printf("%s\n", answer(syscall(SYS_kexec_load, 0, 0, NULL, 0)));
        return 0;
}

static int kexec_file_load_(char **argv)
{
        (void)argv;
        printf("%s\n", answer(syscall(SYS_kexec_file_load, 0, -1, 1, "", 4 /* UNLOAD */)));
        return 0;
}

static int init_module_(char **argv)
{
        (void)argv;
        static char image[64];
        printf("%s\n", answer(syscall(SYS_init_module, image, sizeof(image), "")));
        return 0;
}

static int finit_module_(char **argv)
{
        (void)argv;
        int fd = (int)syscall(SYS_openat, AT_FDCWD, "/bin/escape", O_RDONLY);
        printf("%s\n", answer(syscall(SYS_finit_module, fd, "", 0)));
        return 0;
}

static int delete_module_(char **argv)
{
        (void)argv;
        printf("%s\n", answer(syscall(SYS_delete_module, "loop", O_NONBLOCK)));
        return 0;
}

/* Ctrl-Alt-Del off: harmless had it been allowed, and still needs CAP_SYS_BOOT. */
static int reboot_(char **argv)
{
        (void)argv;
        printf("%s\n", answer(syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2,
                                      LINUX_REBOOT_CMD_CAD_OFF, NULL)));
        return 0;
}

static int swapon_(char **argv)
{
        (void)argv;
        printf("%s\n", answer(syscall(SYS_swapon, "/bin/escape", 0)));
        return 0;
}

static int swapoff_(char **argv)
{
        (void)argv;
        printf("%s\n", answer(syscall(SYS_swapoff, "/bin/escape")));
        return 0;
}

/* ---- devices, sockets, personas, ids ---- */

/* mknod PATH b|c MAJOR MINOR: a device node gives raw access to the device. */
static int mknod_(char **argv)
{
        mode_t type = argv[1][0] == 'b' ? S_IFBLK : S_IFCHR;
        dev_t dev = makedev((unsigned)number(argv[2]), (unsigned)number(argv[3]));
        printf("%s\n", answer(syscall(SYS_mknodat, AT_FDCWD, argv[0], type | 0600, dev)));
        return 0;
}

/* socket FAMILY TYPE: the family may carry bits above 32, which the kernel
 * ignores (an int argument) and a 64-bit filter comparison does not. */
static int socket_(char **argv)
{
        printf("%s\n", answer(syscall(SYS_socket, number(argv[0]), number(argv[1]), 0)));
        return 0;
}

static int personality_(char **argv)
{
        printf("%s\n", answer(syscall(SYS_personality, number(argv[0]))));
        return 0;
}

/* Becomes another user (UID) or gains capabilities by asking for them. */
static int setresuid_(char **argv)
{
        long uid = number(argv[0]);
        printf("%s\n", answer(syscall(SYS_setresuid, uid, uid, uid)));
        return 0;
}

static int capset_(char **argv)
{
        (void)argv;
        struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
        struct __user_cap_data_struct d[2] = {{0}};
        d[0].effective = d[0].permitted = 1u << CAP_SYS_ADMIN | 1u << CAP_SYS_CHROOT;
        printf("%s\n", answer(syscall(SYS_capset, &h, d)));
        return 0;
}

/* Runs PROGRAM (a setuid-root binary) and relays its line. */
static int run_setuid(char **argv)
{
        char *args[] = {argv[0], NULL};
        execv(argv[0], args);
        printf("exec=%s\n", errno_name(errno));
        return 0;
}

/* The 32-bit ABI (int 0x80) reaches a different system call table; the
 * filter kills the process rather than judge it by the wrong numbers. */
static int int80(char **argv)
{
        (void)argv;
#if defined(__x86_64__)
        long ret;
        __asm__ volatile("int $0x80" : "=a"(ret) : "a"(20L) : "memory"); /* i386 getpid */
        printf("int80 returned %ld\n", ret);
#else
        printf("int80 unsupported\n");
#endif
        return 0;
}

/* Where am I: "host" if the marker file the test planted outside is visible. */
static int whereami(char **argv)
{
        printf("%s\n", access(argv[0], F_OK) == 0 ? "host" : "inside");
        return 0;
}

/* Starts a daemon (setsid, double fork) that sleeps, then reports "ready". */
static int daemonize(char **argv)
{
        pid_t child = fork();
        if (child == 0) {
                setsid();
                if (fork() == 0) {
                        char *args[] = {"sleep", argv[0], NULL};
                        execv("/bin/sleep", args);
                        _exit(127);
                }
                _exit(0);
        }
        waitpid(child, NULL, 0);
        printf("ready\n");
        pause();
        return 0;
}

static const struct attempt {
        const char *name;
        int nargs;
        int (*run)(char **argv);
} attempts[] = {
    {"chroot-escape", 1, chroot_escape},
    {"fchdir-fds", 0, fchdir_fds},
    {"openat-fds", 0, openat_fds},
    {"open-by-handle", 0, open_by_handle},
    {"ptrace", 1, ptrace_attach},
    {"process-vm-readv", 1, process_vm_readv_},
    {"kill", 1, kill_},
    {"pidfd-open", 1, pidfd_open_},
    {"proc-file", 2, proc_file},
    {"proc-pids", 0, proc_pids},
    {"tiocsti", 0, tiocsti},
    {"mount", 0, mount_},
    {"umount2", 1, umount2_},
    {"pivot-root", 0, pivot_root_},
    {"move-mount", 0, move_mount_},
    {"open-tree", 0, open_tree_},
    {"fsopen", 0, fsopen_},
    {"unshare", 1, unshare_},
    {"clone", 1, clone_},
    {"clone3", 1, clone3_},
    {"setns", 1, setns_},
    {"keyctl-search", 1, keyctl_search},
    {"add-key", 1, add_key_},
    {"bpf", 0, bpf_},
    {"perf-event-open", 0, perf_event_open_},
    {"userfaultfd", 0, userfaultfd_},
    {"kexec-load", 0, kexec_load_},
    {"kexec-file-load", 0, kexec_file_load_},
    {"init-module", 0, init_module_},
    {"finit-module", 0, finit_module_},
    {"delete-module", 0, delete_module_},
    {"reboot", 0, reboot_},
    {"swapon", 0, swapon_},
    {"swapoff", 0, swapoff_},
    {"mknod", 4, mknod_},
    {"socket", 2, socket_},
    {"personality", 1, personality_},
    {"setresuid", 1, setresuid_},
    {"capset", 0, capset_},
    {"run-setuid", 1, run_setuid},
    {"int80", 0, int80},
    {"whereami", 1, whereami},
    {"daemonize", 1, daemonize},
};

int main(int argc, char **argv)
{
        setvbuf(stdout, NULL, _IONBF, 0);
        const char *name = argc > 1 ? argv[1] : "";
        for (size_t i = 0; i < sizeof(attempts) / sizeof(*attempts); i++) {
                const struct attempt *a = &attempts[i];
                if (!strcmp(name, "list"))
                        printf("%s\n", a->name);
                else if (!strcmp(name, a->name) && argc - 2 >= a->nargs)
                        return a->run(argv + 2);
        }
        if (!strcmp(name, "list"))
                return 0;
        fprintf(stderr, "escape: unknown attempt or missing arguments: %s\n", name);
        return 2;
}

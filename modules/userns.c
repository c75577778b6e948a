#define _GNU_SOURCE
#include "userns.h"
#include "common.h"
#include "config.h"
#include "identity.h"
#include "manifest.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <linux/capability.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* ---- [user] keys ---- */

static const char *const id_names[] = {"self", "0", NULL};

static const struct key_def user_keys[] = {
    {"uid", KEY_ENUM, .offset = CFG(user.uid), .loc = CFG(user.uid_loc), .names = id_names,
     .expect = "\"self\" or 0", .hint = "only your own id can be mapped without a setuid helper"},
    {"gid", KEY_ENUM, .offset = CFG(user.gid), .names = id_names, .expect = "\"self\" or 0",
     .hint = "only your own id can be mapped without a setuid helper"},
    {"fakeroot", KEY_BOOL, .offset = CFG(user.fakeroot), .loc = CFG(user.fakeroot_loc)},
    {"passwd", KEY_BOOL, .offset = CFG(user.passwd), .loc = CFG(user.passwd_loc)},
};

/* Root emulation only makes sense for root: as yourself, chown and setuid
 * fail for the same reason they fail on the host. */
static bool validate_user(const struct config *cfg, struct diag *d)
{
        if (cfg->user.fakeroot && cfg->user.uid != ID_ROOT)
                return diag_error_at(d, cfg->user.fakeroot_loc,
                                     "needs uid = 0 (it makes root's chown and setuid calls "
                                     "succeed)");
        return true;
}

const struct section_def user_section = {"user", user_keys, ARRAY_SIZE(user_keys), validate_user};

/* ---- who the command is ---- */

void userns_resolve_identity(struct user_config *u, bool home_bound)
{
        const char *caller_home = getenv("HOME");
        if (u->uid == ID_ROOT) {
                u->name = xstrdup("root");
        } else {
                /* The host's passwd file (musl reads /etc/passwd; no NSS). */
                struct passwd *pw = getpwuid(getuid());
                u->name = pw ? xstrdup(pw->pw_name) : NULL;
        }
        if (u->gid == ID_ROOT) {
                u->group = xstrdup("root");
        } else {
                struct group *gr = getgrgid(getgid());
                u->group = gr ? xstrdup(gr->gr_name) : NULL;
        }
        if (home_bound && caller_home && *caller_home)
                u->home = xstrdup(caller_home);
        else
                u->home = xstrdup(u->uid == ID_ROOT ? "/root" : "/");
}

void userns_check_identity(const struct config *cfg, const struct diag *d)
{
        int rootfd = rootfs_dir_fd(&cfg->rootfs);
        if (d->errors || !cfg->check_only || cfg->mounts.enabled || rootfd < 0 ||
            rootfs_is_host(&cfg->rootfs))
                return;
        unsigned long uid = cfg->user.uid == ID_ROOT ? 0 : getuid();
        size_t len;
        char *text = identity_read(rootfd, "/etc/passwd", &len);
        if (!text || !identity_has_id(text, len, uid))
                warn("identity", 0,
                     "the rootfs's /etc/passwd %s no entry for uid %lu%s%s%s: id -un, whoami and "
                     "prompts show the number; in mount mode ([mounts]) qrun adds one",
                     text ? "has" : "is missing, so", uid, cfg->user.name ? " (" : "",
                     cfg->user.name ? cfg->user.name : "", cfg->user.name ? ")" : "");
        free(text);
}

/* ---- refusing elevated privileges ---- */

/* _exit, not exit: nothing more runs with privileges, not even exit handlers
 * (a sanitizer build's leak check among them). */
static void refuse(const char *why)
{
        warn("security", 0, "%s", why);
        _exit(EXIT_QRUN_FAILED);
}

void userns_refuse_elevated_privileges(void)
{
        /* AT_SECURE covers setuid, setgid and file capabilities at exec time; the
         * id and mode checks also catch an installation that is setuid to the
         * caller's own id, which would become dangerous for other users. */
        if (getauxval(AT_SECURE) || getuid() != geteuid() || getgid() != getegid())
                refuse("refusing to run with elevated privileges (setuid/setgid or differing real "
                       "and effective ids); qrun needs no privileges: install it mode 0755");
        /* The path qrun was executed by (resolved before any chdir): cheaper than
         * /proc/self/exe, whose first lookup instantiates this process's /proc
         * directory. */
        const char *self = (const char *)getauxval(AT_EXECFN);
        struct stat st;
        if (self && stat(self, &st) == 0 && (st.st_mode & (S_ISUID | S_ISGID)))
                refuse("refusing to run from a setuid/setgid file; qrun needs no privileges: "
                       "chmod 0755 it");
}

/* ---- creating the user namespace ---- */

/* Reads a one-line sysctl; returns its value or -1 if it does not exist. */
static long read_sysctl(const char *path)
{
        char buf[32] = {0};
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -1;
        ssize_t n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        return n > 0 ? strtol(buf, NULL, 10) : -1;
}

/* Names the setting that keeps unprivileged users from creating a user namespace. */
static const char *explain_userns_refusal(int err)
{
        static char why[256];
        long clone = read_sysctl("/proc/sys/kernel/unprivileged_userns_clone");
        long max = read_sysctl("/proc/sys/user/max_user_namespaces");
        long apparmor = read_sysctl("/proc/sys/kernel/apparmor_restrict_unprivileged_userns");
        if (clone == 0)
                return "unprivileged user namespaces are disabled by "
                       "kernel.unprivileged_userns_clone = 0 (as root: sysctl -w "
                       "kernel.unprivileged_userns_clone=1)";
        if (max == 0)
                return "user namespaces are disabled by user.max_user_namespaces = 0 (as root: "
                       "sysctl -w user.max_user_namespaces=15000)";
        if (err == ENOSPC && max > 0) {
                snprintf(why, sizeof(why),
                         "the limit user.max_user_namespaces = %ld is reached (or the per-user "
                         "count in an enclosing namespace)",
                         max);
                return why;
        }
        if (apparmor == 1)
                return "AppArmor restricts unprivileged user namespaces "
                       "(kernel.apparmor_restrict_unprivileged_userns = 1); install the qrun "
                       "AppArmor profile or, as root, sysctl -w "
                       "kernel.apparmor_restrict_unprivileged_userns=0";
        if (err == EPERM)
                return "the kernel refused; is qrun running inside a chroot, or under a seccomp "
                       "filter or container that forbids unshare(2)?";
        return "the kernel refused to create a user namespace";
}

/* Writes one of /proc/self's id-map files; -1 with errno. */
static int write_proc_file(const char *path, const char *text)
{
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return -1;
        bool ok = write_all(fd, text, strlen(text));
        int err = errno;
        close(fd);
        errno = err;
        return ok ? 0 : -1;
}

/* A map file not written: why, in the user's terms. */
static int map_failure(struct failure *f, const char *path)
{
        int err = errno;
        if (err != EPERM)
                return failure(f, "unable to write %s (is /proc mounted?)", path);
        const char *why = explain_userns_refusal(err); /* reads sysctls: errno changes */
        errno = err;
        return failure(f, "unable to write %s (%s)", path, why);
}

int userns_unshare(uid_t inside_uid, gid_t inside_gid, int other_flags, struct failure *f)
{
        uid_t uid = geteuid();
        gid_t gid = getegid();
        if (unshare(CLONE_NEWUSER | other_flags) < 0) {
                int err = errno;
                const char *why = explain_userns_refusal(err); /* reads sysctls: errno changes */
                errno = err;
                return failure(f, "unable to create the namespaces: %s", why);
        }
        char map[64];
        snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)inside_uid, (unsigned)uid);
        if (write_proc_file("/proc/self/uid_map", map) < 0)
                return map_failure(f, "/proc/self/uid_map");
        /* An unprivileged process may map its gid only after giving up setgroups(2). */
        if (write_proc_file("/proc/self/setgroups", "deny") < 0)
                return map_failure(f, "/proc/self/setgroups");
        snprintf(map, sizeof(map), "%u %u 1\n", (unsigned)inside_gid, (unsigned)gid);
        if (write_proc_file("/proc/self/gid_map", map) < 0)
                return map_failure(f, "/proc/self/gid_map");
        return 0;
}

int userns_unshare_as(const struct user_config *u, int other_flags, struct failure *f)
{
        return userns_unshare(u->uid == ID_ROOT ? 0 : geteuid(), u->gid == ID_ROOT ? 0 : getegid(),
                              other_flags, f);
}

void userns_create(const struct user_config *u)
{
        struct failure f;
        if (userns_unshare_as(u, 0, &f) < 0)
                fail("userns", errno, "%s", f.what);
}

/* ---- capabilities ---- */

/* What root inside keeps: Docker's default set without CAP_SYS_CHROOT (a second
 * chroot() leaves the first), CAP_MKNOD and CAP_SETFCAP. Everything that builds
 * namespaces or mounts (CAP_SYS_ADMIN) or reaches outside (CAP_DAC_READ_SEARCH,
 * CAP_SYS_PTRACE, ...) is absent too. */
static const int root_kept_caps[] = {
    CAP_CHOWN,  CAP_DAC_OVERRIDE, CAP_FOWNER,  CAP_FSETID,           CAP_KILL,        CAP_SETGID,
    CAP_SETUID, CAP_SETPCAP,      CAP_NET_RAW, CAP_NET_BIND_SERVICE, CAP_AUDIT_WRITE,
};

static uint64_t kept_caps(const struct user_config *u)
{
        uint64_t mask = 0;
        if (u->uid == ID_ROOT)
                for (size_t i = 0; i < ARRAY_SIZE(root_kept_caps); i++)
                        mask |= 1ull << root_kept_caps[i];
        return mask;
}

void userns_drop_bounding_set(const struct user_config *u)
{
        uint64_t keep = kept_caps(u);
        /* The bounding set limits what exec can grant (root's exec gets all of
         * it); dropping needs CAP_SETPCAP, which the namespace's creator has. */
        for (int cap = 0; cap < 64; cap++) {
                if (keep & (1ull << cap))
                        continue;
                if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
                        if (errno == EINVAL)
                                break; /* past the kernel's last capability */
                        fail("caps", errno, "prctl(PR_CAPBSET_DROP, %d)", cap);
                }
        }
}

void userns_drop_capabilities(const struct user_config *u)
{
        uint64_t keep = kept_caps(u);
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
                fail("caps", errno, "prctl(PR_CAP_AMBIENT_CLEAR_ALL)");
        struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
        struct __user_cap_data_struct data[2] = {
            {(uint32_t)keep, (uint32_t)keep, 0},
            {(uint32_t)(keep >> 32), (uint32_t)(keep >> 32), 0},
        };
        if (syscall(SYS_capset, &header, data) < 0)
                fail("caps", errno, "capset");
}

/* ---- root emulation's adjustments ---- */

#define APT_CONF_DIR "/etc/apt/apt.conf.d"
#define APT_FAKEROOT APT_CONF_DIR "/00qrun-fakeroot"
#define APT_NO_DROP                                                                                \
        "// Written by qrun for [user] fakeroot = true: apt checks that its switch to\n"           \
        "// the _apt user happened, which root emulation only fakes.\n"                            \
        "APT::Sandbox::User \"root\";\n"

void userns_prepare_fakeroot(const struct user_config *u)
{
        struct stat st;
        if (!u->fakeroot || stat(APT_CONF_DIR, &st) < 0 || !S_ISDIR(st.st_mode))
                return;
        int fd = open(APT_FAKEROOT, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0) {
                if (errno != EEXIST && errno != EROFS && errno != EACCES)
                        warn("fakeroot", errno, "unable to write %s", APT_FAKEROOT);
                return;
        }
        if (!write_all(fd, APT_NO_DROP, strlen(APT_NO_DROP)))
                warn("fakeroot", errno, "unable to write %s", APT_FAKEROOT);
        close(fd);
}

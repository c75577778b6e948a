#define _GNU_SOURCE
#include "process.h"
#include "config.h"
#include "errpipe.h"
#include "manifest.h"
#include "values.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

extern char **environ;

static const char default_path[] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/* ---- [process] keys ---- */

static bool parse_command(struct config *cfg, const struct key_def *key, const char *value,
                          struct diag *d)
{
        (void)key;
        if (!*value)
                return diag_error(d, "empty command");
        if (value[0] != '/' && strchr(value, '/'))
                return diag_error(d,
                                  "\"%s\" must be an absolute path or a name to look up in "
                                  "PATH",
                                  value);
        free(cfg->process.command);
        cfg->process.command = xstrdup(value);
        cfg->process.command_loc = d->loc;
        return true;
}

static bool parse_args(struct config *cfg, const struct key_def *key, const char *value,
                       struct diag *d)
{
        (void)key;
        struct strv words = {0};
        if (!split_words(d, value, &words)) {
                strv_free(&words);
                return false;
        }
        strv_free(&cfg->process.args);
        cfg->process.args = words;
        cfg->process.args_set = true;
        cfg->process.args_loc = d->loc;
        return true;
}

static bool parse_cwd(struct config *cfg, const struct key_def *key, const char *value,
                      struct diag *d)
{
        (void)key;
        if (value[0] != '/')
                return diag_error(d, "must be an absolute path inside the container, got \"%s\"",
                                  value);
        free(cfg->process.cwd);
        cfg->process.cwd = xstrdup(value);
        cfg->process.cwd_loc = d->loc;
        return true;
}

/* Index of the NAME=... entry in v with the same name as assignment, or -1. */
static ssize_t find_assignment(const struct strv *v, const char *assignment)
{
        size_t len = strcspn(assignment, "=");
        for (size_t i = 0; i < v->len; i++)
                if (!strncmp(v->items[i], assignment, len) && v->items[i][len] == '=')
                        return (ssize_t)i;
        return -1;
}

static bool parse_env(struct config *cfg, const struct key_def *key, const char *value,
                      struct diag *d)
{
        (void)key;
        const char *eq = strchr(value, '=');
        if (!eq)
                return diag_error(d, "expected NAME=VALUE, got \"%s\"", value);
        if (!is_env_name(value, (size_t)(eq - value)))
                return diag_error(d, "bad variable name \"%.*s\"", (int)(eq - value), value);
        struct strv *env = &cfg->process.env;
        ssize_t existing = find_assignment(env, value);
        if (existing >= 0 && !diag_is_override(d))
                return diag_error(d, "%.*s is set twice", (int)(eq - value), value);
        if (existing >= 0) {
                free(env->items[existing]);
                env->items[existing] = xstrdup(value);
        } else {
                strv_push(env, xstrdup(value));
        }
        return true;
}

static bool parse_env_keep(struct config *cfg, const struct key_def *key, const char *value,
                           struct diag *d)
{
        (void)key;
        size_t len = strlen(value);
        bool prefix = len > 1 && value[len - 1] == '*';
        if (!is_env_name(value, prefix ? len - 1 : len))
                return diag_error(d,
                                  "expected a variable name or a prefix such as SLURM_*, "
                                  "got \"%s\"",
                                  value);
        strv_push(&cfg->process.env_keep, xstrdup(value));
        return true;
}

static bool parse_hostname(struct config *cfg, const struct key_def *key, const char *value,
                           struct diag *d)
{
        (void)key;
        size_t len = strlen(value);
        if (len == 0 || len > 64 ||
            strspn(value, "abcdefghijklmnopqrstuvwxyz"
                          "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.") != len)
                return diag_error(d, "expected 1 to 64 letters, digits, '-' or '.', got \"%s\"",
                                  value);
        free(cfg->process.hostname);
        cfg->process.hostname = xstrdup(value);
        cfg->process.hostname_loc = d->loc;
        return true;
}

static bool parse_umask_key(struct config *cfg, const struct key_def *key, const char *value,
                            struct diag *d)
{
        (void)key;
        if (!parse_umask(d, value, &cfg->process.umask))
                return false;
        cfg->process.umask_set = true;
        return true;
}

/* The PATH the command is looked up in: the container's environment's. */
static const char *container_path(const struct process_config *p)
{
        ssize_t i = find_assignment(&p->envp, "PATH=");
        return i >= 0 ? p->envp.items[i] + 5 : default_path;
}

/* -- printers -- */

static void print_command(const struct config *cfg, const struct key_def *key, FILE *out)
{
        const struct process_config *p = &cfg->process;
        if (p->argv.len)
                print_value(out, key->name, p->argv.items[0]);
}

static void print_args(const struct config *cfg, const struct key_def *key, FILE *out)
{
        const struct process_config *p = &cfg->process;
        if (p->argv.len < 2)
                return;
        fprintf(out, "%s =", key->name);
        for (size_t i = 1; i < p->argv.len; i++) {
                char *q = quote_word(p->argv.items[i]);
                fprintf(out, " %s", q);
                free(q);
        }
        fputc('\n', out);
}

static void print_cwd(const struct config *cfg, const struct key_def *key, FILE *out)
{
        if (cfg->mounts.workdir) /* the printed manifest must stay valid */
                fprintf(out, "; %s: %s, set by [mounts] workdir = true\n", key->name,
                        cfg->process.cwd);
        else
                print_value(out, key->name, cfg->process.cwd);
}

static void print_env(const struct config *cfg, const struct key_def *key, FILE *out)
{
        const struct strv *env = &cfg->process.env;
        for (size_t i = 0; i < env->len; i++)
                print_value(out, key->name, env->items[i]);
        /* The default PATH is part of the effective environment. */
        if (find_assignment(env, "PATH=") < 0 &&
            !strcmp(container_path(&cfg->process), default_path))
                fprintf(out, "%s = PATH=%s\n", key->name, default_path);
}

static void print_env_keep(const struct config *cfg, const struct key_def *key, FILE *out)
{
        for (size_t i = 0; i < cfg->process.env_keep.len; i++)
                print_value(out, key->name, cfg->process.env_keep.items[i]);
}

static void print_hostname(const struct config *cfg, const struct key_def *key, FILE *out)
{
        if (cfg->process.hostname)
                print_value(out, key->name, cfg->process.hostname);
        else
                fprintf(out, "; %s: not set (%s)\n", key->name,
                        cfg->ns.uts ? "the host's name, in a new uts namespace" : "the host's");
}

static void print_umask(const struct config *cfg, const struct key_def *key, FILE *out)
{
        mode_t mask = cfg->process.umask;
        if (!cfg->process.umask_set) {
                mask = umask(0); /* reading the umask means setting it: put it back */
                umask(mask);
        }
        fprintf(out, "%s = %04o\n", key->name, (unsigned)mask);
}

static const struct key_def process_keys[] = {
    {"command", 0, parse_command, print_command, 0},
    {"args", KEY_RAW, parse_args, print_args, 0},
    {"cwd", 0, parse_cwd, print_cwd, 0},
    {"env", KEY_REPEATABLE, parse_env, print_env, 0},
    {"env_keep", KEY_REPEATABLE, parse_env_keep, print_env_keep, 0},
    {"hostname", 0, parse_hostname, print_hostname, 0},
    {"umask", 0, parse_umask_key, print_umask, 0},
};

/* ---- validation ---- */

void process_set_cli_command(struct process_config *p, char **argv)
{
        for (; *argv; argv++)
                strv_push(&p->cli_argv, xstrdup(*argv));
}

static bool env_keep_matches(const struct strv *keep, const char *entry)
{
        size_t name_len = strcspn(entry, "=");
        for (size_t i = 0; i < keep->len; i++) {
                const char *pattern = keep->items[i];
                size_t len = strlen(pattern);
                if (pattern[len - 1] == '*'
                        ? !strncmp(entry, pattern, len - 1) && name_len >= len - 1
                        : len == name_len && !strncmp(entry, pattern, len))
                        return true;
        }
        return false;
}

/* The command's environment: kept caller variables, then explicit ones (which
 * win), then a standard PATH if neither gave one, and HOME when [mounts]
 * home = true bound it. Nothing else passes. */
static void build_environment(struct process_config *p, const char *bound_home)
{
        for (char **e = environ; *e; e++)
                if (strchr(*e, '=') && env_keep_matches(&p->env_keep, *e) &&
                    find_assignment(&p->env, *e) < 0)
                        strv_push(&p->envp, xstrdup(*e));
        for (size_t i = 0; i < p->env.len; i++)
                strv_push(&p->envp, xstrdup(p->env.items[i]));
        if (find_assignment(&p->envp, "PATH=") < 0)
                strv_push(&p->envp, xasprintf("PATH=%s", default_path));
        if (bound_home && find_assignment(&p->envp, "HOME=") < 0)
                strv_push(&p->envp, xasprintf("HOME=%s", bound_home));
}

static bool build_argv(struct config *cfg, struct diag *d)
{
        struct process_config *p = &cfg->process;
        if (p->cli_argv.len) {
                for (size_t i = 0; i < p->cli_argv.len; i++)
                        strv_push(&p->argv, xstrdup(p->cli_argv.items[i]));
                return true;
        }
        if (!p->command) {
                if (p->args_set)
                        return diag_error_at(d, p->args_loc, "process", "args",
                                             "args without a command");
                return diag_error_at(d, (struct loc){cfg->manifest_path, 0}, "process", "command",
                                     "missing: set it in the manifest or give the command "
                                     "after --");
        }
        strv_push(&p->argv, xstrdup(p->command));
        for (size_t i = 0; i < p->args.len; i++)
                strv_push(&p->argv, xstrdup(p->args.items[i]));
        return true;
}

/* Opens path as the container will see it: relative to the rootfs, with
 * symlinks and ".." resolved inside it. */
static int open_in_rootfs(const struct config *cfg, const char *path, int flags)
{
        struct open_how how = {.flags = (uint64_t)(flags | O_PATH | O_CLOEXEC),
                               .resolve = RESOLVE_IN_ROOT};
        return (int)syscall(SYS_openat2, cfg->rootfs.fd, path, &how, sizeof(how));
}

static bool check_cwd(const struct config *cfg, struct diag *d)
{
        const struct process_config *p = &cfg->process;
        int fd = open_in_rootfs(cfg, p->cwd, O_DIRECTORY);
        if (fd >= 0) {
                close(fd);
                return true;
        }
        if (errno == ENOSYS)
                return true; /* pre-5.6 kernel: the container's chdir will tell */
        struct loc loc = p->cwd_loc.file ? p->cwd_loc : (struct loc){cfg->manifest_path, 0};
        return diag_error_at(d, loc, "process", "cwd", "%s: %s inside the rootfs", p->cwd,
                             errno == ENOTDIR ? "not a directory" : strerror(errno));
}

/* --check only: finds the command the way exec will, without executing it. */
static bool check_command(const struct config *cfg, struct diag *d)
{
        const struct process_config *p = &cfg->process;
        const char *cmd = p->argv.items[0];
        struct loc loc = p->cli_argv.len ? (struct loc){"command line", 0} : p->command_loc;
        char candidate[PATH_MAX];
        const char *path = strchr(cmd, '/') ? "" : container_path(p);
        bool found = false;
        do {
                size_t dir_len = strcspn(path, ":");
                snprintf(candidate, sizeof(candidate), "%.*s%s%s", (int)dir_len, path,
                         dir_len ? "/" : "", cmd);
                int fd = open_in_rootfs(cfg, candidate, 0);
                struct stat st;
                if (fd >= 0 && fstat(fd, &st) == 0) {
                        close(fd);
                        found = true;
                        if (S_ISREG(st.st_mode) && (st.st_mode & 0111))
                                return true;
                }
                path += dir_len + (path[dir_len] == ':');
        } while (*path);
        if (found)
                return diag_error_at(d, loc, "process", "command",
                                     "\"%s\" is not an executable file in the rootfs", cmd);
        return diag_error_at(d, loc, "process", "command", "\"%s\" not found in the rootfs%s%s",
                             cmd, strchr(cmd, '/') ? "" : " along PATH ",
                             strchr(cmd, '/') ? "" : container_path(p));
}

static bool validate_process(struct config *cfg, struct diag *d)
{
        struct process_config *p = &cfg->process;
        bool ok = build_argv(cfg, d);
        build_environment(p, cfg->mounts.home ? getenv("HOME") : NULL);
        if (p->hostname && !cfg->ns.uts)
                ok = diag_error_at(d, p->hostname_loc, "process", "hostname",
                                   "needs a uts namespace ([namespaces] uts = true)");
        /* In mount mode cwd may lie in a mount made at launch: checked then. */
        if (cfg->rootfs.fd >= 0 && !cfg->mounts.enabled) {
                ok = check_cwd(cfg, d) && ok;
                if (ok && cfg->check_only)
                        ok = check_command(cfg, d);
        }
        return ok;
}

const struct section_def process_section = {"process", process_keys, ARRAY_SIZE(process_keys),
                                            validate_process};

void process_config_free(struct process_config *p)
{
        free(p->command);
        free(p->cwd);
        free(p->hostname);
        strv_free(&p->args);
        strv_free(&p->cli_argv);
        strv_free(&p->env);
        strv_free(&p->env_keep);
        strv_free(&p->argv);
        strv_free(&p->envp);
}

/* ---- the last steps before exec ---- */

void process_new_session(void)
{
        if (setsid() < 0)
                fail(EXIT_QRUN_FAILED, "process", errno, "unable to start a new session");
}

void process_apply_umask(const struct process_config *p)
{
        if (p->umask_set)
                umask(p->umask);
}

void process_set_no_new_privs(void)
{
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                fail(EXIT_QRUN_FAILED, "process", errno, "unable to set no_new_privs");
}

void process_sanitize_fds(void)
{
        for (int fd = 0; fd < 3; fd++) {
                if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
                        continue;
                int null = open("/dev/null", O_RDWR); /* takes the lowest free number: fd */
                if (null != fd)
                        die("process", errno, "descriptor %d is closed and /dev/null is unusable",
                            fd);
        }
        /* A leaked directory descriptor would lead out of the chroot (fchdir). */
        if (syscall(SYS_close_range, 3u, ~0u, 0u) == 0)
                return;
        long max = sysconf(_SC_OPEN_MAX);
        for (int fd = 3; fd < max; fd++)
                close(fd);
}

void process_close_extra_fds(void)
{
        /* Close-on-exec rather than close: the error pipe must work until exec. */
        if (syscall(SYS_close_range, 3u, ~0u, CLOSE_RANGE_CLOEXEC) == 0)
                return;
        long max = sysconf(_SC_OPEN_MAX);
        for (int fd = 3; fd < max; fd++)
                fcntl(fd, F_SETFD, FD_CLOEXEC);
}

/* The exit status for a failed execve, as shells report it. */
static int exec_failure_status(int err)
{
        return err == ENOENT || err == ENOTDIR ? EXIT_NOT_FOUND : EXIT_NOT_EXECUTABLE;
}

_Noreturn static void exec_failed(const char *what, int err)
{
        if (err == ENOENT && access(what, F_OK) == 0)
                fail(EXIT_NOT_FOUND, "exec", err,
                     "%s exists but its interpreter or dynamic loader is missing in the rootfs",
                     what);
        /* access() checks only the file's mode: when it says yes, the refusal
         * came from Landlock (which access() does not consult) or a mount. */
        struct stat st;
        if (err == EACCES && stat(what, &st) == 0 && S_ISREG(st.st_mode) && access(what, X_OK) == 0)
                fail(EXIT_NOT_EXECUTABLE, "exec", err,
                     "%s (its mode allows it: outside the [landlock] exec paths, or on a "
                     "noexec mount)",
                     what);
        fail(exec_failure_status(err), "exec", err, "%s", what);
}

void process_exec(const struct process_config *p)
{
        char *const *argv = p->argv.items;
        char *const *envp = p->envp.items;
        const char *cmd = argv[0];
        if (strchr(cmd, '/')) {
                execve(cmd, argv, envp);
                exec_failed(cmd, errno);
        }
        /* PATH search as execvp does it, in the container's PATH; remembers the
         * first "found but not executable" so that it wins over "not found". */
        const char *path = container_path(p);
        char candidate[PATH_MAX];
        int first_error = 0;
        char first_path[PATH_MAX] = "";
        do {
                size_t dir_len = strcspn(path, ":");
                int n = snprintf(candidate, sizeof(candidate), "%.*s%s%s", (int)dir_len, path,
                                 dir_len ? "/" : "", cmd);
                if (n > 0 && (size_t)n < sizeof(candidate)) {
                        execve(candidate, argv, envp);
                        if (errno != ENOENT && errno != ENOTDIR && !first_error) {
                                first_error = errno;
                                snprintf(first_path, sizeof(first_path), "%s", candidate);
                        }
                }
                path += dir_len + (path[dir_len] == ':');
        } while (*path);
        if (first_error)
                exec_failed(first_path, first_error);
        fail(EXIT_NOT_FOUND, "exec", 0, "%s: command not found in PATH %s", cmd, container_path(p));
}

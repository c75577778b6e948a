#define _GNU_SOURCE
#include "process.h"
#include "config.h"
#include "paths.h"
#include "manifest.h"
#include "values.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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

static bool check_command(const char *value, struct diag *d)
{
        if (!*value)
                return diag_error(d, "empty command");
        if (value[0] != '/' && strchr(value, '/'))
                return diag_error(d,
                                  "\"%s\" must be an absolute path or a name to look up in "
                                  "PATH",
                                  value);
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
        return true;
}

ssize_t process_env_find(const struct strv *v, const char *assignment)
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
        ssize_t existing = process_env_find(env, value);
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

static bool check_env_keep(const char *value, struct diag *d)
{
        size_t len = strlen(value);
        bool prefix = len > 1 && value[len - 1] == '*';
        if (!is_env_name(value, prefix ? len - 1 : len))
                return diag_error(d,
                                  "expected a variable name or a prefix such as SLURM_*, "
                                  "got \"%s\"",
                                  value);
        return true;
}

/* keep_fds = N...: descriptor numbers from 3 up (0, 1 and 2 always pass). */
static bool parse_keep_fds(struct config *cfg, const struct key_def *key, const char *value,
                           struct diag *d)
{
        (void)key;
        struct strv words = {0};
        bool ok = split_words(d, value, &words);
        struct process_config *p = &cfg->process;
        free(p->keep_fds);
        p->keep_fds = xmalloc((words.len + 1) * sizeof(*p->keep_fds));
        p->nkeep_fds = 0;
        for (size_t i = 0; ok && i < words.len; i++) {
                uint64_t fd;
                ok = parse_number(d, words.items[i], INT_MAX, &fd);
                if (ok && fd < 3)
                        ok = diag_error(d,
                                        "%s: 0, 1 and 2 are always kept; name descriptors "
                                        "from 3 up",
                                        words.items[i]);
                if (ok)
                        p->keep_fds[p->nkeep_fds++] = (int)fd;
        }
        if (ok && !words.len)
                ok = diag_error(d, "expected descriptor numbers, got \"%s\"", value);
        strv_free(&words);
        return ok;
}

static void print_keep_fds(const struct config *cfg, const struct key_def *key, FILE *out)
{
        const struct process_config *p = &cfg->process;
        if (!p->nkeep_fds)
                return;
        fprintf(out, "%s =", key->name);
        for (size_t i = 0; i < p->nkeep_fds; i++)
                fprintf(out, " %d", p->keep_fds[i]);
        fputc('\n', out);
}

static const char *const env_preset_names[] = {"none", "hpc", NULL};

/* env_preset = hpc: what batch systems, process managers and MPI libraries
 * hand their ranks. */
static const char *const hpc_preset[] = {
    "SLURM_*", "SLURMD_*", "SRUN_*",  "SBATCH_*", "SALLOC_*", "PMIX_*", "PMI_*",  "PMI2_*",
    "OMPI_*",  "OPAL_*",   "PRTE_*",  "ORTE_*",   "UCX_*",    "FI_*",   "PSM2_*", "I_MPI_*",
    "MPICH_*", "HYDRA_*",  "HWLOC_*", "OMP_*",    "HOME",     NULL,
};

static bool check_hostname(const char *value, struct diag *d)
{
        size_t len = strlen(value);
        if (len == 0 || len > 64 ||
            strspn(value, "abcdefghijklmnopqrstuvwxyz"
                          "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.") != len)
                return diag_error(d, "expected 1 to 64 letters, digits, '-' or '.', got \"%s\"",
                                  value);
        return true;
}

/* The PATH the command is looked up in: the container's environment's. */
static const char *container_path(const struct process_config *p)
{
        ssize_t i = process_env_find(&p->envp, "PATH=");
        return i >= 0 ? p->envp.items[i] + 5 : default_path;
}

/* -- printers: what --check shows is the resolved command line and environment -- */

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
        if (process_env_find(env, "PATH=") < 0 &&
            !strcmp(container_path(&cfg->process), default_path))
                fprintf(out, "%s = PATH=%s\n", key->name, default_path);
}

static void print_env_defaults(const struct config *cfg, const struct key_def *key, FILE *out)
{
        const struct process_config *p = &cfg->process;
        print_bool(out, key->name, p->env_defaults);
        if (!p->env_defaults)
                return;
        const char *name = cfg->user.name ? cfg->user.name : "(not set: no name)";
        fprintf(out,
                "; kept: TERM COLORTERM LANG LANGUAGE LC_* TZ; unless env sets them: HOME=%s "
                "USER=%s LOGNAME=%s\n",
                cfg->user.home ? cfg->user.home : "/", name, name);
}

static void print_hostname(const struct config *cfg, const struct key_def *key, FILE *out)
{
        if (cfg->process.hostname)
                print_value(out, key->name, cfg->process.hostname);
        else
                fprintf(out, "; %s: not set (%s)\n", key->name,
                        cfg->ns.uts ? "the host's name, in a new uts namespace" : "the host's");
}

static const struct key_def process_keys[] = {
    {"command", KEY_STRING, .offset = CFG(process.command), .loc = CFG(process.command_loc),
     .check = check_command, .print = print_command},
    {"args", KEY_CUSTOM, KEY_RAW, .loc = CFG(process.args_loc), .parse = parse_args,
     .print = print_args},
    {"cwd", KEY_INSIDE_PATH, .offset = CFG(process.cwd), .loc = CFG(process.cwd_loc),
     .print = print_cwd},
    {"env", KEY_CUSTOM, KEY_REPEATABLE, .parse = parse_env, .print = print_env},
    {"env_keep", KEY_LIST, KEY_REPEATABLE, CFG(process.env_keep), .check = check_env_keep},
    {"env_defaults", KEY_BOOL, .offset = CFG(process.env_defaults), .print = print_env_defaults},
    {"env_preset", KEY_ENUM, .offset = CFG(process.env_preset), .loc = CFG(process.env_preset_loc),
     .names = env_preset_names},
    {"keep_fds", KEY_CUSTOM, .loc = CFG(process.keep_fds_loc), .parse = parse_keep_fds,
     .print = print_keep_fds},
    {"hostname", KEY_STRING, .offset = CFG(process.hostname), .loc = CFG(process.hostname_loc),
     .check = check_hostname, .print = print_hostname},
    {"umask", KEY_UMASK, .offset = CFG(process.umask), .loc = CFG(process.umask_loc)},
};

/* ---- validation ---- */

static bool validate_process(const struct config *cfg, struct diag *d)
{
        const struct process_config *p = &cfg->process;
        bool ok = true;
        if (!p->cli_argv.len && !p->command && p->args_loc.file && !p->per_task)
                ok = diag_error_at(d, p->args_loc, "args without a command");
        else if (!p->cli_argv.len && !p->command && !p->per_task)
                ok = diag_error_at(d, (struct loc){cfg->manifest_path, 0, "process", "command"},
                                   "missing: set it in the manifest or give the command after "
                                   "--");
        if (p->hostname && !cfg->ns.uts)
                ok = diag_error_at(d, p->hostname_loc,
                                   "needs a uts namespace ([namespaces] uts = true)");
        return ok;
}

const struct section_def process_section = {"process", process_keys, ARRAY_SIZE(process_keys),
                                            validate_process};

void process_config_free(struct process_config *p)
{
        /* command, cwd, hostname and env_keep are the key table's (config_free) */
        strv_free(&p->args);
        strv_free(&p->cli_argv);
        strv_free(&p->env);
        strv_free(&p->argv);
        strv_free(&p->envp);
        free(p->keep_fds);
        p->keep_fds = NULL;
        p->nkeep_fds = 0;
}

/* ---- resolving ---- */

void process_set_cli_command(struct process_config *p, char **argv)
{
        for (; *argv; argv++)
                strv_push(&p->cli_argv, xstrdup(*argv));
}

bool process_build_argv(struct config *cfg, struct diag *d)
{
        (void)d; /* validation reported a missing command */
        struct process_config *p = &cfg->process;
        const struct strv *from = p->cli_argv.len ? &p->cli_argv : &p->args;
        if (!p->cli_argv.len) {
                if (!p->command)
                        return p->per_task; /* validation reported it otherwise */
                strv_push(&p->argv, xstrdup(p->command));
        }
        for (size_t i = 0; i < from->len; i++)
                strv_push(&p->argv, xstrdup(from->items[i]));
        return true;
}

/* What every peer passes on: the terminal's type and the locale. */
static const char *const default_kept[] = {"TERM", "COLORTERM", "LANG", "LANGUAGE",
                                           "LC_*", "TZ",        NULL};

static bool pattern_matches(const char *pattern, const char *entry)
{
        size_t name_len = strcspn(entry, "="), len = strlen(pattern);
        return pattern[len - 1] == '*' ? !strncmp(entry, pattern, len - 1) && name_len >= len - 1
                                       : len == name_len && !strncmp(entry, pattern, len);
}

/* entry matches one of the NULL-terminated patterns. */
static bool matches_any(const char *const *patterns, const char *entry)
{
        for (size_t i = 0; patterns[i]; i++)
                if (pattern_matches(patterns[i], entry))
                        return true;
        return false;
}

static bool is_kept(const struct process_config *p, const char *entry)
{
        for (size_t i = 0; i < p->env_keep.len; i++)
                if (pattern_matches(p->env_keep.items[i], entry))
                        return true;
        return (p->env_defaults && matches_any(default_kept, entry)) ||
               (p->env_preset == ENV_PRESET_HPC && matches_any(hpc_preset, entry));
}

/* NAME=value unless something set NAME already. */
static void set_default(struct strv *envp, const char *name, const char *value)
{
        char *entry = xasprintf("%s=%s", name, value);
        if (process_env_find(envp, entry) < 0)
                strv_push(envp, entry);
        else
                free(entry);
}

/* PMI_FD=N in the command's environment: the PMI-1/PMI-2 connection the
 * process manager (srun --mpi=pmi2, mpiexec.hydra) handed down; -1 if none. */
static int find_pmi_fd(const struct strv *envp)
{
        ssize_t i = process_env_find(envp, "PMI_FD=");
        if (i < 0)
                return -1;
        char *end;
        long fd = strtol(envp->items[i] + 7, &end, 10);
        return *end || end == envp->items[i] + 7 || fd < 3 || fd > INT_MAX ? -1 : (int)fd;
}

/* Kept caller variables, then explicit ones (which win), then a standard PATH
 * if neither gave one, then who the command runs as. Nothing else passes. */
void process_build_environment(struct process_config *p, const struct user_config *u,
                               bool home_bound)
{
        for (char **e = environ; *e; e++)
                if (strchr(*e, '=') && is_kept(p, *e) && process_env_find(&p->env, *e) < 0)
                        strv_push(&p->envp, xstrdup(*e));
        for (size_t i = 0; i < p->env.len; i++)
                strv_push(&p->envp, xstrdup(p->env.items[i]));
        set_default(&p->envp, "PATH", default_path);
        if ((p->env_defaults || home_bound) && u->home)
                set_default(&p->envp, "HOME", u->home);
        if (p->env_defaults && u->name) {
                set_default(&p->envp, "USER", u->name);
                set_default(&p->envp, "LOGNAME", u->name);
        }
        /* PMIx (pmix_home_directory) falls back on getpwuid(uid)->pw_dir
         * without checking for NULL, and an image seldom has an entry for
         * the user's uid (in chroot mode, or with passwd = false): without
         * HOME every rank died of SIGSEGV in MPI_Init. */
        if (p->env_preset == ENV_PRESET_HPC)
                set_default(&p->envp, "HOME", "/");
        p->pmi_fd = find_pmi_fd(&p->envp);
}

/* ---- checks against the rootfs ---- */

/* Where cwd came from: its line, or the manifest itself for the default. */
static struct loc cwd_loc(const struct config *cfg)
{
        const struct process_config *p = &cfg->process;
        return p->cwd_loc.file ? p->cwd_loc : (struct loc){cfg->manifest_path, 0, "process", "cwd"};
}

static bool check_cwd(const struct config *cfg, struct diag *d)
{
        const struct process_config *p = &cfg->process;
        int fd = path_open_in_root(cfg->rootfs.fd, p->cwd, O_DIRECTORY);
        if (fd >= 0) {
                close(fd);
                return true;
        }
        if (errno == ENOSYS)
                return true; /* pre-5.6 kernel: the container's chdir will tell */
        return diag_error_at(d, cwd_loc(cfg), "%s: %s inside the rootfs", p->cwd,
                             errno == ENOTDIR ? "not a directory" : strerror(errno));
}

/* 1: an executable file, 0: something else, -1: nothing there. */
static int probe_command(const struct config *cfg, const char *candidate)
{
        int fd = path_open_in_root(cfg->rootfs.fd, candidate, 0);
        struct stat st;
        if (fd < 0)
                return -1;
        int found = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111);
        close(fd);
        return found;
}

/* --check only: finds the command the way exec will, without executing it. */
static bool check_command_found(const struct config *cfg, struct diag *d)
{
        const struct process_config *p = &cfg->process;
        const char *cmd = p->argv.items[0];
        bool in_path = !strchr(cmd, '/');
        struct loc loc = p->cli_argv.len ? (struct loc){"command line", 0, "process", "command"}
                                         : p->command_loc;
        const char *list = in_path ? container_path(p) : "";
        char candidate[PATH_MAX];
        bool found = false;
        while (path_search_next(&list, cmd, candidate, sizeof(candidate))) {
                int probe = probe_command(cfg, candidate);
                if (probe > 0)
                        return true;
                found |= probe == 0;
        }
        if (found)
                return diag_error_at(d, loc, "\"%s\" is not an executable file in the rootfs", cmd);
        return diag_error_at(d, loc, "\"%s\" not found in the rootfs%s%s", cmd,
                             in_path ? " along PATH " : "", in_path ? container_path(p) : "");
}

bool process_check(const struct config *cfg, struct diag *d)
{
        /* In mount mode cwd may lie in a mount made at launch: checked then. */
        if (cfg->rootfs.fd < 0 || cfg->mounts.enabled)
                return true;
        if (!check_cwd(cfg, d))
                return false;
        return !cfg->check_only || !cfg->process.argv.len || check_command_found(cfg, d);
}

void process_enter_cwd(const struct config *cfg)
{
        if (chdir(cfg->process.cwd) < 0)
                fail_at(cwd_loc(cfg), errno, "%s", cfg->process.cwd);
}

/* ---- the last steps before exec ---- */

void process_apply_umask(const struct process_config *p)
{
        if (p->umask_loc.file)
                umask(p->umask);
}

void process_set_no_new_privs(void)
{
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                fail("process", errno, "prctl(PR_SET_NO_NEW_PRIVS)");
}

void process_sanitize_fds(void)
{
        for (int fd = 0; fd < 3; fd++) {
                if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
                        continue;
                int null = open("/dev/null", O_RDWR); /* takes the lowest free number: fd */
                if (null != fd)
                        fail("process", errno, "descriptor %d is closed and /dev/null is unusable",
                             fd);
        }
        /* None reaches the command (a directory would lead out of the chroot)
         * unless keep_fds or PMI_FD names it: known only once the manifest is
         * read, so close-on-exec now, and process_keep_fds() right before exec. */
        process_close_extra_fds();
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

/* A descriptor the command is to inherit: open, and not a directory. */
static bool check_kept_fd(int fd, struct loc loc, const char *what, struct diag *d)
{
        struct stat st;
        if (fstat(fd, &st) < 0)
                return diag_error_at(d, loc, "%s %d: %s", what, fd,
                                     errno == EBADF ? "not open (nothing was passed there)"
                                                    : strerror(errno));
        if (S_ISDIR(st.st_mode))
                return diag_error_at(
                    d, loc, "%s %d is a directory, which would lead out of the rootfs", what, fd);
        return true;
}

bool process_check_fds(const struct config *cfg, struct diag *d)
{
        const struct process_config *p = &cfg->process;
        bool ok = true;
        for (size_t i = 0; i < p->nkeep_fds; i++)
                ok = check_kept_fd(p->keep_fds[i], p->keep_fds_loc, "descriptor", d) && ok;
        if (p->pmi_fd >= 0)
                ok = check_kept_fd(p->pmi_fd, (struct loc){"environment", 0, NULL, NULL}, "PMI_FD",
                                   d) &&
                     ok;
        return ok;
}

void process_keep_fds(const struct process_config *p)
{
        for (size_t i = 0; i < p->nkeep_fds; i++)
                if (fcntl(p->keep_fds[i], F_SETFD, 0) < 0)
                        fail_at(p->keep_fds_loc, errno, "fcntl(F_SETFD) of descriptor %d",
                                p->keep_fds[i]);
        if (p->pmi_fd >= 0 && fcntl(p->pmi_fd, F_SETFD, 0) < 0)
                fail("process", errno, "fcntl(F_SETFD) of PMI_FD %d", p->pmi_fd);
}

/* The exit status for a failed execve, as shells report it. */
static int exec_failure_status(int err)
{
        return err == ENOENT || err == ENOTDIR ? EXIT_NOT_FOUND : EXIT_NOT_EXECUTABLE;
}

_Noreturn static void exec_failed(const char *what, int err)
{
        if (err == ENOENT && access(what, F_OK) == 0)
                fail_status(EXIT_NOT_FOUND, "exec", err,
                            "%s exists but its interpreter or dynamic loader is missing in the "
                            "rootfs",
                            what);
        /* access() checks only the file's mode: when it says yes, the refusal
         * came from Landlock (which access() does not consult) or a mount. */
        struct stat st;
        if (err == EACCES && stat(what, &st) == 0 && S_ISREG(st.st_mode) && access(what, X_OK) == 0)
                fail_status(EXIT_NOT_EXECUTABLE, "exec", err,
                            "%s (its mode allows it: outside the [landlock] exec paths, or on a "
                            "noexec mount)",
                            what);
        fail_status(exec_failure_status(err), "exec", err, "%s", what);
}

/* PATH search as execvp does it, in the container's PATH; remembers the
 * first "found but not executable" so that it wins over "not found". Its own
 * frame (noinline), buffers not zeroed, no snprintf in path_search_next: every
 * stack page the command's last steps touch is a page fault in every launch
 * (microseconds each on a paravirtualized guest). */
__attribute__((noinline)) _Noreturn static void exec_in_path(const struct process_config *p)
{
        char *const *argv = p->argv.items;
        const char *list = container_path(p);
        char candidate[PATH_MAX];
        int first_error = 0;
        char first_path[PATH_MAX];
        while (path_search_next(&list, argv[0], candidate, sizeof(candidate))) {
                execve(candidate, argv, p->envp.items);
                if (errno != ENOENT && errno != ENOTDIR && !first_error) {
                        first_error = errno;
                        memcpy(first_path, candidate, strlen(candidate) + 1);
                }
        }
        if (first_error)
                exec_failed(first_path, first_error);
        fail_status(EXIT_NOT_FOUND, "exec", 0, "%s: command not found in PATH %s", argv[0],
                    container_path(p));
}

void process_exec(const struct process_config *p)
{
        const char *cmd = p->argv.items[0];
        if (strchr(cmd, '/')) {
                execve(cmd, p->argv.items, p->envp.items);
                exec_failed(cmd, errno);
        }
        exec_in_path(p);
}

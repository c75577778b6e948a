#define _GNU_SOURCE
#include "landlock.h"
#include "common.h"
#include "config.h"
#include "errpipe.h"
#include "manifest.h"
#include "values.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The build's kernel headers (6.1) predate ABI 3; the UAPI values are stable,
 * so qrun carries its own copy and asks the running kernel what it knows. */
#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#define SYS_landlock_add_rule       445
#define SYS_landlock_restrict_self  446
#endif
#define LL_CREATE_RULESET_VERSION (1U << 0)
#define LL_RULE_PATH_BENEATH      1

#define LL_EXECUTE     (1ULL << 0)
#define LL_WRITE_FILE  (1ULL << 1)
#define LL_READ_FILE   (1ULL << 2)
#define LL_READ_DIR    (1ULL << 3)
#define LL_REMOVE_DIR  (1ULL << 4)
#define LL_REMOVE_FILE (1ULL << 5)
#define LL_MAKE_CHAR   (1ULL << 6)
#define LL_MAKE_DIR    (1ULL << 7)
#define LL_MAKE_REG    (1ULL << 8)
#define LL_MAKE_SOCK   (1ULL << 9)
#define LL_MAKE_FIFO   (1ULL << 10)
#define LL_MAKE_BLOCK  (1ULL << 11)
#define LL_MAKE_SYM    (1ULL << 12)
#define LL_REFER       (1ULL << 13) /* ABI 2 */
#define LL_TRUNCATE    (1ULL << 14) /* ABI 3 */
#define LL_IOCTL_DEV   (1ULL << 15) /* ABI 5 */

#define LL_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0) /* ABI 6 */
#define LL_SCOPE_SIGNAL               (1ULL << 1) /* ABI 6 */

struct ll_ruleset_attr {
        uint64_t handled_access_fs;
        uint64_t handled_access_net; /* ABI 4; qrun leaves the network alone */
        uint64_t scoped;             /* ABI 6 */
};

struct ll_path_beneath_attr {
        uint64_t allowed_access;
        int32_t parent_fd;
} __attribute__((packed));

/* Rights that only make sense on files; a rule on a file may hold no others. */
#define LL_FILE_RIGHTS (LL_EXECUTE | LL_WRITE_FILE | LL_READ_FILE | LL_TRUNCATE | LL_IOCTL_DEV)

#define LL_READ (LL_READ_FILE | LL_READ_DIR)
/* Creating devices is never granted: a user namespace cannot use them anyway. */
#define LL_WRITE                                                                                   \
        (LL_READ | LL_WRITE_FILE | LL_REMOVE_DIR | LL_REMOVE_FILE | LL_MAKE_DIR | LL_MAKE_REG |    \
         LL_MAKE_SOCK | LL_MAKE_FIFO | LL_MAKE_SYM | LL_REFER | LL_TRUNCATE | LL_IOCTL_DEV)
#define LL_EXEC (LL_READ | LL_EXECUTE)

uint64_t landlock_handled_rights(int abi)
{
        if (abi < 1)
                return 0;
        uint64_t rights = (LL_MAKE_SYM << 1) - 1; /* ABI 1: bits 0-12 */
        if (abi >= 2)
                rights |= LL_REFER;
        if (abi >= 3)
                rights |= LL_TRUNCATE;
        if (abi >= 5)
                rights |= LL_IOCTL_DEV;
        return rights;
}

uint64_t landlock_rights(enum landlock_grant grant, int abi, bool dir)
{
        static const uint64_t grants[GRANT_KINDS] = {LL_READ, LL_WRITE, LL_EXEC};
        uint64_t rights = grants[grant] & landlock_handled_rights(abi);
        return dir ? rights : rights & LL_FILE_RIGHTS;
}

/* The Landlock ABI of the running kernel, or -errno. */
static int landlock_abi(void)
{
        long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LL_CREATE_RULESET_VERSION);
        return abi < 0 ? -errno : (int)abi;
}

/* ---- [landlock] keys ---- */

static const char *const grant_names[GRANT_KINDS] = {"read", "write", "exec"};

static void enable(struct config *cfg, struct loc at)
{
        if (!cfg->landlock.enabled)
                cfg->landlock.section_loc = at;
        cfg->landlock.enabled = true;
}

/* read/write/exec = PATH [PATH...] (words, quoted as in [process] args) */
static bool parse_paths(struct config *cfg, const struct key_def *key, const char *value,
                        struct diag *d)
{
        enable(cfg, d->loc);
        struct strv words = {0};
        bool ok = split_words(d, value, &words);
        if (ok && words.len == 0)
                ok = diag_error(d, "expected one or more absolute paths");
        for (size_t i = 0; ok && i < words.len; i++)
                if (words.items[i][0] != '/')
                        ok = diag_error(d, "expected an absolute path, got \"%s\"", words.items[i]);
        struct landlock_config *l = &cfg->landlock;
        for (size_t i = 0; ok && i < words.len; i++) {
                l->rules = xrealloc(l->rules, (l->nrules + 1) * sizeof(*l->rules));
                l->rules[l->nrules++] = (struct landlock_rule){words.items[i], key->arg, d->loc};
                words.items[i] = NULL;
        }
        strv_free(&words);
        return ok;
}

static void print_paths(const struct config *cfg, const struct key_def *key, FILE *out)
{
        for (size_t i = 0; i < cfg->landlock.nrules; i++) {
                const struct landlock_rule *r = &cfg->landlock.rules[i];
                if (r->grant != (enum landlock_grant)key->arg)
                        continue;
                if (!r->path[strcspn(r->path, " \t\"'\\$")]) {
                        fprintf(out, "%s = %s\n", key->name, r->path);
                        continue;
                }
                char *word = quote_word(r->path);
                fprintf(out, "%s = %s\n", key->name, word);
                free(word);
        }
}

static bool parse_required(struct config *cfg, const struct key_def *key, const char *value,
                           struct diag *d)
{
        (void)key;
        enable(cfg, d->loc);
        return parse_bool(d, value, &cfg->landlock.required);
}

static void print_required(const struct config *cfg, const struct key_def *key, FILE *out)
{
        print_bool(out, key->name, cfg->landlock.required);
}

static const struct key_def landlock_keys[] = {
    {"read", KEY_REPEATABLE, parse_paths, print_paths, GRANT_READ},
    {"write", KEY_REPEATABLE, parse_paths, print_paths, GRANT_WRITE},
    {"exec", KEY_REPEATABLE, parse_paths, print_paths, GRANT_EXEC},
    {"required", 0, parse_required, print_required, 0},
};

/* ---- validation ---- */

/* A path must exist as the command will see it. In mount mode it may lie on
 * a mount made at launch: checked then. */
static bool check_path(const struct config *cfg, const struct landlock_rule *r, struct diag *d)
{
        if (cfg->mounts.enabled || cfg->rootfs.fd < 0)
                return true;
        struct open_how how = {.flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT};
        int fd = (int)syscall(SYS_openat2, cfg->rootfs.fd, r->path, &how, sizeof(how));
        if (fd < 0)
                return diag_error_at(d, r->loc, "landlock", grant_names[r->grant], "%s: %s",
                                     r->path, strerror(errno));
        close(fd);
        return true;
}

static bool validate_landlock(struct config *cfg, struct diag *d)
{
        struct landlock_config *l = &cfg->landlock;
        if (!l->enabled)
                return true;
        bool ok = true;
        for (size_t i = 0; i < l->nrules; i++)
                ok = check_path(cfg, &l->rules[i], d) && ok;
        int abi = landlock_abi();
        if (abi < 0 && l->required)
                ok = diag_error_at(d, l->section_loc, "landlock", "required",
                                   "Landlock is not available (%s): set required = false to run "
                                   "without it",
                                   abi == -EOPNOTSUPP ? "disabled at boot" : strerror(-abi));
        else if (abi < 0)
                report("landlock", 0,
                       "warning: Landlock is not available (%s); running without it, as "
                       "required = false allows",
                       abi == -EOPNOTSUPP ? "disabled at boot" : strerror(-abi));
        return ok;
}

static bool in_use(const struct config *cfg)
{
        return cfg->landlock.enabled;
}

const struct section_def landlock_section = {
    "landlock", landlock_keys, ARRAY_SIZE(landlock_keys), validate_landlock, enable, in_use};

void landlock_config_free(struct landlock_config *l)
{
        for (size_t i = 0; i < l->nrules; i++)
                free(l->rules[i].path);
        free(l->rules);
        *l = (struct landlock_config){.required = true};
}

/* ---- action ---- */

_Noreturn static void rule_failed(const struct landlock_rule *r, int err, const char *what)
{
        char where[512];
        fail(EXIT_QRUN_FAILED, NULL, err, "%s: [landlock] %s: %s%s",
             loc_format(r->loc, where, sizeof(where)), grant_names[r->grant], what, r->path);
}

static void add_rule(int ruleset, const struct landlock_rule *r, int abi)
{
        int fd = open(r->path, O_PATH | O_CLOEXEC);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0)
                rule_failed(r, errno, "");
        struct ll_path_beneath_attr attr = {landlock_rights(r->grant, abi, S_ISDIR(st.st_mode)),
                                            fd};
        if (syscall(SYS_landlock_add_rule, ruleset, LL_RULE_PATH_BENEATH, &attr, 0) < 0)
                rule_failed(r, errno, "unable to add a Landlock rule for ");
        close(fd);
}

void landlock_apply(const struct landlock_config *l)
{
        if (!l->enabled)
                return;
        uint64_t started = step_start();
        int abi = landlock_abi();
        if (abi < 0) /* validation reported it; required = false */
                return;
        struct ll_ruleset_attr attr = {
            .handled_access_fs = landlock_handled_rights(abi),
            .scoped = abi >= 6 ? LL_SCOPE_ABSTRACT_UNIX_SOCKET | LL_SCOPE_SIGNAL : 0,
        };
        /* Older kernels accept the larger struct as long as its tail is zero. */
        int ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
        if (ruleset < 0)
                fail(EXIT_QRUN_FAILED, "landlock", errno, "unable to create a ruleset (ABI %d)",
                     abi);
        for (size_t i = 0; i < l->nrules; i++)
                add_rule(ruleset, &l->rules[i], abi);
        if (syscall(SYS_landlock_restrict_self, ruleset, 0) < 0)
                fail(EXIT_QRUN_FAILED, "landlock", errno, "unable to restrict the command");
        close(ruleset);
        verbose_step("landlock", started, "ABI %d, %zu path rules%s", abi, l->nrules,
                     abi >= 6 ? ", abstract unix sockets and signals scoped" : "");
}

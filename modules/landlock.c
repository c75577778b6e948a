#define _GNU_SOURCE
#include "landlock.h"
#include "common.h"
#include "config.h"
#include "paths.h"
#include "manifest.h"
#include "values.h"

#include <errno.h>
#include <fcntl.h>
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

#define LL_NET_BIND_TCP    (1ULL << 0) /* ABI 4 */
#define LL_NET_CONNECT_TCP (1ULL << 1) /* ABI 4 */

#define LL_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0) /* ABI 6 */
#define LL_SCOPE_SIGNAL               (1ULL << 1) /* ABI 6 */

struct ll_ruleset_attr {
        uint64_t handled_access_fs;
        uint64_t handled_access_net; /* ABI 4; [landlock] leaves the network alone */
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

/* read/write/exec = PATH [PATH...] (words, quoted as in [process] args) */
static bool parse_paths(struct config *cfg, const struct key_def *key, const char *value,
                        struct diag *d)
{
        enum landlock_grant grant = GRANT_READ;
        while (strcmp(grant_names[grant], key->name))
                grant++;
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
                l->rules[l->nrules++] = (struct landlock_rule){words.items[i], grant, d->loc};
                words.items[i] = NULL;
        }
        strv_free(&words);
        return ok;
}

static void print_paths(const struct config *cfg, const struct key_def *key, FILE *out)
{
        for (size_t i = 0; i < cfg->landlock.nrules; i++) {
                const struct landlock_rule *r = &cfg->landlock.rules[i];
                if (strcmp(grant_names[r->grant], key->name))
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

static const struct key_def landlock_keys[] = {
    {"read", KEY_CUSTOM, KEY_REPEATABLE | KEY_RAW, .parse = parse_paths, .print = print_paths},
    {"write", KEY_CUSTOM, KEY_REPEATABLE | KEY_RAW, .parse = parse_paths, .print = print_paths},
    {"exec", KEY_CUSTOM, KEY_REPEATABLE | KEY_RAW, .parse = parse_paths, .print = print_paths},
    {"required", KEY_BOOL, .offset = CFG(landlock.required)},
};

/* ---- validation ---- */

static const char *unavailable_reason(int abi)
{
        return abi == -EOPNOTSUPP ? "disabled at boot" : strerror(-abi);
}

static bool validate_landlock(const struct config *cfg, struct diag *d)
{
        const struct landlock_config *l = &cfg->landlock;
        if (!l->enabled)
                return true;
        int abi = landlock_abi();
        if (abi < 0 && l->required)
                return diag_error_at(
                    d,
                    (struct loc){l->section_loc.file, l->section_loc.line, "landlock", "required"},
                    "Landlock is not available (%s): set required = false to run "
                    "without it",
                    unavailable_reason(abi));
        if (abi < 0)
                warn("landlock", 0,
                     "warning: Landlock is not available (%s); running without it, as required "
                     "= false allows",
                     unavailable_reason(abi));
        return true;
}

const struct section_def landlock_section = {
    "landlock",        landlock_keys,         ARRAY_SIZE(landlock_keys),
    validate_landlock, CFG(landlock.enabled), CFG(landlock.section_loc)};

void landlock_config_free(struct landlock_config *l)
{
        for (size_t i = 0; i < l->nrules; i++)
                free(l->rules[i].path);
        free(l->rules);
        *l = (struct landlock_config){.required = true};
}

/* ---- checks against the rootfs ---- */

bool landlock_check(const struct config *cfg, struct diag *d)
{
        /* In mount mode a path may lie on a mount made at launch: checked then. */
        if (!cfg->landlock.enabled || cfg->mounts.enabled || cfg->rootfs.fd < 0)
                return true;
        bool ok = true;
        for (size_t i = 0; i < cfg->landlock.nrules; i++) {
                const struct landlock_rule *r = &cfg->landlock.rules[i];
                int fd = path_open_in_root(cfg->rootfs.fd, r->path, 0);
                if (fd < 0)
                        ok = diag_error_at(d, r->loc, "%s: %s", r->path, strerror(errno));
                else
                        close(fd);
        }
        return ok;
}

/* ---- action ---- */

/* Adds the rule for the file or directory fd; -1 with errno. */
static int add_rule(int ruleset, int fd, enum landlock_grant grant, int abi)
{
        struct stat st;
        if (fstat(fd, &st) < 0)
                return -1;
        struct ll_path_beneath_attr attr = {landlock_rights(grant, abi, S_ISDIR(st.st_mode)), fd};
        return (int)syscall(SYS_landlock_add_rule, ruleset, LL_RULE_PATH_BENEATH, &attr, 0);
}

/* Every rule's path, opened as the command sees it, added to the ruleset. */
static void add_rules(int ruleset, const struct landlock_config *l, int abi)
{
        for (size_t i = 0; i < l->nrules; i++) {
                const struct landlock_rule *r = &l->rules[i];
                int fd = open(r->path, O_PATH | O_CLOEXEC);
                if (fd < 0)
                        fail_at(r->loc, errno, "%s", r->path);
                if (add_rule(ruleset, fd, r->grant, abi) < 0)
                        fail_at(r->loc, errno, "landlock_add_rule for %s", r->path);
                close(fd);
        }
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
                fail("landlock", errno, "landlock_create_ruleset (ABI %d)", abi);
        add_rules(ruleset, l, abi);
        if (syscall(SYS_landlock_restrict_self, ruleset, 0) < 0)
                fail("landlock", errno, "landlock_restrict_self");
        close(ruleset);
        verbose_step("landlock", started, "ABI %d, %zu path rules%s", abi, l->nrules,
                     abi >= 6 ? ", abstract unix sockets and signals scoped" : "");
}

int landlock_deny_all(int remove_in)
{
        int abi = landlock_abi();
        if (abi < 0)
                return errno = -abi, -1;
        struct ll_ruleset_attr attr = {
            .handled_access_fs = landlock_handled_rights(abi),
            .handled_access_net = abi >= 4 ? LL_NET_BIND_TCP | LL_NET_CONNECT_TCP : 0,
            .scoped = abi >= 6 ? LL_SCOPE_ABSTRACT_UNIX_SOCKET | LL_SCOPE_SIGNAL : 0,
        };
        int ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
        if (ruleset < 0)
                return -1;
        struct ll_path_beneath_attr remove = {LL_REMOVE_FILE, remove_in};
        long r = 0;
        if (remove_in >= 0)
                r = syscall(SYS_landlock_add_rule, ruleset, LL_RULE_PATH_BENEATH, &remove, 0);
        if (r == 0)
                r = syscall(SYS_landlock_restrict_self, ruleset, 0);
        close_keep_errno(ruleset);
        return r < 0 ? -1 : 0;
}

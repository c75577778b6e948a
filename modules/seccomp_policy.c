#define _GNU_SOURCE
#include "seccomp_policy.h"
#include "common.h"
#include "ini_file.h"
#include "values.h"

#include <ctype.h>
#include <errno.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- errno names: the values of the build's own libc (they differ by arch) ---- */

#define E(name)                                                                                    \
        {                                                                                          \
#name, name                                                                        \
        }
static const struct {
        const char *name;
        int value;
} errnos[] = {
    E(EPERM),
    E(ENOENT),
    E(ESRCH),
    E(EINTR),
    E(EIO),
    E(ENXIO),
    E(E2BIG),
    E(ENOEXEC),
    E(EBADF),
    E(ECHILD),
    E(EAGAIN),
    E(ENOMEM),
    E(EACCES),
    E(EFAULT),
    E(EBUSY),
    E(EEXIST),
    E(EXDEV),
    E(ENODEV),
    E(ENOTDIR),
    E(EISDIR),
    E(EINVAL),
    E(ENFILE),
    E(EMFILE),
    E(ENOTTY),
    E(ETXTBSY),
    E(EFBIG),
    E(ENOSPC),
    E(ESPIPE),
    E(EROFS),
    E(EMLINK),
    E(EPIPE),
    E(EDOM),
    E(ERANGE),
    E(EDEADLK),
    E(ENAMETOOLONG),
    E(ENOLCK),
    E(ENOSYS),
    E(ENOTEMPTY),
    E(ELOOP),
    E(ENOMSG),
    E(EIDRM),
    E(ENODATA),
    E(ETIME),
    E(ENOTSOCK),
    E(EDESTADDRREQ),
    E(EMSGSIZE),
    E(EPROTOTYPE),
    E(ENOPROTOOPT),
    E(EPROTONOSUPPORT),
    E(ESOCKTNOSUPPORT),
    E(EOPNOTSUPP),
    E(EPFNOSUPPORT),
    E(EAFNOSUPPORT),
    E(EADDRINUSE),
    E(EADDRNOTAVAIL),
    E(ENETDOWN),
    E(ENETUNREACH),
    E(ECONNABORTED),
    E(ECONNRESET),
    E(ENOBUFS),
    E(EISCONN),
    E(ENOTCONN),
    E(ETIMEDOUT),
    E(ECONNREFUSED),
    E(EHOSTUNREACH),
    E(EALREADY),
    E(EINPROGRESS),
    E(ESTALE),
    E(EDQUOT),
    E(ECANCELED),
    E(EOWNERDEAD),
    E(ENOTRECOVERABLE),
    E(ERFKILL),
    E(EHWPOISON),
    E(EOVERFLOW),
};
#undef E

int sc_errno_by_name(const char *name)
{
        for (size_t i = 0; i < ARRAY_SIZE(errnos); i++)
                if (!strcmp(errnos[i].name, name))
                        return errnos[i].value;
        return -1;
}

const char *sc_errno_name(int value)
{
        for (size_t i = 0; i < ARRAY_SIZE(errnos); i++)
                if (errnos[i].value == value)
                        return errnos[i].name;
        return NULL;
}

/* ---- actions ---- */

/* errno as a name (EPERM) or a number from 1 to 4095. */
static bool parse_errno(const char *s, size_t len, int *out)
{
        char buf[32];
        if (len == 0 || len >= sizeof(buf))
                return false;
        memcpy(buf, s, len);
        buf[len] = '\0';
        if (isdigit((unsigned char)buf[0])) {
                char *end;
                long v = strtol(buf, &end, 10);
                if (*end || v < 1 || v > SECCOMP_RET_DATA / 16) /* 4095: MAX_ERRNO */
                        return false;
                *out = (int)v;
                return true;
        }
        *out = sc_errno_by_name(buf);
        return *out > 0;
}

/* allow, log, kill_process and fake: the actions that are one word, the
 * same in [policy] values and as [syscalls] keys. fake makes the call return
 * 0 without doing anything (errno 0): root emulation for chown and set*id. */
static bool one_word_action(const char *word, uint32_t *action)
{
        static const struct {
                const char *word;
                uint32_t action;
        } actions[] = {{"allow", SECCOMP_RET_ALLOW},
                       {"log", SECCOMP_RET_LOG},
                       {"kill_process", SECCOMP_RET_KILL_PROCESS},
                       {"fake", SECCOMP_RET_ERRNO}};
        for (size_t i = 0; i < ARRAY_SIZE(actions); i++) {
                if (!strcmp(word, actions[i].word)) {
                        *action = actions[i].action;
                        return true;
                }
        }
        return false;
}

bool sc_parse_action(const char *text, uint32_t *action, struct diag *d)
{
        if (one_word_action(text, action))
                return true;
        if (!strncmp(text, "errno", 5) && (text[5] == ' ' || text[5] == '\t')) {
                const char *e = text + 5 + strspn(text + 5, " \t");
                int value;
                if (!parse_errno(e, strlen(e), &value))
                        return diag_error(d,
                                          "unknown errno \"%s\" (a name such as EPERM, or 1 "
                                          "to 4095)",
                                          e);
                *action = SECCOMP_RET_ERRNO | (uint32_t)value;
        } else {
                return diag_error(d,
                                  "expected an action: allow, log, kill_process, fake or "
                                  "errno NAME, got \"%s\"",
                                  text);
        }
        return true;
}

void sc_format_action(uint32_t action, char *buf, size_t size)
{
        uint32_t data = action & SECCOMP_RET_DATA;
        switch (action & SECCOMP_RET_ACTION_FULL) {
        case SECCOMP_RET_ALLOW:
                snprintf(buf, size, "allow");
                break;
        case SECCOMP_RET_LOG:
                snprintf(buf, size, "log");
                break;
        case SECCOMP_RET_KILL_PROCESS:
                snprintf(buf, size, "kill_process");
                break;
        case SECCOMP_RET_ERRNO: {
                const char *name = sc_errno_name((int)data);
                if (data == 0)
                        snprintf(buf, size, "fake");
                else if (name)
                        snprintf(buf, size, "errno %s", name);
                else
                        snprintf(buf, size, "errno %u", data);
                break;
        }
        default:
                snprintf(buf, size, "0x%08x", action);
        }
}

/* ---- conditions: argN:WIDTH OP VALUE | argN:WIDTH & MASK == VALUE ---- */

static const char *skip_blanks(const char *s)
{
        return s + strspn(s, " \t");
}

static bool read_number(const char **p, uint64_t *out)
{
        const char *s = *p;
        if (!isdigit((unsigned char)*s))
                return false;
        errno = 0;
        char *end;
        unsigned long long v =
            strtoull(s, &end, s[0] == '0' && (s[1] == 'x' || s[1] == 'X') ? 16 : 10);
        if (errno || end == s)
                return false;
        *out = v;
        *p = end;
        return true;
}

static bool read_op(const char **p, uint8_t *op)
{
        static const struct {
                const char *text;
                enum sc_op op;
        } ops[] = {{"==", SC_EQ}, {"!=", SC_NE}, {"<=", SC_LE},
                   {">=", SC_GE}, {"<", SC_LT},  {">", SC_GT}};
        for (size_t i = 0; i < ARRAY_SIZE(ops); i++) {
                size_t n = strlen(ops[i].text);
                if (!strncmp(*p, ops[i].text, n)) {
                        *op = (uint8_t)ops[i].op;
                        *p += n;
                        return true;
                }
        }
        return false;
}

static bool parse_cond(const char *text, size_t len, struct sc_cond *c, struct diag *d)
{
        char buf[128];
        if (len >= sizeof(buf))
                return diag_error(d, "condition too long: \"%.40s...\"", text);
        memcpy(buf, text, len);
        buf[len] = '\0';
        const char *p = skip_blanks(buf);
        uint64_t arg, width;
        if (strncmp(p, "arg", 3) || !isdigit((unsigned char)p[3]) || p[4] != ':')
                return diag_error(d, "expected a condition such as arg0:32 == 1, got \"%s\"",
                                  skip_blanks(buf));
        arg = (uint64_t)(p[3] - '0');
        p += 5;
        if (!read_number(&p, &width) || (width != 32 && width != 64))
                return diag_error(d, "argument width must be 32 or 64 in \"%s\"", skip_blanks(buf));
        if (arg > 5)
                return diag_error(d, "there are only arguments arg0 to arg5, got arg%llu",
                                  (unsigned long long)arg);
        *c = (struct sc_cond){.arg = (uint8_t)arg, .width = (uint8_t)width};
        p = skip_blanks(p);
        if (*p == '&') {
                p = skip_blanks(p + 1);
                if (!read_number(&p, &c->mask))
                        return diag_error(d, "expected a mask after & in \"%s\"", skip_blanks(buf));
                p = skip_blanks(p);
                if (strncmp(p, "==", 2))
                        return diag_error(d, "a masked comparison needs == in \"%s\"",
                                          skip_blanks(buf));
                p += 2;
                c->op = SC_MASKED_EQ;
        } else if (!read_op(&p, &c->op)) {
                return diag_error(d, "expected ==, !=, <, <=, >, >= or & MASK == in \"%s\"",
                                  skip_blanks(buf));
        }
        p = skip_blanks(p);
        if (!read_number(&p, &c->value) || *skip_blanks(p))
                return diag_error(d, "expected a number (decimal or 0x...) at the end of \"%s\"",
                                  skip_blanks(buf));
        uint64_t limit = width == 32 ? UINT32_MAX : UINT64_MAX;
        if (c->value > limit || c->mask > limit)
                return diag_error(d, "a value in \"%s\" does not fit in 32 bits", skip_blanks(buf));
        if (c->op == SC_MASKED_EQ && (c->value & ~c->mask))
                return diag_error(d, "\"%s\" can never hold (the value has bits outside the mask)",
                                  skip_blanks(buf));
        return true;
}

/* ---- [syscalls] lines ---- */

struct loader {
        const struct sc_resolver *r;
        struct sc_policy *p;
        bool default_set;
        unsigned *decided_at; /* by number: the line of the first unconditional rule */
        size_t decided_cap;
};

/* Appends a copy of proto (with its conditions) for one call. */
static void add_rule(struct sc_policy *p, const struct sc_rule *proto, const struct sc_cond *conds,
                     const char *name, int nr)
{
        if (p->nrules == p->cap) {
                p->cap = p->cap ? p->cap * 2 : 64;
                p->rules = xrealloc(p->rules, p->cap * sizeof(*p->rules));
        }
        size_t conds_size = proto->ncond * sizeof(*conds), name_size = strlen(name) + 1;
        struct sc_rule *rule = xmalloc(sizeof(*rule) + conds_size + name_size);
        *rule = *proto;
        rule->nr = nr;
        memcpy(rule->cond, conds, conds_size);
        rule->name = memcpy((char *)rule->cond + conds_size, name, name_size);
        p->rules[p->nrules++] = rule;
}

/* A rule after an unconditional one for the same call never applies: say so
 * rather than let the file mislead its reader. Returns false for such a rule. */
static bool first_to_decide(struct loader *l, const char *name, int nr, bool unconditional,
                            struct diag *d)
{
        if ((size_t)nr >= l->decided_cap) {
                size_t cap = (size_t)nr * 2 + 64;
                l->decided_at = xrealloc(l->decided_at, cap * sizeof(*l->decided_at));
                memset(l->decided_at + l->decided_cap, 0,
                       (cap - l->decided_cap) * sizeof(*l->decided_at));
                l->decided_cap = cap;
        }
        unsigned *at = &l->decided_at[nr];
        if (*at)
                return diag_error_at(d, (struct loc){d->loc.file, d->loc.line, "syscalls", NULL},
                                     "%s: this rule never applies: line %u already decides every "
                                     "call to %s",
                                     name, *at, name);
        if (unconditional)
                *at = d->loc.line;
        return true;
}

/* Parses "COND && COND..." into conds; *n gets their number. */
static bool parse_conditions(const char *text, struct sc_cond *conds, unsigned *n, struct diag *d)
{
        const char *p = text;
        for (;;) {
                const char *next = strstr(p, "&&");
                size_t len = next ? (size_t)(next - p) : strlen(p);
                if (*n == SC_MAX_CONDS)
                        return diag_error(d, "at most %d conditions per rule", SC_MAX_CONDS);
                if (!parse_cond(p, len, &conds[(*n)++], d))
                        return false;
                if (!next)
                        return true;
                p = next + 2;
        }
}

static bool resolve(struct loader *l, const char *name, int *nr, struct diag *d)
{
        switch (l->r->resolve(l->r->ctx, name, nr)) {
        case SC_NAME_NATIVE:
                return true;
        case SC_NAME_FOREIGN:
                l->p->foreign_names++; /* another architecture's call: cannot happen here */
                return false;
        case SC_NAME_UNKNOWN:
                break;
        }
        const char *near = l->r->nearest ? l->r->nearest(l->r->ctx, name) : NULL;
        if (near)
                diag_error(d, "unknown system call \"%s\" (did you mean \"%s\"?)", name, near);
        else
                diag_error(d, "unknown system call \"%s\"", name);
        return false;
}

/* The action of a [syscalls] line: key is the action word, and an errno rule's
 * value starts with the errno. *names gets the rest of the value. */
static bool parse_rule_action(const char *key, const char *value, uint32_t *action,
                              const char **names, struct diag *d)
{
        *names = value;
        if (!strcmp(key, "errno")) {
                size_t len = strcspn(value, " \t");
                int e;
                if (!parse_errno(value, len, &e))
                        return diag_error(d,
                                          "unknown errno \"%.*s\" "
                                          "(a name such as EPERM, or 1 to 4095)",
                                          (int)len, value);
                *action = SECCOMP_RET_ERRNO | (uint32_t)e;
                *names = skip_blanks(value + len);
                return true;
        }
        if (one_word_action(key, action))
                return true;
        const char *keys[] = {"allow", "errno", "log", "kill_process", "fake"};
        const char *near = nearest_word(key, keys, ARRAY_SIZE(keys));
        if (near)
                return diag_error(d, "unknown action (did you mean \"%s\"?)", near);
        return diag_error(d, "unknown action (use allow, errno, log, kill_process or fake)");
}

/* The names of one line, where they stand in it. */
struct name_list {
        struct {
                const char *at;
                size_t len;
        } words[64];
        size_t n;
};

/* Splits "NAME... [if COND && ...]" into the names and the conditions, in one
 * pass over the words. */
static bool split_rule(const char *text, struct name_list *names, struct sc_cond *conds,
                       unsigned *ncond, struct diag *d)
{
        names->n = 0;
        const char *p = text;
        for (;;) {
                /* Scanned by hand: the words are short, and musl's strspn and
                 * strcspn build a table on every call (with them, parsing the
                 * default profile takes a third more instructions). */
                while (*p == ' ' || *p == '\t')
                        p++;
                const char *end = p;
                while (*end && *end != ' ' && *end != '\t')
                        end++;
                size_t len = (size_t)(end - p);
                if (!len)
                        return true;
                if (len == 2 && p[0] == 'i' && p[1] == 'f')
                        return parse_conditions(end, conds, ncond, d);
                if (names->n == ARRAY_SIZE(names->words))
                        return diag_error(d, "more than %zu names on one line",
                                          ARRAY_SIZE(names->words));
                names->words[names->n].at = p;
                names->words[names->n++].len = len;
                p = end;
        }
}

/* Adds proto for every name that is a call of this architecture and not
 * already decided by an earlier line; reports the others. */
static void add_rules_for_names(struct loader *l, const struct sc_rule *proto,
                                const struct sc_cond *conds, const struct name_list *names,
                                struct diag *d)
{
        for (size_t w = 0; w < names->n; w++) {
                const char *at = names->words[w].at;
                size_t len = names->words[w].len;
                char name[64];
                if (len >= sizeof(name)) {
                        diag_error(d, "unknown system call \"%.*s\" (too long for one)", (int)len,
                                   at);
                        continue;
                }
                memcpy(name, at, len);
                name[len] = '\0';
                int nr;
                if (!resolve(l, name, &nr, d) ||
                    !first_to_decide(l, name, nr, proto->ncond == 0, d))
                        continue;
                add_rule(l->p, proto, conds, name, nr);
        }
}

/* key is the action word; value is [ERRNO] NAME... [if COND && ...]. The rules
 * are added once the conditions are known to parse: a line whose conditions
 * are wrong adds nothing. */
static void parse_syscalls_line(struct loader *l, const char *key, const char *value,
                                struct diag *d)
{
        struct sc_rule proto = {.line = d->loc.line};
        const char *rest;
        struct sc_cond conds[SC_MAX_CONDS];
        struct name_list names;
        if (!parse_rule_action(key, value, &proto.action, &rest, d) ||
            !split_rule(rest, &names, conds, &proto.ncond, d))
                return;
        add_rules_for_names(l, &proto, conds, &names, d);
        if (names.n == 0)
                diag_error(d, "no system call names");
}

static bool on_section(void *ctx, const char *name, struct diag *d)
{
        (void)ctx;
        if (!strcmp(name, "policy") || !strcmp(name, "syscalls"))
                return true;
        return diag_error(d, "unknown section [%s] (a policy has [policy] and [syscalls])", name);
}

static void on_value(void *ctx, const char *section, const char *key, const char *value,
                     struct diag *d)
{
        struct loader *l = ctx;
        d->loc.section = section;
        d->loc.key = key;
        if (!strcmp(section, "syscalls")) {
                parse_syscalls_line(l, key, value, d);
        } else if (!strcmp(section, "policy")) {
                if (!strcmp(key, "default")) {
                        if (sc_parse_action(value, &l->p->default_action, d))
                                l->default_set = true;
                } else if (!strcmp(key, "unknown")) {
                        sc_parse_action(value, &l->p->unknown_action, d);
                } else {
                        diag_error(d, "unknown key (a policy has default and unknown)");
                }
        }
}

bool sc_policy_load(const char *path, const struct sc_resolver *r, struct sc_policy *p,
                    struct diag *d)
{
        unsigned errors_before = d->errors;
        *p = (struct sc_policy){.unknown_action = SECCOMP_RET_ERRNO | ENOSYS};
        struct loader l = {.r = r, .p = p};
        struct ini_file_handler h = {&l, "policy", on_section, on_value};
        if (!ini_file_parse(path, &h, d)) {
                free(l.decided_at);
                return false;
        }
        if (!l.default_set)
                diag_error_at(d, (struct loc){path, 0, "policy", "default"},
                              "missing: say what calls no rule decides get (such as errno "
                              "EPERM)");
        free(l.decided_at);
        return d->errors == errors_before;
}

void sc_policy_prepend(struct sc_policy *p, struct sc_policy *over)
{
        size_t n = over->nrules + p->nrules, kept = 0;
        struct sc_rule **rules = xmalloc((n ? n : 1) * sizeof(*rules));
        for (size_t i = 0; i < over->nrules; i++)
                rules[kept++] = over->rules[i];
        for (size_t i = 0; i < p->nrules; i++) {
                bool decided = false; /* by an unconditional rule of over's */
                for (size_t j = 0; j < over->nrules && !decided; j++)
                        decided = over->rules[j]->nr == p->rules[i]->nr && !over->rules[j]->ncond;
                if (decided)
                        free(p->rules[i]);
                else
                        rules[kept++] = p->rules[i];
        }
        free(p->rules);
        free(over->rules);
        p->rules = rules;
        p->nrules = p->cap = kept;
        over->rules = NULL;
        over->nrules = over->cap = 0;
}

void sc_policy_free(struct sc_policy *p)
{
        for (size_t i = 0; i < p->nrules; i++)
                free(p->rules[i]);
        free(p->rules);
        *p = (struct sc_policy){0};
}

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

bool sc_parse_action(const char *text, uint32_t *action, struct diag *d)
{
        if (!strcmp(text, "allow"))
                *action = SECCOMP_RET_ALLOW;
        else if (!strcmp(text, "log"))
                *action = SECCOMP_RET_LOG;
        else if (!strcmp(text, "kill_process"))
                *action = SECCOMP_RET_KILL_PROCESS;
        else if (!strncmp(text, "errno", 5) && (text[5] == ' ' || text[5] == '\t')) {
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
                                  "expected an action: allow, log, kill_process or errno "
                                  "NAME, got \"%s\"",
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
                if (name)
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
};

static struct sc_rule *add_rule(struct sc_policy *p)
{
        if (p->nrules == p->cap) {
                p->cap = p->cap ? p->cap * 2 : 64;
                p->rules = xrealloc(p->rules, p->cap * sizeof(*p->rules));
        }
        return &p->rules[p->nrules++];
}

/* Splits "NAMES if CONDS" and parses the conditions into rule. */
static bool parse_conditions(const char *conds, struct sc_rule *rule, struct diag *d)
{
        const char *p = conds;
        for (;;) {
                const char *and = strstr(p, "&&");
                size_t len = and? (size_t)(and-p) : strlen(p);
                if (rule->ncond == SC_MAX_CONDS)
                        return diag_error(d, "at most %d conditions per rule", SC_MAX_CONDS);
                if (!parse_cond(p, len, &rule->cond[rule->ncond++], d))
                        return false;
                if (!and)
                        return true;
                p = and+2;
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

/* key is the action word; value is [ERRNO] NAME... [if COND && ...]. */
static void parse_syscalls_line(struct loader *l, const char *key, const char *value,
                                struct diag *d)
{
        char action_text[64];
        const char *names = value;
        if (!strcmp(key, "errno")) {
                size_t len = strcspn(value, " \t");
                snprintf(action_text, sizeof(action_text), "errno %.*s", (int)len, value);
                names = skip_blanks(value + len);
        } else if (!strcmp(key, "allow") || !strcmp(key, "log") || !strcmp(key, "kill_process")) {
                snprintf(action_text, sizeof(action_text), "%s", key);
        } else {
                const char *keys[] = {"allow", "errno", "log", "kill_process"};
                const char *near = nearest_word(key, keys, ARRAY_SIZE(keys));
                if (near)
                        diag_error(d, "unknown action (did you mean \"%s\"?)", near);
                else
                        diag_error(d, "unknown action (use allow, errno, log or kill_process)");
                return;
        }
        struct sc_rule proto = {.line = d->loc.line};
        if (!sc_parse_action(action_text, &proto.action, d))
                return;
        /* " if " separates the names from the conditions. */
        const char *cond_text = NULL;
        size_t names_len = strlen(names);
        for (const char *p = names; (p = strstr(p, "if")); p += 2)
                if ((p == names || p[-1] == ' ' || p[-1] == '\t') &&
                    (p[2] == ' ' || p[2] == '\t')) {
                        names_len = (size_t)(p - names);
                        cond_text = p + 3;
                        break;
                }
        if (cond_text && !parse_conditions(cond_text, &proto, d))
                return;
        bool any = false;
        for (const char *p = names; p < names + names_len;) {
                p = skip_blanks(p);
                size_t len = strcspn(p, " \t");
                if (p + len > names + names_len)
                        len = (size_t)(names + names_len - p);
                if (!len)
                        break;
                char name[sizeof(((struct sc_rule *)0)->name)];
                any = true;
                if (len >= sizeof(name)) {
                        diag_error(d, "unknown system call \"%.*s\" (too long for one)", (int)len,
                                   p);
                        p += len;
                        continue;
                }
                memcpy(name, p, len);
                name[len] = '\0';
                p += len;
                int nr;
                if (!resolve(l, name, &nr, d))
                        continue;
                struct sc_rule *rule = add_rule(l->p);
                *rule = proto;
                rule->nr = nr;
                memcpy(rule->name, name, len + 1);
        }
        if (!any)
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
        d->section = section;
        d->key = key;
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

/* A rule after an unconditional one for the same call never applies: say so
 * rather than let the file mislead its reader. */
static int by_nr_then_line(const void *a, const void *b)
{
        const struct sc_rule *x = *(const struct sc_rule *const *)a;
        const struct sc_rule *y = *(const struct sc_rule *const *)b;
        if (x->nr != y->nr)
                return x->nr < y->nr ? -1 : 1;
        return x < y ? -1 : x > y;
}

static void report_dead_rules(const char *path, struct sc_policy *p, struct diag *d)
{
        const struct sc_rule **order = xmalloc(p->nrules * sizeof(*order));
        for (size_t i = 0; i < p->nrules; i++)
                order[i] = &p->rules[i];
        qsort(order, p->nrules, sizeof(*order), by_nr_then_line);
        for (size_t i = 1; i < p->nrules; i++) {
                const struct sc_rule *prev = order[i - 1];
                /* Rules of one call are in file order; find its first unconditional one. */
                for (size_t j = i; j > 0 && order[j - 1]->nr == order[i]->nr; j--)
                        if (order[j - 1]->ncond == 0) {
                                prev = order[j - 1];
                                diag_error_at(d, (struct loc){path, order[i]->line}, "syscalls",
                                              NULL,
                                              "%s: this rule never applies: line %u already "
                                              "decides every call to %s",
                                              order[i]->name, prev->line, prev->name);
                                break;
                        }
        }
        free(order);
}

bool sc_policy_load(const char *path, const struct sc_resolver *r, struct sc_policy *p,
                    struct diag *d)
{
        unsigned errors_before = d->errors;
        *p = (struct sc_policy){.unknown_action = SECCOMP_RET_ERRNO | ENOSYS};
        struct loader l = {.r = r, .p = p};
        struct ini_file_handler h = {&l, "policy", on_section, on_value};
        if (!ini_file_parse(path, &h, d))
                return false;
        if (!l.default_set)
                diag_error_at(d, (struct loc){path, 0}, "policy", "default",
                              "missing: say what calls no rule decides get (such as errno "
                              "EPERM)");
        report_dead_rules(path, p, d);
        return d->errors == errors_before;
}

void sc_policy_free(struct sc_policy *p)
{
        free(p->rules);
        *p = (struct sc_policy){0};
}

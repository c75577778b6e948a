#define _GNU_SOURCE
#include "resource_limits.h"
#include "common.h"
#include "config.h"
#include "errpipe.h"
#include "manifest.h"
#include "values.h"

#include <errno.h>
#include <string.h>
#include <sys/resource.h>

/* How each [limits] rlimit key reads its value. */
enum limit_unit { UNIT_COUNT, UNIT_BYTES, UNIT_SECONDS };

static const struct {
        int resource;
        enum limit_unit unit;
} rlimits[LIMIT_COUNT] = {
    [LIMIT_NOFILE] = {RLIMIT_NOFILE, UNIT_COUNT}, [LIMIT_NPROC] = {RLIMIT_NPROC, UNIT_COUNT},
    [LIMIT_AS] = {RLIMIT_AS, UNIT_BYTES},         [LIMIT_FSIZE] = {RLIMIT_FSIZE, UNIT_BYTES},
    [LIMIT_CPU] = {RLIMIT_CPU, UNIT_SECONDS},     [LIMIT_CORE] = {RLIMIT_CORE, UNIT_BYTES},
    [LIMIT_STACK] = {RLIMIT_STACK, UNIT_BYTES},
};

/* ---- [limits] keys ---- */

static bool parse_rlimit(struct config *cfg, const struct key_def *key, const char *value,
                         struct diag *d)
{
        struct limit_setting *l = &cfg->limits.rlimit[key->arg];
        uint64_t v = 0;
        bool unlimited = !strcmp(value, "unlimited");
        if (!unlimited) {
                switch (rlimits[key->arg].unit) {
                case UNIT_COUNT:
                        if (!parse_number(d, value, RLIM_INFINITY - 1, &v))
                                return false;
                        break;
                case UNIT_BYTES:
                        if (!parse_size(d, value, &v))
                                return false;
                        break;
                case UNIT_SECONDS:
                        if (!parse_duration_ms(d, value, &v))
                                return false;
                        if (v % 1000)
                                return diag_error(d,
                                                  "cpu time is counted in whole seconds, got "
                                                  "\"%s\"",
                                                  value);
                        v /= 1000;
                        break;
                }
                if (v >= RLIM_INFINITY)
                        return diag_error(d, "\"%s\" is too large (write unlimited)", value);
        }
        *l = (struct limit_setting){.set = true, .unlimited = unlimited, .value = v, .loc = d->loc};
        return true;
}

static void print_rlimit(const struct config *cfg, const struct key_def *key, FILE *out)
{
        const struct limit_setting *l = &cfg->limits.rlimit[key->arg];
        if (!l->set)
                fprintf(out, "; %s: not set (inherited)\n", key->name);
        else if (l->unlimited)
                fprintf(out, "%s = unlimited\n", key->name);
        else
                fprintf(out, "%s = %llu\n", key->name, (unsigned long long)l->value);
}

static bool parse_timeout(struct config *cfg, const struct key_def *key, const char *value,
                          struct diag *d)
{
        (void)key;
        uint64_t ms;
        if (!parse_duration_ms(d, value, &ms))
                return false;
        if (ms == 0)
                return diag_error(d, "must be longer than 0 (leave it out for no timeout)");
        cfg->limits.timeout_ms = ms;
        return true;
}

static void print_timeout(const struct config *cfg, const struct key_def *key, FILE *out)
{
        static const struct {
                uint64_t ms;
                const char *unit;
        } units[] = {{3600000, "h"}, {60000, "m"}, {1000, "s"}, {1, "ms"}};
        uint64_t ms = cfg->limits.timeout_ms;
        if (!ms) {
                fprintf(out, "; %s: none\n", key->name);
                return;
        }
        for (size_t i = 0; i < ARRAY_SIZE(units); i++)
                if (ms % units[i].ms == 0) {
                        fprintf(out, "%s = %llu%s\n", key->name,
                                (unsigned long long)(ms / units[i].ms), units[i].unit);
                        return;
                }
}

/* The rlimit keys come first, in LIMIT_* order: validation and limits_apply()
 * name a limit by limits_keys[index]. */
static const struct key_def limits_keys[] = {
    {"nofile", 0, parse_rlimit, print_rlimit, LIMIT_NOFILE},
    {"nproc", 0, parse_rlimit, print_rlimit, LIMIT_NPROC},
    {"as", 0, parse_rlimit, print_rlimit, LIMIT_AS},
    {"fsize", 0, parse_rlimit, print_rlimit, LIMIT_FSIZE},
    {"cpu", 0, parse_rlimit, print_rlimit, LIMIT_CPU},
    {"core", 0, parse_rlimit, print_rlimit, LIMIT_CORE},
    {"stack", 0, parse_rlimit, print_rlimit, LIMIT_STACK},
    {"timeout", 0, parse_timeout, print_timeout, 0},
};

/* An unprivileged process can lower its hard limits but never raise them:
 * say so now rather than fail inside the container. */
static bool validate_limits(struct config *cfg, struct diag *d)
{
        bool ok = true;
        for (int i = 0; i < LIMIT_COUNT; i++) {
                const struct limit_setting *l = &cfg->limits.rlimit[i];
                struct rlimit current;
                if (!l->set || getrlimit(rlimits[i].resource, &current) < 0 ||
                    current.rlim_max == RLIM_INFINITY)
                        continue;
                if (l->unlimited || l->value > current.rlim_max)
                        ok = diag_error_at(d, l->loc, "limits", limits_keys[i].name,
                                           "%s exceeds your hard limit of %llu, which an "
                                           "unprivileged process cannot raise",
                                           l->unlimited ? "unlimited" : "the value",
                                           (unsigned long long)current.rlim_max);
        }
        return ok;
}

const struct section_def limits_section = {"limits", limits_keys, ARRAY_SIZE(limits_keys),
                                           validate_limits};

/* ---- action ---- */

void limits_check_caller(void)
{
        struct rlimit nofile;
        if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < QRUN_MIN_NOFILE)
                die("limits", 0,
                    "the open-file limit (RLIMIT_NOFILE) is %llu; qrun needs at least %d "
                    "(ulimit -n %d)",
                    (unsigned long long)nofile.rlim_cur, QRUN_MIN_NOFILE, QRUN_MIN_NOFILE);
}

void limits_apply(const struct limits_config *l)
{
        for (int i = 0; i < LIMIT_COUNT; i++) {
                const struct limit_setting *s = &l->rlimit[i];
                if (!s->set)
                        continue;
                rlim_t v = s->unlimited ? RLIM_INFINITY : (rlim_t)s->value;
                struct rlimit rl = {v, v};
                if (setrlimit(rlimits[i].resource, &rl) < 0)
                        fail(EXIT_QRUN_FAILED, "limits", errno, "unable to set %s to %s",
                             limits_keys[i].name, s->unlimited ? "unlimited" : "the value");
        }
}

#define _GNU_SOURCE
#include "resource_limits.h"
#include "common.h"
#include "config.h"
#include "manifest.h"
#include "values.h"

#include <errno.h>
#include <string.h>
#include <sys/resource.h>

static const int resources[LIMIT_COUNT] = {
    [LIMIT_NOFILE] = RLIMIT_NOFILE, [LIMIT_NPROC] = RLIMIT_NPROC, [LIMIT_AS] = RLIMIT_AS,
    [LIMIT_FSIZE] = RLIMIT_FSIZE,   [LIMIT_CPU] = RLIMIT_CPU,     [LIMIT_CORE] = RLIMIT_CORE,
    [LIMIT_STACK] = RLIMIT_STACK,
};

/* ---- [limits] keys ---- */

#define RLIMIT_KEY(name, index, unit_)                                                             \
        {                                                                                          \
                name, KEY_LIMIT, .offset = CFG(limits.rlimit[index]),                              \
                                 .loc = CFG(limits.rlimit_loc[index]), .unit = unit_,              \
                                 .unset = "not set (inherited)"                                    \
        }

/* The rlimit keys come first, in LIMIT_* order: validation and limits_apply()
 * name a limit by limits_keys[index]. */
static const struct key_def limits_keys[] = {
    RLIMIT_KEY("nofile", LIMIT_NOFILE, UNIT_COUNT),
    RLIMIT_KEY("nproc", LIMIT_NPROC, UNIT_COUNT),
    RLIMIT_KEY("as", LIMIT_AS, UNIT_BYTES),
    RLIMIT_KEY("fsize", LIMIT_FSIZE, UNIT_BYTES),
    RLIMIT_KEY("cpu", LIMIT_CPU, UNIT_SECONDS),
    RLIMIT_KEY("core", LIMIT_CORE, UNIT_BYTES),
    RLIMIT_KEY("stack", LIMIT_STACK, UNIT_BYTES),
    {"timeout", KEY_DURATION, KEY_NONZERO, CFG(limits.timeout_ms), CFG(limits.timeout_loc),
     .hint = "leave it out for no timeout", .unset = "none"},
};

/* An unprivileged process can lower its hard limits but never raise them:
 * say so now rather than fail inside the container. */
static bool validate_limits(const struct config *cfg, struct diag *d)
{
        bool ok = true;
        for (int i = 0; i < LIMIT_COUNT; i++) {
                const struct limit_value *l = &cfg->limits.rlimit[i];
                struct rlimit current;
                if (!cfg->limits.rlimit_loc[i].file || getrlimit(resources[i], &current) < 0 ||
                    current.rlim_max == RLIM_INFINITY)
                        continue;
                if (l->unlimited || l->value > current.rlim_max)
                        ok = diag_error_at(d, cfg->limits.rlimit_loc[i],
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
                fail("limits", 0,
                     "the open-file limit (RLIMIT_NOFILE) is %llu; qrun needs at least %d "
                     "(ulimit -n %d)",
                     (unsigned long long)nofile.rlim_cur, QRUN_MIN_NOFILE, QRUN_MIN_NOFILE);
}

void limits_apply(const struct limits_config *l)
{
        for (int i = 0; i < LIMIT_COUNT; i++) {
                const struct limit_value *s = &l->rlimit[i];
                if (!l->rlimit_loc[i].file)
                        continue;
                rlim_t v = s->unlimited ? RLIM_INFINITY : (rlim_t)s->value;
                struct rlimit rl = {v, v};
                if (setrlimit(resources[i], &rl) < 0)
                        fail_at(l->rlimit_loc[i], errno, "setrlimit to %s",
                                s->unlimited ? "unlimited" : "the value");
        }
}

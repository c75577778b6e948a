#define _GNU_SOURCE
#include "seccomp.h"
#include "common.h"
#include "config.h"
#include "manifest.h"
#include "seccomp_tables.h"
#include "values.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* ---- the embedded name table ---- */

static enum sc_name_kind resolve_embedded(void *ctx, const char *name, int *nr)
{
        (void)ctx;
        unsigned mask = sc_name_hash_size - 1;
        for (unsigned h = sc_name_hash_of(name) & mask; sc_name_hash[h]; h = (h + 1) & mask) {
                const struct sc_syscall_name *e = &sc_names[sc_name_hash[h] - 1];
                if (!strcmp(e->name, name)) {
                        *nr = e->nr;
                        return e->nr >= 0 ? SC_NAME_NATIVE : SC_NAME_FOREIGN;
                }
        }
        return SC_NAME_UNKNOWN;
}

static const char *nearest_embedded(void *ctx, const char *name)
{
        (void)ctx;
        const char **all = xmalloc(sc_name_count * sizeof(*all));
        for (unsigned i = 0; i < sc_name_count; i++)
                all[i] = sc_names[i].name;
        const char *near = nearest_word(name, all, sc_name_count);
        free(all);
        return near;
}

static const struct sc_resolver embedded_resolver = {resolve_embedded, nearest_embedded, NULL};

static const char *name_of(int nr)
{
        if (nr < 0)
                return NULL; /* -1 marks the calls of other architectures */
        for (unsigned i = 0; i < sc_name_count; i++)
                if (sc_names[i].nr == nr)
                        return sc_names[i].name;
        return NULL;
}

static const struct sc_builtin_profile *find_builtin(const char *name)
{
        for (unsigned i = 0; i < sc_builtin_count; i++)
                if (!strcmp(sc_builtins[i].name, name))
                        return &sc_builtins[i];
        return NULL;
}

bool seccomp_compile_file(const char *path, struct sc_program *prog, unsigned *rules,
                          struct diag *d)
{
        struct sc_policy policy;
        bool ok = sc_policy_load(path, &embedded_resolver, &policy, d);
        *rules = (unsigned)policy.nrules;
        char err[256];
        if (ok && !sc_compile(&policy, &sc_native, prog, err, sizeof(err)))
                ok = diag_error_at(d, (struct loc){path, 0, NULL, NULL}, "%s", err);
        sc_policy_free(&policy);
        return ok;
}

/* ---- [seccomp] profile ---- */

static bool parse_profile(struct config *cfg, const struct key_def *key, const char *value,
                          struct diag *d)
{
        (void)key;
        struct seccomp_config *s = &cfg->seccomp;
        if (!*value)
                return diag_error(d, "expected default, strict, none or a profile file");
        char *profile;
        if (find_builtin(value) || !strcmp(value, "none") || value[0] == '/' || diag_is_override(d))
                profile = xstrdup(value);
        else if (strchr(value, '/') || strstr(value, ".ini"))
                profile = xasprintf("%s/%s", cfg->manifest_dir, value); /* beside the manifest */
        else
                return diag_error(d,
                                  "unknown profile \"%s\" (built in: default, strict, none; a "
                                  "file needs a path such as ./%s.ini)",
                                  value, value);
        free(s->profile);
        s->profile = profile;
        return true;
}

static void print_profile(const struct config *cfg, const struct key_def *key, FILE *out)
{
        const struct seccomp_config *s = &cfg->seccomp;
        print_value(out, key->name, s->profile);
        if (s->insns)
                fprintf(out, "; %u BPF instructions for %s%s%s\n", s->len, sc_native.arch_name,
                        s->program ? ", built-in program " : "", s->program ? s->program : "");
        if (s->fakeroot_insns)
                fprintf(out, "; then the fakeroot program, %u instructions\n", s->fakeroot_len);
}

static const struct key_def seccomp_keys[] = {
    {"profile", KEY_CUSTOM, .loc = CFG(seccomp.loc), .parse = parse_profile,
     .print = print_profile},
};

const struct section_def seccomp_section = {"seccomp", seccomp_keys, ARRAY_SIZE(seccomp_keys),
                                            NULL};

void seccomp_config_free(struct seccomp_config *s)
{
        free(s->profile); /* a custom key: not the key table's to free */
        sc_program_free(&s->custom);
        *s = (struct seccomp_config){0};
}

/* ---- resolving ---- */

/* A built-in program: the profile itself, or its fakeroot composition. */
static bool use_builtin(struct seccomp_config *s, const char *name, bool fakeroot)
{
        char composed[64];
        snprintf(composed, sizeof(composed), "%s+fakeroot", name);
        if (fakeroot && !strcmp(name, "none"))
                snprintf(composed, sizeof(composed), "fakeroot");
        const struct sc_builtin_profile *builtin = find_builtin(fakeroot ? composed : name);
        if (!builtin)
                return false;
        s->insns = builtin->insns;
        s->len = builtin->len;
        s->program = builtin->name;
        return true;
}

static bool compile_custom(struct seccomp_config *s, bool fakeroot, const char *manifest_path,
                           struct diag *d)
{
        if (access(s->profile, R_OK) < 0) {
                struct loc loc =
                    s->loc.file ? s->loc : (struct loc){manifest_path, 0, "seccomp", "profile"};
                return diag_error_at(d, loc, "%s: %s", s->profile, strerror(errno));
        }
        unsigned rules;
        if (!seccomp_compile_file(s->profile, &s->custom, &rules, d))
                return false;
        s->insns = s->custom.insns;
        s->len = s->custom.len;
        const struct sc_builtin_profile *extra = fakeroot ? find_builtin("fakeroot") : NULL;
        if (extra) {
                s->fakeroot_insns = extra->insns;
                s->fakeroot_len = extra->len;
        }
        return true;
}

bool seccomp_resolve(struct seccomp_config *s, bool fakeroot, const char *manifest_path,
                     struct diag *d)
{
        if (use_builtin(s, s->profile, fakeroot))
                return true;
        if (!strcmp(s->profile, "none"))
                return true;
        return compile_custom(s, fakeroot, manifest_path, d);
}

/* ---- actions ---- */

void seccomp_attach(const struct seccomp_config *s)
{
        if (!s->insns)
                return;
        uint64_t started = step_start();
        struct sock_fprog prog = {(unsigned short)s->len, (struct sock_filter *)s->insns};
        if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
                fail("seccomp", errno,
                     "seccomp(SECCOMP_SET_MODE_FILTER) of the %s profile (%u "
                     "instructions)",
                     s->profile, s->len);
        verbose_step("seccomp", started, "%s profile, %u instructions", s->profile, s->len);
}

int seccomp_print_bpf(const char *profile, bool raw)
{
        const struct sc_builtin_profile *builtin = find_builtin(profile);
        struct sc_program custom = {0};
        const struct sock_filter *insns;
        unsigned len, rules;
        if (builtin) {
                insns = builtin->insns;
                len = builtin->len;
                rules = builtin->rules;
        } else {
                struct diag d = {0};
                if (!seccomp_compile_file(profile, &custom, &rules, &d)) {
                        diag_finish(&d);
                        return EXIT_QRUN_FAILED;
                }
                insns = custom.insns;
                len = custom.len;
        }
        if (raw) {
                fwrite(insns, sizeof(*insns), len, stdout);
        } else {
                printf("# seccomp profile %s: %u rules, %u instructions for %s (system calls 0-%d "
                       "known)\n",
                       profile, rules, len, sc_native.arch_name, sc_native.table_max);
                sc_disassemble(insns, len, &sc_native, name_of, stdout);
        }
        sc_program_free(&custom);
        return fflush(stdout) == 0 ? 0 : EXIT_QRUN_FAILED;
}

bool seccomp_refuses_terminal_injection(const struct seccomp_config *s)
{
        /* Not "none", not a custom file, not fakeroot alone (profile = none). */
        return s->program && s->fakeroot_insns == NULL &&
               (!strncmp(s->program, "default", 7) || !strncmp(s->program, "strict", 6));
}

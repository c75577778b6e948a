/* What tools/seccomp-gen embeds in qrun at build time (build/gen/seccomp_tables.c):
 * the target architecture, its system call names, and the built-in profiles
 * already compiled. */
#ifndef QRUN_SECCOMP_TABLES_H
#define QRUN_SECCOMP_TABLES_H

#include "seccomp_bpf.h"

struct sc_syscall_name {
        const char *name;
        int nr; /* -1: a call of other architectures only */
};

struct sc_builtin_profile {
        const char *name;
        const struct sock_filter *insns;
        unsigned len;
        unsigned rules;
};

extern const struct sc_target sc_native;
extern const struct sc_syscall_name sc_names[]; /* sorted by name */
extern const unsigned sc_name_count;
/* An open-addressing hash over sc_names: slot -> index + 1 (0: empty), probed
 * linearly from sc_name_hash_of(name) & (sc_name_hash_size - 1). */
extern const unsigned short sc_name_hash[];
extern const unsigned sc_name_hash_size;
extern const struct sc_builtin_profile sc_builtins[];
extern const unsigned sc_builtin_count;

/* FNV-1a: the generator and qrun must agree on it. */
static inline unsigned sc_name_hash_of(const char *name)
{
        unsigned h = 2166136261u;
        for (; *name; name++)
                h = (h ^ (unsigned char)*name) * 16777619u;
        return h;
}

#endif

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
extern const struct sc_builtin_profile sc_builtins[];
extern const unsigned sc_builtin_count;

#endif

/* [seccomp]: the filter the command runs under. Built-in profiles were
 * compiled when qrun was built; a custom profile file is compiled at launch
 * with the embedded name table. The filter is attached last, right before exec. */
#ifndef QRUN_SECCOMP_H
#define QRUN_SECCOMP_H

#include "diag.h"
#include "seccomp_bpf.h"

struct seccomp_config {
        char *profile; /* "default" (set by config_init), "strict", "none" or a file's path */
        struct loc loc;
        const struct sock_filter *insns; /* NULL: no filter */
        unsigned len;
        const char *program; /* the built-in program's name ("default+fakeroot") */
        /* A custom profile with [user] fakeroot: the fakeroot program, attached
         * after it (the latest filter's errno wins among equal actions). */
        const struct sock_filter *fakeroot_insns;
        unsigned fakeroot_len;
        struct sc_program custom; /* compiled from a file */
};

extern const struct section_def seccomp_section;

void seccomp_config_free(struct seccomp_config *s);

/* Resolve step: the program of the chosen profile, composed with root
 * emulation when fakeroot (built-in profiles come composed from the build: a
 * custom file is compiled now, its problems reported with their lines, and
 * the fakeroot program is stacked after it). */
bool seccomp_resolve(struct seccomp_config *s, bool fakeroot, const char *manifest_path,
                     struct diag *d);

/* The resolved program is one of the shipped profiles (default, strict, with
 * or without fakeroot), which refuse ioctl(TIOCSTI) and ioctl(TIOCLINUX) on
 * the low 32 bits of the request: the command may keep the caller's terminal.
 * tests/unit/test_seccomp.c checks each of them. */
bool seccomp_refuses_terminal_injection(const struct seccomp_config *s);

/* In the command, after no_new_privs: the very last step before exec. */
void seccomp_attach(const struct seccomp_config *s);

/* Compiles a profile file with the embedded name table (what a custom profile
 * costs at launch); errors name the file and line. */
bool seccomp_compile_file(const char *path, struct sc_program *prog, unsigned *rules,
                          struct diag *d);

/* qrun --print-bpf PROFILE: a readable listing of the program; with raw, the
 * program itself (struct sock_filter[], for bwrap --seccomp); exit status. */
int seccomp_print_bpf(const char *profile, bool raw);

#endif

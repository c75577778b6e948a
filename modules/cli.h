/* The command line: qrun [OPTIONS] MANIFEST [-- CMD [ARG...]]
 *                   qrun [OPTIONS] MANIFEST --each [-j N] [--keep-going] [--output DIR] < TASKS */
#ifndef QRUN_CLI_H
#define QRUN_CLI_H

#include <stdbool.h>
#include <stddef.h>

struct options {
        const char *manifest;
        char **command;    /* after --, or NULL */
        const char **sets; /* --set SECTION.KEY=VALUE, in order */
        size_t nsets;
        const char *print_bpf; /* --print-bpf PROFILE: no manifest */
        bool raw_bpf;          /* --dump-bpf: the program's bytes instead */
        bool check;
        bool verbose;
        bool each;          /* --each: one container per line of stdin */
        unsigned jobs;      /* -j N: at most N at once (0: one per CPU) */
        bool keep_going;    /* --keep-going */
        const char *output; /* --output DIR */
};

/* A mistake on the command line of qrun (command NULL) or of a subcommand:
 * "qrun: [COMMAND: ]MESSAGE (see qrun [COMMAND] --help)", exit 125. */
_Noreturn void cli_usage_error(const char *command, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Parses argv; prints help or version and exits 0, or reports a usage error
 * and exits 125. */
void cli_parse(int argc, char **argv, struct options *o);

#endif

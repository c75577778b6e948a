#include "cli.h"
#include "common.h"
#include "fail.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "Usage: qrun [OPTIONS] MANIFEST [-- CMD [ARG...]]\n"
    "       qrun [OPTIONS] MANIFEST --each [-j N] [--keep-going] [--output DIR] < TASKS\n"
    "       qrun --print-bpf PROFILE | --dump-bpf PROFILE\n"
    "Run a command in the sandbox MANIFEST describes, as an unprivileged user.\n"
    "\n"
    "  -s, --set SECTION.KEY=VALUE  override a manifest value (repeatable)\n"
    "      --join[=KEY]             share the namespaces with every launch of KEY on\n"
    "                               this node (MPI ranks); KEY defaults to the\n"
    "                               Slurm step, PMIx or Open MPI job id\n"
    "      --check                  validate the manifest and rootfs, print the\n"
    "                               effective configuration, create nothing\n"
    "  -v, --verbose                print each setup step and its duration\n"
    "      --print-bpf PROFILE      print the seccomp program of PROFILE (default,\n"
    "                               strict or a profile file) and exit\n"
    "      --dump-bpf PROFILE       write the program itself to stdout (for bwrap\n"
    "                               --seccomp FD) and exit\n"
    "      --each                   run every line of stdin (a command line, split\n"
    "                               like args) in a container of its own\n"
    "  -j, --jobs N                 --each: at most N at once (default: one per CPU)\n"
    "      --keep-going             --each: start the other tasks after a failure\n"
    "      --output DIR             --each: task N's output to DIR/N.out, DIR/N.err\n"
    "                               (default: on qrun's, each line after [task N])\n"
    "  -h, --help                   print this help\n"
    "  -V, --version                print the version\n"
    "\n"
    "CMD after -- replaces the manifest's [process] command and args.\n"
    "--each: a summary on stderr at the end; exit status 0 if every task succeeded,\n"
    "else the first failure's; 128+N if signal N (SIGINT, SIGTERM) stopped them.\n"
    "Exit status: the command's, 128+N if it died of signal N, 124 on timeout,\n"
    "125 if qrun failed, 126 if CMD is not executable, 127 if it is not found.\n";

void cli_usage_error(const char *command, const char *fmt, ...)
{
        char text[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(text, sizeof(text), fmt, ap);
        va_end(ap);
        if (command)
                fail(NULL, 0, "%s: %s (see qrun %s --help)", command, text, command);
        fail(NULL, 0, "%s (see qrun --help)", text);
}

#define usage_error(...) cli_usage_error(NULL, __VA_ARGS__)

/* The value of an option that takes one: "--set=X", "-sX" or the next argument. */
static const char *option_value(int argc, char **argv, int *i, const char *attached)
{
        if (attached)
                return attached;
        if (*i + 1 >= argc)
                usage_error("option %s needs a value", argv[*i]);
        return argv[++*i];
}

static bool is(const char *arg, const char *short_opt, const char *long_opt)
{
        return (short_opt && !strcmp(arg, short_opt)) || (long_opt && !strcmp(arg, long_opt));
}

/* A positive number of tasks at once. */
static unsigned parse_jobs(const char *value)
{
        char *end;
        errno = 0;
        unsigned long n = strtoul(value, &end, 10);
        if (!*value || *end || errno || n == 0 || n > 4096 || value[0] == '-')
                usage_error("-j expects a number of tasks from 1 to 4096, got \"%s\"", value);
        return (unsigned)n;
}

/* --each and its options; false: not one of them. */
static bool each_option(int argc, char **argv, int *i, struct options *o)
{
        const char *a = argv[*i];
        if (is(a, NULL, "--each"))
                o->each = true;
        else if (is(a, NULL, "--keep-going"))
                o->keep_going = true;
        else if (!strncmp(a, "--jobs", 6) && (a[6] == '\0' || a[6] == '='))
                o->jobs = parse_jobs(option_value(argc, argv, i, a[6] ? a + 7 : NULL));
        else if (!strncmp(a, "-j", 2))
                o->jobs = parse_jobs(option_value(argc, argv, i, a[2] ? a + 2 : NULL));
        else if (!strncmp(a, "--output", 8) && (a[8] == '\0' || a[8] == '='))
                o->output = option_value(argc, argv, i, a[8] ? a + 9 : NULL);
        else
                return false;
        return true;
}

static void check_each(const struct options *o)
{
        if (!o->each && (o->jobs || o->keep_going || o->output))
                usage_error("-j, --keep-going and --output go with --each");
        if (o->each && o->command)
                usage_error("--each takes the commands from stdin, one per line: no command "
                            "after --");
        if (o->each && o->check)
                usage_error("--check and --each exclude each other");
        if (o->each && o->output && !*o->output)
                usage_error("--output needs a directory");
}

void cli_parse(int argc, char **argv, struct options *o)
{
        *o = (struct options){0};
        o->sets = xmalloc(sizeof(*o->sets) * (size_t)argc);
        for (int i = 1; i < argc; i++) {
                const char *a = argv[i];
                if (!strcmp(a, "--")) {
                        o->command = argv + i + 1;
                        if (!*o->command)
                                usage_error("-- must be followed by a command");
                        break;
                }
                if (a[0] != '-' || !a[1]) {
                        if (o->manifest)
                                usage_error("unexpected argument \"%s\" (put the command after "
                                            "--)",
                                            a);
                        o->manifest = a;
                } else if (is(a, "-h", "--help")) {
                        fputs(usage, stdout);
                        exit(0);
                } else if (is(a, "-V", "--version")) {
                        puts("qrun " QRUN_VERSION);
                        exit(0);
                } else if (!strncmp(a, "--print-bpf", 11) && (a[11] == '\0' || a[11] == '=')) {
                        o->print_bpf = option_value(argc, argv, &i, a[11] ? a + 12 : NULL);
                } else if (!strncmp(a, "--dump-bpf", 10) && (a[10] == '\0' || a[10] == '=')) {
                        o->print_bpf = option_value(argc, argv, &i, a[10] ? a + 11 : NULL);
                        o->raw_bpf = true;
                } else if (!strncmp(a, "--join", 6) && (a[6] == '\0' || a[6] == '=')) {
                        /* [namespaces] join, as --set gives it */
                        o->sets[o->nsets++] =
                            xasprintf("namespaces.join=%s", a[6] ? a + 7 : "auto");
                } else if (is(a, NULL, "--check")) {
                        o->check = true;
                } else if (is(a, "-v", "--verbose")) {
                        o->verbose = true;
                } else if (each_option(argc, argv, &i, o)) {
                        continue;
                } else if (!strncmp(a, "--set", 5) && (a[5] == '\0' || a[5] == '=')) {
                        o->sets[o->nsets++] = option_value(argc, argv, &i, a[5] ? a + 6 : NULL);
                } else if (!strncmp(a, "-s", 2)) {
                        o->sets[o->nsets++] = option_value(argc, argv, &i, a[2] ? a + 2 : NULL);
                } else {
                        usage_error("unknown option \"%s\"", a);
                }
        }
        if (!o->manifest && !o->print_bpf)
                usage_error("missing MANIFEST");
        check_each(o);
}

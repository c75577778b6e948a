/* [process]: what runs, where, with which environment, and the last steps
 * before exec (umask, no_new_privs, descriptors, PATH lookup). */
#ifndef QRUN_PROCESS_H
#define QRUN_PROCESS_H

#include "common.h"
#include "diag.h"
#include "userns.h"

#include <sys/types.h>

struct config;

struct process_config {
        char *command; /* from the manifest */
        struct loc command_loc;
        struct strv args;
        struct loc args_loc;
        struct strv cli_argv; /* CMD [ARG...] after --: replaces command and args */
        char *cwd;
        struct loc cwd_loc;
        struct strv env;      /* NAME=VALUE, explicit */
        struct strv env_keep; /* names, or prefixes ending in '*' */
        int env_preset;       /* enum env_preset */
        struct loc env_preset_loc;
        int *keep_fds; /* inherited descriptors the command gets, from keep_fds */
        size_t nkeep_fds;
        struct loc keep_fds_loc;
        bool env_defaults; /* terminal and locale variables kept; HOME, USER, LOGNAME set */
        char *hostname;
        struct loc hostname_loc;
        mode_t umask;
        struct loc umask_loc; /* file NULL: not set, the caller's is inherited */
        /* Resolved. */
        struct strv argv;
        struct strv envp;
        int pmi_fd; /* PMI_FD of the command's environment, kept too; -1: none */
};

/* Named sets of variables to keep: hpc keeps what Slurm, PMI, PMIx and the
 * MPI libraries pass to their ranks (docs/manifest.md lists them). */
enum env_preset { ENV_PRESET_NONE, ENV_PRESET_HPC };

extern const struct section_def process_section;

void process_config_free(struct process_config *p);

/* At start-up: makes sure 0, 1 and 2 are open (so that no file qrun opens can
 * become the command's stdio) and marks every other inherited descriptor
 * close-on-exec: none reaches the command unless [process] keep_fds or
 * PMI_FD names it (process_keep_fds). */
void process_sanitize_fds(void);

/* Takes CMD [ARG...] from the command line. */
void process_set_cli_command(struct process_config *p, char **argv);

/* Resolve step: the command line (command and args, or CMD after --). */
bool process_build_argv(struct config *cfg, struct diag *d);

/* Resolve step: the environment: kept variables (env_keep and, with
 * env_defaults, TERM, COLORTERM, LANG, LANGUAGE, LC_* and TZ), explicit ones,
 * a default PATH, then, unless set already, HOME, USER and LOGNAME for the
 * user inside (with env_defaults; without, HOME alone when [mounts] home =
 * true bound it, as before env_defaults existed). */
void process_build_environment(struct process_config *p, const struct user_config *u,
                               bool home_bound);

/* Check step: cwd exists inside the rootfs (chroot and host mode: in mount mode
 * it may lie on a mount made at launch) and, with --check, the command is
 * found there. */
bool process_check(const struct config *cfg, struct diag *d);

/* In the container, once its root is in place: chdir to cwd. */
void process_enter_cwd(const struct config *cfg);

void process_apply_umask(const struct process_config *p);

/* PR_SET_NO_NEW_PRIVS: exec can never grant privileges (setuid files, file
 * capabilities); also the precondition for an unprivileged seccomp filter. */
void process_set_no_new_privs(void);

/* Marks every descriptor but 0, 1 and 2 close-on-exec. */
void process_close_extra_fds(void);

/* Check step: every descriptor keep_fds names (and PMI_FD's) is open, and
 * none is a directory (one would lead out of the rootfs). */
bool process_check_fds(const struct config *cfg, struct diag *d);

/* Right before exec: the kept descriptors lose close-on-exec. */
void process_keep_fds(const struct process_config *p);

/* Executes the command, looking it up in the container's PATH. Exits 127 when
 * it is not found, 126 when it cannot be executed. */
_Noreturn void process_exec(const struct process_config *p);

#endif

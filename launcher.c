/*
 * qrun: run a command in a sandbox described by an INI manifest, as an
 * unprivileged user, with as little start-up work as possible.
 *
 * This file is the whole setup order, top to bottom. Three processes take part:
 *
 *   monitor: qrun's own process; stays outside the container
 *     1. refuse elevated privileges, close inherited descriptors
 *     2. read the command line and the manifest, validate the values, resolve
 *        what depends on several sections (this opens the rootfs once) and
 *        check the paths against it; nothing on the system is touched before
 *     3. with [gpu], find or make its library directory (once per node, in
 *        the runtime directory); block the forwarded signals, start a
 *        SquashFS rootfs's FUSE server (outside our namespaces; join mode: the
 *        launch that starts the holder), unshare the
 *        user namespace, write the id maps (join mode: enter the key's
 *        namespaces, or create them and exec their holder), drop the
 *        bounding set (once for every container)
 *     4. decide whether the command keeps the caller's terminal, start the
 *        container's first process in new pid/ipc/uts (and net if asked)
 *        namespaces, in our own memory (namespaces_clone: until it ends we
 *        allocate nothing and use no stdio), then forward signals, relay job
 *        control, enforce the timeout, give the terminal back and turn the
 *        container's end into qrun's exit status; with --each, one for every
 *        task (each.h), at most -j at once, none keeping the terminal, each
 *        started once the last one's command has exec'd
 *   container's first process: pid 1 when there is a pid namespace
 *     5. die with the monitor, (--each: take the task's stdio and command
 *        line), bring up loopback, chroot into the rootfs (or, with [mounts], create
 *        a mount namespace, build the tree and pivot_root into it; join mode:
 *        enter the holder's, or build it and send it to the holder), change to
 *        the working directory, set the hostname
 *     6. with a pid namespace: become the minimal init and start the command;
 *        without one: become the command
 *   command
 *     7. a new session (or, keeping the caller's terminal, the terminal's
 *        foreground process group), rlimits, umask, capabilities, no_new_privs, descriptors,
 *        the caller's signal mask, Landlock ([landlock]), the seccomp filter
 *        (compiled when qrun was built), exec
 *
 * There is no mount namespace (chroot instead) unless the manifest has
 * [mounts], and no network namespace unless asked: both are the expensive ones
 * to create and tear down.
 */
#define _GNU_SOURCE
#include "modules/cli.h"
#include "modules/common.h"
#include "modules/config.h"
#include "modules/each.h"
#include "modules/fail.h"
#include "modules/import.h"
#include "modules/init.h"
#include "modules/join.h"
#include "modules/manifest.h"
#include "modules/squashfs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Reads, checks and resolves everything, or exits 125 listing every problem.
 * Each step runs even after an earlier one reported, so one run shows all. */
static void load_configuration(const struct options *opts, struct config *cfg)
{
        struct diag d = {0};
        config_init(cfg);
        cfg->check_only = opts->check;
        manifest_load(cfg, opts->manifest, &d);
        for (size_t i = 0; i < opts->nsets; i++)
                manifest_override(cfg, opts->sets[i], &d);
        if (opts->command)
                process_set_cli_command(&cfg->process, opts->command);
        cfg->process.per_task = opts->each;
        if (d.errors == 0) {
                manifest_validate(cfg, &d); /* the values, alone and together */
                config_resolve(cfg, &d);    /* rootfs descriptor, binds, cwd, argv, env, filter */
                config_check(cfg, &d);      /* those paths against the opened rootfs */
        }
        if (d.errors) {
                diag_finish(&d);
                exit(EXIT_QRUN_FAILED);
        }
}

/* --each: the tasks from stdin, or exit 125 listing every bad line. */
static void load_tasks(struct each_list *tasks)
{
        struct diag d = {0};
        each_read_tasks(STDIN_FILENO, tasks, &d);
        if (d.errors) {
                diag_finish(&d);
                exit(EXIT_QRUN_FAILED);
        }
}

/* [gpu]: what the container binds at DIR, found or made (gpu_cache.c). */
static void prepare_gpu(struct gpu_config *g)
{
        uint64_t started = step_start();
        struct failure e;
        if (gpu_prepare(g, &e) < 0)
                fail("gpu", errno, "%s", e.what);
        if (g->dir_made)
                verbose_step("gpudir", started,
                             "%s made: %u links and mount points, %u skipped (not this "
                             "machine's ELF)",
                             g->made_dir, g->dir_files, g->dir_skipped);
        else if (g->made_dir)
                verbose_step("gpudir", started, "%s found", g->made_dir);
}

/* The command's process: the last steps, then exec. Never returns. */
static void run_command(void *arg)
{
        const struct config *cfg = arg;
        uint64_t started = step_start();
        terminal_enter(&cfg->terminal); /* a new session, or the terminal's foreground group */
        limits_apply(&cfg->limits);
        process_apply_umask(&cfg->process);
        userns_drop_capabilities(&cfg->user); /* the bounding set: the monitor's step */
        process_set_no_new_privs();
        process_close_extra_fds();
        process_keep_fds(&cfg->process); /* keep_fds and PMI_FD */
        signals_restore();
        verbose_step("command", started,
                     "session or terminal, limits, umask, capabilities, no_new_privs, "
                     "descriptors");
        landlock_apply(&cfg->landlock); /* needs no_new_privs */
        seccomp_attach(&cfg->seccomp);  /* last: after no_new_privs, right before exec */
        process_exec(&cfg->process);
}

/* The container's first process, already inside the new namespaces. task:
 * qrun --each's task (its stdio and command line), or NULL. */
_Noreturn static void container_main(struct config *cfg, struct each_task *task)
{
        fail_pipe_child_side();
        init_die_with_monitor();
        if (task)
                each_task_enter(task, &cfg->process);
        namespaces_setup_network(&cfg->ns); /* with net: loopback up */
        if (cfg->ns.join_key)               /* join mode: the key's tree, or build it */
                join_enter(cfg);
        else if (cfg->mounts.enabled) /* mount mode: pivot_root into a tree of our own */
                mounts_enter(cfg);
        else /* the default: chroot, no mount namespace */
                rootfs_enter(&cfg->rootfs);
        process_enter_cwd(cfg);
        userns_prepare_fakeroot(&cfg->user); /* needs the root entered */
        namespaces_set_hostname(&cfg->ns, cfg->process.hostname);
        if (cfg->ns.pid) /* --each: the monitor waits until the command has exec'd */
                init_run(run_command, cfg, &cfg->terminal, task ? &task->started : NULL);
        run_command(cfg);        /* --each: the exec ends the monitor's wait */
        _exit(EXIT_QRUN_FAILED); /* not reached */
}

/* What the container's first process starts from. Static: a launch's only
 * container may read it after start_container has returned; --each's next
 * task overwrites it only once the last one's set-up is over. */
static struct first_process {
        struct config *cfg;
        struct each_task *task;
} first;

static int first_process_main(void *arg)
{
        struct first_process *f = arg;
        container_main(f->cfg, f->task);
}

/* One container: its error pipe, and its first process in new pid, ipc and
 * uts (and net) namespaces, in our memory (namespaces.h says what that asks
 * of us while it lives: monitor_run and each_run keep to it). Every launch
 * takes this step: the single one, and each task of --each, whose set-up
 * each_run then waits for (the next one's must not run beside it in our
 * memory), on stack (its slot's; NULL: a stack of its own). Returns the
 * pid; *errors: the pipe's read end. */
static pid_t start_container(void *arg, struct each_task *task, void *stack, int *errors)
{
        struct config *cfg = arg;
        uint64_t step = step_start();
        if (fail_pipe_open() < 0)
                fail("setup", errno, "unable to create the error pipe");
        if (!stack)
                stack = namespaces_stack(); /* a launch's only container: its own */
        if (!stack)
                fail("setup", errno, "unable to map the container's first process's stack");
        first = (struct first_process){cfg, task};
        pid_t child = namespaces_clone(&cfg->ns, stack, first_process_main, &first,
                                       task ? &task->started : NULL);
        if (child < 0)
                fail("setup", errno, "unable to start the container's first process");
        *errors = fail_pipe_parent_side(); /* no call here can fail (namespaces.h) */
        verbose_step("fork", step, "container process %d", (int)child);
        return child;
}

int main(int argc, char **argv)
{
        userns_refuse_elevated_privileges();
        if (argc == 3 && !strcmp(argv[0], JOIN_HOLDER)) /* join mode's holder, exec'd by a launch */
                return join_holder_main(argc, argv);    /* before its descriptors are closed */
        process_sanitize_fds();
        if (argc > 1 && !strcmp(argv[1], "import")) /* qrun import: images to rootfs */
                return import_main(argc - 1, argv + 1);

        /* static: they live until exec or exit, and the container's first
         * process uses them after fork. */
        static struct options opts;
        static struct config cfg;
        static struct each_list tasks;
        cli_parse(argc, argv, &opts);
        verbose = opts.verbose;
        if (opts.print_bpf)
                return seccomp_print_bpf(opts.print_bpf, opts.raw_bpf);
        uint64_t started = step_start();
        limits_check_caller();
        load_configuration(&opts, &cfg);
        if (opts.check) {
                manifest_print(&cfg, stdout);
                return fflush(stdout) == 0 ? 0 : EXIT_QRUN_FAILED;
        }
        if (opts.each)
                load_tasks(&tasks);
        verbose_step("manifest", started, "%s read and validated", cfg.manifest_path);

        leak_check_now();
        uint64_t step = step_start();
        prepare_gpu(&cfg.gpu); /* the library directory: once per node, in the runtime directory */
        signals_block();
        if (cfg.rootfs.kind == ROOTFS_SQUASHFS && !cfg.ns.join_key)
                squashfs_start(&cfg); /* the image's shared server, outside our namespaces
                                         (join mode: the launch that starts the holder) */
        step = step_start();
        if (cfg.ns.join_key) /* join mode: the namespaces of the key's holder */
                join_start(&cfg);
        else
                userns_create(&cfg.user);    /* the other namespaces: one set per container */
        userns_drop_bounding_set(&cfg.user); /* inherited by every container */
        verbose_step("userns", step, "user namespace, id maps written, bounding set");

        int status;
        if (opts.each) {
                struct each_options each = {opts.jobs, opts.keep_going, opts.output, cfg.ns.pid,
                                            cfg.limits.timeout_ms};
                status = each_run(&each, &tasks, start_container, &cfg);
        } else {
                /* Keep the caller's terminal only under a filter that refuses TIOCSTI. */
                terminal_prepare(&cfg.terminal, seccomp_refuses_terminal_injection(&cfg.seccomp));
                int errors;
                pid_t child = start_container(&cfg, NULL, NULL, &errors);
                status =
                    monitor_run(child, cfg.ns.pid, cfg.limits.timeout_ms, &cfg.terminal, errors);
        }
        squashfs_stop();
        verbose_step("total", started, "exit status %d", status);
        return status;
}

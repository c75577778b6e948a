/* A SPANK plugin for Slurm: srun/sbatch/salloc --qrun=MANIFEST start each task
 * of the step through qrun in join mode, as pyxis does for enroot.
 *
 *   plugstack.conf:  optional /usr/lib/slurm/qrun_spank.so qrun=/usr/local/bin/qrun
 *   srun -n4 --mpi=pmix --qrun=job.ini ./app args
 *
 * Each task becomes `qrun --join MANIFEST -- ARGV...` in the task's own
 * process: slurm_spank_task_init runs in it, as the user, right before
 * slurmstepd would exec the command, and execs qrun instead with the task's
 * argv and environment. So the task stays slurmstepd's child (signals,
 * scancel, time limits, accounting and the exit code work as for any task;
 * PMI_FD and PMIx's variables are the task's), and the join key, taken from
 * SLURM_JOB_ID and SLURM_STEP_ID, is shared by the step's tasks on a node.
 * Without --qrun the plugin does nothing. Build: contrib/slurm/build.sh. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <slurm/slurm.h>
#include <slurm/spank.h>

SPANK_PLUGIN(qrun, 1);

static char *manifest;                 /* --qrun=MANIFEST */
static const char *qrun = "/usr/local/bin/qrun"; /* plugstack.conf: qrun=PATH */

static int take_manifest(int val, const char *optarg, int remote)
{
        (void)val;
        (void)remote;
        if (!optarg || !*optarg) {
                slurm_error("qrun: --qrun needs a manifest");
                return -1;
        }
        free(manifest);
        manifest = strdup(optarg);
        return manifest ? 0 : -1;
}

/* Registered in slurm_spank_init, not exported as spank_options: that table
 * reaches srun alone, not sbatch and salloc. */
static struct spank_option option = {
    "qrun", "MANIFEST",
    "Run each task through qrun in join mode, in the sandbox MANIFEST describes "
    "(a relative path: to the task's working directory)",
    1, 0, take_manifest};

int slurm_spank_init(spank_t sp, int ac, char **av)
{
        if (spank_option_register(sp, &option) != ESPANK_SUCCESS) {
                slurm_error("qrun: unable to register --qrun");
                return -1;
        }
        for (int i = 0; i < ac; i++) {
                if (!strncmp(av[i], "qrun=", 5) && av[i][5] == '/') {
                        qrun = av[i] + 5;
                } else {
                        slurm_error("qrun: unknown plugstack.conf argument \"%s\" (qrun=/PATH)",
                                    av[i]);
                        return -1;
                }
        }
        return 0;
}

/* In the task, as the user, right before its exec: exec qrun instead. */
int slurm_spank_task_init(spank_t sp, int ac, char **av)
{
        (void)ac;
        (void)av;
        uint32_t step;
        if (!spank_remote(sp) || !manifest)
                return 0;
        /* sbatch --qrun: the batch script stays on the host and its srun
         * steps (which inherit the option) run in the sandbox. */
        if (spank_get_item(sp, S_JOB_STEPID, &step) == ESPANK_SUCCESS &&
            (step == SLURM_BATCH_SCRIPT || step == SLURM_EXTERN_CONT ||
             step == SLURM_INTERACTIVE_STEP))
                return 0;
        int argc;
        char **argv, **env;
        if (spank_get_item(sp, S_JOB_ARGV, &argc, &argv) != ESPANK_SUCCESS ||
            spank_get_item(sp, S_JOB_ENV, &env) != ESPANK_SUCCESS) {
                slurm_error("qrun: unable to get the task's command and environment");
                return -1;
        }
        char **args = calloc((size_t)argc + 5, sizeof(*args));
        if (!args)
                return -1;
        args[0] = (char *)qrun;
        args[1] = "--join";
        args[2] = manifest;
        args[3] = "--";
        memcpy(args + 4, argv, (size_t)argc * sizeof(*args));
        execve(qrun, args, env);
        slurm_error("qrun: unable to execute %s: %s", qrun, strerror(errno));
        return -1;
}

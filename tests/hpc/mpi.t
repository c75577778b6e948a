#!/bin/bash
# MPI through qrun on a real Slurm (tests/hpc/slurm.sh: munged, slurmctld,
# slurmd and slurmdbd on localhost), as the unprivileged test user, from the
# MPI rootfs (tests/helper/mpi-image.sh: Debian's Open MPI 4.1 in a minbase
# image): srun --mpi=pmix qrun --join, the SPANK plugin, sbatch, PMI_FD,
# scancel, a time limit, exit codes, and what sacct records of them (exit
# statuses, a signal, CANCELLED, TIMEOUT). Debian's Slurm 22.05 offers pmix
# (v4) and pmi2; Debian's Open MPI has no PMI-2 client, so PMI_FD is tested
# with PMI-1's wire protocol, spoken by bash over the descriptor.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/slurm.sh"

# Regression: a PMIx socket of step 2.0 left in slurmd's spool by an earlier,
# interrupted run made the first srun --mpi=pmix below (job 2) fail to launch
# (any file at that path makes its bind() fail); slurm_start removes them.
[ -d /var/spool/slurmd ] && ! pgrep -x slurmstepd >/dev/null && touch /var/spool/slurmd/stepd.slurm.pmix.2.0 2>/dev/null
at_exit slurm_stop
slurm_start >"$T/slurm.why" || { skip "no Slurm here: $(cat "$T/slurm.why")"; done_testing; exit; }
cached_image IMG mpi-image.sh "the MPI rootfs" "mpi-image.sh: "
chmod 777 "$T"
manifest "$T/m.ini" <<EOF
[rootfs]
path = $IMG/rootfs
[process]
command = mpi_probe
EOF
# srun ARGS...: srun as the test user; sets RC, OUT (sorted), ERR
srun_as() {
        as_user timeout 120 srun "$@" >"$T/out" 2>"$T/err" </dev/null
        RC=$?
        OUT=$(sort "$T/out")
        ERR=$(cat "$T/err")
}
# job_field JOB FIELD: a field of scontrol show job
job_field() { scontrol show job "$1" | grep -o "$2=[^ ]*" | cut -d= -f2; }
no_leftovers() { wait_while test_pgrep -f 'mpi_probe|qrun|sleep'; }
# acct SACCT_ARGS...: sacct's lines JobID|State|ExitCode for the job(s) the
# arguments select, as the test user, the job's number shown as J
acct() { as_user sacct "$@" -S now-1days -n -P -o JobID,State,ExitCode | sed 's/^[0-9]*/J/'; }
acct_shows() { [ "$(acct "${@:2}")" = "$1" ]; }
# acct_is EXPECTED NAME SACCT_ARGS...: slurmdbd records a job after it ends,
# asynchronously: sacct is polled (up to 30 s) before the assertion
acct_is() {
        local want=$1 name=$2 try
        shift 2
        if [ -n "$SLURM_ACCT_WHY" ]; then
                skip "no accounting: $SLURM_ACCT_WHY"
                return
        fi
        for try in 1 2 3; do wait_until acct_shows "$want" "$@" && break; done
        is "$(acct "$@")" "$want" "$name"
}

# A job over its time limit, started first: Slurm checks limits in minutes.
as_user sbatch --parsable --time=1 -o /dev/null --wrap \
        "srun -n1 $QRUN --join $T/m.ini -- sleep 600" >"$T/overtime" 2>&1
overtime=$(cat "$T/overtime")

# ---- srun --mpi=pmix qrun --join ----
srun_as -n2 --mpi=pmix "$QRUN" --join "$T/m.ini" -- mpi_probe hello
is "$RC:$OUT" "0:rank 0 of 2
rank 1 of 2" "srun --mpi=pmix qrun --join: 2-rank MPI hello"
# A site binds ranks to CPUs (task/affinity here, on request): qrun keeps it.
cpus() { srun_as -n2 --cpu-bind=cores "$@" awk '/^Cpus_allowed_list/ {print $2}' /proc/self/status; }
cpus
bare=$OUT
cpus "$QRUN" --join "$T/m.ini" --
[ "$(printf '%s\n' $bare | sort -u | grep -cx '[0-9]*')" = 2 ] && [ "$RC:$OUT" = "0:$bare" ]
ok $? "srun --cpu-bind=cores qrun --join: each rank keeps its own CPU ($(echo $bare) bare, $(echo $OUT) in qrun)"
export OMPI_MCA_btl=self,vader OMPI_MCA_btl_vader_single_copy_mechanism=cma
srun_as -n2 --mpi=pmix "$QRUN" --join "$T/m.ini" -- mpi_probe pingpong 4194304 10
like "$RC:$OUT" "^0:pingpong 4194304 ok " "4 MiB ping-pong with cross-memory attach required (vader, single copy = cma)"
unset OMPI_MCA_btl OMPI_MCA_btl_vader_single_copy_mechanism
is "$ERR" "" "... without a warning"
# Regression: without HOME, PMIx looked up the uid's passwd entry, which the
# image lacks, and every rank died of SIGSEGV (139) in MPI_Init.
srun_as -n2 --mpi=pmix env -u HOME "$QRUN" --join "$T/m.ini" -- mpi_probe hello
is "$RC:$OUT" "0:rank 0 of 2
rank 1 of 2" "without HOME in the environment, MPI_Init works (it was SIGSEGV in pmix_home_directory)"

# ---- the MPI image as one SquashFS file, as sites keep images ----
# Without the directories the MPI rootfs has for slurmd's PMIx plugin, as in
# an image from a registry: a read-only image has no room for their mount
# points (join mode's implied tmpfs overlay gives it), and Open MPI writes its
# session directory in /tmp.
open_dev_fuse
if [ -n "$FUSE_OK" ]; then
        mksquashfs "$IMG/rootfs" "$T/mpi.sqfs" -noappend -quiet -all-root -no-xattrs -comp lz4 \
                -e var/spool/slurmd var/spool/slurm >/dev/null
        chmod a+r "$T/mpi.sqfs"
        sed "s|^path = .*|path = $T/mpi.sqfs\nlinger = 0|" "$T/m.ini" >"$T/sq.ini"
        export OMPI_MCA_btl=self,vader OMPI_MCA_btl_vader_single_copy_mechanism=cma
        srun_as -n2 --mpi=pmix "$QRUN" --join "$T/sq.ini" -- mpi_probe pingpong 4194304 10
        unset OMPI_MCA_btl OMPI_MCA_btl_vader_single_copy_mechanism
        like "$RC:$OUT" "^0:pingpong 4194304 ok " "srun qrun --join with a SquashFS image: 4 MiB ping-pong with CMA"
        wait_while test_pgrep -x qrun-squashfs
        ok $? "... and the image's server ends with the step (linger = 0)"
else
        skip "/dev/fuse cannot be opened by the test user"
fi

# ---- PMI_FD (srun --mpi=pmi2) ----
srun_as -n1 --mpi=pmi2 "$QRUN" --join "$T/m.ini" -- bash -c \
        'printf "cmd=init pmi_version=1 pmi_subversion=1\n" >&$PMI_FD && read -r -u $PMI_FD l && echo "$l"'
is "$RC:$OUT" "0:cmd=response_to_init rc=0 pmi_version=1 pmi_subversion=1" \
        "srun --mpi=pmi2: PMI_FD reaches the rank and slurmstepd answers on it"

# ---- exit status ----
srun_as -n1 -J exit7 "$QRUN" --join "$T/m.ini" -- /bin/sh -c 'exit 7'
is "$RC" 7 "qrun's exit status is srun's"
acct_is "J|FAILED|7:0
J.0|FAILED|7:0" "... and sacct's, for the job and its step" --name=exit7
step_job=$(as_user timeout 60 sbatch --parsable --wait -o /dev/null --wrap "srun -n1 $QRUN --join $T/m.ini -- /bin/sh -c 'exit 3'")
is "$(job_field "$step_job" ExitCode):$(job_field "$step_job" JobState)" "3:0:FAILED" "... and the job's (scontrol: ExitCode 3, FAILED)"
acct_is "J|FAILED|3:0
J.batch|FAILED|3:0
J.0|FAILED|3:0" "... and sacct's: the job, the batch script, the step" -j "$step_job"
# sacct shows an exit status over 128 less 128: qrun's 137 for a command that
# SIGKILL ended is 9:0, where a bare task's (killed itself) is 0:9 CANCELLED.
srun_as -n1 -J kill9 "$QRUN" --join "$T/m.ini" -- /bin/sh -c 'kill -9 $$'
is "$RC" 137 "a command killed by SIGKILL: srun's status is 137"
acct_is "J|FAILED|9:0
J.0|FAILED|9:0" "... and sacct's ExitCode 9:0 (137 - 128), FAILED" --name=kill9

# ---- sbatch ----
job=$(as_user timeout 120 sbatch --parsable --wait -n2 -o "$T/batch.out" --wrap "srun --mpi=pmix $QRUN --join $T/m.ini -- mpi_probe hello")
is "$?:$(sort "$T/batch.out")" "0:rank 0 of 2
rank 1 of 2" "sbatch: a batch script's srun qrun --join"

# ---- the SPANK plugin: --qrun=MANIFEST ----
plugin=$T/qrun_spank.so
if "$QRUN_SOURCE/contrib/slurm/build.sh" "$plugin" >/dev/null 2>"$T/build.err"; then
        echo "optional $plugin qrun=$QRUN" >"$SLURM_DIR/plugstack.conf"
        srun_as -n2 --mpi=pmix --qrun="$T/m.ini" mpi_probe hello
        is "$RC:$OUT" "0:rank 0 of 2
rank 1 of 2" "srun --qrun=MANIFEST (SPANK plugin): each task runs through qrun --join"
        srun_as -n1 --qrun="$T/m.ini" cat /etc/debian_version
        like "$RC:$OUT" "^0:12\." "... in the manifest's rootfs"
        job=$(as_user timeout 120 sbatch --parsable --wait -n2 --qrun="$T/m.ini" -o "$T/spank.out" --wrap "srun --mpi=pmix mpi_probe hello; test -e /usr/local/bin/mpi_probe || echo host")
        is "$?:$(sort "$T/spank.out")" "0:host
rank 0 of 2
rank 1 of 2" "sbatch --qrun: the script runs on the host, its steps in the sandbox"
        acct_is "J|COMPLETED|0:0
J.batch|COMPLETED|0:0
J.0|COMPLETED|0:0" "... and sacct shows the job, the script and the step COMPLETED" -j "$job"
        srun_as -n1 -J spank5 --qrun="$T/m.ini" /bin/sh -c 'exit 5'
        is "$RC" 5 "... and the exit status comes through"
        acct_is "J|FAILED|5:0
J.0|FAILED|5:0" "... to sacct too" --name=spank5
        : >"$SLURM_DIR/plugstack.conf"
else
        ok 1 "the SPANK plugin builds"
        sed 's/^/# /' "$T/build.err"
fi

# ---- scancel ends every container process ----
job=$(as_user sbatch --parsable -n2 -o /dev/null --wrap "srun --mpi=pmix $QRUN --join $T/m.ini -- mpi_probe sleep 600")
two_ranks() { [ "$(test_pgrep -c -x mpi_probe)" -eq 2 ]; }
for try in 1 2 3 4 5 6; do wait_until two_ranks && break; done # a loaded machine
two_ranks
ok $? "a job's 2 ranks run"
is "$(test_pgrep -c -f "^qrun-join slurm-$job\.")" 1 "with their holder"
scancel "$job"
wait_while test_pgrep -f "mpi_probe|^qrun-join slurm-$job\."
ok $? "scancel leaves no process of the job: ranks, qrun, holder"
acct_is "J|CANCELLED by 0|0:0" "sacct: the job CANCELLED (by root)" -X -j "$job"

# ---- the time limit ----
for try in $(seq 12); do # up to 2 minutes: the limit is 1, checked every 30 s
        [ "$(job_field "$overtime" JobState)" = TIMEOUT ] && break
        sleep 10
done
is "$(job_field "$overtime" JobState)" TIMEOUT "a job over its time limit is ended"
acct_is "J|TIMEOUT|0:0" "sacct: the job TIMEOUT" -X -j "$overtime"
no_leftovers
ok $? "... and leaves no process"
is "$(test_processes)" "" "nothing of the test user is left"
done_testing

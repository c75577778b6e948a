# A real Slurm on localhost for tests/hpc/*.t and bench/mpi.sh, without
# systemd: munged, slurmctld and slurmd (Debian's 22.05), started by root in a
# private directory and stopped again. Sourced after tests/lib.sh:
#
#   slurm_start   sets SLURM_DIR and exports SLURM_CONF; or prints the one-line
#                 reason it cannot (not root, Slurm or munge missing) and fails
#   slurm_stop    ends the daemons it started (slurm_start arranges it at exit)
#
# The configuration: one node (this host, at 127.0.0.1), one partition, the
# cgroup (v1) process tracker (a step's end kills every process of it, the
# detached ones too: qrun's holders and image servers), job completions in a
# text file, PMIx and PMI-2 for MPI, the SPANK plugins of plugstack.conf
# (empty: a test adds its own). Ports 16817-16818, not the defaults: a site's
# Slurm may run here. slurmd's spool is Debian's /var/spool/slurmd: the PMIx
# directory it makes there is bound into join mode's containers at the same
# path, which the MPI rootfs has.
SLURM_DIR=
slurm_config() {
        local node=$1 cpus=$2
        cat <<EOF
ClusterName=qrun-test
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=16817
SlurmdPort=16818
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$SLURM_DIR/munge/munge.socket
CredType=cred/munge
StateSaveLocation=$SLURM_DIR/state
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=$SLURM_DIR/slurmctld.pid
SlurmdPidFile=$SLURM_DIR/slurmd.pid
SlurmctldLogFile=$SLURM_DIR/slurmctld.log
SlurmdLogFile=$SLURM_DIR/slurmd.log
ProctrackType=proctrack/cgroup
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$SLURM_DIR/jobcomp.txt
KillWait=2
InactiveLimit=0
MinJobAge=300
PlugStackConfig=$SLURM_DIR/plugstack.conf
NodeName=$node NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=test Nodes=$node Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4
EOF
}

slurm_start() {
        [ "$(id -u)" -eq 0 ] || { echo "Slurm's daemons need root"; return 1; }
        local b
        for b in munged slurmctld slurmd srun sinfo; do
                command -v "$b" >/dev/null || { echo "no $b (tools/deps.sh hpc installs Slurm and munge)"; return 1; }
        done
        SLURM_DIR=$(mktemp -d /tmp/qrun-slurm.XXXXXX)
        chmod 755 "$SLURM_DIR"
        mkdir -p "$SLURM_DIR/state" "$SLURM_DIR/munge" /var/spool/slurmd
        trap 'slurm_stop; rm -rf "$T"' EXIT
        slurm_config "$(hostname -s)" "$(nproc)" >"$SLURM_DIR/slurm.conf"
        printf 'CgroupPlugin=cgroup/v1\nCgroupMountpoint=/sys/fs/cgroup\n' >"$SLURM_DIR/cgroup.conf"
        : >"$SLURM_DIR/plugstack.conf"
        chmod 644 "$SLURM_DIR/slurm.conf" "$SLURM_DIR/cgroup.conf" "$SLURM_DIR/plugstack.conf"
        export SLURM_CONF=$SLURM_DIR/slurm.conf
        chown munge: "$SLURM_DIR/munge"
        setpriv --reuid=munge --regid=munge --clear-groups -- munged \
                --socket="$SLURM_DIR/munge/munge.socket" --pid-file="$SLURM_DIR/munge/munged.pid" \
                --log-file="$SLURM_DIR/munge/munged.log" --seed-file="$SLURM_DIR/munge/seed" ||
                { echo "munged did not start"; return 1; }
        slurmctld -i || { echo "slurmctld did not start: $(tail -n 1 "$SLURM_DIR/slurmctld.log")"; return 1; }
        slurmd || { echo "slurmd did not start: $(tail -n 1 "$SLURM_DIR/slurmd.log")"; return 1; }
        wait_until sh -c 'sinfo -h -o %T | grep -qx idle' ||
                { echo "the node did not become idle: $(sinfo -h -o '%T %E' 2>&1 | head -n 1)"; return 1; }
}

slurm_stop() {
        [ -n "$SLURM_DIR" ] || return 0
        local f pid
        # The jobs first: slurmstepd outlives slurmd, and its tasks with it.
        # Each step may fail (set -e in bench/mpi.sh): the next still runs.
        scancel --full --quiet --partition=test 2>/dev/null || true
        wait_until sh -c '[ -z "$(squeue -h 2>/dev/null)" ]' || true
        for f in slurmd.pid slurmctld.pid munge/munged.pid; do
                pid=$(cat "$SLURM_DIR/$f" 2>/dev/null) || continue
                kill "$pid" 2>/dev/null || continue
                wait_while kill -0 "$pid" || kill -9 "$pid" 2>/dev/null || true
        done
        rm -rf "$SLURM_DIR"
        SLURM_DIR=
}

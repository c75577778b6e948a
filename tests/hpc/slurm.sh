# A real Slurm on localhost for tests/hpc/*.t and bench/mpi.sh, without
# systemd: munged, slurmctld, slurmd and slurmdbd (Debian's 22.05) with a
# MariaDB of its own, started by root in a private directory and stopped
# again. Sourced after tests/lib.sh:
#
#   slurm_start   sets SLURM_DIR and exports SLURM_CONF; or prints the one-line
#                 reason it cannot (not root, Slurm or munge missing) and fails.
#                 Without accounting (no MariaDB or slurmdbd) it still starts
#                 the rest, and SLURM_ACCT_WHY says why sacct has nothing.
#   slurm_stop    ends the daemons it started (the caller arranges it at exit,
#                 before slurm_start: tests with lib.sh's at_exit);
#                 KEEP=1 keeps SLURM_DIR (logs, state, database)
#
# The configuration: one node (this host, at 127.0.0.1), one partition, the
# cgroup (v1) process tracker (a step's end kills every process of it, the
# detached ones too: qrun's holders and image servers), job completions in a
# text file, accounting in slurmdbd (sacct; no limits enforced, no
# associations needed), PMIx and PMI-2 for MPI, CPU binding on request only
# (task/affinity with no default binding: srun --cpu-bind=cores binds,
# bench/mpi.sh does), the SPANK plugins of
# plugstack.conf (empty: a test adds its own). Ports 16817-16819, not the
# defaults: a site's Slurm may run here; MariaDB has a unix socket in
# SLURM_DIR and no TCP port. Accounting adds 3-4 s to the start (a second of
# it mariadb-install-db) and 2-3 s to the stop (slurmdbd's). slurmd's spool is
# Debian's /var/spool/slurmd: the PMIx directory it makes there is bound into
# join mode's containers at the same path, which the MPI rootfs has.
SLURM_DIR=
SLURM_ACCT_WHY=
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
TaskPlugin=task/affinity
TaskPluginParam=None
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
JobAcctGatherType=jobacct_gather/none
$(slurm_accounting_config)
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

# slurm_accounting_config: slurmdbd when slurm_db_start got it running
slurm_accounting_config() {
        if [ -z "$SLURM_ACCT_WHY" ]; then
                # The munge socket to slurmdbd is AccountingStoragePass: AuthInfo's is not used
                printf '%s\n' AccountingStorageType=accounting_storage/slurmdbd \
                        AccountingStorageHost=127.0.0.1 AccountingStoragePort=16819 \
                        "AccountingStoragePass=$SLURM_DIR/munge/munge.socket"
        else
                echo AccountingStorageType=accounting_storage/none
        fi
}

# slurmdbd_config PASSWORD: Debian's MariaDB client library finds the
# server's socket in MYSQL_UNIX_PORT (slurmdbd.conf has no key for it), so
# StorageHost=localhost means that socket.
slurmdbd_config() {
        cat <<EOF
AuthType=auth/munge
AuthInfo=socket=$SLURM_DIR/munge/munge.socket
DbdHost=localhost
DbdAddr=127.0.0.1
DbdPort=16819
SlurmUser=root
PidFile=$SLURM_DIR/slurmdbd.pid
LogFile=$SLURM_DIR/slurmdbd.log
StorageType=accounting_storage/mysql
StorageHost=localhost
StorageUser=slurm
StoragePass=$1
StorageLoc=slurm_acct_db
EOF
}

mariadb_up() { mariadb-admin --no-defaults --socket="$SLURM_DIR/db/mysqld.sock" ping; }

# slurm_db_start: a private MariaDB (its own datadir and socket in
# $SLURM_DIR/db, no TCP: a site's database on 3306 is never touched), the
# database and user of slurmdbd, slurmdbd. Small InnoDB logs and buffer pool:
# the datadir takes 26 MB instead of 114.
slurm_db_start() {
        local db=$SLURM_DIR/db b pw
        local opts=(--innodb-log-file-size=8M --innodb-buffer-pool-size=32M)
        for b in mariadb-install-db mariadbd slurmdbd sacctmgr; do
                command -v "$b" >/dev/null || { echo "no $b (tools/deps.sh hpc installs slurmdbd and MariaDB)"; return 1; }
        done
        mkdir "$db"
        chown mysql: "$db"
        mariadb-install-db --no-defaults --user=mysql --datadir="$db/data" --skip-test-db \
                --auth-root-authentication-method=socket "${opts[@]}" >"$db/install.log" 2>&1 ||
                { echo "mariadb-install-db failed: $(tail -n 1 "$db/install.log")"; return 1; }
        # Its own session and none of our descriptors: prove reads the test's
        # output until every writer is gone.
        setsid mariadbd --no-defaults --user=mysql --datadir="$db/data" --socket="$db/mysqld.sock" \
                --pid-file="$db/mysqld.pid" --skip-networking --log-error="$db/mysqld.log" "${opts[@]}" \
                </dev/null >/dev/null 2>&1 &
        wait_until mariadb_up || { echo "MariaDB did not start: $(tail -n 1 "$db/mysqld.log")"; return 1; }
        pw=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
        mariadb --no-defaults --socket="$db/mysqld.sock" -e "CREATE DATABASE slurm_acct_db;
                CREATE USER slurm@localhost IDENTIFIED BY '$pw';
                GRANT ALL ON slurm_acct_db.* TO slurm@localhost;" || { echo "could not create slurmdbd's database"; return 1; }
        # slurmdbd reads it beside slurm.conf, and only if SlurmUser owns it, mode 0600
        slurmdbd_config "$pw" >"$SLURM_DIR/slurmdbd.conf"
        chmod 600 "$SLURM_DIR/slurmdbd.conf"
        MYSQL_UNIX_PORT=$db/mysqld.sock slurmdbd ||
                { echo "slurmdbd did not start: $(tail -n 1 "$SLURM_DIR/slurmdbd.log")"; return 1; }
        # Answering before slurmctld starts: slurmctld adds its cluster when
        # it first registers (22.05), no sacctmgr add cluster needed.
        wait_until sacctmgr -n list cluster ||
                { echo "slurmdbd does not answer: $(tail -n 1 "$SLURM_DIR/slurmdbd.log")"; return 1; }
}

# slurm_spool_clean: every test Slurm numbers its jobs from 1, but the spool
# outlives it. A step's PMIx socket and directory left by a slurmstepd that
# never finished (an interrupted run) made the --mpi=pmix step of that id fail
# in every later run: "srun: error: task 0 launch failed: Unspecified error",
# slurmd.log "pmixp_usock_create_srv: ... Cannot bind() UNIX socket
# /var/spool/slurmd/stepd.slurm.pmix.12.0: Address already in use". With no
# slurmstepd on the host, none of them is in use.
slurm_spool_clean() {
        pgrep -x slurmstepd >/dev/null && return 0
        rm -rf /var/spool/slurmd/pmix.* /var/spool/slurmd/stepd.slurm.pmix.*
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
        slurm_spool_clean
        SLURM_ACCT_WHY=
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
        # Without accounting only the tests of sacct skip: they say why.
        if ! slurm_db_start >"$SLURM_DIR/acct.why" 2>"$SLURM_DIR/acct.err"; then
                SLURM_ACCT_WHY=$(tail -n 1 "$SLURM_DIR/acct.why")
                SLURM_ACCT_WHY=${SLURM_ACCT_WHY:-slurmdbd did not start}
                slurm_config "$(hostname -s)" "$(nproc)" >"$SLURM_DIR/slurm.conf"
        fi
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
        # slurmctld before slurmdbd (it sends what it has not yet sent), and
        # slurmdbd before its database.
        for f in slurmd.pid slurmctld.pid slurmdbd.pid db/mysqld.pid munge/munged.pid; do
                pid=$(cat "$SLURM_DIR/$f" 2>/dev/null) || continue
                kill "$pid" 2>/dev/null || continue
                wait_while kill -0 "$pid" || kill -9 "$pid" 2>/dev/null || true
        done
        # KEEP=1 (as for tests/run.sh) keeps the logs, the state and the database
        if [ -n "${KEEP:-}" ]; then echo "slurm.sh: kept $SLURM_DIR" >&2; else rm -rf "$SLURM_DIR"; fi
        SLURM_DIR=
}

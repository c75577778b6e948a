#!/bin/bash
# Join mode ([namespaces] join, --join): launches of one key share one user,
# mount and ipc namespace through a holder process, which ends with the last
# of them and leaves nothing behind.
. "$(dirname "$0")/../lib.sh"

mkdir -p "$T/shared"
chmod 777 "$T/shared"
manifest "$T/m.ini" <<EOF
[process]
command = /bin/qtest
[mounts]
bind = $T/shared:/home
EOF
uid=$(as_user id -u)
rundir=/tmp/qrun-$uid
holders() { test_pgrep -x qrun-join; }
join_files() { ls "$rundir" 2>/dev/null | grep '^join-'; }
# A holder killed by a signal (as a job's end kills its cgroup) cannot remove
# its files; the next launch of its key reuses them. Start from none.
wait_while holders && [ "$(id -u)" -eq 0 ] && rm -f "$rundir"/join-*

# wait_file NAME: a rank's command waits for /home/NAME (made from outside)
wait_file() { echo "while [ ! -e /home/$1 ]; do sleep 0.05; done"; }

# ---- one launch ----
run_qrun --join=one "$T/m.ini" -- /bin/sh -c 'id -u; ls -d /dev/shm; read -r pid rest </proc/self/stat; test "$pid" = $$ && echo proc; exit 0'
is "$RC:$OUT" "0:$uid
/dev/shm
proc" "--join=KEY runs the command, with /dev/shm and the host's /proc (no pid namespace of its own)"
wait_while holders
ok $? "the holder ends with the last launch"
is "$(join_files)" "" "and removes its socket and lock"

# ---- two ranks: one ipc namespace, one /dev/shm, each other's pids ----
key=0x71726a$((RANDOM % 90 + 10))
user_command "$QRUN" --join=two "$T/m.ini" -- /bin/sh -c \
        "/bin/qtest msgq $key create && echo data >/dev/shm/seg && echo \$\$ >/home/pid1 && $(wait_file done)"
"${CMD[@]}" >"$T/rank1.out" 2>&1 </dev/null &
rank1=$!
wait_until test -s "$T/shared/pid1"
run_qrun --join=two "$T/m.ini" -- /bin/sh -c "/bin/qtest msgq $key; cat /dev/shm/seg; kill -0 \$(cat /home/pid1) && echo sees-rank1"
is "$OUT" "msgq=ok
data
sees-rank1" "a second rank shares the ipc namespace, /dev/shm, and sees (may signal) the first"
run_qrun "$T/m.ini" -- /bin/sh -c "/bin/qtest msgq $key; ls /dev/shm"
is "$OUT" "msgq=ENOENT" "a launch without join shares nothing of them"
is "$(holders | grep -c .)" 1 "one holder while rank 1 runs"
# Exec'd before the launch creates the namespaces: the ranks have no
# capability in its user namespace (escape.t: they cannot trace it).
is "$(readlink "/proc/$(holders)/ns/user")" "$(readlink /proc/self/ns/user)" \
        "the holder stays in the host's user namespace"
touch "$T/shared/done"
wait "$rank1"
is "$?" 0 "rank 1 exits 0"
wait_while holders
ok $? "the holder ends once both ranks have"
rm -f "$T/shared/done"
run_qrun --join=two "$T/m.ini" -- /bin/sh -c "/bin/qtest msgq $key; ls /dev/shm"
is "$OUT" "msgq=ENOENT" "a rank after everyone left gets fresh namespaces, not an error nor the old ones"

# ---- --each: every task joins, the first launch's tasks too ----
# The launch that creates the namespaces builds the tree before its first
# task (a task of its own would build it only for itself); a rank already
# running shares it with every task.
user_command "$QRUN" --join=each "$T/m.ini" -- /bin/sh -c "echo from-rank >/dev/shm/r; touch /home/each-up; $(wait_file each-go)"
"${CMD[@]}" >"$T/each-rank.out" 2>&1 </dev/null &
rank=$!
wait_until test -e "$T/shared/each-up"
printf '%s\n' "/bin/sh -c 'echo t1 >/dev/shm/t1'" "/bin/sh -c 'cat /dev/shm/r 2>/dev/null || echo none; cat /dev/shm/t1'" >"$T/tasks"
as_user "$QRUN" --join=each "$T/m.ini" --each -j 1 <"$T/tasks" >"$T/out" 2>"$T/err"
is "$?:$(cat "$T/out")" "0:[task 2] from-rank
[task 2] t1" "--each joins a running rank's namespaces: its tasks share /dev/shm with it and each other"
touch "$T/shared/each-go"
wait "$rank"
wait_while holders
as_user "$QRUN" --join=each2 "$T/m.ini" --each -j 1 <"$T/tasks" >"$T/out" 2>"$T/err"
is "$?:$(cat "$T/out")" "0:[task 2] none
[task 2] t1" "--each that creates the namespaces: its tasks share them too"
wait_while holders
ok $? "and the holder ends with it"

# ---- 32 concurrent joiners: one election, one set of namespaces ----
pids=()
for i in $(seq 32); do
        user_command "$QRUN" --join=many "$T/m.ini" -- /bin/sh -c "touch /home/up.$i; $(wait_file go32)"
        "${CMD[@]}" >"$T/many.$i" 2>&1 </dev/null &
        pids+=($!)
done
all_up() { [ "$(ls "$T/shared" | grep -c '^up\.')" -eq 32 ]; }
for try in 1 2 3 4 5 6; do wait_until all_up && break; done # 32 launches on a loaded machine
all_up
ok $? "32 ranks started at once all run"
is "$(holders | grep -c .)" 1 "they share one holder"
userns=$(for p in $(test_pgrep -x sh); do readlink "/proc/$p/ns/user"; done | sort -u)
is "$(printf '%s\n' "$userns" | grep -c .)" 1 "and one user namespace"
touch "$T/shared/go32"
failed=0
for p in "${pids[@]}"; do wait "$p" || failed=$((failed + 1)); done
is "$failed" 0 "all 32 exit 0"
wait_while holders
ok $? "no holder is left"
is "$(join_files)" "" "no socket or lock is left"
is "$(test_processes)" "" "no process of the test user is left"

# ---- a holder killed by a signal (a job's end kills its cgroup) ----
user_command "$QRUN" --join=killed "$T/m.ini" -- /bin/sh -c "$(wait_file go-killed)"
"${CMD[@]}" >/dev/null 2>&1 </dev/null &
rank=$!
wait_until holders
kill -KILL $(holders)
touch "$T/shared/go-killed"
wait "$rank"
is "$(join_files | grep -c .)" 2 "a holder killed by a signal leaves its socket and lock"
run_qrun --join=fresh "$T/m.ini" -- /bin/true
# The launch does not wait for its holder (which may start after the launch
# has ended, as under the sanitizers): its end is the holder's.
wait_while holders
is "$RC:$(join_files)" "0:" "the next holder of any key removes them (nobody listened on that socket), and its own at its end"

# ---- a holder that dies while a launch waits for its hello ----
# A launch that finds the socket waits in its backlog (the first launch does
# not wait for its holder); if the holder goes, the waiting launch's
# connection is reset and it starts namespaces and a holder of its own.
user_command "$QRUN" --join=dies "$T/m.ini" -- /bin/sh -c "echo \$\$ >/home/dies1; $(wait_file go-dies)"
"${CMD[@]}" >/dev/null 2>&1 </dev/null &
rank=$!
wait_until test -s "$T/shared/dies1"
old_holder=$(holders)
kill -STOP "$old_holder"
user_command "$QRUN" --join=dies "$T/m.ini" -- /bin/sh -c 'kill -0 $(cat /home/dies1) 2>/dev/null && echo same || echo fresh; readlink /proc/self/ns/ipc'
"${CMD[@]}" >"$T/dies2.out" 2>&1 </dev/null &
waiting=$!
sleep 0.5
ok "$(kill -0 "$waiting" 2>/dev/null && echo 0 || echo 1)" "a launch waits for a stopped holder's hello"
kill -KILL "$old_holder"
wait "$waiting"
is "$?:$(head -1 "$T/dies2.out")" "0:same" "once it is killed, the launch starts its own holder and runs (it still sees the first rank: no pid namespace)"
theirs=$(tail -1 "$T/dies2.out") first=$(readlink "/proc/$(cat "$T/shared/dies1")/ns/ipc")
[ -n "$theirs" ] && [ -n "$first" ] && [ "$theirs" != "$first" ]
ok $? "... in namespaces of its own: the killed holder's are gone for new launches"
touch "$T/shared/go-dies"
wait "$rank"
is "$?" 0 "the first rank is unaffected"
wait_while holders

# ---- a first launch that fails before its tree reaches the holder ----
# The holder run as a launch leaves it (descriptors 3, 4, 5: the runtime
# directory, the listening socket, the launch's connection), then that
# connection closed unsent, as by a launch that failed: the holder removes the
# socket and lock and exits 125; with a launch waiting in the backlog, it
# leaves them to that launch (which sees its connection reset).
cat >"$T/holder_fails.py" <<'EOF2'
import fcntl, os, socket, subprocess, sys
qrun, d = sys.argv[1], sys.argv[2]
os.makedirs(d, mode=0o700, exist_ok=True)
for waiting in (False, True):
    name = "join-%016x" % (0xaa + waiting)
    sock, lock = (os.path.join(d, name + ext) for ext in (".sock", ".lock"))
    dirfd = os.open(d, os.O_RDONLY | os.O_DIRECTORY)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    listener.bind(sock)
    listener.listen(8)
    launch, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    os.close(os.open(lock, os.O_RDWR | os.O_CREAT, 0o600))
    fds = [dirfd, listener.fileno(), theirs.fileno()]

    def place():
        tmp = [fcntl.fcntl(f, fcntl.F_DUPFD, 10) for f in fds]
        for i, f in enumerate(tmp):
            os.dup2(f, 3 + i)

    holder = subprocess.Popen(["qrun-join", "k", name], executable=qrun, preexec_fn=place,
                              pass_fds=(3, 4, 5), stderr=subprocess.DEVNULL)
    for s in (listener, theirs):
        s.close()
    os.close(dirfd)
    if waiting:
        client = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        client.connect(sock)
    launch.close()
    status = holder.wait(timeout=10)
    print("waiting" if waiting else "alone", status, *sorted(f for f in os.listdir(d) if f.startswith(name)))
EOF2
chmod a+r "$T/holder_fails.py"
as_user /usr/bin/python3 "$T/holder_fails.py" "$QRUN" "$T/shared/rundir" >"$T/out" 2>&1
is "$(cat "$T/out")" "alone 125
waiting 125 join-00000000000000ab.lock join-00000000000000ab.sock" \
        "a holder whose first launch sent nothing removes its socket and lock, unless a launch waits"

# ---- the key from the environment ----
user_command env SLURM_JOB_ID=77 SLURM_STEP_ID=3 "$QRUN" --join "$T/m.ini" -- /bin/sh -c "$(wait_file go-env)"
"${CMD[@]}" >"$T/env.out" 2>&1 </dev/null &
rank=$!
wait_until test_pgrep -f '^qrun-join slurm-77.3'
ok $? "--join alone takes its key from SLURM_JOB_ID.SLURM_STEP_ID"
touch "$T/shared/go-env"
wait "$rank"
run_qrun --join "$T/m.ini" -- /bin/true
is "$RC:$ERR" '125:--set: [namespaces] join: auto: none of SLURM_JOB_ID and SLURM_STEP_ID, PMIX_NAMESPACE or OMPI_MCA_ess_base_jobid is set: give a key (--join=KEY)' \
        "--join without a job in the environment says what it looked for"
SLURM_JOB_ID=1 SLURM_STEP_ID=0 SLURM_NTASKS=2 OMPI_COMM_WORLD_RANK=0 UCX_TLS=sm QT_OTHER=1 run_qrun --join -s process.env_defaults=false "$T/m.ini" -- /bin/sh -c 'env | sort | grep -Ev "^(PATH|PWD|SHLVL|HOME)="'
is "$OUT" "OMPI_COMM_WORLD_RANK=0
SLURM_JOB_ID=1
SLURM_NTASKS=2
SLURM_STEP_ID=0
UCX_TLS=sm" "join mode keeps the hpc environment preset"

# ---- a SquashFS rootfs: the holder mounts the image and keeps its server ----
# linger = 0: the server ends as soon as no connection is left, so the second
# rank reading the image after the first (which started the holder) exited
# shows that the holder's connection keeps it.
open_dev_fuse
if [ -n "$FUSE_OK" ]; then
        mksquashfs "$ROOTFS" "$T/rootfs.sqfs" -noappend -quiet -all-root -no-xattrs >/dev/null
        chmod a+r "$T/rootfs.sqfs"
        manifest "$T/sq.ini" <<EOF2
[rootfs]
path = $T/rootfs.sqfs
linger = 0
[process]
command = /bin/qtest
[mounts]
bind = $T/shared:/home
EOF2
        end_image_servers
        user_command "$QRUN" --join=sq "$T/sq.ini" -- /bin/sh -c \
                "echo from-rank1 >/dev/shm/sq && touch /home/sq1 && $(wait_file sq-done)"
        "${CMD[@]}" >"$T/sq1.out" 2>&1 </dev/null &
        rank1=$!
        wait_until test -e "$T/shared/sq1"
        user_command "$QRUN" --join=sq "$T/sq.ini" -- /bin/sh -c \
                "cat /dev/shm/sq; touch /home/sq2; $(wait_file sq-go); cat /etc/passwd | head -c 5; /bin/qtest msgq 0x7172 create"
        "${CMD[@]}" >"$T/sq2.out" 2>&1 </dev/null &
        rank2=$!
        wait_until test -e "$T/shared/sq2"
        is "$(test_pgrep -x qrun-squashfs | grep -c .):$(holders | grep -c .)" "1:1" \
                "join with a SquashFS rootfs: one image server and one holder for both ranks"
        touch "$T/shared/sq-done"
        wait "$rank1"
        is "$?:$(cat "$T/sq1.out")" "0:" "the rank that started the holder exits 0"
        touch "$T/shared/sq-go"
        wait "$rank2"
        is "$?:$(cat "$T/sq2.out")" "0:from-rank1
root:msgq=ok" "the other rank shares /dev/shm with it, and reads the image after it has exited"
        wait_while holders
        ok $? "the holder ends with the last rank"
        wait_while test_pgrep -x qrun-squashfs
        ok $? "and the image's server (linger = 0) with it"
        run_qrun --join=sq "$T/sq.ini" -- /bin/sh -c 'echo w >/etc/new && cat /etc/new'
        is "$RC:$OUT" "0:w" "join with a SquashFS rootfs: a tmpfs overlay, writable (room for PMIx's mount points)"
        run_qrun --join=sq --check "$T/sq.ini"
        like "$OUT" "^; overlay = tmpfs, implied by \[namespaces\] join" "... which --check shows"
        wait_while test_pgrep -x qrun-squashfs
else
        skip "/dev/fuse cannot be opened by the test user"
fi

# ---- PMIx's directories: bound at their paths, with room made for them ----
# As slurmd names its PMIx directory (PMIX_SERVER_TMPDIR): here one under
# /var/tmp, which the test rootfs lacks and the test user cannot create there
# (a site's shared image): the ranks get a tmpfs overlay to make it in.
P=$(mktemp -d /var/tmp/qrun-pmix.XXXXXX)
at_exit 'rm -rf "$P"'
echo from-the-server >"$P/rendezvous" && chmod -R a+rX "$P"
pmix_qrun() {
        as_user env PMIX_SERVER_TMPDIR="$P/" "$QRUN" "$@" >"$T/out" 2>"$T/err" </dev/null
        RC=$?
        OUT=$(cat "$T/out")
        ERR=$(cat "$T/err")
}
if ! as_user test -w "$ROOTFS"; then
        pmix_qrun --join=pmix "$T/m.ini" -- /bin/sh -c "cat $P/rendezvous; grep ' / / ' /proc/self/mountinfo | tail -1 | sed 's/.* - \([^ ]*\) .*/\1/'"
        is "$RC:$OUT" "0:from-the-server
overlay" "join: PMIx's directory is bound at its path, in a tmpfs overlay over a rootfs the user cannot write"
        pmix_qrun --join=pmix --check "$T/m.ini"
        like "$OUT" "^; overlay = tmpfs, implied by \[namespaces\] join \(the mount point of a PMIx directory" \
                "... which --check says, and why"
        like "$OUT" "^; join: PMIx's directories, bound: $P" "... with the directories it binds"
else
        skip "the test user can write the rootfs"
fi

# ---- the holder is qrun's own ----
user_command bash -c 'exec -a qrun-join "$0" key join-0123456789abcdef' "$QRUN"
"${CMD[@]}" >"$T/out" 2>"$T/err" </dev/null
is "$?:$(cat "$T/err")" "125:qrun: join: qrun-join is join mode's holder, which only a launch of qrun starts: Invalid argument" \
        "qrun run as the holder by hand refuses, in one line"

# ---- settings that cannot be shared ----
manifest "$T/other.ini" <<EOF
[rootfs]
path = $T/shared
[process]
command = /bin/true
EOF
user_command "$QRUN" --join=refuse "$T/m.ini" -- /bin/sh -c "$(wait_file go-refuse)"
"${CMD[@]}" >"$T/refuse.out" 2>&1 </dev/null &
rank=$!
wait_until test_pgrep -f '^qrun-join refuse'
run_qrun --join=refuse "$T/other.ini"
is "$RC:$ERR" '125:qrun: join: the launches already joined as "refuse" use another rootfs: launches of one key must share their rootfs, [user], [namespaces] and mounts' \
        "another rootfs under the same key is refused"
run_qrun --join=refuse -s user.uid=0 "$T/m.ini" -- /bin/true
like "$RC:$ERR" '^125:.*use another \[user\] uid or gid' "another uid under the same key is refused"
touch "$T/shared/go-refuse"
wait "$rank"
is "$?" 0 "the first rank is unaffected"
run_qrun --join=x -s namespaces.pid=true "$T/m.ini" -- /bin/true
is "$RC:$ERR" "125:--set: [namespaces] pid: join mode gives the ranks no pid namespace of their own (MPI ranks must see each other's pids for shared memory and cross-memory attach): remove pid = true" \
        "join with pid = true is refused, saying why"
run_qrun --join=noproc -s mounts.proc=false "$T/m.ini" -- /bin/sh -c 'test -e /proc/self || echo none'
is "$RC:$OUT" "0:none" "join with proc = false: no /proc"
run_qrun --join=x -s mounts.dev=none "$T/m.ini" -- /bin/true
like "$RC:$ERR" '^125:.*\[mounts\] dev: join mode gives the ranks a shared /dev/shm' "join with dev = none is refused"
wait_while holders
is "$(test_processes)" "" "nothing of the test user is left"

done_testing

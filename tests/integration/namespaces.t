#!/bin/bash
# [namespaces]: pid (qrun's init is pid 1), ipc, uts, and net (opt-in, loopback only).
. "$(dirname "$0")/../lib.sh"

manifest "$T/m.ini" <<'EOF2'
[process]
command = /bin/qtest
EOF2

run_qrun "$T/m.ini" -- /bin/qtest pid
is "$OUT" "pid=2 ppid=1" "pid namespace: the command is pid 2 under qrun's init"
run_qrun -s namespaces.pid=false "$T/m.ini" -- /bin/qtest pid
like "$OUT" '^pid=[0-9]+ ppid=[0-9]+$' "pid = false: runs"
[ "$OUT" != "pid=2 ppid=1" ]
ok $? "pid = false: host pids, no init"

# ipc: a System V message queue made outside is invisible inside.
key=0x71726e$((RANDOM % 90 + 10))
as_user "$ROOTFS/bin/qtest" msgq "$key" create >/dev/null
run_qrun "$T/m.ini" -- /bin/qtest msgq "$key"
is "$OUT" "msgq=ENOENT" "ipc namespace: the caller's message queue is not visible"
run_qrun -s namespaces.ipc=false "$T/m.ini" -- /bin/qtest msgq "$key"
is "$OUT" "msgq=ok" "ipc = false: the caller's message queue is visible"
as_user ipcrm -Q "$key" 2>/dev/null

# uts
host=$(hostname)
run_qrun -s process.hostname=sandbox-1 "$T/m.ini" -- /bin/hostname
is "$OUT" "sandbox-1" "uts: hostname set inside"
is "$(hostname)" "$host" "uts: the host's name is unchanged"
run_qrun "$T/m.ini" -- /bin/hostname
is "$OUT" "$host" "uts without hostname: the host's name"
run_qrun -s namespaces.uts=false "$T/m.ini" -- /bin/hostname
is "$OUT" "$host" "uts = false: the host's name"

# net: no network namespace by default; with net = true only loopback, up.
host_ifs=$(as_user "$ROOTFS/bin/qtest" netifs)
run_qrun "$T/m.ini" -- /bin/qtest netifs
is "$OUT" "$host_ifs" "net = false (default): the host's interfaces"
run_qrun -s namespaces.net=true "$T/m.ini" -- /bin/qtest netifs
is "$OUT" "lo:up" "net = true: only loopback, and it is up"
run_qrun -s namespaces.net=true "$T/m.ini" -- /bin/qtest loopback
is "$OUT" "loopback=ok" "net = true: loopback carries traffic"

done_testing

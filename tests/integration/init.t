#!/bin/bash
# The monitor and the init: signal forwarding, reaping, ending the container.
. "$(dirname "$0")/../lib.sh"

manifest "$T/m.ini" <<'EOF2'
[process]
command = /bin/sh
EOF2

# The container's sleeps carry this run's pid as a second argument (busybox
# sleep adds them up), so that another run of the suite as the same user is
# never counted.
run=$$

# start_qrun ARGS...: starts qrun in the background as the test user; QPID is
# qrun's own pid (setpriv and perl exec in place). Background jobs of a script
# start with SIGINT and SIGQUIT ignored, and the whole suite may run under
# nohup (SIGHUP ignored); perl puts them back to default, as an interactive
# shell would.
start_qrun() {
        user_command perl -e '$SIG{$_} = "DEFAULT" for qw(INT QUIT HUP); exec @ARGV or die' \
                "$QRUN" "$@"
        "${CMD[@]}" >"$T/bg.out" 2>"$T/bg.err" </dev/null &
        QPID=$!
}

# Each forwarded signal reaches the command, with and without a pid namespace.
for pid in true false; do
        for sig in INT TERM HUP QUIT USR1 USR2 WINCH CONT; do
                start_qrun -s namespaces.pid=$pid "$T/m.ini" -- /bin/sh -c \
                        "trap 'echo got-$sig; exit 7' $sig; echo ready; while :; do sleep 0.05; done"
                wait_for "$T/bg.out" ready
                kill -s "$sig" "$QPID"
                wait "$QPID"
                is "$?:$(tail -n 1 "$T/bg.out")" "7:got-$sig" "pid=$pid: SIG$sig is forwarded to the command"
        done
done

# SIGTERM to qrun ends a sleep inside: 143 (once sleep, not the shell, runs)
for pid in true false; do
        start_qrun -s namespaces.pid=$pid "$T/m.ini" -- /bin/sh -c "echo ready; exec sleep 984 $run"
        wait_until test_pgrep -f "^sleep 984 $run\$"
        running=$?
        kill -TERM "$QPID"
        wait "$QPID"
        is "$running:$?" "0:143" "pid=$pid: SIGTERM to qrun ends sleep inside: 143"
done

# A signal the caller ignores stays ignored by the command (nohup qrun works).
# SIGUSR1, sent after SIGHUP, ends the command: forwarded after SIGHUP (and
# delivered after it, the lower number), so no sleep has to outlast SIGHUP.
trap '' HUP
user_command "$QRUN" "$T/m.ini" -- /bin/sh -c \
        'trap "echo survived; exit 0" USR1; echo ready; while :; do sleep 0.05; done'
"${CMD[@]}" >"$T/hup.out" 2>&1 </dev/null &
qpid=$!
trap - HUP
wait_for "$T/hup.out" ready
kill -HUP "$qpid"
kill -USR1 "$qpid"
wait "$qpid"
is "$?:$(tail -n 1 "$T/hup.out")" "0:survived" "an ignored SIGHUP stays ignored (nohup)"

# Zombies: an orphan is reaped by qrun's init
run_qrun "$T/m.ini" -- /bin/qtest orphan
is "$RC:$OUT" "0:reaped" "orphans are reaped by pid 1"

# When the command exits, the rest of the container ends with it.
start=$(date +%s%N)
run_qrun "$T/m.ini" -- /bin/sh -c "sleep 987 $run & sleep 986 $run & echo started"
elapsed=$((($(date +%s%N) - start) / 1000000))
is "$RC:$OUT" "0:started" "the command's status, not its children's"
[ "$elapsed" -lt 10000 ]
ok $? "qrun does not wait for background processes ($elapsed ms)"
wait_while test_pgrep -f "^sleep 98[67] $run\$"
is "$(test_pgrep -f "^sleep 98[67] $run\$" | wc -l)" "0" "background processes are gone with the pid namespace"

# SIGKILL of qrun leaves nothing of the container alive
for pid in true false; do
        start_qrun -s namespaces.pid=$pid "$T/m.ini" -- /bin/sh -c "echo ready; exec sleep 985 $run"
        wait_until test_pgrep -f "^sleep 985 $run\$"
        is "$(test_pgrep -f "^sleep 985 $run\$" | wc -l)" "1" "pid=$pid: the container is running"
        { # bash may reap the killed job, and report it, before wait runs
                kill -KILL "$QPID"
                wait "$QPID"
        } 2>/dev/null
        wait_while test_pgrep -f "^sleep 985 $run\$"
        is "$(test_pgrep -f "^sleep 985 $run\$" | wc -l)" "0" "pid=$pid: SIGKILL of qrun kills the container"
done

# A failure inside the container after fork is reported by the monitor.
run_qrun "$T/m.ini" -- /nonexistent/command
is "$RC:$ERR" "127:qrun: exec: /nonexistent/command: No such file or directory" \
        "a failure after fork reaches the caller through the monitor"

done_testing

#!/bin/bash
# qrun MANIFEST --each: one container per line of stdin, the manifest, the
# filter and the user namespace made once.
. "$(dirname "$0")/../lib.sh"

manifest "$T/m.ini" <<'EOF2'
[process]
command = /bin/false
EOF2

# each_qrun [QRUN ARGS...] < TASKS: runs qrun --each as the test user with
# TASKS on stdin; sets OUT, ERR and RC.
each_qrun() {
        as_user "$QRUN" "$@" >"$T/out" 2>"$T/err"
        RC=$?
        OUT=$(cat "$T/out")
        ERR=$(cat "$T/err")
}

# ---- output: [task N] before every line, N the line in TASKS ----
each_qrun "$T/m.ini" --each -j1 <<'EOF2'
echo one
# a comment, then a blank line: skipped, but counted

sh -c 'echo two; echo "err of two" >&2; printf partial'
/bin/echo "quoted   words" 'stay'
EOF2
is "$RC" 0 "every task succeeded: 0"
is "$OUT" $'[task 1] one\n[task 4] two\n[task 4] partial\n[task 5] quoted   words stay' \
        "stdout: each line after [task N], N the task's line; a last partial line ends"
like "$ERR" '^\[task 4\] err of two' "stderr: the same prefixes"
like "$ERR" 'qrun: each: 3 tasks: 3 succeeded, 0 failed, 0 stopped, 0 not started$' "a summary at the end"

# ---- bad input: every bad line named, nothing started ----
each_qrun "$T/m.ini" --each <<'EOF2'
echo "unterminated
sh -c 'echo never'
echo ${QRUN_NO_SUCH_VARIABLE}
EOF2
is "$RC" 125 "a bad task line: 125"
like "$ERR" '^stdin:1: .*' "the bad line is named (stdin:1)"
like "$ERR" 'stdin:3: ' "every bad line is named (stdin:3)"
is "$OUT" "" "nothing ran"

each_qrun "$T/m.ini" --each -- /bin/true </dev/null
is "$RC:$ERR" "125:qrun: --each takes the commands from stdin, one per line: no command after -- (see qrun --help)" \
        "--each with a command after --: usage error"
each_qrun "$T/m.ini" -j 2 </dev/null
like "$RC:$ERR" '^125:qrun: -j, --keep-going and --output go with --each' "-j without --each: usage error"
each_qrun "$T/m.ini" --each -j 0 </dev/null
like "$RC:$ERR" '^125:qrun: -j expects a number of tasks from 1 to 4096, got "0"' "-j 0: usage error"
each_qrun "$T/m.ini" --each </dev/null
is "$RC:$OUT" "0:" "no tasks: nothing to do, 0"

# ---- isolation: each task its own pid and ipc namespaces ----
each_qrun "$T/m.ini" --each -j2 <<'EOF2'
sh -c 'echo $$'
sh -c 'echo $$'
EOF2
is "$(printf '%s\n' "$OUT" | sort)" $'[task 1] 2\n[task 2] 2' "every task's command is pid 2 of a pid namespace of its own (init is 1)"

# Task 2 kills everything it can see while task 1 sleeps: with its own pid
# namespace that is nothing of task 1's.
each_qrun "$T/m.ini" --each -j2 <<'EOF2'
sh -c 'sleep 1; echo survived'
sh -c 'kill -9 -1; for p in $(seq 1 200); do kill -0 $p 2>&- && echo sees $p; done; true'
EOF2
is "$RC" 0 "kill -9 -1 in one task: all succeed"
like "$OUT" '\[task 1\] survived' "a task cannot signal another's processes"
like "$ERR" "\\[task 2\\] sh: can't kill pid -1: No such process" "kill -1 finds no process to signal"
is "$(printf '%s\n' "$OUT" | grep 'task 2')" $'[task 2] sees 1\n[task 2] sees 2' \
        "a task sees only its own init and itself"

key=$((0x5000 + $$ % 4096))
each_qrun "$T/m.ini" --each -j1 <<EOF2
/bin/qtest msgq $key create
/bin/qtest msgq $key
EOF2
is "$OUT" $'[task 1] msgq=ok\n[task 2] msgq=ENOENT' "a task cannot see another's System V IPC"

# ---- limits and timeout: per task ----
manifest "$T/limits.ini" <<'EOF2'
[limits]
cpu = 1
nofile = 40
timeout = 4s
EOF2
each_qrun "$T/limits.ini" --each -j1 --keep-going <<'EOF2'
sleep 2.5
sleep 2.5
/bin/qtest rlimits
sh -c 'while :; do :; done'
sleep 10
/bin/true
EOF2
like "$OUT" '\[task 3\] nofile=40/40 .* cpu=1/1 ' "a task gets the manifest's rlimits"
like "$ERR" 'qrun: timeout: task 5: 4000 ms elapsed: sending SIGTERM' "task 5 timed out"
like "$ERR" '6 tasks: 4 succeeded, 2 failed \(first: task 4, exit status 137\)' \
        "the timeout and the CPU limit apply per task: two tasks of 2.5 s pass a 4 s timeout; the busy loop is killed at its hard CPU limit"
is "$RC" 137 "exit status: the first failure's (SIGKILL at the hard CPU limit: 128+9)"

# ---- exit statuses: the first failure's; --keep-going runs all ----
printf 'true\nsh -c "exit 3"\nsh -c "exit 4"\ntrue\n' >"$T/tasks"
each_qrun "$T/m.ini" --each -j1 <"$T/tasks"
is "$RC" 3 "a failure: its exit status"
like "$ERR" '4 tasks: 1 succeeded, 1 failed \(first: task 2, exit status 3\), 0 stopped, 2 not started' \
        "without --keep-going no task starts after a failure"
each_qrun "$T/m.ini" --each -j1 --keep-going <"$T/tasks"
is "$RC" 3 "--keep-going: the first failure's status"
like "$ERR" '4 tasks: 2 succeeded, 2 failed \(first: task 2, exit status 3\), 0 stopped, 0 not started' \
        "--keep-going: every task ran"
each_qrun "$T/m.ini" --each <<'EOF2'
no-such-command
EOF2
is "$RC" 127 "a command not found: 127"
like "$ERR" '^\[task 1\] qrun: exec: no-such-command: command not found' \
        "qrun's own error for a task carries the task's prefix"

# ---- set-ups one at a time, in qrun's memory ----
# A task's first process runs in qrun's memory until its command has exec'd
# (namespaces.h), and the next task starts only then. Without a pid namespace
# that process is the command: its exec, or its failed exec, ends the wait.
each_qrun "$T/m.ini" --set namespaces.pid=false --each -j2 --keep-going <<'EOF2'
sh -c 'echo one'
no-such-command
sh -c 'exit 5'
/bin/echo last
EOF2
is "$RC:$OUT" $'127:[task 1] one\n[task 4] last' \
        "no pid namespace: every task ran, the first failure's status (the exec that failed)"
like "$ERR" '4 tasks: 2 succeeded, 2 failed \(first: task 2, exit status 127\), 0 stopped, 0 not started' \
        "no pid namespace: the failed exec and the exit status 5 are counted"

# Mount mode: every task builds a tree of its own (a tmpfs only it sees).
mkdir -p "$T/hostdir"
echo "from the host" >"$T/hostdir/file"
chmod -R a+rX "$T/hostdir"
manifest "$T/mm.ini" <<EOF2
[mounts]
tmpfs = /tmp
bind = $T/hostdir:/home:ro
EOF2
for i in $(seq 1 100); do echo "sh -c 'echo $i >/tmp/mine; ls /tmp; cat /tmp/mine /home/file'"; done >"$T/mtasks"
each_qrun "$T/mm.ini" --each -j3 <"$T/mtasks"
is "$RC" 0 "mount mode, 100 tasks 3 at a time: all succeed"
is "$(grep -c '^\[task [0-9]*\] mine$' "$T/out"):$(grep -c '^\[task [0-9]*\] from the host$' "$T/out")" \
        "100:100" "every task's /tmp holds only its own file; every task sees the bind"
is "$(grep -v 'mine$\|from the host$' "$T/out" | awk '{sub(/\]/, "", $2); if ($2 != $3) print}')" "" \
        "every task reads back what it wrote, nothing of another's"

# ---- --output DIR: N.out and N.err ----
mkdir -m 777 "$T/outdir"
each_qrun "$T/m.ini" --each -j2 --output "$T/outdir/x" <<'EOF2'
sh -c 'echo out1; echo err1 >&2'

sh -c 'sleep 0.2; echo out3'
no-such-command
EOF2
is "$RC" 127 "--output: the first failure's status"
is "$(cd "$T/outdir/x" && ls | sort -n | tr '\n' ' ')" "1.err 1.out 3.err 3.out 4.err 4.out " \
        "--output creates DIR and one .out and .err per task, named by line"
is "$(cat "$T/outdir/x/1.out"):$(cat "$T/outdir/x/1.err"):$(cat "$T/outdir/x/3.out")" "out1:err1:out3" \
        "each file holds that task's output, unprefixed"
like "$(cat "$T/outdir/x/4.err")" '^qrun: exec: no-such-command: command not found' \
        "qrun's error for a task goes to its .err file"
is "$OUT" "" "--output: nothing on qrun's stdout"

# ---- SIGINT and SIGTERM stop every task and start no new one ----
two_sleeping() { [ "$(test_pgrep -c -f "^sleep 30 $$")" -eq 2 ]; }
for sig in INT TERM; do
        yes "sleep 30 $$" | head -n 6 >"$T/sleeps"
        user_command perl -e '$SIG{$_} = "DEFAULT" for qw(INT QUIT HUP); exec @ARGV or die' \
                "$QRUN" "$T/m.ini" --each -j2
        "${CMD[@]}" <"$T/sleeps" >"$T/bg.out" 2>"$T/bg.err" &
        qpid=$!
        wait_until two_sleeping
        ok $? "SIG$sig: two tasks running"
        kill -s "$sig" "$qpid"
        wait "$qpid"
        rc=$?
        sigs=(INT:130 TERM:143)
        is "$sig:$rc" "$(printf '%s\n' "${sigs[@]}" | grep "^$sig:")" "SIG$sig: qrun exits 128+N"
        like "$(cat "$T/bg.err")" '6 tasks: 0 succeeded, 0 failed, 2 stopped, 4 not started' \
                "SIG$sig: the running tasks were stopped, no other started"
        wait_while test_pgrep -f "^sleep 30 $$"
        ok $? "SIG$sig: no task process is left"
done

# ---- 1,000 tasks: nothing leaks ----
# qrun runs with 32 descriptors at most: a leak of one per task would end the
# run; every 100th task lists its descriptors.
for i in $(seq 1 1000); do
        if [ $((i % 100)) -eq 0 ]; then echo "/bin/qtest fds"; else echo "true"; fi
done >"$T/many"
user_command sh -c 'ulimit -n 32 && exec "$@"' sh "$QRUN" "$T/m.ini" --each -j2
"${CMD[@]}" <"$T/many" >"$T/out" 2>"$T/err"
is "$?" 0 "1,000 tasks, at most 32 descriptors for qrun: all succeed"
like "$(cat "$T/err")" '1000 tasks: 1000 succeeded, 0 failed, 0 stopped, 0 not started' "the summary counts 1,000"
is "$(grep -c 'fds=0,1,2$' "$T/out")" 10 "every task's command has only 0, 1 and 2 open"
leftover=$(test_processes)
is "$leftover" "" "no process is left behind"
if command -v lsns >/dev/null && [ "$(id -u)" -eq 0 ]; then
        is "$(lsns -n -o NS,USER | awk -v u="$QRUN_TEST_USER" '$2 == u' | wc -l)" 0 \
                "no namespace of the test user is left"
else
        skip "lsns as root needed to list namespaces"
fi

# ---- a SquashFS rootfs: every task attaches its own copy of the image's mount ----
open_dev_fuse
if [ -n "$FUSE_OK" ]; then
        mksquashfs "$ROOTFS" "$T/busybox.sqfs" -noappend -quiet -all-root -no-xattrs >/dev/null
        chmod a+r "$T/busybox.sqfs"
        printf '[rootfs]\npath = %s\nlinger = 0\n' "$T/busybox.sqfs" | manifest "$T/sq.ini"
        printf 'echo one\necho two\necho three\n' >"$T/three"
        each_qrun "$T/sq.ini" --each -j2 <"$T/three"
        is "$RC:$(printf '%s\n' "$OUT" | sort | tr '\n' ' ')" "0:[task 1] one [task 2] two [task 3] three " \
                "a SquashFS rootfs: every task runs in the image"
        end_image_servers

        # A set-up that hangs (a file server that stops answering: here the
        # image's server, stopped while task 2 runs, so that the exec of task
        # 3's command waits for it) still ends at the task's timeout, and
        # SIGINT still stops qrun: qrun waits for each set-up (namespaces.h)
        # in slices, not for ever. Task 1 runs sleep once through, so that
        # task 2 (sleep again) needs nothing more from the server.
        hang_run() { # MANIFEST [QRUN ARGS...]
                printf 'sleep 0.1\nsleep 1.%s\n/bin/ls /\n' "$$" >"$T/hang"
                user_command "$QRUN" "$@" --each -j1 --keep-going
                "${CMD[@]}" <"$T/hang" >"$T/out" 2>"$T/err" &
                QPID=$!
                wait_until test_pgrep -f "^sleep 1.$$"
                SERVER=$(test_pgrep -x qrun-squashfs)
                kill -STOP $SERVER
                wait_while test_pgrep -f "^sleep 1.$$"
        }
        hang_end() { # the server answers again (so that a hung qrun ends too); qrun's status
                kill -CONT $SERVER
                wait $QPID
                RC=$?
                end_image_servers
        }
        printf '[rootfs]\npath = %s\nlinger = 0\n[limits]\ntimeout = 2s\n' "$T/busybox.sqfs" |
                manifest "$T/sqt.ini"
        hang_run "$T/sqt.ini"
        wait_while kill -0 $QPID
        ok $? "a set-up waiting for a stopped file server ends at the task's timeout"
        hang_end
        is "$RC" 124 "the timed-out set-up's status: 124"
        # The sanitized build forks (namespaces.h): its hung set-up is a
        # running task to qrun, which times it out as one.
        reported='qrun: timeout: task 3: 2000 ms elapsed in its set-up: killed'
        [ -n "${QRUN_SANITIZED:-}" ] && reported='qrun: timeout: task 3: 2000 ms elapsed: sending SIGTERM'
        like "$(cat "$T/err")" "$reported" "the timeout is reported for the task that hung in its set-up"
        hang_run "$T/sq.ini"
        sleep 0.5 # task 3's exec waits for the server
        kill -INT $QPID
        wait_while kill -0 $QPID
        ok $? "SIGINT stops qrun while a set-up waits for a stopped file server"
        hang_end
        is "$RC:$(tail -n 1 "$T/err")" "130:qrun: each: 3 tasks: 2 succeeded, 0 failed, 1 stopped, 0 not started" \
                "SIGINT during a hung set-up: 130, the task counted as stopped"
else
        skip "/dev/fuse cannot be opened by the test user"
fi

done_testing

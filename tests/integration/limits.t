#!/bin/bash
# [limits]: rlimits (soft and hard) and the wall-clock timeout.
. "$(dirname "$0")/../lib.sh"

manifest "$T/m.ini" <<'EOF2'
[process]
command = /bin/qtest
args = rlimits
[limits]
nofile = 64
nproc = 1000
as = 1G
fsize = 10M
cpu = 2m
core = 0
stack = 4M
EOF2
hard() { as_user sh -c "ulimit -H $1"; }

run_qrun "$T/m.ini"
is "$OUT" "nofile=64/64 nproc=1000/1000 as=1073741824/1073741824 fsize=10485760/10485760 cpu=120/120 core=0/0 stack=4194304/4194304" \
        "every rlimit is set, soft and hard"
if [ "$(hard -v)" = unlimited ]; then
        run_qrun -s limits.as=unlimited "$T/m.ini"
        like "$OUT" " as=unlimited/unlimited " "unlimited"
else
        skip "address space hard limit is not unlimited"
fi

# enforcement
run_qrun -s limits.fsize=1K "$T/m.ini" -- /bin/sh -c 'exec yes >/tmp/fsize.$$'
is "$RC" 153 "fsize: writing past the limit raises SIGXFSZ (128+25)"
is "$(stat -c %s "$ROOTFS"/tmp/fsize.* 2>/dev/null)" "1024" "fsize: the file stops at the limit"
rm -f "$ROOTFS"/tmp/fsize.*
run_qrun -s limits.nofile=4 "$T/m.ini" -- /bin/sh -c 'exec 3</etc/passwd && echo 3-ok; exec 5</etc/passwd && echo 5-ok'
like "$OUT" '^3-ok$' "nofile: descriptors below the limit open"
is "$(printf '%s' "$OUT" | grep -c 5-ok)" "0" "nofile: descriptor 5 is refused"
run_qrun -s limits.cpu=1s "$T/m.ini" -- /bin/sh -c 'while :; do :; done'
is "$RC" 137 "cpu: a busy loop is killed after its CPU seconds (SIGXCPU then SIGKILL)"

# an unprivileged process cannot raise a hard limit: refused before anything runs
nofile_hard=$(hard -n)
if [ "$nofile_hard" != unlimited ]; then
        run_qrun -s limits.nofile=$((nofile_hard + 1)) "$T/m.ini"
        is "$RC:$ERR" "125:--set: [limits] nofile: the value exceeds your hard limit of $nofile_hard, which an unprivileged process cannot raise" \
                "nofile above the hard limit is refused"
else
        skip "nofile hard limit is unlimited"
fi

# timeout: SIGTERM to the container, SIGKILL after 2 s of grace, exit 124.
# The lower bounds are strict (the timeout must not fire early); the upper
# bounds only tell the timeout from the end of the 30 s sleep, with room for a
# loaded machine.
start=$(date +%s%N)
run_qrun -s limits.timeout=300ms "$T/m.ini" -- /bin/sleep 30
elapsed=$((($(date +%s%N) - start) / 1000000))
is "$RC" 124 "timeout: exit 124"
is "$ERR" "qrun: timeout: 300 ms elapsed: sending SIGTERM to the container" "timeout: message"
[ "$elapsed" -ge 300 ] && [ "$elapsed" -lt 10000 ]
ok $? "timeout: ends after 300 ms ($elapsed ms)"

start=$(date +%s%N)
run_qrun -s limits.timeout=300ms "$T/m.ini" -- /bin/sh -c 'trap "" TERM; sleep 30'
elapsed=$((($(date +%s%N) - start) / 1000000))
is "$RC" 124 "timeout, SIGTERM ignored: exit 124"
is "$ERR" "qrun: timeout: 300 ms elapsed: sending SIGTERM to the container
qrun: timeout: still running 2000 ms later: sending SIGKILL" "timeout, SIGTERM ignored: SIGKILL after the grace period"
[ "$elapsed" -ge 2300 ] && [ "$elapsed" -lt 15000 ]
ok $? "timeout, SIGTERM ignored: ends after 2.3 s ($elapsed ms)"

run_qrun -s limits.timeout=300ms -s namespaces.pid=false "$T/m.ini" -- /bin/sh -c 'sleep 30; echo after'
is "$RC:$OUT" "124:" "timeout without a pid namespace: the process group gets the signal"

run_qrun -s limits.timeout=5s "$T/m.ini" -- /bin/qtest exit 3
is "$RC:$ERR" "3:" "a command that ends in time keeps its status"

done_testing

#!/bin/bash
# Load: 10,000 launches, two at a time, as the unprivileged test user. Every
# launch must succeed with the right output, the caller must keep no zombie and
# no extra descriptor, and nothing of any container may outlive the run.
. "$(dirname "$0")/../lib.sh"
. "$QRUN_SOURCE/tools/build-vars.sh"

launches=${QRUN_LOAD_LAUNCHES:-10000}
gcc "${QRUN_AUX_CFLAGS[@]}" -Werror "$(dirname "$0")/load.c" -o "$T/load"

manifest "$T/chroot.ini" </dev/null
printf '[mounts]\nproc = true\ndev = minimal\ntmpfs = /tmp\n' | manifest "$T/mount.ini"
mounts_before=$(wc -l </proc/self/mountinfo)

# leftovers: processes the launches left, and zombies among them.
leftovers() {
        local pids zombies=0
        pids=$(test_processes | paste -sd, -)
        [ -n "$pids" ] && zombies=$(ps -o stat= -p "$pids" | grep -c '^Z')
        echo "processes=$(test_processes | wc -l) zombies=$zombies"
}

# The container's command prints its open descriptors: none may leak in.
as_user "$T/load" "$launches" 2 "fds=0,1,2" "$QRUN" "$T/chroot.ini" -- /bin/qtest fds \
        >"$T/chroot.out" 2>"$T/chroot.err"
ok $? "chroot mode: $launches launches, 2 in parallel: $(cat "$T/chroot.out")"
head -n 3 "$T/chroot.err" | sed 's/^/# /'
like "$(cat "$T/chroot.out")" "^launches=$launches failures=0 fd_leaks=0 unreaped=0 " \
        "chroot mode: no failure, no descriptor leak, no zombie in the caller"
wait_while test_processes # the last containers' inits may still be exiting
is "$(leftovers)" "processes=0 zombies=0" "chroot mode: no process of the user is left"

mount_launches=$((launches / 5))
as_user "$T/load" "$mount_launches" 2 "1 2" "$QRUN" "$T/mount.ini" -- /bin/escape proc-pids \
        >"$T/mount.out" 2>"$T/mount.err"
ok $? "mount mode: $mount_launches launches, 2 in parallel: $(cat "$T/mount.out")"
head -n 3 "$T/mount.err" | sed 's/^/# /'
wait_while test_processes
is "$(leftovers)" "processes=0 zombies=0" "mount mode: no process of the user is left"
is "$(wc -l </proc/self/mountinfo)" "$mounts_before" "mount mode: nothing is left mounted on the host"
done_testing

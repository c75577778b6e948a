#!/bin/bash
# Faults: hostile limits and broken inputs. Each must end in exit 125 and one
# clear line on stderr (or, where the command can still run, in a normal run),
# with nothing left behind: no process, no mount, no file.
. "$(dirname "$0")/../lib.sh"

user=$(id -un)
[ "$(id -u)" -eq 0 ] && user=$QRUN_TEST_USER
manifest "$T/m.ini" </dev/null
mounts_before=$(wc -l </proc/self/mountinfo)

# nothing_left NAME: no process of the user survives, nothing new is mounted.
nothing_left() {
        wait_while test_processes # exiting containers may take a moment to go
        is "$(test_processes | wc -l):$(wc -l </proc/self/mountinfo)" "0:$mounts_before" \
                "$1: nothing left behind"
}

# one_line_error NAME REGEX: exit 125, exactly one line on stderr, matching.
one_line_error() {
        is "$RC:$(printf '%s\n' "$ERR" | wc -l)" "125:1" "$1: exit 125, one line"
        like "$ERR" "$2" "$1: the error says why"
}

# ---- the caller's limits ----
# 3 leaves qrun no descriptor at all; the sanitizer build is dynamically
# linked, and its loader needs one to open libasan, so it gets 4.
# Descriptors the test inherited above 2 (a caller's redirection, time -o)
# would take the loader's one: the command starts without them.
without_inherited_fds() {
        local me=$BASHPID fd
        for fd in $(ls "/proc/$me/fd"); do
                [ "$fd" -gt 2 ] && [ "$fd" -lt 255 ] && eval "exec $fd>&-" 2>/dev/null
        done
        "$@"
}
tiny=3
[ -n "${QRUN_SANITIZED:-}" ] && tiny=4
for n in $tiny 15; do
        (without_inherited_fds as_user prlimit --nofile="$n" "$QRUN" "$T/m.ini" -- /bin/qtest fds) \
                >"$T/out" 2>"$T/err"
        RC=$? ERR=$(cat "$T/err")
        one_line_error "RLIMIT_NOFILE=$n" \
                "^qrun: limits: the open-file limit \(RLIMIT_NOFILE\) is $n; qrun needs at least 16"
done
as_user prlimit --nofile=16 "$QRUN" "$T/m.ini" -- /bin/qtest fds >"$T/out" 2>"$T/err"
is "$?:$(cat "$T/out")" "0:fds=0,1,2" "RLIMIT_NOFILE=16 is enough"
nothing_left "tiny RLIMIT_NOFILE"

# RLIMIT_NPROC counts the user's processes: 1 leaves qrun no fork at all, 2
# lets the monitor fork but not the container's init.
# (LeakSanitizer needs a process of its own for its check: not here.) The count
# includes zombies that init has yet to reap (an image's server that ended a
# moment ago, in an earlier test): as root, wait until the test user has none.
[ "$(id -u)" -ne 0 ] || wait_while pgrep -u "$QRUN_TEST_USER"
as_user env ASAN_OPTIONS=detect_leaks=0 prlimit --nproc=1 "$QRUN" "$T/m.ini" -- /bin/true \
        >"$T/out" 2>"$T/err"
RC=$? ERR=$(cat "$T/err")
one_line_error "RLIMIT_NPROC=1" \
        '^qrun: setup: unable to start the container.s first process: .* \(is the limit RLIMIT_NPROC = 1 reached\?\)$'
as_user prlimit --nproc=2 "$QRUN" "$T/m.ini" -- /bin/true >"$T/out" 2>"$T/err"
RC=$? ERR=$(cat "$T/err")
one_line_error "RLIMIT_NPROC=2" \
        '^qrun: init: unable to start the command: .* \(is the limit RLIMIT_NPROC = 2 reached\?\)$'
nothing_left "process limit"

# max_user_namespaces, set in a user namespace of the user's own (the setting
# is per namespace), so that the host's is never touched.
as_user unshare --user --map-root-user sh -c \
        "echo 0 >/proc/sys/user/max_user_namespaces && exec $QRUN $T/m.ini -- /bin/true" \
        >"$T/out" 2>"$T/err"
RC=$? ERR=$(cat "$T/err")
one_line_error "max_user_namespaces=0" \
        '^qrun: userns: .*disabled by user.max_user_namespaces = 0'
# A second namespace holds the one allowed while qrun tries.
as_user unshare --user --map-root-user sh -c \
        "echo 1 >/proc/sys/user/max_user_namespaces || exit 99
         unshare --user sleep 30 & holder=\$!
         tries=0 # until the holder is in its namespace (10 s at most)
         while [ \"\$(readlink /proc/\$holder/ns/user)\" = \"\$(readlink /proc/\$\$/ns/user)\" ] &&
               [ \$tries -lt 500 ]; do sleep 0.02; tries=\$((tries + 1)); done
         $QRUN $T/m.ini -- /bin/true; rc=\$?; kill \$holder; wait; exit \$rc" \
        >"$T/out" 2>"$T/err"
RC=$? ERR=$(cat "$T/err")
one_line_error "max_user_namespaces reached" \
        '^qrun: userns: .*the limit user.max_user_namespaces = 1 is reached'
nothing_left "max_user_namespaces"

# ---- the rootfs on a read-only or a full file system ----
# Root makes the file systems in a private mount namespace of its own (the
# host never sees them) and runs the checks, as the test user, in there.
if [ "$(id -u)" -eq 0 ]; then
        cat >"$T/fs.sh" <<EOF
set -u
run() { setpriv --reuid=$user --regid=$user --clear-groups -- $QRUN "\$@" 2>&1 | tr '\\n' ' '; echo "rc=\${PIPESTATUS[0]}"; }
make_rootfs() {
        mount -t tmpfs -o "\$1" fs $T/fs && mkdir $T/fs/r && cp -a $ROOTFS/. $T/fs/r/ &&
                chown -R $user $T/fs/r
        printf '[rootfs]\npath = $T/fs/r\n' >$T/chroot.ini
        printf '[rootfs]\npath = $T/fs/r\n[mounts]\ntmpfs = /scratch\n' >$T/mount.ini
}
mkdir -p $T/fs
make_rootfs size=8m,mode=755
mount -o remount,ro $T/fs
echo "ro chroot: \$(run $T/chroot.ini -- /bin/qtest create /new)"
echo "ro mount: \$(run $T/mount.ini -- /bin/true)"
umount $T/fs
make_rootfs size=8m,mode=755,nr_inodes=600
i=0; while touch $T/fs/f\$i 2>/dev/null; do i=\$((i + 1)); done
{ head -c 16M /dev/zero >$T/fs/r/tmp/fill; } 2>/dev/null
echo "full chroot: \$(run $T/chroot.ini -- /bin/qtest create /new)"
echo "full mount: \$(run $T/mount.ini -- /bin/true)"
echo "full scratch: \$(ls $T/fs/r | grep -c scratch)"
EOF
        unshare --mount --propagation private bash "$T/fs.sh" >"$T/fs.out" 2>&1
        fs=$(cat "$T/fs.out")
        like "$fs" "ro chroot: EROFS rc=0" "read-only rootfs, chroot mode: runs; writes get EROFS"
        like "$fs" "ro mount: $T/mount.ini:4: \[mounts\] tmpfs: /scratch does not exist in the rootfs, and qrun cannot create it there .* rc=125" \
                "read-only rootfs, mount mode: a missing mount point is a clear error at its line"
        like "$fs" "full chroot: ENOSPC rc=0" "full rootfs, chroot mode: runs; writes get ENOSPC"
        like "$fs" "full mount: $T/mount.ini:4: \[mounts\] tmpfs: unable to create /scratch in the rootfs: No space left on device rc=125" \
                "full rootfs, mount mode: a clear error at the line of the mount"
        like "$fs" "full scratch: 0" "full rootfs: no half-made mount point is left"
        nothing_left "read-only and full rootfs"
else
        for _ in 1 2 3 4 5 6; do skip "not root: cannot make read-only and full file systems"; done
fi

# ---- broken manifests ----
mkdir "$T/dir.ini"
run_qrun "$T/dir.ini" -- /bin/true
one_line_error "a directory as the manifest" "^$T/dir.ini: is a directory, not a manifest$"
mkfifo "$T/fifo.ini"
chmod a+rw "$T/fifo.ini"
start=$(date +%s)
run_qrun "$T/fifo.ini" -- /bin/true
one_line_error "a FIFO as the manifest" "^$T/fifo.ini: not a regular file$"
ok "$(($(date +%s) - start < 3 ? 0 : 1))" "a FIFO as the manifest: no hang waiting for a writer"
head -c 100M /dev/urandom >"$T/garbage.ini"
chmod a+r "$T/garbage.ini"
start=$(date +%s%N)
run_qrun "$T/garbage.ini" -- /bin/true
elapsed=$((($(date +%s%N) - start) / 1000000))
one_line_error "100 MB of garbage" "^$T/garbage.ini: too large \(104857600 bytes; a manifest is at most [0-9]+\)$"
ok "$([ "$elapsed" -lt 1000 ]; echo $?)" "100 MB of garbage: refused without reading it ($elapsed ms)"
head -c 60000 /dev/urandom | tr -d '\0' >"$T/small-garbage.ini"
chmod a+r "$T/small-garbage.ini"
run_qrun "$T/small-garbage.ini" -- /bin/true
is "$RC" 125 "binary garbage under the size limit: exit 125"
like "$(printf '%s\n' "$ERR" | head -n 1)" "^$T/small-garbage.ini:[0-9]+: " \
        "binary garbage: errors name the file and line"
nothing_left "broken manifests"
done_testing

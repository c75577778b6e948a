#!/bin/bash
# Images at launch: a SquashFS rootfs served by qrun's own FUSE server, the
# writable overlays (tmpfs and a directory), and root emulation (fakeroot).
# Package installs from Debian's registry are in images_debian.t.
. "$(dirname "$0")/../lib.sh"

# /dev/fuse opened to the test user (as root); without it the SquashFS
# checks are skipped.
open_dev_fuse
fuse_ok=$FUSE_OK
fuse_mode=$FUSE_MODE

mounts_before=$(wc -l </proc/self/mountinfo)
user_id=$(as_user id -u)

# ---- SquashFS ----
image=$T/busybox.sqfs
mksquashfs "$ROOTFS" "$image" -noappend -quiet -all-root -no-xattrs >/dev/null
chmod a+r "$image"
image_sum=$(sha256sum <"$image")
# linger = 0: the image's server ends with the last launch (the sharing tests
# below keep it).
printf '[rootfs]\npath = %s\nlinger = 0\n[process]\ncommand = /bin/qtest\n' "$image" | manifest "$T/sq.ini"
printf '[rootfs]\npath = %s\nlinger = 0\n[mounts]\nproc = true\ndev = minimal\nbind = %s:/home:ro\n' "$image" "$T/data" |
        manifest "$T/sqmounts.ini"
mkdir -p "$T/data" && echo "host data" >"$T/data/file" && chmod -R a+rX "$T/data"

if [ -n "$fuse_ok" ]; then
        run_qrun "$T/sq.ini" -- /bin/sh -c 'echo ok; cat /etc/passwd | head -1'
        is "$RC:$OUT" "0:ok
root:x:0:0:root:/root:/bin/sh" "a SquashFS image runs as the rootfs"
        run_qrun "$T/sq.ini" -- /bin/qtest mkdir /newdir
        is "$OUT" "EROFS" "the image is read-only: mkdir fails with EROFS"
        # xz through squashfuse and liblzma (whose CRC-64 set-up qrun's
        # server runs itself, build.sh; mksquashfs's xz blocks use CRC-32,
        # and import.t's xz tarball crashes without that set-up).
        mksquashfs "$ROOTFS" "$T/xz.sqfs" -noappend -quiet -all-root -no-xattrs -comp xz >/dev/null
        chmod a+r "$T/xz.sqfs"
        run_qrun -s "rootfs.path=$T/xz.sqfs" "$T/sq.ini" -- /bin/sh -c 'md5sum /bin/busybox'
        is "$RC:$OUT" "0:$(md5sum <"$ROOTFS/bin/busybox" | cut -d' ' -f1)  /bin/busybox" \
                "an xz-compressed SquashFS image runs, its files intact"
        # The test rootfs has /tmp, and neither /var/tmp nor /run: those are skipped.
        run_qrun "$T/sq.ini" -- /bin/sh -c 'echo x >/tmp/f && cat /tmp/f && stat -c %a /tmp; ls -d /run /var/tmp 2>&1 | grep -c "No such"'
        is "$RC:$OUT" "0:x
1777
2" "a read-only image gets a writable tmpfs on /tmp (read_only_tmpfs), none where it has no directory"
        run_qrun -s mounts.read_only_tmpfs=false "$T/sq.ini" -- /bin/qtest mkdir /tmp/d
        is "$RC:$OUT" "0:EROFS" "read_only_tmpfs = false: the image's /tmp, read-only"
        { cat "$T/sq.ini"; printf '[mounts]\nread_only_tmpfs = maybe\n'; } | manifest "$T/sqbad.ini"
        run_qrun "$T/sqbad.ini" -- /bin/true
        is "$RC:$ERR" "125:$T/sqbad.ini:7: [mounts] read_only_tmpfs: expected a boolean (true/false/yes/no/on/off/1/0), got \"maybe\"" \
                "read_only_tmpfs with a bad value: exit 125, its file, line and key"
        run_qrun -s "mounts.bind=$T/data:/tmp:ro" "$T/sq.ini" -- /bin/cat /tmp/file
        is "$RC:$OUT" "0:host data" "a bind of the manifest's at /tmp takes the tmpfs's place"
        run_qrun "$T/sq.ini" -- /bin/sh -c 'stat -c %u /bin/busybox; id -u'
        is "$RC:$OUT" "0:$user_id
$user_id" "uid = self: the image's files are owned by the user the command runs as"
        run_qrun -s user.uid=0 "$T/sq.ini" -- /bin/sh -c 'stat -c %u /bin/busybox'
        is "$OUT" "0" "uid = 0: the image's files are root's"
        run_qrun --check "$T/sq.ini"
        like "$OUT" "mount mode, implied by the SquashFS rootfs" "--check says the image implies mount mode"
        like "$OUT" "^; read_only_tmpfs: a tmpfs on /tmp, /var/tmp and /run where the image has them" \
                "... and that it gets a tmpfs on /tmp, /var/tmp and /run"
        run_qrun "$T/sqmounts.ini" -- /bin/sh -c 'cat /home/file; cat /proc/[0-9]*/comm | grep -c qrun; ls /dev/null'
        is "$RC:$OUT" "0:host data
1
/dev/null" "with [mounts]: a bind, a /proc with one qrun (its init; the server is not there), /dev"
        wait_while test_processes
        is "$(test_processes | wc -l):$(wc -l </proc/self/mountinfo)" "0:$mounts_before" \
                "nothing is left running (the FUSE server is gone) or mounted"
        is "$(sha256sum <"$image")" "$image_sum" "the image file is unchanged"
        # SIGKILL of qrun: the server goes with it.
        user_command "$QRUN" "$T/sq.ini" -- /bin/sh -c 'echo ready; exec sleep 600'
        "${CMD[@]}" >"$T/killed.out" 2>&1 </dev/null &
        qrun_pid=$!
        wait_for "$T/killed.out" ready
        server=$(test_pgrep -x qrun-squashfs)
        is "$(ps -o args= -p "$server")" "qrun-squashfs $image" "the FUSE server shows as qrun-squashfs IMAGE"
        [ "$(readlink "/proc/$server/ns/pid")" = "$(readlink "/proc/$qrun_pid/ns/pid")" ] &&
                [ "$(readlink "/proc/$server/ns/user")" != "$(readlink "/proc/$qrun_pid/ns/user")" ]
        ok $? "the server is outside the container's pid namespace, in a user namespace of its own"
        is "$(awk '/^NoNewPrivs:/ {print $2}' "/proc/$server/status" 2>&1)" "1" \
                "the FUSE server runs with no_new_privs (it is confined by Landlock too)"
        ! as_user cat "/proc/$server/environ" >/dev/null 2>&1
        ok $? "the FUSE server is not dumpable: even its own user cannot read its memory or environ"
        kill -9 "$qrun_pid"
        wait "$qrun_pid" 2>/dev/null
        wait_while test_processes
        is "$(test_processes | wc -l)" "0" "SIGKILL of qrun: the container and the FUSE server (linger = 0) are gone"
else
        for _ in $(seq 19); do skip "/dev/fuse is not open to $QRUN_TEST_USER"; done
fi

# ---- one server per image, shared between launches ----
servers() { test_pgrep -x qrun-squashfs | sort | tr '\n' ' '; }
server_of() { sed -n 's/^qrun: squashfs .* \(started\|shared\) FUSE server \([0-9]*\) .*/\1 \2/p' "$1"; }
if [ -n "$fuse_ok" ]; then
        sed 's/^linger = 0$/linger = 4s/' "$T/sq.ini" | manifest "$T/shared.ini"
        # Servers killed by earlier tests left their files, which the next
        # server started removes (checked below): start from none.
        wait_while test_pgrep -x qrun-squashfs && [ "$(id -u)" -eq 0 ] && rm -f "/tmp/qrun-$user_id"/sqfs-*
        rundir_before=$(ls -A "/tmp/qrun-$user_id")
        as_user "$QRUN" -v "$T/shared.ini" -- /bin/true 2>"$T/v1"
        as_user "$QRUN" -v "$T/shared.ini" -- /bin/true 2>"$T/v2"
        first=$(server_of "$T/v1") second=$(server_of "$T/v2")
        is "${first%% *}:${second%% *}:${second#* }" "started:shared:${first#* }" \
                "the second launch from the image shares the first one's server"
        is "$(servers)" "${first#* } " "... which outlives the launch (linger = 4s: two launches must fit in it on a loaded machine)"
        wait_while test_pgrep -x qrun-squashfs
        is "$(servers)" "" "... and ends once no launch has used it for the linger"
        is "$(ls -A "/tmp/qrun-$user_id")" "$rundir_before" "... removing its socket and lock file"
        # Launches that find no server at once start one between them.
        for i in 1 2 3 4; do
                as_user "$QRUN" -v "$T/shared.ini" -- /bin/sh -c 'sleep 0.3; cat /etc/hostname >/dev/null' \
                        2>"$T/c$i" &
        done
        wait
        is "$(cat "$T"/c[1-4] | server_of /dev/stdin | sort | uniq -c | awk '{print $1, $2}' | tr '\n' ' ')" \
                "3 shared 1 started " "four launches at once: one starts the server, three share it"
        # A server killed outright leaves its socket: the next launch replaces it.
        kill -9 $(servers)
        wait_while test_pgrep -x qrun-squashfs
        run_qrun -v "$T/shared.ini" -- /bin/sh -c 'echo ok'
        is "$RC:$OUT:$(server_of "$T/err" | cut -d' ' -f1)" "0:ok:started" "a dead server's socket is replaced by a new server"
        # A rewritten image is another image: a server of its own.
        old_server=$(server_of "$T/err")
        cp "$image" "$image.new" && mv "$image.new" "$image" && chmod a+r "$image"
        run_qrun -v "$T/shared.ini" -- /bin/true
        new_server=$(server_of "$T/err")
        [ "${new_server%% *}" = started ] && [ "${new_server#* }" != "${old_server#* }" ]
        ok $? "a rewritten image gets a server of its own (was $old_server, now $new_server)"
        wait_while test_pgrep -x qrun-squashfs
        is "$(servers)" "" "... and both servers end after the linger"
        is "$(ls -A "/tmp/qrun-$user_id")" "$rundir_before" "... and leave no file behind (the killed one's socket was replaced)"
        # A server killed by a signal (a job's end kills its cgroup) cannot
        # remove its files; the next server started, of any image, does.
        user_command "$QRUN" "$T/shared.ini" -- /bin/sh -c 'echo ready; exec sleep 600'
        "${CMD[@]}" >"$T/victim.out" 2>&1 </dev/null &
        victim=$!
        wait_for "$T/victim.out" ready
        kill -9 $(servers)
        kill "$victim"
        wait "$victim" 2>/dev/null
        wait_while test_pgrep -x qrun-squashfs
        is "$(ls "/tmp/qrun-$user_id" | grep -c '^sqfs-')" 2 "a server killed by a signal leaves its socket and lock"
        cp "$image" "$T/other.sqfs" && chmod a+r "$T/other.sqfs"
        run_qrun -s rootfs.path="$T/other.sqfs" -s rootfs.linger=0 "$T/shared.ini" -- /bin/true
        wait_while test_pgrep -x qrun-squashfs
        is "$RC:$(ls -A "/tmp/qrun-$user_id")" "0:$rundir_before" \
                "the next server (another image's) removes them (nobody listened there), and its own at its end"
        # The runtime directory must be the user's alone.
        rundir=/tmp/qrun-$user_id
        if [ "$(id -u)" -eq 0 ]; then
                chmod 0755 "$rundir"
                run_qrun "$T/shared.ini" -- /bin/true
                chmod 0700 "$rundir"
                like "$RC:$ERR" "^125:qrun: squashfs: $rundir is not a private directory of yours \(owner $user_id, mode 0755\): remove it, or set XDG_RUNTIME_DIR" \
                        "a runtime directory others may enter is refused, with what to do"
        else
                skip "needs root to open the runtime directory to others"
        fi
        mkdir -m 0700 "$T/xdg" && chown "$user_id" "$T/xdg"
        as_user env XDG_RUNTIME_DIR="$T/xdg" "$QRUN" "$T/shared.ini" -- /bin/true
        ls "$T/xdg/qrun" | grep -c '^sqfs-.*\.sock$' >"$T/socks"
        is "$(cat "$T/socks")" "1" "with XDG_RUNTIME_DIR (the user's own), the server's socket is there"
        wait_while test_pgrep -x qrun-squashfs
        # Launches share a server only within one cgroup: a batch system ends a
        # job by killing its cgroup, the server with it.
        cg=/sys/fs/cgroup/unified/qrun-images-$$
        if [ "$(id -u)" -eq 0 ] && mkdir "$cg" 2>/dev/null; then
                as_user "$QRUN" -v "$T/shared.ini" -- /bin/sleep 1 2>"$T/cg1" &
                wait_for "$T/cg1" "FUSE server"
                user_command "$QRUN" -v "$T/shared.ini" -- /bin/true
                sh -c 'echo $$ >"$1/cgroup.procs" && shift && exec "$@"' sh "$cg" "${CMD[@]}" 2>"$T/cg2"
                wait
                one=$(server_of "$T/cg1") two=$(server_of "$T/cg2")
                [ "${two%% *}" = started ] && [ "${two#* }" != "${one#* }" ]
                ok $? "a launch in another cgroup starts a server of its own (got: $one, then $two)"
                end_image_servers
                rmdir "$cg"
        else
                skip "needs root and cgroup v2 at /sys/fs/cgroup/unified to make a cgroup"
        fi
else
        for _ in $(seq 14); do skip "/dev/fuse is not open to $QRUN_TEST_USER"; done
fi
printf '[rootfs]\npath = %s\nlinger = 5s\n' "$ROOTFS" | manifest "$T/dirlinger.ini"
run_qrun "$T/dirlinger.ini" -- /bin/true
like "$RC:$ERR" "^125:.*dirlinger.ini:3: \[rootfs\] linger: only a SquashFS image has a server to keep" \
        "linger with a directory rootfs is refused at its line"

# Refusals, before anything runs.
run_qrun -s namespaces.pid=false "$T/sq.ini" -- /bin/true
like "$RC:$ERR" "^125:.*sq.ini:2: \[rootfs\] path: a SquashFS rootfs needs a pid namespace" \
        "pid = false is refused: the server must stay out of the command's reach"
head -c 4096 /dev/urandom >"$T/junk.img" && chmod a+r "$T/junk.img"
run_qrun -s rootfs.path="$T/junk.img" "$T/sq.ini" -- /bin/true
like "$RC:$ERR" "^125:--set: \[rootfs\] path: .*junk.img: not a directory, and not a SquashFS image" \
        "a file that is not SquashFS is refused by its magic"
if [ "$(id -u)" -eq 0 ] && [ "$fuse_mode" != none ]; then
        chmod 0600 /dev/fuse
        run_qrun "$T/sq.ini" -- /bin/true
        chmod 0666 /dev/fuse
        like "$RC:$ERR" "^125:.*sq.ini:2: \[rootfs\] path: a SquashFS rootfs needs FUSE, and /dev/fuse is not open to you \(Permission denied; as root: chmod 0666 /dev/fuse" \
                "/dev/fuse without permission: the error says what to do"
else
        skip "needs root to take /dev/fuse's permission away"
fi

# ---- overlays on a directory ----
# A rootfs of the test user's own (the overlay copies files up as their
# owner), in a directory the test user may write to (DIR overlays go there).
mkdir -m 0777 "$T/user"
as_user cp -a "$ROOTFS" "$T/user/own"
tree_sum() { (cd "$1" && find . -printf '%y %m %p %l\n' | sort && find . -type f -exec sha256sum {} + | sort) | sha256sum; }
own_sum=$(tree_sum "$T/user/own")
printf '[rootfs]\npath = %s\noverlay = tmpfs:size=1M\n[process]\ncommand = /bin/sh\n' "$T/user/own" |
        manifest "$T/ov.ini"
# passwd = false: /etc/group stays the image's file, which can be deleted (with
# [user] passwd it is a read-only bind, a mount point that rm cannot remove).
run_qrun -s user.passwd=false "$T/ov.ini" -- /bin/sh -c 'echo new >/etc/new; rm /etc/group; cat /etc/new; ls /etc'
is "$RC:$OUT" "0:new
new
passwd" "overlay = tmpfs: writes and deletions are seen inside"
run_qrun "$T/ov.ini" -- /bin/sh -c 'ls /etc'
is "$OUT" "group
passwd" "overlay = tmpfs: gone with the container"
is "$(tree_sum "$T/user/own")" "$own_sum" "overlay = tmpfs: the rootfs is unchanged, byte for byte"
run_qrun "$T/ov.ini" -- /bin/sh -c 'dd if=/bin/busybox of=/big bs=64k 2>&1; echo rc=$?'
like "$OUT" "No space left on device" "overlay = tmpfs:size=1M: writing more gives ENOSPC"
# Two containers from one rootfs at once do not see each other's writes.
user_command "$QRUN" "$T/ov.ini" -- /bin/sh -c 'echo a >/mine; echo ready; exec sleep 600'
"${CMD[@]}" >"$T/a.out" 2>&1 </dev/null &
a_pid=$!
wait_for "$T/a.out" ready
run_qrun "$T/ov.ini" -- /bin/sh -c 'cat /mine 2>&1; echo b >/mine; cat /mine'
kill "$a_pid"
wait "$a_pid" 2>/dev/null
like "$OUT" "No such file.*
b" "two containers at once: each sees its own writes only"

printf '[rootfs]\npath = %s\noverlay = %s\n[process]\ncommand = /bin/sh\n' "$T/user/own" "$T/user/changes" |
        manifest "$T/ovdir.ini"
# passwd = false, as above.
run_qrun -s user.passwd=false "$T/ovdir.ini" -- /bin/sh -c 'echo kept >/etc/kept; rm /etc/group'
run_qrun -s user.passwd=false "$T/ovdir.ini" -- /bin/sh -c 'cat /etc/kept; ls /etc'
is "$RC:$OUT" "0:kept
kept
passwd" "overlay = DIR: the changes are kept for the next container"
is "$(stat -c '%F %t,%T' "$T/user/changes/upper/etc/group")" "character special file 0,0" \
        "overlay = DIR: a deleted image file stays as a whiteout in DIR/upper"
is "$(cat "$T/user/changes/upper/etc/kept")" "kept" "overlay = DIR: the new file is in DIR/upper"
run_qrun "$T/ovdir.ini" -- /bin/sh -c 'id -un'
is "$RC:$(ls "$T/user/changes/upper/etc")" "0:group
kept" "[user] passwd over an overlay writes nothing to DIR/upper"
is "$(tree_sum "$T/user/own")" "$own_sum" "overlay = DIR: the rootfs is unchanged"
run_qrun -s rootfs.path=/ "$T/ov.ini" -- /bin/true
like "$RC:$ERR" "^125:.*ov.ini:3: \[rootfs\] overlay: an overlay needs an image or a directory as the rootfs" \
        "an overlay over the host root is refused"

if [ -n "$fuse_ok" ]; then
        printf '[rootfs]\npath = %s\noverlay = tmpfs\nlinger = 0\n[process]\ncommand = /bin/sh\n' "$image" |
                manifest "$T/sqov.ini"
        run_qrun "$T/sqov.ini" -- /bin/sh -c 'echo hi >/etc/hi && cat /etc/hi && rm /bin/vi && ! ls /bin/vi 2>&1'
        like "$RC:$OUT" "^0:hi
ls: /bin/vi: No such file" "overlay over a SquashFS image: writable, deletions too"
        is "$(sha256sum <"$image")" "$image_sum" "the image is unchanged by the overlay"
        # Two containers on one image (one server, one mount) at once.
        for who in a b; do
                as_user "$QRUN" "$T/sqov.ini" -- /bin/sh -c "echo $who >/etc/who; sleep 0.5; cat /etc/who" \
                        >"$T/sqov-$who" 2>&1 &
        done
        wait
        is "$(cat "$T/sqov-a" "$T/sqov-b")" "a
b" "two containers on one image at once: each sees its own writes only"
else
        for _ in 1 2 3; do skip "/dev/fuse is not open to $QRUN_TEST_USER"; done
fi

# ---- fake root ----
printf '[rootfs]\npath = %s\noverlay = tmpfs\n[user]\nuid = 0\nfakeroot = true\n[process]\ncommand = /bin/sh\n' \
        "$T/user/own" | manifest "$T/fake.ini"
run_qrun "$T/fake.ini" -- /bin/sh -c 'touch /x; chown 1234:5678 /x && echo chown=ok; stat -c %u /x
        mknod /null c 1 3 && echo mknod=ok; ls /null 2>&1; mkfifo /fifo && ls -l /fifo | cut -c1'
like "$RC:$OUT" "^0:chown=ok
0
mknod=ok
.*No such file.*
p$" "fakeroot: chown and mknod of a device succeed without effect; a FIFO is made for real"
run_qrun -s user.fakeroot=false "$T/fake.ini" -- /bin/sh -c 'touch /x; chown 1234:5678 /x 2>&1; echo rc=$?'
is "$OUT" "chown: /x: Invalid argument
rc=1" "without fakeroot, chown to another id fails (EINVAL: not mapped)"
run_qrun "$T/fake.ini" -- /bin/qtest sys setresuid 42 42 42
is "$OUT" "ok" "fakeroot: setresuid(42) succeeds"
run_qrun "$T/fake.ini" -- /bin/qtest ids
like "$OUT" "uid=0" "fakeroot: the process keeps its one id"
run_qrun -s user.fakeroot=false "$T/fake.ini" -- /bin/qtest sys setresuid 42 42 42
is "$OUT" "EINVAL" "without fakeroot, setresuid(42) fails"
run_qrun "$T/fake.ini" -- /bin/qtest sys vmsplice -1 0 0 0
is "$OUT" "EPERM" "fakeroot keeps the profile's other rules (vmsplice still refused)"
run_qrun --check "$T/fake.ini"
like "$OUT" "built-in program default\+fakeroot" "--check names the composed program"
run_qrun -s user.uid=self "$T/fake.ini" -- /bin/true
like "$RC:$ERR" "^125:.*fake.ini:6: \[user\] fakeroot: needs uid = 0" "fakeroot with uid = self is refused"

wait_while test_processes
is "$(test_processes | wc -l):$(wc -l </proc/self/mountinfo)" "0:$mounts_before" \
        "nothing is left running or mounted"
done_testing

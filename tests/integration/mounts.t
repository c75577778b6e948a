#!/bin/bash
# [mounts]: mount mode. A private mount namespace, binds, tmpfs, /proc, a
# minimal /dev, pivot_root; and nothing of it on the host.
. "$(dirname "$0")/../lib.sh"

# A rootfs the test user owns (missing mount targets can be created in it),
# host directories to bind, and a marker that must stay unreachable.
root_owner=$(id -un)
[ "$(id -u)" -eq 0 ] && root_owner=$QRUN_TEST_USER
R=$T/root
cp -a "$ROOTFS" "$R"
mkdir -p "$T/data" "$T/ro/sub" "$T/home" "$T/work"
echo "from the host" >"$T/data/file"
echo "read only" >"$T/ro/sub/file"
echo "host secret" >"$T/marker"
chown -R "$root_owner" "$R" "$T/data" "$T/ro" "$T/home" "$T/work"
chmod a+r "$T/marker"
host_mounts_before=$(grep -c "$T" /proc/self/mountinfo)

base() {
        printf '[rootfs]\npath = %s\n[mounts]\n' "$R"
}

# ---- binds ----
{ base; printf 'bind = %s:/data\nbind = %s:/ro:ro\n' "$T/data" "$T/ro"; } | manifest "$T/bind.ini"
run_qrun "$T/bind.ini" -- /bin/cat /data/file
is "$RC:$OUT" "0:from the host" "a bind shows the host directory"
run_qrun "$T/bind.ini" -- /bin/qtest create /data/new
is "$OUT:$(cat "$T/data/new" 2>&1)" "ok:x" "a rw bind is writable and the write reaches the host"
run_qrun "$T/bind.ini" -- /bin/qtest create /ro/sub/file
is "$OUT" "EROFS" "an ro bind refuses writes with EROFS"
is "$(cat "$T/ro/sub/file")" "read only" "the file behind an ro bind is unchanged"
run_qrun "$T/bind.ini" -- /bin/cat /ro/sub/file
is "$OUT" "read only" "an ro bind is readable"

# ro is recursive: a mount below the source on the host is read-only too.
if [ "$(id -u)" -eq 0 ]; then
        mkdir -p "$T/nest/inner"
        chown -R "$root_owner" "$T/nest"
        { base; printf 'bind = %s:/ro:ro\nbind = %s:/data\n' "$T/nest" "$T/data"; } | manifest "$T/nest.ini"
        # A private mount namespace for the host side, so the nested tmpfs
        # never appears on the machine.
        out=$(unshare -m --propagation private sh -c '
                mount -t tmpfs -o mode=0777 nested "$1/nest/inner" &&
                setpriv --reuid="$2" --regid="$2" --clear-groups -- "$3" "$4" -- /bin/sh -c \
                        "/bin/qtest create /ro/inner/f; /bin/qtest create /data/ok"' \
                sh "$T" "$QRUN_TEST_USER" "$QRUN" "$T/nest.ini" </dev/null 2>&1)
        is "$out" "EROFS
ok" "ro is recursive: a host mount below an ro bind is read-only (EROFS)"
else
        skip "nested host mounts need root to set up"
fi

# A bind's target inside an ro bind cannot be created: the error names the line.
{ base; printf 'bind = %s:/ro:ro\nbind = %s:/ro/newdir\n' "$T/ro" "$T/data"; } | manifest "$T/inro.ini"
run_qrun "$T/inro.ini" -- /bin/true
is "$RC:$ERR" "125:$T/inro.ini:5: [mounts] bind: unable to create /ro/newdir in the rootfs: Read-only file system" \
        "a target that cannot be created at launch: error with the manifest line"

# Missing targets are created in a writable rootfs: directories and files.
echo "single file" >"$T/single"
chmod a+r "$T/single"
{ base; printf 'bind = %s:/new/deep/dir\nbind = %s:/etc/single\n' "$T/data" "$T/single"; } | manifest "$T/create.ini"
run_qrun "$T/create.ini" -- /bin/sh -c 'cat /new/deep/dir/file /etc/single'
is "$RC:$OUT" "0:from the host
single file" "missing targets (a directory and a file) are created in a writable rootfs"

# In a rootfs the user cannot write, a missing target is a validation error.
printf '[rootfs]\npath = %s\n[mounts]\nbind = %s:/nonexistent/dir\n' "$ROOTFS" "$T/data" | manifest "$T/rofs.ini"
run_qrun "$T/rofs.ini" -- /bin/true
is "$RC:$ERR" "125:$T/rofs.ini:4: [mounts] bind: /nonexistent/dir does not exist in the rootfs, and qrun cannot create it there (/ is not writable): create it in the image" \
        "a missing target in a read-only rootfs: error names the line and the path"

# Order: shallow targets first, whatever the lines' order (the tmpfs on
# /data/tmp stays visible although the bind of /data comes later).
{ base; printf 'tmpfs = /data/tmp\nbind = %s:/data\n' "$T/data"; } | manifest "$T/order.ini"
run_qrun "$T/order.ini" -- /bin/sh -c 'echo x >/data/tmp/f && cat /data/file'
is "$RC:$OUT" "0:from the host" "a tmpfs below a bind is mounted after it"
[ ! -e "$T/data/tmp/f" ]
ok $? "the file went to the tmpfs, not to the host directory"

# ---- /proc ----
{ base; printf 'proc = true\n'; } | manifest "$T/proc.ini"
run_qrun "$T/proc.ini" -- /bin/sh -c 'echo /proc/[0-9]*'
is "$RC:$OUT" "0:/proc/1 /proc/2" "/proc shows only the container's processes (init and the command)"
run_qrun "$T/proc.ini" -- /bin/sh -c 'cut -d" " -f5 /proc/self/mountinfo | tr "\n" " "'
is "$OUT" "/ /proc /etc/passwd /etc/group " \
        "the mount table holds only the container's mounts (with the user's passwd and group)"
run_qrun -s user.passwd=false "$T/proc.ini" -- /bin/sh -c 'cut -d" " -f5 /proc/self/mountinfo | tr "\n" " "'
is "$OUT" "/ /proc " "... passwd = false: no more"
run_qrun "$T/proc.ini" -- /bin/qtest create /proc/sys/kernel/hostname
like "$OUT" "^(EACCES|EROFS|EPERM)$" "/proc/sys stays the kernel's: no write to the host's settings"

# ---- /dev ----
{ base; printf 'dev = minimal\nshm_size = 256k\n'; } | manifest "$T/dev.ini"
run_qrun "$T/dev.ini" -- /bin/ls /dev
is "$OUT" "$(printf '%s\n' fd full null ptmx pts random shm stderr stdin stdout tty urandom zero)" \
        "dev = minimal: the usual devices and links"
run_qrun "$T/dev.ini" -- /bin/sh -c 'echo gone >/dev/null && head -c 3 /dev/zero | od -An -tx1 && head -c 8 /dev/urandom | wc -c'
is "$RC:$(echo $OUT)" "0:00 00 00 8" "/dev/null, /dev/zero and /dev/urandom work"
run_qrun "$T/dev.ini" -- /bin/qtest create /dev/full
is "$OUT" "ENOSPC" "/dev/full is the real device"
run_qrun "$T/dev.ini" -- /bin/qtest fill /dev/shm/f 1048576
is "$OUT" "wrote=262144 ENOSPC" "/dev/shm is a tmpfs of shm_size"
run_qrun "$T/dev.ini" -- /bin/sh -c 'test -c /dev/pts/ptmx && echo pts'
is "$OUT" "pts" "/dev/pts is a devpts with its own ptmx"
run_qrun "$T/dev.ini" -- /bin/qtest create /dev/newfile
is "$OUT" "ok" "/dev is the container's own tmpfs"
[ ! -e "$ROOTFS/dev/newfile" ] && [ ! -e "$R/dev/newfile" ]
ok $? "files made in /dev do not reach the rootfs"

# ---- tmpfs ----
{ base; printf 'tmpfs = /tmp:size=1M\ntmpfs = /scratch\n'; } | manifest "$T/tmpfs.ini"
run_qrun "$T/tmpfs.ini" -- /bin/qtest fill /tmp/f 4194304
is "$OUT" "wrote=1048576 ENOSPC" "tmpfs size is enforced"
run_qrun "$T/tmpfs.ini" -- /bin/sh -c 'stat -c %a /tmp; ls -A /tmp'
is "$OUT" "1777" "a tmpfs is empty and world-writable with the sticky bit, like /tmp"

# ---- no host path after pivot_root ----
{ base; printf 'proc = true\nbind = %s:/data\n' "$T/data"; } | manifest "$T/escape.ini"
run_qrun "$T/escape.ini" -- /bin/qtest open "$T/marker"
is "$OUT" "ENOENT" "a host path is not reachable"
run_qrun "$T/escape.ini" -- /bin/qtest open "/../../../../..$T/marker"
is "$OUT" "ENOENT" "not through .. either"
run_qrun "$T/escape.ini" -- /bin/qtest open "/proc/self/root$T/marker"
is "$OUT" "ENOENT" "not through /proc/self/root"
run_qrun "$T/escape.ini" -- /bin/qtest chroot-escape "$T/marker"
is "$OUT" "chroot=EPERM open=ENOENT" "the chroot escape is refused"
run_qrun "$T/escape.ini" -- /bin/sh -c 'cd /data/../../.. && ls'
is "$OUT" "$(ls "$R")" ".. above a bind stays in the rootfs"

# ---- home and workdir ----
echo "in home" >"$T/home/f"
chown "$root_owner" "$T/home/f"
{ base; printf 'home = true\n'; } | manifest "$T/home.ini"
HOME=$T/home run_qrun "$T/home.ini" -- /bin/sh -c 'cat "$HOME/f" && echo $HOME'
is "$RC:$OUT" "0:in home
$T/home" "home = true binds \$HOME at the same path"
echo "in work" >"$T/work/f"
chown "$root_owner" "$T/work/f"
{ base; printf 'workdir = true\n'; } | manifest "$T/work.ini"
out=$(cd "$T/work" && as_user "$QRUN" "$T/work.ini" -- /bin/sh -c 'pwd && cat f' </dev/null 2>&1)
is "$out" "$T/work
in work" "workdir = true binds the current directory and starts there"

# ---- namespaces: mount mode has its own, chroot mode has none ----
printf '[rootfs]\npath = /\n[process]\ncommand = /bin/readlink\nargs = /proc/self/ns/mnt\n' | manifest "$T/hostns.ini"
run_qrun "$T/hostns.ini"
is "$OUT" "$(readlink /proc/self/ns/mnt)" "without [mounts] no mount namespace is created"
printf '[rootfs]\npath = /\n[mounts]\n[process]\ncommand = /bin/readlink\nargs = /proc/self/ns/mnt\n' | manifest "$T/hostns2.ini"
run_qrun "$T/hostns2.ini"
ok $([ "$RC" -eq 0 ] && [ -n "$OUT" ] && [ "$OUT" != "$(readlink /proc/self/ns/mnt)" ]; echo $?) \
        "an empty [mounts] section turns mount mode on"

# The monitor (qrun's own process) stays in the host's mount namespace: looked
# at once the command runs, so qrun has set up the container.
user_command "$QRUN" "$T/proc.ini" -- /bin/sh -c 'echo ready; exec sleep 30'
"${CMD[@]}" >"$T/monitor.out" </dev/null &
monitor=$!
wait_for "$T/monitor.out" ready
is "$(readlink /proc/$monitor/ns/mnt):$(readlink /proc/$monitor/root)" "$(readlink /proc/self/ns/mnt):/" \
        "the monitor keeps the host's mount namespace and root"
kill "$monitor"
wait $monitor

# ---- malformed [mounts] lines: one error each ----
check() { # NAME EXPECTED-ERROR, manifest body on stdin (after [mounts])
        { base; cat; } | manifest "$T/bad.ini"
        run_qrun "$T/bad.ini" -- /bin/true
        is "$RC:$ERR" "125:$T/bad.ini:$2" "$1"
}
check "bind without DST" '4: [mounts] bind: expected SRC:DST or SRC:DST:ro, got "/tmp"' <<<'bind = /tmp'
check "bind with empty SRC" '4: [mounts] bind: expected SRC:DST or SRC:DST:ro, got ":/x"' <<<'bind = :/x'
check "bind with a relative DST" '4: [mounts] bind: DST must be an absolute path inside the container, got "x"' <<<"bind = $T/data:x"
check "bind with an unknown option" '4: [mounts] bind: unknown bind option "rx" (ro or rw)' <<<"bind = $T/data:/data:rx"
check "bind of a missing source" "4: [mounts] bind: $T/nothing: No such file or directory" <<<"bind = $T/nothing:/data"
check "bind of a directory onto a file" "4: [mounts] bind: /etc/passwd is not a directory in the rootfs" <<<"bind = $T/data:/etc/passwd"
check "bind of a file onto a directory" "4: [mounts] bind: /etc is a directory in the rootfs" <<<"bind = $T/single:/etc"
check "tmpfs with an unknown option" '4: [mounts] tmpfs: expected PATH or PATH:size=N, got "/tmp:mode=1"' <<<'tmpfs = /tmp:mode=1'
check "tmpfs with a bad size" '4: [mounts] tmpfs: expected a size such as 4096, 512K, 64M or 2G, got "lots"' <<<'tmpfs = /tmp:size=lots'
check "tmpfs of size 0" '4: [mounts] tmpfs: size must be larger than 0' <<<'tmpfs = /tmp:size=0'
check "tmpfs with a relative path" '4: [mounts] tmpfs: PATH must be an absolute path inside the container, got "tmp"' <<<'tmpfs = tmp'
check "proc not a boolean" '4: [mounts] proc: expected a boolean (true/false/yes/no/on/off/1/0), got "yes please"' <<<'proc = yes please'
check "dev unknown" '4: [mounts] dev: expected none or minimal, got "full"' <<<'dev = full'
check "shm_size without dev" '4: [mounts] shm_size: needs dev = minimal (it sizes /dev/shm)' <<<'shm_size = 1G'
check "shm_size 0" '5: [mounts] shm_size: must be larger than 0' <<<$'dev = minimal\nshm_size = 0'
check "home not a boolean" '4: [mounts] home: expected a boolean (true/false/yes/no/on/off/1/0), got "1x"' <<<'home = 1x'
check "workdir with [process] cwd" '4: [mounts] workdir: workdir = true sets the working directory: remove [process] cwd' \
        <<<$'workdir = true\n[process]\ncwd = /tmp'
check "unknown key" '4: [mounts] binds: unknown key (did you mean "bind"?)' <<<"binds = $T/data:/data"
# Without a pid namespace a new procfs cannot be mounted: the host's is bound,
# read-only; it shows the processes the command shares its pid namespace with.
{ base; printf 'proc = true\n[namespaces]\npid = false\n'; } | manifest "$T/hostproc.ini"
run_qrun "$T/hostproc.ini" -- /bin/sh -c 'read -r pid rest </proc/self/stat; test "$pid" = "$$" && echo self; test -d /proc/1 && echo one;
        awk "\$5 == \"/proc\" {print (\$6 ~ /^ro,nosuid,nodev,noexec/) ? \"ro,nosuid,nodev,noexec\" : \$6}" /proc/self/mountinfo
        echo 1 >/proc/sys/kernel/hostname 2>/dev/null || echo refused'
is "$RC:$OUT" "0:self
one
ro,nosuid,nodev,noexec
refused" "proc = true without a pid namespace: the host's /proc, read-only, nosuid, nodev, noexec"
as_user sleep 60 &
host_pid=$! # the test user's, on the host: outside the container's user namespace
run_qrun "$T/hostproc.ini" -- /bin/sh -c "cat /proc/$host_pid/status >/dev/null && echo status
        ls /proc/$host_pid/root/ >/dev/null 2>&1 || echo no-root; ls /proc/$host_pid/fd/ >/dev/null 2>&1 || echo no-fd
        ls /proc/\$PPID/root/ >/dev/null 2>&1 || echo no-root"
is "$RC:$OUT" "0:status
no-root
no-fd
no-root" "... where the user's own processes outside show their status, not their root directory or descriptors (nor qrun's)"
kill "$host_pid"
wait "$host_pid" 2>/dev/null
run_qrun --check "$T/hostproc.ini" -- /bin/true
like "$OUT" "^; proc: the host's /proc, read-only \(no pid namespace of its own\)$" "--check says whose /proc it is"
{ base; printf 'home = true\n'; } | manifest "$T/bad.ini"
HOME=relative run_qrun "$T/bad.ini" -- /bin/true
is "$RC:$ERR" "125:$T/bad.ini:4: [mounts] home: \$HOME is not set to an existing directory" "home without a usable \$HOME"

# --check prints the section back, and the printed manifest is valid.
{ base; printf 'bind = %s:/data:ro\ntmpfs = /tmp:size=1M\nproc = true\ndev = minimal\nshm_size = 64M\n[process]\ncommand = /bin/true\n' "$T/data"; } | manifest "$T/print.ini"
run_qrun --check "$T/print.ini"
like "$OUT" "bind = $T/data:/data:ro" "--check shows the binds"
like "$OUT" "tmpfs = /tmp:size=1048576" "--check shows the tmpfs"
printf '%s\n' "$OUT" >"$T/printed.ini"
chmod a+r "$T/printed.ini"
run_qrun --check "$T/printed.ini"
is "$RC" 0 "the printed manifest is valid"

# ---- identity: the user inside gets a passwd and a group entry ----
if [ "$(id -u)" -eq 0 ]; then qt_user=$QRUN_TEST_USER; else qt_user=$(id -un); fi
qt_uid=$(id -u "$qt_user")
image_sum=$(cat "$R/etc/passwd" "$R/etc/group" | md5sum)
{ base; printf 'proc = true\n'; } | manifest "$T/id.ini"
run_qrun "$T/id.ini" -- /bin/sh -c 'id -un; whoami; grep "^[^:]*:[^:]*:$(id -u):" /etc/passwd'
is "$RC:$OUT" "0:$qt_user
$qt_user
$qt_user:x:$qt_uid:$(id -g "$qt_user"):$qt_user:/:/bin/sh" "mount mode: id -un, whoami and the passwd line name the user"
run_qrun "$T/id.ini" -- /bin/sh -c 'id -gn; grep -c "^root:" /etc/passwd'
is "$OUT" "$(id -gn "$qt_user")
1" "... a group entry too, and the image's lines are kept"
run_qrun "$T/id.ini" -- /bin/sh -c 'echo x >>/etc/passwd'
is "$RC" 1 "the new /etc/passwd is read-only inside"
is "$(cat "$R/etc/passwd" "$R/etc/group" | md5sum)" "$image_sum" "the image's files are unchanged"
run_qrun -s user.passwd=false "$T/id.ini" -- /bin/sh -c 'id -un'
like "$RC:$ERR" "^1:.*unknown" "passwd = false: the image's files as they are"
run_qrun -s user.uid=0 "$T/id.ini" -- /bin/sh -c 'id -un; grep -c . /etc/passwd; mountinfo=$(grep -c " /etc/passwd " /proc/self/mountinfo); echo $mountinfo'
is "$OUT" "root
$(grep -c . "$R/etc/passwd")
0" "uid = 0: the image has root, nothing is added or bound"
# An image without /etc/passwd gets none (qrun creates nothing in it).
mv "$R/etc/passwd" "$R/etc/passwd.away"
run_qrun "$T/id.ini" -- /bin/sh -c 'test -e /etc/passwd || echo none; id -gn'
is "$RC:$OUT" "0:none
$(id -gn "$qt_user")" "no /etc/passwd in the image: none added; the group still is"
mv "$R/etc/passwd.away" "$R/etc/passwd"
# chroot mode: --check warns that the rootfs does not know the uid.
printf '[rootfs]\npath = %s\n[process]\ncommand = /bin/true\n' "$R" | manifest "$T/chroot-id.ini"
run_qrun --check "$T/chroot-id.ini"
like "$RC:$ERR" "^0:qrun: identity: the rootfs's /etc/passwd has no entry for uid $qt_uid \\($qt_user\\)" \
        "chroot mode: --check says the rootfs has no entry for the uid"
run_qrun --check -s user.uid=0 "$T/chroot-id.ini"
is "$RC:$ERR" "0:" "... and nothing when it has one (uid 0)"
{ base; printf '[user]\npasswd = maybe\n'; } | manifest "$T/badpw.ini"
run_qrun "$T/badpw.ini" -- /bin/true
is "$RC:$ERR" "125:$T/badpw.ini:5: [user] passwd: expected a boolean (true/false/yes/no/on/off/1/0), got \"maybe\"" \
        "passwd: a boolean"

# Nothing was left mounted on the host by any run above.
is "$(grep -c "$T" /proc/self/mountinfo)" "$host_mounts_before" "no mount is left on the host"

done_testing

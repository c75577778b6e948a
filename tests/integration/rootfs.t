#!/bin/bash
# [rootfs]: chroot without a mount namespace; nothing outside is reachable.
. "$(dirname "$0")/../lib.sh"

manifest "$T/m.ini" <<'EOF2'
[process]
command = /bin/qtest
EOF2
echo "host secret" >"$T/marker"
chmod a+r "$T/marker"

run_qrun "$T/m.ini" -- /bin/cat /etc/passwd
is "$OUT" "$(cat "$ROOTFS/etc/passwd")" "/etc/passwd is the rootfs's"
run_qrun "$T/m.ini" -- /bin/ls -A /proc
is "$RC:$OUT" "0:" "the host's /proc is not visible"
run_qrun "$T/m.ini" -- /bin/qtest open "$T/marker"
is "$OUT" "ENOENT" "a host path is not reachable"
run_qrun "$T/m.ini" -- /bin/qtest open "/../../../../..$T/marker"
is "$OUT" "ENOENT" "a host path is not reachable through .."
ln -sfn "/../../../..$T/marker" "$ROOTFS/tmp/escape-link.$$"
run_qrun "$T/m.ini" -- /bin/qtest open "/tmp/escape-link.$$"
is "$OUT" "ENOENT" "an absolute symlink resolves inside the rootfs"
rm -f "$ROOTFS/tmp/escape-link.$$"
ln -sfn /etc/passwd "$ROOTFS/tmp/passwd-link.$$"
run_qrun "$T/m.ini" -- /bin/cat "/tmp/passwd-link.$$"
is "$OUT" "$(cat "$ROOTFS/etc/passwd")" "a symlink to /etc/passwd gives the rootfs's file"
rm -f "$ROOTFS/tmp/passwd-link.$$"

# The classic escape: chroot into a subdirectory, walk up, chroot(".").
for uid in self 0; do
        run_qrun -s user.uid=$uid "$T/m.ini" -- /bin/qtest chroot-escape "$T/marker"
        is "$OUT" "chroot=EPERM open=ENOENT" "uid $uid: a second chroot is refused (no CAP_SYS_CHROOT)"
done

# Paths: relative to the manifest's directory; symlinks to the rootfs work.
mkdir -p "$T/jobs"
ln -s "$ROOTFS" "$T/image"
printf '[rootfs]\npath = ../image\n[process]\ncommand = /bin/true\n' >"$T/jobs/rel.ini"
chmod -R a+rX "$T/jobs"
run_qrun "$T/jobs/rel.ini"
is "$RC" 0 "a relative rootfs path is relative to the manifest's directory"
run_qrun --check "$T/jobs/rel.ini"
like "$OUT" "path = $T/jobs/../image" "--check shows the absolute path"

# cwd inside the rootfs
run_qrun -s process.cwd=/tmp "$T/m.ini" -- /bin/pwd
is "$OUT" "/tmp" "cwd is entered inside the rootfs"
run_qrun "$T/m.ini" -- /bin/pwd
is "$OUT" "/" "cwd defaults to /"

# The host root: no chroot, the host's files and /proc.
printf '[rootfs]\npath = /\n[process]\ncommand = /bin/cat\nargs = /proc/self/status\n' >"$T/host.ini"
chmod a+r "$T/host.ini"
run_qrun "$T/host.ini"
is "$RC" 0 "path = / runs on the host root"
like "$OUT" 'NoNewPrivs:[[:space:]]+1' "path = /: the host's /proc (no_new_privs shows)"
run_qrun "$T/host.ini" -- /bin/cat "$T/marker"
is "$OUT" "host secret" "path = /: host files are reachable (that is what host mode means)"
ln -s / "$T/slash"
printf '[rootfs]\npath = %s\n' "$T/slash" >"$T/slash.ini"
chmod a+r "$T/slash.ini"
run_qrun "$T/slash.ini" -- /bin/true
is "$RC:$ERR" "125:$T/slash.ini:2: [rootfs] path: $T/slash: resolves to the host's root directory (write path = / to run on the host)" \
        "host mode is never reached through a symlink to /"

# A writable rootfs directory is writable by the user inside.
run_qrun "$T/m.ini" -- /bin/sh -c "echo hi >/tmp/w.$$ && cat /tmp/w.$$ && rm /tmp/w.$$"
is "$OUT" "hi" "the rootfs's /tmp is writable"

done_testing

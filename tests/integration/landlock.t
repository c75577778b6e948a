#!/bin/bash
# [landlock]: host mode (and chroot and mount mode) confined by Landlock.
. "$(dirname "$0")/../lib.sh"

abi=$(python3 -c 'import ctypes; print(ctypes.CDLL(None).syscall(444, None, 0, 1))' 2>/dev/null)
if [ -z "$abi" ] || [ "$abi" -lt 1 ]; then
        echo "1..0 # skip Landlock is not available in this kernel"
        exit 0
fi

owner=$(id -un)
[ "$(id -u)" -eq 0 ] && owner=$QRUN_TEST_USER
QTEST=$ROOTFS/bin/qtest

# The documented use case: a CI job reads the system, writes only its
# workspace and /tmp; the user's ~/.ssh and other users' files stay closed
# although the file permissions would allow reading them. The files live
# outside /tmp (which the job may write), in V.
V=$(mktemp -d /var/tmp/qrun-landlock.XXXXXX)
chmod 755 "$V"
at_exit 'rm -rf "$V"'
mkdir -p "$V/ws" "$V/home/.ssh" "$V/other"
echo "private key" >"$V/home/.ssh/id_ed25519"
echo "someone else's" >"$V/other/notes"
chmod -R a+rwX "$V/home" "$V/other"
chown -R "$owner" "$V/ws" "$V/home"
cat <<EOF | manifest "$T/ci.ini"
[rootfs]
path = /
[landlock]
read = /etc /usr /proc
write = $V/ws /tmp /dev/null
exec = /bin /usr /lib /lib64 $QTEST
EOF
run_qrun "$T/ci.ini" -- "$QTEST" create "$V/ws/out"
is "$RC:$OUT" "0:ok" "the workspace is writable"
is "$(cat "$V/ws/out")" "x" "the write reached the workspace"
run_qrun "$T/ci.ini" -- "$QTEST" create "/tmp/qrun-landlock.$$"
is "$OUT" "ok" "/tmp is writable"
rm -f "/tmp/qrun-landlock.$$"
run_qrun "$T/ci.ini" -- "$QTEST" open /etc/passwd
is "$OUT" "ok" "the system is readable"
run_qrun "$T/ci.ini" -- "$QTEST" open "$V/home/.ssh/id_ed25519"
is "$OUT" "EACCES" "~/.ssh is unreadable (EACCES)"
run_qrun "$T/ci.ini" -- "$QTEST" open "$V/other/notes"
is "$OUT" "EACCES" "another user's world-readable file is unreadable (EACCES)"
run_qrun "$T/ci.ini" -- "$QTEST" create "$V/other/new"
is "$OUT" "EACCES" "writing outside write paths fails with EACCES, although the directory is mode 777"
run_qrun "$T/ci.ini" -- "$QTEST" create /etc/qrun-landlock
is "$OUT" "EACCES" "read paths are not writable"
[ ! -e /etc/qrun-landlock ]
ok $? "nothing was created in /etc"
run_qrun "$T/ci.ini" -- /bin/sh -c "echo in a shell >$V/ws/sh && cat $V/ws/sh"
is "$RC:$OUT" "0:in a shell" "a dynamically linked shell runs with exec on /bin, /usr and /lib"

# Exec is its own right: a binary under read but not exec cannot run.
cp "$QTEST" "$V/ws/qtest-copy"
chmod a+rx "$V/ws/qtest-copy"
run_qrun "$T/ci.ini" -- "$V/ws/qtest-copy" exit 0
is "$RC" 126 "a program outside exec paths cannot be executed (exit 126)"
like "$ERR" "outside the \\[landlock\\] exec paths.*Permission denied" "and the error points at [landlock] exec"

# Without [landlock] the same reads succeed: the denials above are Landlock's.
printf '[rootfs]\npath = /\n' | manifest "$T/open.ini"
run_qrun "$T/open.ini" -- "$QTEST" open "$V/other/notes"
is "$OUT" "ok" "without [landlock] the file is readable (the test's control)"

# Scopes (ABI 6): no signals to processes outside the domain.
if [ "$abi" -ge 6 ]; then
        run_qrun "$T/ci.ini" -- /bin/sh -c 'kill -0 1 2>/dev/null; echo $?'
        is "$OUT" "1" "ABI >= 6: signals to processes outside the domain are refused"
        run_qrun "$T/open.ini" -- /bin/sh -c 'kill -0 1 2>/dev/null; echo $?'
        is "$OUT" "0" "without [landlock] the same signal is allowed (control)"
else
        skip "signal scoping needs Landlock ABI 6 (this kernel: $abi)"
        skip "signal scoping needs Landlock ABI 6 (this kernel: $abi)"
fi

# --verbose reports the negotiated ABI.
run_qrun -v "$T/ci.ini" -- /bin/true
like "$ERR" "qrun: landlock +[0-9]+ us  ABI $abi, 11 path rules" "--verbose reports the ABI and the rules"

# With a chroot rootfs: paths are inside the rootfs.
cat <<'EOF' | manifest "$T/chroot.ini"
[landlock]
read = /etc
exec = /bin
EOF
run_qrun "$T/chroot.ini" -- /bin/qtest open /etc/passwd
is "$OUT" "ok" "chroot + landlock: a read path inside the rootfs is readable"
run_qrun "$T/chroot.ini" -- /bin/qtest create /tmp/f
is "$OUT" "EACCES" "chroot + landlock: the rootfs's writable /tmp is closed"

# With mount mode: a rule may name a path on a bind.
mkdir -p "$T/data"
chown "$owner" "$T/data"
cat <<EOF | manifest "$T/mnt.ini"
[mounts]
bind = $T/data:/home
[landlock]
write = /home
exec = /bin
EOF
run_qrun "$T/mnt.ini" -- /bin/qtest create /home/f
is "$OUT" "ok" "mount mode + landlock: a write path on a bind is writable"
run_qrun "$T/mnt.ini" -- /bin/qtest open /etc/passwd
is "$OUT" "EACCES" "mount mode + landlock: the rest is closed"

# An empty [landlock] section denies everything, even exec.
printf '[landlock]\n' | manifest "$T/empty.ini"
run_qrun "$T/empty.ini" -- /bin/true
is "$RC" 126 "an empty [landlock] section denies everything"

# required = false with Landlock available: confinement still applies.
printf '[landlock]\nrequired = false\nexec = /bin\n' | manifest "$T/opt.ini"
run_qrun "$T/opt.ini" -- /bin/qtest open /etc/passwd
is "$OUT" "EACCES" "required = false still confines when Landlock is available"

# ---- malformed [landlock] lines: one error each ----
check() { # NAME EXPECTED-ERROR, [landlock] body on stdin
        { printf '[rootfs]\npath = /\n[landlock]\n'; cat; } | manifest "$T/bad.ini"
        run_qrun "$T/bad.ini" -- /bin/true
        is "$RC:$ERR" "125:$T/bad.ini:$2" "$1"
}
check "relative path" '4: [landlock] read: expected an absolute path, got "etc"' <<<'read = /usr etc'
check "empty list" '4: [landlock] write: expected one or more absolute paths' <<<'write ='
check "unterminated quote" '4: [landlock] exec: unterminated '"'"' quote' <<<"exec = /bin 'x"
check "missing path" "4: [landlock] read: $T/nothing: No such file or directory" <<<"read = $T/nothing"
check "required not a boolean" '4: [landlock] required: expected a boolean (true/false/yes/no/on/off/1/0), got "maybe"' <<<'required = maybe'
check "unknown key" '4: [landlock] reads: unknown key (did you mean "read"?)' <<<'reads = /'
check "required twice" '5: [landlock] required: set twice (first on line 4); only repeatable keys may appear more than once' \
        <<<$'required = true\nrequired = false'

# A rule whose path vanishes in mount mode is reported at launch with its line.
cat <<'EOF' | manifest "$T/late.ini"
[mounts]
[landlock]
read = /not/there
EOF
run_qrun "$T/late.ini" -- /bin/true
is "$RC:$ERR" "125:$T/late.ini:5: [landlock] read: /not/there: No such file or directory" \
        "mount mode: a missing rule path is reported at launch with its line"

# --check prints the section back; the printed manifest is valid.
run_qrun --check "$T/ci.ini" -- /bin/true
like "$OUT" "write = $V/ws" "--check shows the write paths"
printf '%s\n' "$OUT" >"$T/printed.ini"
chmod a+r "$T/printed.ini"
run_qrun --check "$T/printed.ini"
is "$RC" 0 "the printed manifest is valid"

done_testing

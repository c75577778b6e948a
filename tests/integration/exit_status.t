#!/bin/bash
# Exit status rules: the command's code, 128+N, 124, 125, 126, 127.
. "$(dirname "$0")/../lib.sh"

manifest "$T/m.ini" <<'EOF2'
[process]
command = /bin/true
EOF2

for pid in true false; do
        run_qrun -s namespaces.pid=$pid "$T/m.ini" -- /bin/true
        is "$RC" 0 "pid=$pid: true exits 0"
        run_qrun -s namespaces.pid=$pid "$T/m.ini" -- /bin/qtest exit 42
        is "$RC" 42 "pid=$pid: the command's exit code"
        run_qrun -s namespaces.pid=$pid "$T/m.ini" -- /bin/qtest exit 125
        is "$RC:$ERR" "125:" "pid=$pid: a command's own 125 passes silently"
        run_qrun -s namespaces.pid=$pid "$T/m.ini" -- /bin/qtest raise 9
        is "$RC" 137 "pid=$pid: killed by SIGKILL is 128+9"
        run_qrun -s namespaces.pid=$pid "$T/m.ini" -- /bin/qtest raise 15
        is "$RC" 143 "pid=$pid: killed by SIGTERM is 128+15"
        run_qrun -s namespaces.pid=$pid "$T/m.ini" -- /bin/sh -c 'kill -SEGV $$'
        is "$RC" 139 "pid=$pid: killed by SIGSEGV is 128+11"
done

# 127: not found
run_qrun "$T/m.ini" -- /bin/nosuch
is "$RC:$ERR" "127:qrun: exec: /bin/nosuch: No such file or directory" "missing absolute command: 127"
run_qrun "$T/m.ini" -- nosuch
is "$RC:$ERR" \
        "127:qrun: exec: nosuch: command not found in PATH /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
        "command not in PATH: 127"
printf '#!/nonexistent/interpreter\n' >"$ROOTFS/tmp/noint.$$"
chmod 755 "$ROOTFS/tmp/noint.$$"
run_qrun "$T/m.ini" -- /tmp/noint.$$
is "$RC:$ERR" \
        "127:qrun: exec: /tmp/noint.$$ exists but its interpreter or dynamic loader is missing in the rootfs: No such file or directory" \
        "missing interpreter: 127 with the reason"
rm -f "$ROOTFS/tmp/noint.$$"

# 126: found but not executable
printf 'data\n' >"$ROOTFS/tmp/noexec.$$"
chmod 644 "$ROOTFS/tmp/noexec.$$"
run_qrun "$T/m.ini" -- /tmp/noexec.$$
is "$RC:$ERR" "126:qrun: exec: /tmp/noexec.$$: Permission denied" "non-executable file: 126"
run_qrun "$T/m.ini" -- /bin
is "$RC:$ERR" "126:qrun: exec: /bin: Permission denied" "directory: 126"
cp "$ROOTFS/tmp/noexec.$$" "$ROOTFS/tmp/noexec2.$$"
run_qrun -s process.env=PATH=/tmp:/bin "$T/m.ini" -- noexec2.$$
is "$RC:$ERR" "126:qrun: exec: /tmp/noexec2.$$: Permission denied" \
        "PATH lookup: found but not executable wins over not found"
rm -f "$ROOTFS/tmp/noexec.$$" "$ROOTFS/tmp/noexec2.$$"

# 125: qrun itself failed
run_qrun -s rootfs.path=/nonexistent "$T/m.ini"
is "$RC:$ERR" "125:--set: [rootfs] path: /nonexistent: No such file or directory" "missing rootfs: 125"
run_qrun -s rootfs.path=/etc/passwd "$T/m.ini"
is "$RC:$ERR" "125:--set: [rootfs] path: /etc/passwd: not a directory, and not a SquashFS image (no hsqs magic)" \
        "rootfs is a file, not an image: 125"
mkdir -p "$T/private" && chmod 700 "$T/private"
run_qrun -s rootfs.path="$T/private" "$T/m.ini"
if [ "$(id -u)" -eq 0 ]; then
        is "$RC:$ERR" "125:--set: [rootfs] path: $T/private: Permission denied" "unreadable rootfs: 125"
else
        skip "unreadable rootfs (needs a second account)"
fi
run_qrun "$T/nonexistent.ini"
is "$RC:$ERR" "125:$T/nonexistent.ini: No such file or directory" "missing manifest: 125"
run_qrun "$T"
is "$RC:$ERR" "125:$T: is a directory, not a manifest" "manifest is a directory: 125"

# 124: timeout, whatever the command would have returned
run_qrun -s limits.timeout=200ms "$T/m.ini" -- /bin/sh -c 'sleep 5; exit 3'
is "$RC" 124 "timeout: 124"

done_testing

#!/bin/bash
# [user]: the one-id maps, capabilities inside, refusing elevated privileges,
# and naming the setting when user namespaces are disabled.
. "$(dirname "$0")/../lib.sh"

manifest "$T/m.ini" <<'EOF2'
[process]
command = /bin/qtest
EOF2
uid=$(as_user id -u)
gid=$(as_user id -g)

run_qrun "$T/m.ini" -- /bin/qtest ids
is "$OUT" "uid=$uid gid=$gid euid=$uid egid=$gid groups=" "uid/gid self: your own ids inside"
run_qrun -s user.uid=0 -s user.gid=0 "$T/m.ini" -- /bin/qtest ids
is "$OUT" "uid=0 gid=0 euid=0 egid=0 groups=" "uid/gid 0: root inside"
run_qrun -s user.uid=0 "$T/m.ini" -- /bin/qtest ids
is "$OUT" "uid=0 gid=$gid euid=0 egid=$gid groups=" "uid 0 with gid self"
run_qrun -s user.gid=0 "$T/m.ini" -- /bin/qtest ids
is "$OUT" "uid=$uid gid=0 euid=$uid egid=0 groups=" "gid 0 with uid self"
run_qrun -s user.uid=0 "$T/m.ini" -- /bin/sh -c 'cat /etc/passwd >/dev/null; touch /tmp/owned.$$ && stat -c %u /tmp/owned.$$ && rm /tmp/owned.$$'
is "$OUT" "0" "files created by root inside belong to root inside"

# Exactly one id is mapped: other ids do not exist inside.
run_qrun -s user.uid=0 -s user.gid=0 "$T/m.ini" -- /bin/sh -c 'chown 1:1 /tmp 2>&1; echo rc=$?'
like "$OUT" "rc=1" "uid 0 cannot chown to an unmapped id"

# Capabilities: none at all for self; root keeps a set without CHROOT/ADMIN.
zero=0000000000000000
run_qrun "$T/m.ini" -- /bin/qtest caps
is "$OUT" "CapInh=$zero CapPrm=$zero CapEff=$zero CapBnd=$zero CapAmb=$zero" \
        "uid self: no capabilities, empty bounding set"
# CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP NET_BIND_SERVICE NET_RAW AUDIT_WRITE
root_set=00000000200025fb
run_qrun -s user.uid=0 "$T/m.ini" -- /bin/qtest caps
is "$OUT" "CapInh=$zero CapPrm=$root_set CapEff=$root_set CapBnd=$root_set CapAmb=$zero" \
        "uid 0: Docker's set minus SYS_CHROOT, MKNOD, SETFCAP; bounding set the same"
bnd=$((16#$root_set))
is "$(((bnd >> 18) & 1))$(((bnd >> 21) & 1))$(((bnd >> 2) & 1))$(((bnd >> 19) & 1))" "0000" \
        "bounding set lacks SYS_CHROOT, SYS_ADMIN, DAC_READ_SEARCH, SYS_PTRACE"
run_qrun "$T/m.ini" -- /bin/qtest nnp
is "$OUT" "nnp=1" "no_new_privs is set"
run_qrun -s user.uid=0 "$T/m.ini" -- /bin/sh -c 'exec /bin/qtest caps'
is "$OUT" "CapInh=$zero CapPrm=$root_set CapEff=$root_set CapBnd=$root_set CapAmb=$zero" \
        "uid 0: a further exec gains nothing"

# Refusing elevated privileges (needs root to create setuid files).
if [ "$(id -u)" -eq 0 ]; then
        cp "$QRUN" "$T/qrun-suid"
        chown root:root "$T/qrun-suid"
        chmod 4755 "$T/qrun-suid"
        as_user "$T/qrun-suid" "$T/m.ini" -- /bin/qtest ids >"$T/out" 2>"$T/err"
        is "$?:$(cat "$T/out")" "125:" "setuid-root install: refused, nothing ran"
        is "$(cat "$T/err")" "qrun: security: refusing to run with elevated privileges (setuid/setgid or differing real and effective ids); qrun needs no privileges: install it mode 0755" \
                "setuid-root install: message"
        chmod 2755 "$T/qrun-suid"
        as_user "$T/qrun-suid" "$T/m.ini" -- /bin/qtest ids >"$T/out" 2>"$T/err"
        is "$?:$(cat "$T/out")" "125:" "setgid-root install: refused"
        chown "$QRUN_TEST_USER" "$T/qrun-suid"
        chmod 4755 "$T/qrun-suid"
        as_user "$T/qrun-suid" "$T/m.ini" -- /bin/qtest ids >"$T/out" 2>"$T/err"
        is "$?:$(cat "$T/err")" "125:qrun: security: refusing to run from a setuid/setgid file; qrun needs no privileges: chmod 0755 it" \
                "setuid to the caller itself: refused by the file mode"
else
        skip "setuid refusal needs root to create a setuid file"
        skip "setuid refusal message"
        skip "setgid refusal"
        skip "setuid-to-self refusal"
fi

# Disabled user namespaces: a nested user namespace whose limit is 0 (the
# host's settings stay untouched) must get an error naming the setting.
as_user unshare --user --map-root-user sh -c \
        'echo 0 >/proc/sys/user/max_user_namespaces && exec "$0" "$1"' "$QRUN" "$T/m.ini" >"$T/out" 2>"$T/err"
is "$?" 125 "user namespaces unavailable: 125"
is "$(cat "$T/err")" \
        "qrun: userns: unable to create the namespaces: user namespaces are disabled by user.max_user_namespaces = 0 (as root: sysctl -w user.max_user_namespaces=15000): No space left on device" \
        "user namespaces unavailable: the message names user.max_user_namespaces"
as_user unshare --user --map-root-user sh -c \
        'echo 1 >/proc/sys/user/max_user_namespaces && exec "$0" "$1" -- /bin/qtest ids' "$QRUN" "$T/m.ini" >"$T/out" 2>"$T/err"
is "$?:$(cat "$T/out")" "0:uid=0 gid=0 euid=0 egid=0 groups=" "inside a user namespace with room for one more: runs"

done_testing

#!/bin/bash
# The escape-attempt suite: each attempt is a function of tests/security/escape.c,
# run inside qrun with the default seccomp profile as the unprivileged test user,
# and each must fail the way stated here. SECURITY.md explains why each fails.
. "$(dirname "$0")/../lib.sh"

# QRUN_ESCAPE_PROFILE=none runs every attempt under another profile (none: no
# filter), to count the answers that the default profile, not the missing
# capabilities, gives; SECURITY.md has the count. The suite itself always runs
# with the default profile.
if [ -n "${QRUN_ESCAPE_PROFILE:-}" ]; then
        eval "suite_$(declare -f manifest)"
        manifest() {
                { cat; printf '[seccomp]\nprofile = %s\n' "$QRUN_ESCAPE_PROFILE"; } | suite_manifest "$1"
        }
fi

echo "host secret" >"$T/marker"
chmod a+r "$T/marker"

manifest "$T/chroot.ini" </dev/null
printf '[user]\nuid = 0\n' | manifest "$T/root.ini"
printf '[mounts]\nproc = true\ntmpfs = /tmp\n' | manifest "$T/mount.ini"
printf '[user]\nuid = 0\n[mounts]\nproc = true\ntmpfs = /tmp\n' | manifest "$T/mount-root.ini"

# attempt MANIFEST EXPECTED WHY -- ARG...: runs "escape ARG..." in qrun.
attempt() {
        local m=$1 expected=$2 why=$3
        shift 4
        run_qrun "$m" -- /bin/escape "$@"
        is "$RC:$OUT$ERR" "0:$expected" "$(basename "$m" .ini): $*: $why"
}

# A process of the same user outside every container: the target of the
# attacks on other processes.
user_command sleep 600
"${CMD[@]}" &
outside=$!

# ---- the root and descriptors ----
for m in chroot root mount-root; do
        attempt "$T/$m.ini" "chroot=EPERM open=ENOENT" "no CAP_SYS_CHROOT, so no second chroot" \
                -- chroot-escape "$T/marker"
done
attempt "$T/chroot.ini" EBADF "inherited directory fds are closed (fd 3 = a host dir)" \
        -- fchdir-fds 3<"$T" 4</ 9</proc/self/ns/mnt
attempt "$T/mount.ini" EBADF "inherited fds are closed in mount mode too" \
        -- openat-fds 3<"$T" 4</
attempt "$T/root.ini" "name_to_handle=ok real=EPERM forged=EPERM" \
        "open_by_handle_at is refused (the shocker exploit)" -- open-by-handle

# ---- other processes: the host's and another container's ----
attempt "$T/chroot.ini" ESRCH "a process outside is not nameable (pid namespace)" -- ptrace "$outside"
attempt "$T/root.ini" ESRCH "not even as uid 0" -- process-vm-readv "$outside"
attempt "$T/chroot.ini" ESRCH "kill reaches nothing outside" -- kill "$outside"
attempt "$T/chroot.ini" ESRCH "nor does pidfd_open" -- pidfd-open "$outside"
kill -0 "$outside"
ok $? "the process outside is still alive"

# Without a pid namespace the process outside is nameable, but tracing it
# needs CAP_SYS_PTRACE in the user namespace it belongs to (the host's), which
# the command never has, even as uid 0: the kernel's capability check refuses,
# Yama or not. Signals only need the same uid, so those do reach it: what
# SECURITY.md says a pid namespace is for.
printf '[namespaces]\npid = false\n' | manifest "$T/nopid.ini"
printf '[namespaces]\npid = false\n[user]\nuid = 0\n' | manifest "$T/nopid-root.ini"
for m in nopid nopid-root; do
        attempt "$T/$m.ini" EPERM "no pid namespace: ptrace needs CAP_SYS_PTRACE in the host's namespace" \
                -- ptrace "$outside"
        attempt "$T/$m.ini" EPERM "no pid namespace: process_vm_readv too" -- process-vm-readv "$outside"
done
# The victim runs under a subshell that reaps it and records how it ended, so
# that no job notice of this shell's mixes into the attempts' output.
user_command sleep 601
(
        "${CMD[@]}" &
        echo $! >"$T/victim.pid"
        wait $!
        echo $? >"$T/victim.status"
) 2>/dev/null &
reaper=$!
wait_for "$T/victim.pid" '^[0-9]'
attempt "$T/nopid.ini" ok "no pid namespace: kill does reach a process of the same user" \
        -- kill "$(cat "$T/victim.pid")"
kill -TERM "$(cat "$T/victim.pid")" 2>/dev/null # only if the attempt failed: status 143
wait "$reaper"
is "$(cat "$T/victim.status")" 137 "no pid namespace: and that process died of it (documented, not isolated)"
# Join mode: no pid namespace, and the ranks share a user namespace with the
# key's holder and with the monitor of the launch that created it, both of
# which keep the host's root and the runtime directory: neither may be traced
# or read, even by uid 0 of that namespace. Each is refused on its own
# grounds: neither is dumpable (so CAP_SYS_PTRACE in the host's namespace
# would be needed); the holder lives in the host's user namespace, where the
# ranks have no capability, and the monitor keeps every capability in the
# joined one, which a rank's never cover (the capability check); and Yama's
# ptrace_scope, where set.
printf '[namespaces]\njoin = escape-%s\n[user]\nuid = 0\n' "$$" | manifest "$T/join-root.ini"
user_command "$QRUN" "$T/join-root.ini" -- /bin/sleep 600
"${CMD[@]}" >/dev/null 2>&1 </dev/null &
first=$!
wait_until test_pgrep -f "^qrun-join escape-$$"
holder=$(test_pgrep -f "^qrun-join escape-$$")
monitor=$(test_pgrep -f "^$QRUN $T/join-root.ini")
for target in holder monitor; do
        attempt "$T/join-root.ini" EPERM "join mode: the $target cannot be traced" -- ptrace "${!target}"
        attempt "$T/join-root.ini" EPERM "join mode: nor its memory read" -- process-vm-readv "${!target}"
        attempt "$T/join-root.ini" EACCES "join mode: nor opened through /proc" -- proc-file "${!target}" mem
done
kill -TERM "$monitor"
wait "$first"
attempt "$T/root.ini" EPERM "qrun's own pid 1 cannot be traced (not dumpable)" -- ptrace 1
# Pid 1 runs in the monitor's memory (namespaces_clone): reading it would read
# the monitor's.
attempt "$T/root.ini" EPERM "... nor its memory read (the monitor's too)" -- process-vm-readv 1
attempt "$T/mount-root.ini" EACCES "... nor opened through /proc/1/mem" -- proc-file 1 mem
# With --each every task's pid 1 runs in the monitor's memory too.
each_attempt() { # the same, the probe run as a task of --each
        local m=$1 expected=$2 why=$3
        shift 4
        printf '/bin/escape %s\n' "$*" | as_user "$QRUN" "$m" --each -j1 >"$T/each.out" 2>"$T/each.err"
        is "$?:$(sed 's/^\[task 1\] //' "$T/each.out")" "0:$expected" "--each: $(basename "$m" .ini): $*: $why"
}
each_attempt "$T/root.ini" EPERM "a task's pid 1 cannot be traced" -- ptrace 1
each_attempt "$T/root.ini" EPERM "... nor its memory read (the monitor's too)" -- process-vm-readv 1
each_attempt "$T/mount-root.ini" EACCES "... nor opened through /proc/1/mem" -- proc-file 1 mem
attempt "$T/chroot.ini" none "chroot mode: no /proc at all" -- proc-pids
attempt "$T/mount.ini" ENOENT "mount mode: the host's pids are not in /proc" -- \
        proc-file "$outside" environ

# A second container, running: the first cannot see or signal it. Its sleep's
# duration holds this run's pid, so that another run of the suite as the same
# user is never counted (the same for the daemon further down).
other_sleep=$((1000000000 + $$))
user_command "$QRUN" "$T/mount.ini" -- /bin/escape daemonize "$other_sleep"
"${CMD[@]}" >"$T/other.out" 2>&1 </dev/null &
other_qrun=$!
wait_until test_pgrep -f "^sleep $other_sleep\$"
other=$(test_pgrep -f "^sleep $other_sleep\$")
ok "$([ -n "$other" ]; echo $?)" "another container's process runs (host pid ${other:-none})"
attempt "$T/mount.ini" "1 2" "another container's processes are not in this /proc" -- proc-pids
attempt "$T/mount.ini" ENOENT "nor reachable through the host pid" -- proc-file "${other:-1}" status
attempt "$T/mount.ini" ESRCH "nor signalled" -- kill "${other:-1}"
kill "$other_qrun"
wait "$other_qrun" 2>/dev/null

# TIOCSTI: the command must not type into the caller's terminal. On a terminal
# the command keeps it (job control) and the seccomp filter refuses TIOCSTI and
# TIOCLINUX on the request's low 32 bits; with profile = none it gets a new
# session, and the kernel refuses TIOCSTI on a terminal that is not its own.
if [ -c /dev/ptmx ] && command -v script >/dev/null; then
        on_tty() {
                as_user script -qec "$*" /dev/null </dev/null | tr -d '\r'
        }
        is "$(on_tty "$QRUN $T/chroot.ini -- /bin/escape tiocsti")" EPERM \
                "chroot: tiocsti: the filter refuses it on the kept terminal"
        is "$(on_tty "$QRUN $T/chroot.ini -- /bin/escape tiocsti 0x100005412")" EPERM \
                "chroot: tiocsti with bit 32 set (CVE-2019-10063's bypass) is refused too"
        is "$(on_tty "$QRUN $T/chroot.ini -- /bin/escape tiocsti 0x541c")" EPERM \
                "chroot: TIOCLINUX is refused"
        is "$(on_tty "$QRUN -s seccomp.profile=none $T/chroot.ini -- /bin/escape tiocsti")" EPERM \
                "profile = none: tiocsti: a new session without a controlling terminal, so the kernel refuses"
else
        for i in 1 2 3 4; do skip "no /dev/ptmx or script(1) for the TIOCSTI attempt"; done
fi

# ---- mounts and namespaces: no CAP_SYS_ADMIN, not even with uid 0 ----
attempt "$T/root.ini" EPERM "mount needs CAP_SYS_ADMIN" -- mount
attempt "$T/mount-root.ini" EPERM "qrun's mounts cannot be removed" -- umount2 /proc
attempt "$T/mount-root.ini" EPERM "pivot_root needs CAP_SYS_ADMIN" -- pivot-root
attempt "$T/mount-root.ini" EPERM "move_mount needs CAP_SYS_ADMIN" -- move-mount
attempt "$T/mount-root.ini" EPERM "open_tree(OPEN_TREE_CLONE) needs CAP_SYS_ADMIN" -- open-tree
attempt "$T/root.ini" EPERM "fsopen needs CAP_SYS_ADMIN" -- fsopen
attempt "$T/chroot.ini" EPERM "a chrooted process cannot create a user namespace" -- unshare 0x10000000
attempt "$T/root.ini" EPERM "nor a mount namespace as uid 0" -- unshare 0x20000
attempt "$T/mount.ini" EPERM "clone with CLONE_NEWUSER is refused by the profile" -- clone 0x10000000
attempt "$T/root.ini" EPERM "clone with CLONE_NEWNS|CLONE_NEWPID too" -- clone 0x20020000
attempt "$T/mount.ini" ENOSYS "clone3 is ENOSYS (its flags are out of the filter's reach)" \
        -- clone3 0x10000000
attempt "$T/mount-root.ini" "pidfd=ok setns=EPERM fd9=EBADF" \
        "setns needs CAP_SYS_ADMIN; a host namespace fd passed in is closed" \
        -- setns 9 9</proc/self/ns/mnt

# ---- keys: the host user's keyring is not the container's ----
key=qrun-escape-$$
is "$(as_user "$ROOTFS/bin/escape" add-key "$key")" ok "outside: a key in the user keyring"
is "$(as_user "$ROOTFS/bin/escape" keyctl-search "$key")" ok "outside: the key is found"
attempt "$T/mount.ini" ENOKEY "inside, the user keyring is the namespace's own" -- keyctl-search "$key"
attempt "$T/chroot.ini" ENOSYS "add_key is not in the profile" -- add-key "$key-inside"

# ---- calls that act on the whole machine ----
attempt "$T/root.ini" EPERM "bpf is refused" -- bpf
attempt "$T/chroot.ini" EPERM "perf_event_open is refused" -- perf-event-open
attempt "$T/chroot.ini" EPERM "userfaultfd is refused" -- userfaultfd
for call in kexec-load kexec-file-load init-module finit-module delete-module reboot swapon swapoff; do
        attempt "$T/root.ini" EPERM "refused even as uid 0" -- "$call"
done

# ---- devices, sockets, personas, ids ----
attempt "$T/mount-root.ini" EPERM "no CAP_MKNOD: no block device" -- mknod /tmp/sda b 8 0
attempt "$T/mount-root.ini" EPERM "no character device either" -- mknod /tmp/mem c 1 1
attempt "$T/chroot.ini" EAFNOSUPPORT "AF_VSOCK is refused" -- socket 40 1
attempt "$T/chroot.ini" EAFNOSUPPORT "AF_VSOCK with upper bits set too" -- socket 0x100000028 1
attempt "$T/chroot.ini" EAFNOSUPPORT "AF_ALG is refused" -- socket 38 5
attempt "$T/chroot.ini" EAFNOSUPPORT "AF_ALG with upper bits set too" -- socket 0x100000026 5
attempt "$T/chroot.ini" ENOSYS "personality(ADDR_NO_RANDOMIZE) is refused" -- personality 0x40000
attempt "$T/chroot.ini" ENOSYS "READ_IMPLIES_EXEC hidden above bit 32 too" -- personality 0x100400000
attempt "$T/chroot.ini" ok "control: querying the persona is allowed" -- personality 0xffffffff
attempt "$T/chroot.ini" EINVAL "uid 0 does not exist in the namespace" -- setresuid 0
attempt "$T/root.ini" EINVAL "uid 0 cannot become another unmapped uid" -- setresuid 1
attempt "$T/root.ini" EPERM "capabilities outside the bounding set cannot be raised" -- capset
# Without a filter first: where int 0x80 itself segfaults (a kernel without the
# 32-bit ABI, or a hypervisor that does not deliver it) there is nothing to kill.
if [ "$(uname -m)" != x86_64 ]; then
        skip "int 0x80 exists on x86_64 only"
elif run_qrun -s seccomp.profile=none "$T/chroot.ini" -- /bin/escape int80 && [ "$RC" = 139 ]; then
        skip "int 0x80 segfaults here even without a filter (no 32-bit ABI): nothing to kill"
else
        run_qrun "$T/chroot.ini" -- /bin/escape int80
        is "$RC:$OUT" "159:" "int 0x80 (the 32-bit ABI) kills the process (SIGSYS)"
fi

# A setuid-root binary in the rootfs gains nothing.
if [ "$(id -u)" -eq 0 ]; then
        cp -a "$ROOTFS" "$T/suid-root"
        install -o root -g root -m 4755 "$QRUN_HELPERS/suid_probe" "$T/suid-root/bin/suid_probe"
        install -o root -g root -m 600 /dev/null "$T/suid-root/etc/root-only"
        user_uid=$(id -u "$QRUN_TEST_USER")
        printf '[rootfs]\npath = %s\n' "$T/suid-root" | manifest "$T/suid.ini"
        attempt "$T/suid.ini" "ruid=$user_uid euid=$user_uid open=EACCES" \
                "the setuid bit of an unmapped owner is ignored" -- run-setuid /bin/suid_probe
        printf '[rootfs]\npath = %s\n[user]\nuid = 0\n' "$T/suid-root" | manifest "$T/suid0.ini"
        attempt "$T/suid0.ini" "ruid=0 euid=0 open=EACCES" \
                "uid 0 inside is not root's files' owner" -- run-setuid /bin/suid_probe
        rm -f "$T/suid-root/bin/suid_probe"
else
        skip "not root: cannot install a setuid-root binary"
        skip "not root: cannot install a setuid-root binary"
fi

# ---- the rootfs path swapped for a symlink while qrun starts ----
# cur flips between a real rootfs and a link to the host's /. qrun opens the
# path once: each launch runs in the rootfs, or refuses a path that resolved to
# the host's root (or, in mount mode, one that changed after validation).
mkdir -p "$T/swap"
ln -s "$ROOTFS" "$T/swap/rootfs"
ln -s rootfs "$T/swap/cur"
(
        while :; do
                ln -sfn / "$T/swap/new" && mv -T "$T/swap/new" "$T/swap/cur"
                ln -sfn rootfs "$T/swap/new" && mv -T "$T/swap/new" "$T/swap/cur"
        done
) &
flipper=$!
printf '[rootfs]\npath = %s\n' "$T/swap/cur" | manifest "$T/swap-chroot.ini"
printf '[rootfs]\npath = %s\n[mounts]\n' "$T/swap/cur" | manifest "$T/swap-mount.ini"
for mode in chroot mount; do
        inside=0 refused=0 other=""
        for _ in $(seq 1 150); do
                run_qrun "$T/swap-$mode.ini" -- /bin/escape whereami /etc/debian_version
                if [ "$RC:$OUT" = 0:inside ]; then
                        inside=$((inside + 1))
                elif [ "$RC" = 125 ] && printf '%s' "$ERR" |
                        grep -Eq "resolves to the host's root|changed while qrun was starting"; then
                        refused=$((refused + 1))
                else
                        other="$RC:$OUT:$ERR"
                        break
                fi
        done
        is "$other" "" "$mode: a swapped rootfs runs inside it or is refused, never on the host"
        ok "$([ "$inside" -gt 0 ] && [ "$refused" -gt 0 ]; echo $?)" \
                "$mode: the race happened ($inside runs inside, $refused refused)"
done
kill "$flipper"
wait "$flipper" 2>/dev/null

# ---- SIGKILL of qrun leaves nothing of the container alive ----
# The command daemonizes (setsid, double fork) a sleep, as a job might.
daemon_sleep=$((1100000000 + $$))
user_command "$QRUN" "$T/chroot.ini" -- /bin/escape daemonize "$daemon_sleep"
"${CMD[@]}" >"$T/daemon.out" 2>&1 </dev/null &
qrun_pid=$!
# "ready" comes once the daemon is forked, not once it has exec'd sleep.
wait_for "$T/daemon.out" ready
wait_until test_pgrep -f "^sleep $daemon_sleep\$"
is "$(test_pgrep -cf "^sleep $daemon_sleep\$")" 1 "the daemonized process runs"
# Both silenced: bash may reap the killed job, and report it, before wait runs.
{
        kill -KILL "$qrun_pid"
        wait "$qrun_pid"
} 2>/dev/null
wait_while test_pgrep -f "^sleep $daemon_sleep\$"
is "$(test_pgrep -cf "^sleep $daemon_sleep\$")" 0 "SIGKILL of qrun: the daemon is gone too"
wait_while test_pgrep -f "escape daemonize $daemon_sleep\$"
is "$(test_pgrep -cf "escape daemonize $daemon_sleep\$")" 0 "and so is the command"

kill "$outside"
wait "$outside" 2>/dev/null

# The killed qrun's container init was reparented to the host's init, which
# reaps it in its own time; the tests after this one need a clean slate.
wait_while test_processes
left=$(test_processes | paste -sd, -)
ok "$([ -z "$left" ]; echo $?)" "nothing of any container is left, zombies included"
[ -z "$left" ] || ps -o pid,ppid,stat,etime,args -p "$left" | sed 's/^/#   /'
done_testing

#!/bin/bash
# [seccomp] on the real kernel: the built-in profiles, custom profile files,
# --print-bpf, and the cases the unit tests can only interpret.
. "$(dirname "$0")/../lib.sh"

manifest "$T/m.ini" <<'EOF2'
[process]
command = /bin/qtest
EOF2
q() { run_qrun "$@"; }

# The default profile is on unless asked otherwise; "none" means no filter.
q "$T/m.ini" -- /bin/qtest seccomp-mode
is "$OUT" "seccomp=2" "the default profile is attached by default"
q -s seccomp.profile=none "$T/m.ini" -- /bin/qtest seccomp-mode
is "$OUT" "seccomp=0" "profile = none: no filter"
q -s seccomp.profile=strict "$T/m.ini" -- /bin/qtest seccomp-mode
is "$OUT" "seccomp=2" "profile = strict: a filter"
q "$T/m.ini" -- /bin/qtest nnp
is "$OUT" "nnp=1" "no_new_privs precedes the filter"

# Allowed, denied (EPERM), not listed (ENOSYS): each against no filter.
q "$T/m.ini" -- /bin/sh -c 'echo allowed'
is "$RC:$OUT" "0:allowed" "default: allowed calls work (a shell runs)"
q "$T/m.ini" -- /bin/qtest sys vmsplice -1 0 0 0
is "$OUT" "EPERM" "default: a denied call (vmsplice) gets EPERM"
q -s seccomp.profile=none "$T/m.ini" -- /bin/qtest sys vmsplice -1 0 0 0
is "$OUT" "EBADF" "none: the kernel itself answers vmsplice(-1) with EBADF"
q "$T/m.ini" -- /bin/qtest sys add_key 0 0 0 0 0
is "$OUT" "ENOSYS" "default: an unlisted call (add_key) gets ENOSYS"
q -s seccomp.profile=none "$T/m.ini" -- /bin/qtest sys add_key 0 0 0 0 0
is "$OUT" "EFAULT" "none: the kernel itself answers add_key(NULL) with EFAULT"

# A number above the table qrun was built with: the unknown action (ENOSYS).
table_max=$("$QRUN" --print-bpf default | sed -n 's/.*system calls 0-\([0-9]*\) known.*/\1/p')
beyond=$((table_max + 1))
q -s seccomp.profile=none "$T/m.ini" -- /bin/qtest sys "$beyond" 0 0 0 0
if [ "$OUT" != ENOSYS ]; then
        none_result=$OUT
        q "$T/m.ini" -- /bin/qtest sys "$beyond" 0 0 0 0
        is "$OUT" "ENOSYS" "a call newer than the table ($beyond: $none_result without a filter) gets ENOSYS"
else
        skip "this kernel has no system call $beyond to test the unknown action with"
fi

# A 32-bit call through int 0x80 is another architecture: killed. Without a
# filter first: a kernel without the 32-bit ABI (ia32_emulation=0, or a
# hypervisor that does not deliver int 0x80) answers it with SIGSEGV, and then
# there is nothing for the filter to kill.
if [ "$(uname -m)" = x86_64 ]; then
        q -s seccomp.profile=none "$T/m.ini" -- /bin/qtest int80
        if [ "$RC" = 139 ]; then
                skip "int 0x80 segfaults here even without a filter (no 32-bit ABI): nothing to kill"
                skip "int 0x80 segfaults here even without a filter (no 32-bit ABI)"
        else
                is "$RC:$OUT" "0:int80 returned 2" "none: int 0x80 works (getpid)"
                q "$T/m.ini" -- /bin/qtest int80
                is "$RC" 159 "default: int 0x80 (i386 ABI) is killed with SIGSYS (128+31)"
        fi
else
        skip "int 0x80 exists on x86_64 only"
        skip "int 0x80 exists on x86_64 only"
fi

# clone3 -> ENOSYS; clone with a namespace flag -> EPERM (in host mode, where
# the kernel would otherwise allow a new user namespace).
q "$T/m.ini" -- /bin/qtest clone3
is "$OUT" "ENOSYS" "default: clone3 gets ENOSYS (libc falls back to clone)"
q -s seccomp.profile=none "$T/m.ini" -- /bin/qtest clone3
is "$OUT" "ok" "none: clone3 works"
q -s rootfs.path=/ "$T/m.ini" -- "$ROOTFS/bin/qtest" clone-flags 10000000
is "$OUT" "EPERM" "default, host mode: clone(CLONE_NEWUSER) gets EPERM"
q -s rootfs.path=/ -s seccomp.profile=none "$T/m.ini" -- "$ROOTFS/bin/qtest" clone-flags 10000000
is "$OUT" "ok" "none, host mode: the kernel would allow clone(CLONE_NEWUSER)"
q "$T/m.ini" -- /bin/qtest clone-flags 0
is "$OUT" "ok" "default: a plain clone works"

# AF_VSOCK, also through the upper half of the register.
q -s seccomp.profile=none "$T/m.ini" -- /bin/qtest sys socket 0x100000028 1 0
vsock_kernel=$OUT
q "$T/m.ini" -- /bin/qtest sys socket 40 1 0
is "$OUT" "EAFNOSUPPORT" "default: socket(AF_VSOCK) is refused"
q "$T/m.ini" -- /bin/qtest sys socket 0x100000028 1 0
is "$OUT" "EAFNOSUPPORT" "default: socket(0x100000028), AF_VSOCK for the kernel, is refused too"
# The bypass can only be shown where the kernel creates socket(0x100000028)
# (as AF_VSOCK) without a filter.
if [ "$vsock_kernel" = ok ]; then
        bypass=$(as_user "$QRUN_HELPERS/vsock_bypass")
        is "$bypass" "socket(40)=EAFNOSUPPORT socket(0x100000028)=ok" \
                "a libseccomp filter blocking AF_VSOCK lets socket(0x100000028) through (the trap qrun avoids)"
else
        skip "this kernel has no AF_VSOCK (socket(0x100000028) without a filter: $vsock_kernel), the bypass cannot be shown"
fi
q "$T/m.ini" -- /bin/qtest sys socket 0x100000026 5 0
is "$OUT" "EAFNOSUPPORT" "default: socket(AF_ALG) with upper bits set is refused"
q "$T/m.ini" -- /bin/qtest sys socket 0x100000002 1 0
is "$OUT" "ok" "default: socket(0x100000002) is AF_INET for the kernel and for qrun"

# strict: what it removes
for call in "ptrace 0 0 0 0" "keyctl 0 0 0 0" "unshare 0" "syslog 3 0 0"; do
        q -s seccomp.profile=strict "$T/m.ini" -- /bin/qtest sys $call
        is "$OUT" "EPERM" "strict: ${call%% *} gets EPERM"
done
q -s seccomp.profile=strict "$T/m.ini" -- /bin/qtest sys socket 17 3 0
is "$OUT" "EAFNOSUPPORT" "strict: AF_PACKET gets EAFNOSUPPORT"
q -s seccomp.profile=strict "$T/m.ini" -- /bin/qtest loopback
is "$OUT" "loopback=ok" "strict: TCP over loopback still works"
q -s seccomp.profile=strict "$T/m.ini" -- /bin/sh -c 'echo hi >/tmp/s.$$ && cat /tmp/s.$$ && rm /tmp/s.$$'
is "$OUT" "hi" "strict: files and a shell work"

# Custom profiles: compiled at launch, relative to the manifest.
cat >"$T/mine.ini" <<'EOF2'
[policy]
default = errno EPERM
[syscalls]
# what qtest needs: exec, musl's start-up and stdio (writev), exit
allow = execve exit exit_group write writev ioctl brk mmap munmap arch_prctl set_tid_address
allow = rt_sigprocmask prctl getuid
errno = EACCES getppid
EOF2
# ASan's runtime in qrun checks the signal stack (sigaltstack) in execve, after
# the filter is attached: the sanitizer build needs that one call more.
[ -n "${QRUN_SANITIZED:-}" ] && echo "allow = sigaltstack" >>"$T/mine.ini"
chmod a+r "$T/mine.ini"
printf '[rootfs]\npath = %s\n[seccomp]\nprofile = mine.ini\n' "$ROOTFS" >"$T/custom.ini"
chmod a+r "$T/custom.ini"
q "$T/custom.ini" -- /bin/qtest sys getppid
is "$RC:$OUT" "0:EACCES" "a custom profile file next to the manifest is compiled and applied"
q "$T/custom.ini" -- /bin/qtest seccomp-mode
is "$OUT" "seccomp=2" "custom: a filter is attached"
q "$T/custom.ini" -- /bin/qtest sys 39
is "$OUT" "EPERM" "custom: anything else gets the profile's default"
q --check "$T/custom.ini" -- /bin/true
like "$OUT" "profile = $T/mine.ini" "--check shows the profile's path"
like "$OUT" "; [0-9]+ BPF instructions for " "--check shows the program's size"

printf '[policy]\ndefault = errno EPERM\n[syscalls]\nallow = raed write\nalow = exit\nallow = socket if arg0:32 == 0x1ffffffff\n' >"$T/bad-policy.ini"
chmod a+r "$T/bad-policy.ini"
q -s seccomp.profile="$T/bad-policy.ini" "$T/m.ini"
is "$RC" 125 "a broken custom profile: exit 125"
is "$ERR" "$T/bad-policy.ini:4: [syscalls] allow: unknown system call \"raed\" (did you mean \"read\"?)
$T/bad-policy.ini:5: [syscalls] alow: unknown action (did you mean \"allow\"?)
$T/bad-policy.ini:6: [syscalls] allow: a value in \"arg0:32 == 0x1ffffffff\" does not fit in 32 bits" \
        "a broken custom profile: every problem with its file and line"
q -s seccomp.profile="$T/nope.ini" "$T/m.ini"
is "$RC:$ERR" "125:--set: [seccomp] profile: $T/nope.ini: No such file or directory" "a missing profile file"
printf '[seccomp]\nprofile = paranoid\n' >>"$T/m.ini"
q "$T/m.ini"
is "$RC:$ERR" "125:$T/m.ini:6: [seccomp] profile: unknown profile \"paranoid\" (built in: default, strict, none; a file needs a path such as ./paranoid.ini)" \
        "an unknown built-in name"

# --print-bpf
q --print-bpf default
is "$RC" 0 "--print-bpf default: exit 0"
like "$OUT" '^# seccomp profile default: [0-9]+ rules, [0-9]+ instructions for [a-z0-9_]+ \(system calls 0-[0-9]+ known\)' \
        "--print-bpf: a header"
like "$OUT" '   0: ld   \[4\] +; arch' "--print-bpf: the architecture check comes first"
like "$OUT" 'ret  kill_process' "--print-bpf: shows the actions"
like "$OUT" '; [0-9]+ = socket' "--print-bpf: names system calls"
q --print-bpf "$T/mine.ini"
rules=15
[ -n "${QRUN_SANITIZED:-}" ] && rules=16
like "$OUT" "^# seccomp profile .*mine.ini: $rules rules, [0-9]+ instructions" "--print-bpf of a file"
q --print-bpf "$T/bad-policy.ini"
is "$RC" 125 "--print-bpf of a broken file: exit 125"

# --dump-bpf: the raw program, as bwrap --seccomp FD takes it
as_user "$QRUN" --dump-bpf default >"$T/default.bpf"
insns=$("$QRUN" --print-bpf default | sed -n 's/.* rules, \([0-9]*\) instructions.*/\1/p')
is "$(stat -c %s "$T/default.bpf")" "$((insns * 8))" "--dump-bpf writes 8 bytes per instruction"
if command -v bwrap >/dev/null; then
        user_command bwrap --unshare-user --unshare-pid --bind "$ROOTFS" / --seccomp 9 /bin/qtest sys vmsplice -1 0 0 0
        out=$("${CMD[@]}" 9<"$T/default.bpf" 2>&1)
        is "$out" "EPERM" "bwrap --seccomp loads qrun's program (vmsplice gets EPERM)"
else
        skip "bwrap is not installed"
fi

# No libseccomp code in qrun: the generator used it, the binary does not.
strings "$QRUN" | grep -Eq 'pseudo filter code|seccomp_rule_add|libseccomp'
is "$?" 1 "the qrun binary contains no libseccomp code"

done_testing

#!/bin/bash
# [process]: command lookup, args quoting, environment, umask, descriptors,
# session, stdio pass-through.
. "$(dirname "$0")/../lib.sh"

manifest "$T/m.ini" <<'EOF2'
[process]
command = /bin/qtest
EOF2

# args: shell-like words; ${} expanded outside single quotes, never re-split
export QT_ARG="two  words"
manifest "$T/args.ini" <<'EOF2'
[process]
command = sh
args = -c 'for a; do printf "<%s>" "$a"; done' argv0 plain "${QT_ARG}" '${QT_ARG}' ${QT_ARG} a\ b "q\"uote" '' "$$"
EOF2
run_qrun "$T/args.ini"
is "$OUT" '<plain><two  words><${QT_ARG}><two  words><a b><q"uote><><$>' "args quoting rules"

# environment: cleared but for the terminal and locale; PATH default; env
# lines; env_keep names and prefixes; HOME, USER and LOGNAME for the user inside
export QT_KEEP=kept QT_PFX_ONE=1 QT_PFX_TWO=2 QT_SECRET=hidden CI_JOB_TOKEN=secret
export TERM=xterm-256color COLORTERM=truecolor LANG=C.UTF-8 LANGUAGE=en LC_TIME=C.UTF-8 TZ=UTC
unset LC_ALL
if [ "$(id -u)" -eq 0 ]; then qt_user=$QRUN_TEST_USER; else qt_user=$(id -un); fi
qt_path=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
manifest "$T/env.ini" <<'EOF2'
[process]
command = /bin/env
env = GREETING=hello ${QT_KEEP}
env = EMPTY=
env_keep = QT_KEEP
env_keep = QT_PFX_*
env_keep = QT_NOT_SET_ANYWHERE
EOF2
run_qrun "$T/env.ini"
qt_defaults="TERM=xterm-256color COLORTERM=truecolor LANG=C.UTF-8 LANGUAGE=en LC_TIME=C.UTF-8 TZ=UTC"
is "$(printf '%s\n' "$OUT" | sort)" "$(printf '%s\n' EMPTY= "GREETING=hello kept" "$qt_path" \
        QT_KEEP=kept QT_PFX_ONE=1 QT_PFX_TWO=2 $qt_defaults HOME=/ USER="$qt_user" \
        LOGNAME="$qt_user" | sort)" \
        "the environment is env, env_keep, the terminal and locale, PATH, HOME, USER, LOGNAME"
run_qrun -s process.env_defaults=false "$T/env.ini"
is "$(printf '%s\n' "$OUT" | sort)" "$(printf '%s\n' EMPTY= "GREETING=hello kept" "$qt_path" \
        QT_KEEP=kept QT_PFX_ONE=1 QT_PFX_TWO=2 | sort)" \
        "env_defaults = false: exactly env, env_keep and the default PATH"
run_qrun --check "$T/env.ini"
like "$OUT" "^env_defaults = true$" "--check shows env_defaults"
like "$OUT" "^; kept: TERM COLORTERM LANG LANGUAGE LC_\\* TZ; unless env sets them: HOME=/ USER=$qt_user LOGNAME=$qt_user$" \
        "... and what it adds"
run_qrun -s user.uid=0 "$T/m.ini" -- /bin/sh -c 'echo "$HOME $USER $LOGNAME"'
is "$OUT" "/root root root" "uid = 0: HOME=/root, USER and LOGNAME root"
run_qrun -s process.env=HOME=/tmp -s process.env=USER=someone "$T/m.ini" -- /bin/sh -c 'echo "$HOME $USER $LOGNAME"'
is "$OUT" "/tmp someone $qt_user" "explicit HOME and USER win over the defaults"
run_qrun -s process.env_keep=CI_* -s process.env=LANG=C "$T/m.ini" -- /bin/sh -c 'echo "$CI_JOB_TOKEN $LANG $TZ"'
is "$OUT" "secret C UTC" "env_keep passes more, env replaces a kept default"
run_qrun -s process.env=PATH=/tmp "$T/env.ini"
like "$OUT" '^PATH=/tmp$|
PATH=/tmp$|
PATH=/tmp
' "an explicit PATH replaces the default"
run_qrun -s process.env_keep=PATH "$T/env.ini"
like "$OUT" "PATH=$PATH" "env_keep = PATH keeps the caller's"
run_qrun -s process.env=QT_KEEP=explicit "$T/env.ini"
like "$OUT" "QT_KEEP=explicit" "explicit env wins over env_keep"

# command lookup happens in the container's PATH
printf '#!/bin/sh\necho found in tmp\n' >"$ROOTFS/tmp/qt-cmd.$$"
chmod 755 "$ROOTFS/tmp/qt-cmd.$$"
run_qrun -s process.env=PATH=/tmp:/bin "$T/m.ini" -- qt-cmd.$$
is "$RC:$OUT" "0:found in tmp" "commands are looked up in the container's PATH"
run_qrun "$T/m.ini" -- qt-cmd.$$
is "$RC" 127 "not found along the default PATH"
rm -f "$ROOTFS/tmp/qt-cmd.$$"

# umask: set, or inherited from the caller
run_qrun -s process.umask=0077 "$T/m.ini" -- /bin/qtest umask
is "$OUT" "umask=0077" "umask is set"
run_qrun -s process.umask=0077 "$T/m.ini" -- /bin/sh -c 'touch /tmp/um.$$ && stat -c %a /tmp/um.$$; rm /tmp/um.$$'
is "$OUT" "600" "files get the mode the umask allows"
saved_umask=$(umask)
umask 0027
run_qrun "$T/m.ini" -- /bin/qtest umask
umask "$saved_umask"
is "$OUT" "umask=0027" "umask is inherited by default"

# descriptors: only 0, 1 and 2 reach the command
exec 5<"$T/m.ini" 7>"$T/fd7" 9<"$ROOTFS"
run_qrun "$T/m.ini" -- /bin/qtest fds
exec 5<&- 7>&- 9<&-
is "$OUT" "fds=0,1,2" "inherited descriptors are closed"

# keep_fds: named descriptors pass, the others still do not; directories never
exec 5<"$T/m.ini" 7>"$T/fd7"
run_qrun -s process.keep_fds=7 "$T/m.ini" -- /bin/qtest fds
is "$OUT" "fds=0,1,2,7" "keep_fds = 7: descriptor 7 passes, 5 does not"
exec 9<"$ROOTFS"
run_qrun -s process.keep_fds=9 "$T/m.ini" -- /bin/qtest fds
is "$RC:$ERR" "125:--set: [process] keep_fds: descriptor 9 is a directory, which would lead out of the rootfs" \
        "keep_fds refuses a directory"
exec 9<&-

# PMI_FD (srun --mpi=pmi2, hydra): its descriptor passes with the variable
# when the environment keeps it (env_preset = hpc keeps PMI_*)
PMI_FD=5 PMI_RANK=0 SLURM_JOB_ID=42 UCX_TLS=sm OTHER_VAR=x run_qrun -s process.env_preset=hpc "$T/m.ini" -- /bin/qtest fds
is "$OUT" "fds=0,1,2,5" "PMI_FD's descriptor reaches the command"
PMI_FD=5 PMI_RANK=0 SLURM_JOB_ID=42 UCX_TLS=sm OTHER_VAR=x as_user env HOME=/h "$QRUN" -s process.env_preset=hpc -s process.env_defaults=false "$T/m.ini" -- /bin/env >"$T/out" 2>&1 </dev/null
is "$(sort "$T/out" | tr '\n' ' ')" "HOME=/h PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin PMI_FD=5 PMI_RANK=0 SLURM_JOB_ID=42 UCX_TLS=sm " \
        "env_preset = hpc keeps HOME, SLURM_*, PMI_*, UCX_*, and nothing else"
as_user env -u HOME "$QRUN" -s process.env_preset=hpc -s process.env_defaults=false "$T/m.ini" -- /bin/env >"$T/out" 2>&1 </dev/null
like "$(cat "$T/out")" "^HOME=/$" "env_preset = hpc without HOME sets HOME=/ (PMIx crashes on an image without the user's passwd entry otherwise)"
PMI_FD=5 run_qrun "$T/m.ini" -- /bin/qtest fds
is "$OUT" "fds=0,1,2" "without the variable in the environment, PMI_FD's descriptor does not pass"
PMI_FD=8 run_qrun -s process.env_preset=hpc "$T/m.ini" -- /bin/qtest fds
is "$RC:$ERR" "125:environment: PMI_FD 8: not open (nothing was passed there)" "PMI_FD naming a closed descriptor is an error"
exec 5<&- 7>&-

# session: without a terminal on stdin the command leads a new session; with
# one (and a filter that refuses TIOCSTI) it keeps the caller's terminal in a
# process group of its own, the terminal's foreground group
run_qrun "$T/m.ini" -- /bin/qtest session
like "$OUT" '^pid=([0-9]+) sid=\1 pgid=\1$' "no terminal: the command leads its own session and group"
run_qrun -s namespaces.pid=false "$T/m.ini" -- /bin/qtest session
like "$OUT" '^pid=([0-9]+) sid=\1 pgid=\1$' "pid = false: the command leads its own session"
# on_terminal CMD...: runs CMD as the test user with a new pseudo-terminal as
# its controlling terminal and stdin (script); prints its output.
on_terminal() {
        as_user script -qec "$*" /dev/null </dev/null | tr -d '\r#'
}
if [ -c /dev/ptmx ]; then
        control=$(on_terminal "$ROOTFS/bin/qtest tiocsti")
        like "$control" 'tiocsti=(ok|EIO)' "control: TIOCSTI from the terminal's own session"
        is "$(on_terminal "$QRUN $T/m.ini -- /bin/qtest tiocsti")" "tiocsti=EPERM" \
                "TIOCSTI on the caller's terminal is refused inside"
        is "$(on_terminal "$QRUN $T/m.ini -- /bin/qtest tiocsti 0x100005412")" "tiocsti=EPERM" \
                "... also with bits set above the low 32 (0x100005412)"
        is "$(on_terminal "$QRUN $T/m.ini -- /bin/qtest tiocsti 0x541c")" "tiocsti=EPERM" \
                "TIOCLINUX is refused too"
        is "$(on_terminal "$QRUN -s seccomp.profile=strict $T/m.ini -- /bin/qtest tiocsti 0xffffffff00005412")" \
                "tiocsti=EPERM" "strict: TIOCSTI with the upper half set is refused"
        like "$(on_terminal "$QRUN $T/m.ini -- /bin/qtest session")" '^pid=([0-9]+) sid=0 pgid=\1$' \
                "on a terminal: the caller's session (not visible in the pid namespace), a group of its own"
        like "$(on_terminal "$QRUN -s namespaces.pid=false $T/m.ini -- /bin/qtest session")" \
                '^pid=([0-9]+) sid=([0-9]+) pgid=\1$' "... pid = false: a group of its own"
        is "$(on_terminal "$QRUN -s mounts.dev=minimal $T/m.ini -- /bin/qtest terminal")" "devtty=ok fg=yes" \
                "on a terminal: /dev/tty opens and the command's group is the foreground"
        is "$(on_terminal "$QRUN -s mounts.dev=minimal $T/m.ini -- /bin/tty")" "/dev/console" \
                "mount mode, dev = minimal: tty names the caller's terminal, bound at /dev/console"
        is "$(on_terminal "$QRUN -s mounts.dev=minimal $T/m.ini -- /bin/sh -c 'tty </dev/tty'")" "/dev/tty" \
                "... and /dev/tty opens (the controlling terminal)"
        like "$(on_terminal "$QRUN -s mounts.dev=minimal -s seccomp.profile=none $T/m.ini -- /bin/sh -c 'tty; test -e /dev/console || echo no-console'" | tr '\n' ' ')" \
                "not a tty no-console" "profile = none: no terminal kept, no /dev/console"
        like "$(as_user script -qec "$QRUN $T/m.ini -- /bin/qtest session | cat" /dev/null </dev/null | tr -d '\r')" \
                '^pid=([0-9]+) sid=\1 pgid=\1$' "stdout a pipe (qrun ... | less): a new session, the terminal stays the pipeline's"
        like "$(on_terminal "$QRUN -s seccomp.profile=none $T/m.ini -- /bin/qtest session")" \
                '^pid=([0-9]+) sid=\1 pgid=\1$' "profile = none: a new session even on a terminal"
        is "$(on_terminal "$QRUN -s seccomp.profile=none $T/m.ini -- /bin/qtest tiocsti")" "tiocsti=EPERM" \
                "profile = none: TIOCSTI refused by the kernel (not the command's terminal)"
        # A stop under script (qrun's group orphaned: nothing above it does job
        # control) would hang for ever if qrun stopped too: timeout bounds it.
        user_command script -qec "$QRUN $T/m.ini -- /bin/sh -c 'kill -STOP \$\$; echo resumed'" /dev/null
        is "$(timeout 60 "${CMD[@]}" </dev/null | tr -d '\r')" "resumed" \
                "nothing above qrun does job control (script): a stop of the command is undone"
        user_command script -qec "$QRUN -s namespaces.pid=false $T/m.ini -- /bin/sh -c 'kill -STOP \$\$; echo resumed'" /dev/null
        is "$(timeout 60 "${CMD[@]}" </dev/null | tr -d '\r')" "resumed" "... also without a pid namespace"
        is "$(on_terminal "$QRUN $T/m.ini -- /bin/qtest tiocsti 0x5413")" "tiocsti=ok" \
                "other terminal requests still work (TIOCGWINSZ)"
else
        for i in $(seq 17); do skip "no /dev/ptmx for the terminal tests"; done
fi

# stdio passes through untouched
head -c 3000000 /dev/urandom >"$T/big"
chmod a+r "$T/big"
as_user "$QRUN" "$T/m.ini" -- /bin/cat <"$T/big" >"$T/copy"
is "$?" 0 "cat of 3 MB: exit 0"
cmp -s "$T/big" "$T/copy"
ok $? "cat < big > out copies the bytes exactly"
out=$(printf 'line1\nline2\n' | as_user "$QRUN" "$T/m.ini" -- /bin/sh -c 'cat; echo to-stderr >&2' 2>"$T/err2" | tr a-z A-Z)
is "$out" "$(printf 'LINE1\nLINE2')" "pipes in and out"
is "$(cat "$T/err2")" "to-stderr" "stderr stays separate"

done_testing

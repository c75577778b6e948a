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

# environment: cleared; PATH default; env lines; env_keep names and prefixes
export QT_KEEP=kept QT_PFX_ONE=1 QT_PFX_TWO=2 QT_SECRET=hidden
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
is "$(printf '%s\n' "$OUT" | sort)" "$(printf '%s\n' EMPTY= "GREETING=hello kept" \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin QT_KEEP=kept QT_PFX_ONE=1 QT_PFX_TWO=2 | sort)" \
        "the environment is exactly env, env_keep and the default PATH"
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
PMI_FD=5 PMI_RANK=0 SLURM_JOB_ID=42 UCX_TLS=sm OTHER_VAR=x as_user env HOME=/h "$QRUN" -s process.env_preset=hpc "$T/m.ini" -- /bin/env >"$T/out" 2>&1 </dev/null
is "$(sort "$T/out" | tr '\n' ' ')" "HOME=/h PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin PMI_FD=5 PMI_RANK=0 SLURM_JOB_ID=42 UCX_TLS=sm " \
        "env_preset = hpc keeps HOME, SLURM_*, PMI_*, UCX_*, and nothing else"
as_user env -u HOME "$QRUN" -s process.env_preset=hpc "$T/m.ini" -- /bin/env >"$T/out" 2>&1 </dev/null
like "$(cat "$T/out")" "^HOME=/$" "env_preset = hpc without HOME sets HOME=/ (PMIx crashes on an image without the user's passwd entry otherwise)"
PMI_FD=5 run_qrun "$T/m.ini" -- /bin/qtest fds
is "$OUT" "fds=0,1,2" "without the variable in the environment, PMI_FD's descriptor does not pass"
PMI_FD=8 run_qrun -s process.env_preset=hpc "$T/m.ini" -- /bin/qtest fds
is "$RC:$ERR" "125:environment: PMI_FD 8: not open (nothing was passed there)" "PMI_FD naming a closed descriptor is an error"
exec 5<&- 7>&-

# session: the command leads a new session without a controlling terminal
run_qrun "$T/m.ini" -- /bin/qtest session
like "$OUT" '^pid=([0-9]+) sid=\1 pgid=\1$' "the command leads its own session and group"
run_qrun -s namespaces.pid=false "$T/m.ini" -- /bin/qtest session
like "$OUT" '^pid=([0-9]+) sid=\1 pgid=\1$' "pid = false: the command leads its own session"
if [ -c /dev/ptmx ]; then
        control=$(as_user script -qec "$ROOTFS/bin/qtest tiocsti" /dev/null </dev/null | tr -d '\r#')
        inside=$(as_user script -qec "$QRUN $T/m.ini -- /bin/qtest tiocsti" /dev/null </dev/null | tr -d '\r#')
        like "$control" 'tiocsti=(ok|EIO)' "control: TIOCSTI from the terminal's own session"
        is "$inside" "tiocsti=EPERM" "TIOCSTI on the caller's terminal is refused inside"
        inside=$(as_user script -qec "$QRUN $T/m.ini -- /bin/qtest session" /dev/null </dev/null | tr -d '\r')
        like "$inside" '^pid=([0-9]+) sid=\1 pgid=\1$' "on a terminal too, the command gets a new session"
else
        skip "no /dev/ptmx for the TIOCSTI test"
        skip "no /dev/ptmx for the TIOCSTI test"
        skip "no /dev/ptmx for the session test"
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

#!/bin/bash
# The command line: options, usage errors, --check, --set, --verbose.
. "$(dirname "$0")/../lib.sh"

manifest "$T/m.ini" <<'EOF2'
[process]
command = /bin/echo
args = from the manifest
EOF2

run_qrun --help
is "$RC" 0 "--help exits 0"
like "$OUT" '^Usage: qrun \[OPTIONS\] MANIFEST \[-- CMD \[ARG\.\.\.\]\]' "--help prints usage"
run_qrun -h
is "$RC" 0 "-h exits 0"
run_qrun --version
is "$RC:$OUT" "0:qrun 0.1.0" "--version"
run_qrun -V
is "$RC:$OUT" "0:qrun 0.1.0" "-V"

run_qrun
is "$RC:$ERR" "125:qrun: missing MANIFEST (see qrun --help)" "no manifest"
run_qrun --bogus "$T/m.ini"
is "$RC:$ERR" '125:qrun: unknown option "--bogus" (see qrun --help)' "unknown option"
run_qrun "$T/m.ini" /bin/true
is "$RC:$ERR" '125:qrun: unexpected argument "/bin/true" (put the command after --) (see qrun --help)' \
        "command without --"
run_qrun "$T/m.ini" --
is "$RC:$ERR" "125:qrun: -- must be followed by a command (see qrun --help)" "-- without a command"
run_qrun "$T/m.ini" --set
is "$RC:$ERR" "125:qrun: option --set needs a value (see qrun --help)" "--set without a value"

run_qrun "$T/m.ini"
is "$RC:$OUT" "0:from the manifest" "manifest command and args"
run_qrun "$T/m.ini" -- /bin/echo from the command line
is "$RC:$OUT" "0:from the command line" "CMD after -- replaces command and args"
run_qrun "$T/m.ini" -- echo -n looked up
is "$RC:$OUT" "0:looked up" "CMD after -- is looked up in PATH"

# --set, in every accepted spelling
run_qrun -s process.args=one "$T/m.ini"
is "$OUT" "one" "-s SECTION.KEY=VALUE"
run_qrun -sprocess.args=two "$T/m.ini"
is "$OUT" "two" "-sVALUE"
run_qrun --set=process.args=three "$T/m.ini"
is "$OUT" "three" "--set=VALUE"
run_qrun "$T/m.ini" --set process.args=four
is "$OUT" "four" "options after the manifest"
run_qrun --set process.args=a --set process.args=b "$T/m.ini"
is "$OUT" "b" "the last --set wins"
run_qrun --set process.umask=999 "$T/m.ini"
is "$RC:$ERR" '125:--set: [process] umask: expected an octal mask such as 022 or 0077, got "999"' \
        "--set values are validated"
run_qrun --set process.nosuch=1 "$T/m.ini"
is "$RC:$ERR" '125:--set: [process] nosuch: unknown key' "--set unknown key"

# --check: validates, prints the effective configuration, creates nothing
run_qrun --check "$T/m.ini"
is "$RC" 0 "--check exits 0"
like "$OUT" "path = $ROOTFS" "--check prints the rootfs"
like "$OUT" 'args = "from" "the" "manifest"' "--check prints args quoted"
like "$OUT" 'pid = true' "--check prints defaults"
printf '%s\n' "$OUT" >"$T/printed.ini"
chmod a+r "$T/printed.ini"
run_qrun "$T/printed.ini"
is "$RC:$OUT" "0:from the manifest" "--check output is itself a working manifest"
run_qrun --check "$T/m.ini" -- nosuch-command
is "$RC" 125 "--check finds a missing command"
like "$ERR" '^command line: \[process\] command: "nosuch-command" not found in the rootfs along PATH ' \
        "--check names the missing command"
run_qrun --check "$T/m.ini" -- /etc/passwd
is "$RC:$ERR" '125:command line: [process] command: "/etc/passwd" is not an executable file in the rootfs' \
        "--check finds a non-executable command"

# --verbose: one line per step with microseconds
run_qrun -v "$T/m.ini"
is "$RC:$OUT" "0:from the manifest" "--verbose still runs the command"
for step in manifest userns fork rootfs init command total; do
        like "$ERR" "qrun: $step +[0-9]+ us " "--verbose reports step $step"
done
run_qrun --verbose -s namespaces.net=true "$T/m.ini"
like "$ERR" "qrun: netns +[0-9]+ us  loopback up" "--verbose reports the network step"

done_testing

# TAP helpers for qrun's integration tests (bash). Sourced by tests/integration/*.t.
#
# Environment from tests/run.sh: QRUN (the binary under test), ROOTFS (a busybox
# rootfs with /bin/qtest), QRUN_TEST_USER (the unprivileged account qrun runs as
# when the suite runs as root), T (a scratch directory for this test file).
set -u

t_count=0
t_failed=0

# ok STATUS NAME: a test passes when STATUS is 0.
ok() {
        t_count=$((t_count + 1))
        if [ "$1" -eq 0 ]; then
                echo "ok $t_count - $2"
        else
                echo "not ok $t_count - $2"
                t_failed=$((t_failed + 1))
        fi
}

# is GOT EXPECTED NAME
is() {
        if [ "$1" = "$2" ]; then
                ok 0 "$3"
        else
                ok 1 "$3"
                printf '#   got:      %s\n#   expected: %s\n' "$(printf '%s' "$1" | sed '2,$s/^/#             /')" \
                        "$(printf '%s' "$2" | sed '2,$s/^/#             /')"
        fi
}

# like TEXT PATTERN NAME: PATTERN (an extended regular expression) matches a
# line of TEXT; a PATTERN with a newline must match consecutive lines (grep
# alone would take each of its lines as a pattern of its own, and the empty
# one after a final newline would match anything).
like() {
        if matches "$1" "$2"; then
                ok 0 "$3"
        else
                ok 1 "$3"
                printf '#   got:      %s\n#   expected match: %s\n' "$1" "$2"
        fi
}

matches() {
        case $2 in
        *$'\n'*) printf '%s' "$1" | grep -Pzq -- "(?m)${2//$'\n'/\\n}" ;;
        *) printf '%s' "$1" | grep -Eq -- "$2" ;;
        esac
}

skip() {
        t_count=$((t_count + 1))
        echo "ok $t_count # skip $1"
}

done_testing() {
        echo "1..$t_count"
        [ "$t_failed" -eq 0 ]
}

# user_command ARGS...: sets the array CMD to a command line that runs ARGS as
# the unprivileged test user (or as ourselves when not root). Every program in
# it execs the next, so "${CMD[@]}" & gives $! = the pid of ARGS itself.
user_command() {
        if [ "$(id -u)" -eq 0 ]; then
                CMD=(setpriv --reuid="$QRUN_TEST_USER" --regid="$QRUN_TEST_USER" --clear-groups -- "$@")
        else
                CMD=("$@")
        fi
}

# Runs "$@" as the unprivileged test user (or as ourselves when not root).
as_user() {
        user_command "$@"
        "${CMD[@]}"
}

# not_reaped_by_init PIDS...: prints those of the pids that are not zombies
# waiting for init (pid 1) to reap them, and fails if none is left. A process
# that ended after its parent did (a SquashFS image's server, which outlives
# the launch that started it) is init's to reap, and this VM's init reaps late:
# such a zombie runs nothing. A zombie whose parent lives is still counted.
not_reaped_by_init() {
        [ $# -gt 0 ] || return 1
        ps -o pid=,ppid=,stat= -p "$(echo "$@" | tr ' ' ,)" |
                awk '!($3 ~ /^Z/ && $2 == 1) {print $1; n++} END {exit n == 0}'
}

# test_processes: the pids of processes the tests may have left running. As
# root, every process of the test user (who runs nothing else); as a normal
# user, those running qrun, the probes, a sleep or an image's server.
test_processes() {
        if [ "$(id -u)" -eq 0 ]; then
                not_reaped_by_init $(pgrep -u "$QRUN_TEST_USER")
        else
                not_reaped_by_init $(pgrep -u "$(id -u)" -f "^($QRUN|/bin/qtest|/bin/escape|sleep [0-9]+( [0-9]+)?$|qrun-squashfs )")
        fi
}

# run_qrun ARGS...: runs qrun as the test user with stdin from /dev/null;
# sets OUT, ERR and RC.
run_qrun() {
        as_user "$QRUN" "$@" >"$T/out" 2>"$T/err" </dev/null
        RC=$?
        OUT=$(cat "$T/out")
        ERR=$(cat "$T/err")
}

# test_pgrep ARGS...: pgrep ARGS... among the processes of the account qrun
# runs as (the test user as root, ourselves otherwise), never the whole host's.
# With -c (alone or as -cf), the count, as pgrep -c prints it.
test_pgrep() {
        local count= args=() a pids status
        for a in "$@"; do
                case $a in
                -c) count=1 ;;
                -c?*) count=1 args+=("-${a#-c}") ;;
                *) args+=("$a") ;;
                esac
        done
        if [ "$(id -u)" -eq 0 ]; then
                pids=$(not_reaped_by_init $(pgrep -u "$QRUN_TEST_USER" "${args[@]}"))
        else
                pids=$(not_reaped_by_init $(pgrep -u "$(id -u)" "${args[@]}"))
        fi
        status=$?
        if [ -n "$count" ]; then
                printf '%s' "$pids" | grep -c .
        elif [ -n "$pids" ]; then
                printf '%s\n' "$pids"
        fi
        return $status
}

# cached_image VAR HELPER WHAT PREFIX: runs tests/helper/HELPER (a builder of
# an image cached between runs) and sets VAR to the image's directory. When it
# cannot, the test ends: skipped when the helper says why in one line starting
# with PREFIX (an ERE: no network, not root), failed otherwise, with its output.
cached_image() {
        local dir
        if dir=$("$QRUN_SOURCE/tests/helper/$2" ${QRUN_TEST_CACHE:+"$QRUN_TEST_CACHE"} 2>"$T/fixture.err"); then
                printf -v "$1" '%s' "$dir"
                return 0
        fi
        if [ "$(wc -l <"$T/fixture.err")" -eq 1 ] && grep -Eq "^$4" "$T/fixture.err"; then
                skip "$(sed -E "s/^$4//" "$T/fixture.err")"
        else
                ok 1 "$3 could not be built"
                sed 's/^/# /' "$T/fixture.err"
        fi
        done_testing
        exit
}

# end_image_servers: ends the test user's SquashFS image servers, which
# outlive their launches by [rootfs] linger on purpose, so that the suites
# after a test that used an image find no process of the test user.
end_image_servers() {
        local pids
        pids=$(test_pgrep -x qrun-squashfs) && kill $pids
        wait_while test_pgrep -x qrun-squashfs
}

# wait_until CMD...: runs CMD (output discarded) every 0.05 s until it
# succeeds, for up to 10 s of wall-clock time however slow each try is on a
# loaded machine; fails if it never does. wait_while CMD... waits the same way
# for CMD to fail. For waiting on something to happen, instead of a fixed sleep.
poll_() {
        local want=$1 deadline got
        shift
        deadline=$(($(date +%s%N) / 1000000 + 10000))
        while :; do
                "$@" >/dev/null 2>&1
                got=$?
                [ "$want" = success ] && [ "$got" -eq 0 ] && return 0
                [ "$want" = failure ] && [ "$got" -ne 0 ] && return 0
                [ "$(($(date +%s%N) / 1000000))" -lt "$deadline" ] || return 1
                sleep 0.05
        done
}
wait_until() { poll_ success "$@"; }
wait_while() { poll_ failure "$@"; }

# wait_for FILE TEXT: waits (as wait_until does) for TEXT (a grep pattern) to
# appear in FILE; fails if it does not.
wait_for() {
        wait_until grep -q -- "$2" "$1"
}

# open_dev_fuse: a SquashFS rootfs needs /dev/fuse open to the test user.
# Debian makes it 0666, some sites (and this VM) 0600: as root, open it as
# Debian does and put the mode back when the test ends. Sets FUSE_OK when the
# user can use it.
open_dev_fuse() {
        FUSE_MODE=$(stat -c %a /dev/fuse 2>/dev/null || echo none)
        if [ "$(id -u)" -eq 0 ] && [ "$FUSE_MODE" != none ]; then
                chmod 0666 /dev/fuse
                at_exit 'chmod "$FUSE_MODE" /dev/fuse'
        fi
        FUSE_OK=
        as_user test -r /dev/fuse -a -w /dev/fuse && FUSE_OK=1
        return 0
}

# mirror_answers URL: true when the Debian mirror at URL serves bookworm's
# Release file within 30 s. Tests that install packages from it skip, with
# the reason, when it does not.
mirror_answers() {
        timeout 30 curl -fsI "$1/dists/bookworm/Release" >/dev/null 2>&1
}

# manifest FILE: writes stdin to FILE, a manifest whose [rootfs] defaults to
# $ROOTFS if the text has no [rootfs] section.
manifest() {
        local text
        text=$(cat)
        if ! printf '%s\n' "$text" | grep -q '^\[rootfs\]'; then
                text=$(printf '[rootfs]\npath = %s\n%s' "$ROOTFS" "$text")
        fi
        printf '%s\n' "$text" >"$1"
        chmod a+r "$1"
}

# at_exit CMD: runs the shell text CMD when the test ends, before those added
# earlier (the last added runs first); $T is removed after all of them. The
# one EXIT trap: a helper that set its own would drop another's clean-up (a
# Slurm left running because open_dev_fuse replaced slurm.sh's trap).
EXIT_ACTIONS=()
at_exit() { EXIT_ACTIONS=("$1" "${EXIT_ACTIONS[@]}"); }
run_exit_actions() {
        local action
        for action in "${EXIT_ACTIONS[@]}"; do eval "$action"; done
        rm -rf "$T"
}
T=$(mktemp -d "${TMPDIR:-/tmp}/qrun-t.XXXXXX")
chmod 755 "$T"
trap run_exit_actions EXIT

#!/bin/bash
# contrib/gitlab-runner, the custom executor driver, called exactly as
# GitLab Runner calls it (gitlab-runner is not packaged in Debian): config,
# prepare, then run SCRIPT STAGE once per stage with scripts written the way
# the runner writes them (bash: set -eo pipefail, `: | eval $'...'`, the CI_*
# variables exported), then cleanup; CUSTOM_ENV_* for the job's variables,
# BUILD_FAILURE_EXIT_CODE and SYSTEM_FAILURE_EXIT_CODE set (to 77 and 78 here,
# so that they cannot be mistaken for ordinary statuses). All as the
# unprivileged test user. The jobs clone a C project from a git daemon on
# 127.0.0.1 and build and test it with make in a Debian image with git and
# gcc (tests/helper/ci-image.sh, cached). Also examples/ci/ci.sh.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"

DRIVER=$QRUN_SOURCE/contrib/gitlab-runner
PYTHON=/usr/bin/python3
[ -x "$PYTHON" ] || PYTHON=python3

# ---- the image: built once (as root, a few minutes), then cached ----
cached_image layout ci-image.sh "the CI image" '(ci|debian)-image.sh: '
layout=$layout/layout
for tool in git skopeo mksquashfs; do
        if ! command -v $tool >/dev/null; then
                skip "$tool is not installed (tools/deps.sh test installs it)"
                done_testing
                exit
        fi
done

open_dev_fuse
daemon_pid=
registry_pid=
stop_servers() {
        [ -z "$daemon_pid" ] || kill "$daemon_pid" 2>/dev/null
        [ -z "$registry_pid" ] || kill "$registry_pid" 2>/dev/null
        wait 2>/dev/null
}
at_exit stop_servers

# Everything the test user writes is below $T/u.
mkdir -p "$T/u/home" "$T/u/images" "$T/u/git" "$T/u/bin" "$T/jobs"
[ "$(id -u)" -ne 0 ] || chown -R "$QRUN_TEST_USER" "$T/u" "$T/jobs"
export HOME=$T/u/home XDG_RUNTIME_DIR=$T/u/home
export QRUN QRUN_CI_ROOT=$T/u/ci QRUN_CI_IMAGE_PATHS=$T/u/images QRUN_CI_TLS_VERIFY=false
export BUILD_FAILURE_EXIT_CODE=77 SYSTEM_FAILURE_EXIT_CODE=78
free_port() {
        "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# ---- the image as a directory and as a SquashFS file, imported as the user ----
start=$(date +%s)
as_user "$QRUN" import -q "oci:$layout:bookworm-ci" "$T/u/images/ci" 2>"$T/import.err"
ok $? "the CI image is imported as a directory ($(($(date +%s) - start)) s)"
as_user mksquashfs "$T/u/images/ci" "$T/u/images/ci.sqfs" -noappend -quiet -all-root -no-xattrs -comp lz4 >/dev/null
ok $? "... and made into a SquashFS file"

# ---- the project: a bare repository served by git daemon on 127.0.0.1 ----
src=$T/u/src
mkdir -p "$src"
cat >"$src/hello.c" <<'EOF'
#include <stdio.h>
int main(void) { puts("hello from a qrun CI job"); return 0; }
EOF
printf 'CFLAGS = -O2 -Wall -Werror\nall: hello\nhello: hello.c\ntest: hello\n\t./hello | grep -q "hello from"\n\t[ -z "$(FAIL)" ]\n' >"$src/Makefile"
[ "$(id -u)" -ne 0 ] || chown -R "$QRUN_TEST_USER" "$src"
as_user sh -c 'cd "$1" && git init -q -b main && git add . &&
        git -c user.name=ci -c user.email=ci@localhost commit -q -m "a project" &&
        git clone -q --bare . "$2/project.git" && git rev-parse HEAD' sh "$src" "$T/u/git" >"$T/sha"
ok $? "a C project in a bare git repository"
sha=$(cat "$T/sha")
git_port=$(free_port)
user_command git daemon --reuseaddr --export-all --base-path="$T/u/git" --listen=127.0.0.1 --port="$git_port" "$T/u/git"
"${CMD[@]}" >"$T/git-daemon.log" 2>&1 &
daemon_pid=$!
wait_until bash -c "exec 3<>/dev/tcp/127.0.0.1/$git_port"
ok $? "git daemon serves it on 127.0.0.1:$git_port"
repo=git://127.0.0.1:$git_port/project.git

# A gitlab-runner stand-in, bound into every job by the driver: the
# artifact and cache stages run "gitlab-runner artifacts-uploader" inside the
# job's container, as with a real runner.
cat >"$T/u/bin/gitlab-runner" <<'EOF'
#!/bin/bash
# artifacts-uploader --path P...: fails unless every P is there.
[ "$1" = artifacts-uploader ] || { echo "gitlab-runner: $1: not in this stand-in" >&2; exit 1; }
shift
while [ $# -gt 0 ]; do
        case $1 in
        --path) [ -e "$2" ] || { echo "ERROR: $2: no matching files" >&2; exit 1; }; echo "Uploading $2: $(wc -c <"$2") bytes"; shift ;;
        esac
        shift
done
EOF
chmod 755 "$T/u/bin/gitlab-runner"
export QRUN_CI_RUNNER_BINARY=$T/u/bin/gitlab-runner

# ---- the runner's side ----
# stage_script FILE BODY: a stage script as GitLab Runner's bash shell writes
# it: the job's variables exported, then the body, through eval.
stage_script() {
        local vars
        vars=$(printf 'export CI=true\nexport CI_JOB_ID=%s\nexport CI_BUILDS_DIR=%s\nexport CI_PROJECT_DIR=%s\nexport CI_COMMIT_SHA=%s\nexport CI_REPOSITORY_URL=%s\n' \
                "$job_id" "$builds" "$builds/group/project" "$sha" "$repo")
        printf '#!/usr/bin/env bash\n\nset -eo pipefail\nset +o noclobber\n: | eval %q\nexit 0\n' "$vars"$'\n'"$2" >"$1"
        chmod 644 "$1"
}
get_sources='echo "Fetching changes..."
if [ -d "$CI_PROJECT_DIR/.git" ]; then
        git -C "$CI_PROJECT_DIR" fetch -q origin
else
        rm -rf "$CI_PROJECT_DIR"; mkdir -p "$CI_BUILDS_DIR/group"
        git clone -q "$CI_REPOSITORY_URL" "$CI_PROJECT_DIR"
fi
cd "$CI_PROJECT_DIR" && git checkout -q -f "$CI_COMMIT_SHA" && echo "Checked out ${CI_COMMIT_SHA:0:8}"'
upload='cd "$CI_PROJECT_DIR" && gitlab-runner artifacts-uploader --url https://gitlab.invalid --id "$CI_JOB_ID" --path result.txt'

# env_for JOB_ID CONCURRENT_ID IMAGE: sets ENV, the variables the runner
# gives every stage of a job.
env_for() {
        ENV=(env CUSTOM_ENV_CI_JOB_ID="$1" CUSTOM_ENV_CI_RUNNER_ID=7 CUSTOM_ENV_CI_PROJECT_ID=42
                CUSTOM_ENV_CI_CONCURRENT_PROJECT_ID="$2" CUSTOM_ENV_CI_JOB_IMAGE="$3")
}

# job NAME JOB_ID CONCURRENT_ID IMAGE STEP [AFTER]: one job as the runner
# runs it: config, prepare, the stages in order (a failing one skips to
# after_script and the on-failure uploads), cleanup always. The upload
# stages run only when ARTIFACTS is set (the job declares artifacts). Sets STATUS (0,
# or the status of the first failing stage), FAILED_AT (that stage) and
# BUILDS; the job's log is $T/jobs/NAME.log.
job() {
        local st stage dir=$T/jobs/$1 body
        job_id=$2
        env_for "$2" "$3" "$4"
        mkdir -p "$dir"
        local log=$dir.log
        STATUS=0 FAILED_AT=
        as_user "${ENV[@]}" "$DRIVER/config" >"$dir/config.json" 2>>"$log" || { STATUS=$? FAILED_AT=config; }
        builds=$("$PYTHON" -c 'import json, sys; print(json.load(open(sys.argv[1]))["builds_dir"])' "$dir/config.json" 2>/dev/null)
        BUILDS=$builds
        if [ "$STATUS" -eq 0 ]; then
                as_user "${ENV[@]}" "$DRIVER/prepare" >>"$log" 2>&1 || { STATUS=$? FAILED_AT=prepare; }
        fi
        if [ "$STATUS" -eq 0 ]; then
                for stage in prepare_script get_sources step_script after_script upload_artifacts cleanup_file_variables; do
                        case $stage in
                        prepare_script) body='echo "Running on $(hostname)..."' ;;
                        get_sources) body=$get_sources ;;
                        step_script) body=$5 ;;
                        after_script) body=${6:-true} ;;
                        upload_artifacts) [ -n "${ARTIFACTS:-}" ] || continue
                                body=$upload
                                if [ "$STATUS" -eq 0 ]; then stage=upload_artifacts_on_success; else stage=upload_artifacts_on_failure; fi ;;
                        cleanup_file_variables) body='rm -rf "$CI_PROJECT_DIR.tmp"' ;;
                        esac
                        # After a failure only after_script and the on-failure stages run.
                        [ "$STATUS" -eq 0 ] || case $stage in after_script | upload_artifacts_on_failure | cleanup_file_variables) ;; *) continue ;; esac
                        stage_script "$dir/$stage.sh" "$body"
                        echo "== $stage" >>"$log"
                        st=0
                        as_user "${ENV[@]}" "$DRIVER/run" "$dir/$stage.sh" "$stage" >>"$log" 2>&1 || st=$?
                        # after_script's and the on-failure upload's failures do not fail the job.
                        [ "$st" -eq 0 ] || [ "$STATUS" -ne 0 ] || [ "$stage" = after_script ] || { STATUS=$st FAILED_AT=$stage; }
                done
        fi
        as_user "${ENV[@]}" "$DRIVER/cleanup" >>"$log" 2>&1
        CLEANUP=$?
}
# show_log NAME...: the jobs' logs, as TAP comments, when the last test failed.
show_log() {
        local n
        [ "$t_failed" -gt "${shown_failures:-0}" ] || return 0
        shown_failures=$t_failed
        for n in "$@"; do sed "s/^/#   $n: /" "$T/jobs/$n.log"; done
}
dir_image=$T/u/images/ci

# ==== (1) a job that clones, builds, tests and uploads an artifact ====
step='cd "$CI_PROJECT_DIR"
make
make test
{ echo "commit $(git rev-parse HEAD)"; ./hello; } >result.txt
echo "uid $(id -u)"
chown 4242:4242 result.txt && echo "chown ok"'
start=$(date +%s)
ARTIFACTS=result.txt job pass 101 0 "$dir_image" "$step" 'echo "after_script ran"'
elapsed=$(($(date +%s) - start))
log=$(cat "$T/jobs/pass.log")
is "$STATUS:$FAILED_AT:$CLEANUP" "0::0" "a passing job: every stage exits 0, and cleanup ($elapsed s)"
show_log pass
is "$BUILDS" "$QRUN_CI_ROOT/builds/runner-7-project-42-concurrent-0" "config: the builds directory is the slot's"
like "$log" "Running on runner-7-project-42-concurrent-0" "prepare_script runs in the container (its hostname is the slot)"
like "$log" "Checked out ${sha:0:8}" "get_sources clones the project from git://127.0.0.1"
like "$log" "cc -O2 -Wall -Werror +hello.c +-o hello" "step_script builds with make and gcc"
is "$(cat "$BUILDS/group/project/result.txt" 2>&1)" "commit $sha
hello from a qrun CI job" "the artifact is on the host, in the builds directory"
like "$log" "uid 0" "the job runs as uid 0"
like "$log" "chown ok" "fakeroot: chown to another id succeeds"
like "$log" "Uploading result.txt: [0-9]+ bytes" "upload_artifacts_on_success: gitlab-runner (bound in) finds the artifact"
like "$log" "after_script ran" "after_script runs"
[ ! -e "$QRUN_CI_ROOT/jobs/101" ]
ok $? "cleanup removes the job's state and overlay"

# ---- the overlay lasts the whole job, not longer ----
# A job whose prepare_script stage leaves a file that step_script reads, and
# an apt-style write to /usr; the next job in the same slot sees neither.
keep='echo "prepare" >/opt/from-prepare; echo "made by job $CI_JOB_ID" >/usr/local/share/by-job'
env_for 102 0 "$dir_image"
as_user "${ENV[@]}" "$DRIVER/prepare" >"$T/p.out" 2>&1
job_id=102 builds=$BUILDS
stage_script "$T/jobs/keep1.sh" "$keep"
stage_script "$T/jobs/keep2.sh" 'cat /opt/from-prepare /usr/local/share/by-job'
as_user "${ENV[@]}" "$DRIVER/run" "$T/jobs/keep1.sh" prepare_script >/dev/null 2>&1 &&
        out=$(as_user "${ENV[@]}" "$DRIVER/run" "$T/jobs/keep2.sh" step_script 2>&1)
is "$?:$out" "0:prepare
made by job 102" "one stage's writes to the image are there in the next stage"
as_user "${ENV[@]}" "$DRIVER/cleanup"
env_for 103 0 "$dir_image"
as_user "${ENV[@]}" "$DRIVER/prepare" >"$T/p.out" 2>&1
out=$(as_user "${ENV[@]}" "$DRIVER/run" "$T/jobs/keep2.sh" step_script 2>&1)
like "$?:$out" "^77:.*No such file" "the next job in the slot starts from the image again"
as_user "${ENV[@]}" "$DRIVER/cleanup"
[ ! -e "$dir_image/usr/local/share/by-job" ]
ok $? "the image directory itself is never written"

# ==== (2) a failing job ====
ARTIFACTS=result.txt job fail 104 0 "$dir_image" 'cd "$CI_PROJECT_DIR" && make test FAIL=1' 'echo "after_script ran"'
log=$(cat "$T/jobs/fail.log")
is "$STATUS:$FAILED_AT:$CLEANUP" "77:step_script:0" "a failing make test: step_script exits BUILD_FAILURE_EXIT_CODE (77)"
show_log fail
like "$log" "Fetching changes" "... the second job of the slot finds the clone and fetches"
like "$log" "qrun-ci: stage step_script: the script failed \(exit status 1\)" "... the driver says which stage failed and how (bash gives 1 for the failing eval)"
like "$log" "after_script ran" "... after_script still runs"
like "$log" "== upload_artifacts_on_failure" "... then upload_artifacts_on_failure"
[ ! -e "$QRUN_CI_ROOT/jobs/104" ]
ok $? "... and cleanup removes its state"

# ==== (3) two jobs at once ====
# Each writes its id into the image and its builds directory, says so in the
# shared cache directory, and waits there for the test to let both go on:
# so they are certainly running together when they look for each other.
cache=$QRUN_CI_ROOT/cache
together='cd "$CI_PROJECT_DIR"
echo "$CI_JOB_ID" >/opt/who; echo "$CI_JOB_ID" >mine
touch '"$cache"'/ready-$CI_JOB_ID
while [ ! -e '"$cache"'/go ]; do sleep 0.05; done
echo "who: $(cat /opt/who) $(ls /opt | tr "\n" " ")"
echo "builds: $(ls "$CI_BUILDS_DIR/.." | tr "\n" " ")mine=$(cat mine)"'
(job two-a 201 0 "$dir_image" "$together"; echo "$STATUS" >"$T/jobs/two-a.status") &
a=$!
(job two-b 202 1 "$dir_image" "$together"; echo "$STATUS" >"$T/jobs/two-b.status") &
b=$!
wait_until test -e "$cache/ready-201" -a -e "$cache/ready-202"
ok $? "two jobs are in step_script at the same time"
touch "$cache/go"
wait "$a" "$b"
is "$(cat "$T/jobs/two-a.status"):$(cat "$T/jobs/two-b.status")" "0:0" "both pass"
show_log two-a two-b
like "$(cat "$T/jobs/two-a.log")" "who: 201 who $" "job A sees only its own write in the image"
like "$(cat "$T/jobs/two-b.log")" "who: 202 who $" "job B sees only its own write in the image"
like "$(cat "$T/jobs/two-a.log")" "builds: runner-7-project-42-concurrent-0 mine=201" "job A sees only its own builds directory"
like "$(cat "$T/jobs/two-b.log")" "builds: runner-7-project-42-concurrent-1 mine=202" "job B sees only its own builds directory"
rm -f "$cache"/ready-* "$cache/go"

# ==== (4) cancelled jobs: SIGTERM, then SIGKILL, to run_exec ====
# cancel JOB_ID BODY GRACE: starts step_script and, once the job's sleep
# runs, sends SIGTERM to the run process and SIGKILL GRACE seconds later if
# it is still there (GRACE 0: SIGKILL alone, as when the runner's graceful
# kill timeout has passed). Sets RC (run's status), LEFT (the job's
# processes left after run ended) and GONE (0 once cleanup left nothing).
# With CANCEL_GROUP=1, run starts a session of its own (setsid) and the
# signals go to its process group, qrun included, as GitLab Runner sends them.
cancel() {
        job_id=$1
        env_for "$1" 0 "$dir_image"
        as_user "${ENV[@]}" "$DRIVER/prepare" >/dev/null 2>&1
        builds=$BUILDS
        stage_script "$T/jobs/cancel-$1.sh" "$2"
        local setsid=() target
        [ -z "${CANCEL_GROUP:-}" ] || setsid=(setsid)
        user_command "${setsid[@]}" "${ENV[@]}" "$DRIVER/run" "$T/jobs/cancel-$1.sh" step_script
        "${CMD[@]}" >"$T/jobs/cancel-$1.log" 2>&1 &
        local pid=$!
        target=$pid
        # (setsid does not fork here: it is not a process group leader.)
        [ -z "${CANCEL_GROUP:-}" ] || target=-$pid
        wait_until test_pgrep -f "^sleep 31$1"
        if [ "$3" != 0 ]; then
                kill -TERM -- "$target"
                local n=$(($3 * 20))
                while [ "$n" -gt 0 ] && kill -0 "$pid" 2>/dev/null; do
                        sleep 0.05
                        n=$((n - 1))
                done
        fi
        kill -KILL -- "$target" 2>/dev/null
        { wait "$pid"; } 2>/dev/null # (no "Killed" message)
        RC=$?
        # qrun dies with run (PDEATHSIG), the container with qrun.
        wait_while test_pgrep -f "sleep 31$1|jobs/$1/job.ini"
        LEFT=$(test_pgrep -a -f "sleep 31$1|jobs/$1/job.ini")
        as_user "${ENV[@]}" "$DRIVER/cleanup"
        ! test_pgrep -f "sleep 31$1|jobs/$1/job.ini" >/dev/null && [ ! -e "$QRUN_CI_ROOT/jobs/$1" ]
        GONE=$?
}
cancel 401 'sleep 31401 & sleep 31401; echo "not reached"' 5
is "$RC:$LEFT:$GONE" "77::0" "cancelled (SIGTERM): the job's processes end, run exits 77, cleanup removes the state"
like "$(cat "$T/jobs/cancel-401.log")" "exit status 143" "... the script died of SIGTERM"
cancel 402 'sleep 31402 & sleep 31402; echo "not reached"' 0
is "$RC:$LEFT:$GONE" "137::0" "killed (SIGKILL to run alone): qrun and the container die with it; cleanup removes the state"
show_log cancel-402
CANCEL_GROUP=1 cancel 403 'sleep 31403 & sleep 31403; echo "not reached"' 5
is "$RC:$LEFT:$GONE" "77::0" "cancelled (SIGTERM to run's process group, qrun's too): the same"

# ==== (5) docker:// images: imported once, by digest ====
if ! command -v docker-registry >/dev/null; then
        skip "docker-registry is not installed (tools/deps.sh test installs it): no docker:// tests"
else
        port=$(free_port)
        mkdir -p "$T/registry/storage"
        printf 'version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: 127.0.0.1:%s\n' \
                "$T/registry/storage" "$port" >"$T/registry/config.yml"
        docker-registry serve "$T/registry/config.yml" >"$T/registry/log" 2>&1 &
        registry_pid=$!
        wait_until bash -c "exec 3<>/dev/tcp/127.0.0.1/$port"
        skopeo copy --quiet --dest-tls-verify=false "oci:$layout:bookworm-ci" "docker://127.0.0.1:$port/qrun/ci:1" >"$T/skopeo.log" 2>&1
        ok $? "the CI image is pushed to a registry on 127.0.0.1:$port"
        ref=docker://127.0.0.1:$port/qrun/ci:1
        digest=$(skopeo inspect --tls-verify=false --format '{{.Digest}}' "$ref")
        build='cd "$CI_PROJECT_DIR" && make -s && make -s test && echo "built from the registry"'
        start=$(date +%s)
        (job reg-a 501 0 "$ref" "$build"; echo "$STATUS" >"$T/jobs/reg-a.status") &
        a=$!
        (job reg-b 502 1 "$ref" "$build"; echo "$STATUS" >"$T/jobs/reg-b.status") &
        b=$!
        wait "$a" "$b"
        is "$(cat "$T/jobs/reg-a.status"):$(cat "$T/jobs/reg-b.status")" "0:0" \
                "two jobs starting at once on a new docker:// image both pass ($(($(date +%s) - start)) s)"
show_log reg-a reg-b
        imports=$(cat "$QRUN_CI_ROOT/images/imports.log" 2>/dev/null)
        is "$(printf '%s\n' "$imports" | grep -c .)" 1 "... the image was imported once"
        like "$imports" " $digest $ref job 50[12]$" "... by its digest"
        [ -d "$QRUN_CI_ROOT/images/sha256-${digest#sha256:}" ]
        ok $? "... into the cache, named by the digest"
        tree=$(stat -c %i "$QRUN_CI_ROOT/images/sha256-${digest#sha256:}")
        job reg-c 503 0 "127.0.0.1:$port/qrun/ci:1" "$build"
        is "$STATUS:$(grep -c . "$QRUN_CI_ROOT/images/imports.log")" "0:1" \
                "a later job (image: 127.0.0.1:$port/qrun/ci:1, no docker://) reuses the import"
show_log reg-c
        is "$(stat -c %i "$QRUN_CI_ROOT/images/sha256-${digest#sha256:}")" "$tree" "... the same tree"
        like "$(cat "$T/jobs/reg-c.log")" "built from the registry" "... and builds the project"
        job reg-none 504 0 "docker://127.0.0.1:$port/qrun/nothing:1" true
        is "$STATUS:$FAILED_AT" "78:prepare" "an image the registry does not have: SYSTEM_FAILURE_EXIT_CODE (78) from prepare"
        like "$(cat "$T/jobs/reg-none.log")" "qrun-ci: image docker://127.0.0.1:$port/qrun/nothing:1: skopeo inspect failed" "... with a message naming the image"
fi

# ==== (6) a SquashFS image ====
if [ -n "$FUSE_OK" ]; then
        job sqfs 601 0 "$T/u/images/ci.sqfs" 'cd "$CI_PROJECT_DIR" && make -s test && echo "built on squashfs" && touch /usr/local/made'
        is "$STATUS" 0 "a job on a .sqfs image passes (overlay on the image)"
show_log sqfs
        like "$(cat "$T/jobs/sqfs.log")" "built on squashfs" "... and builds the project"
else
        skip "/dev/fuse cannot be opened by $QRUN_TEST_USER: no SquashFS job"
        skip "/dev/fuse cannot be opened by $QRUN_TEST_USER: no SquashFS job"
fi

# ==== (7) images that cannot be had: SYSTEM_FAILURE_EXIT_CODE ====
job missing 701 0 "$T/u/images/nothing.sqfs" true
is "$STATUS:$FAILED_AT:$CLEANUP" "78:prepare:0" "a missing image file: prepare exits SYSTEM_FAILURE_EXIT_CODE (78)"
like "$(cat "$T/jobs/missing.log")" "qrun-ci: image $T/u/images/nothing.sqfs does not exist" "... saying so"
[ ! -e "$QRUN_CI_ROOT/jobs/701" ]
ok $? "... and cleanup removes what prepare made"
echo "not an image" >"$T/u/images/bad.sqfs"
job bad 702 0 "$T/u/images/bad.sqfs" true
is "$STATUS:$FAILED_AT" "78:prepare" "a file that is not an image: 78"
like "$(cat "$T/jobs/bad.log")" "qrun-ci: qrun cannot run image" "... with qrun's reason before it"
job outside 703 0 "$ROOTFS" true
is "$STATUS:$FAILED_AT" "78:prepare" "an image path outside QRUN_CI_IMAGE_PATHS: 78"
like "$(cat "$T/jobs/outside.log")" "not below a directory of QRUN_CI_IMAGE_PATHS" "... saying so"
job noimage 704 0 "" true
is "$STATUS:$FAILED_AT" "78:prepare" "no image and no QRUN_CI_DEFAULT_IMAGE: 78"
# Settings also come from a file (QRUN_CI_SETTINGS; /etc/qrun-ci.conf).
echo "QRUN_CI_DEFAULT_IMAGE=$dir_image" >"$T/u/settings"
QRUN_CI_SETTINGS=$T/u/settings job default 705 0 "" 'echo "default image: $(cat /etc/debian_version)"'
is "$STATUS" 0 "no image, QRUN_CI_DEFAULT_IMAGE set in QRUN_CI_SETTINGS: the job runs"
like "$(cat "$T/jobs/default.log")" "^default image: 12" "... in that image"
job inject 706 0 $'/x\n[mounts]\nbind = /:/host' true
is "$STATUS" 78 "an image name with a newline cannot add manifest lines: 78"
like "$(cat "$T/jobs/inject.log")" "control characters" "... it is refused"
env_for 707 0 "$dir_image"
out=$(as_user "${ENV[@]}" "$DRIVER/run" "$T/jobs/keep2.sh" step_script 2>&1)
like "$?:$out" "^78:qrun-ci: stage step_script: job 707 was not prepared" "run before prepare: 78"
# qrun cannot start the container (the rootfs went away after prepare): the
# runner's failure, 78, not the job's.
cp -a "$T/u/images/ci.sqfs" "$T/u/images/gone.sqfs"
env_for 708 0 "$T/u/images/gone.sqfs"
if [ -n "$FUSE_OK" ] && as_user "${ENV[@]}" "$DRIVER/prepare" >/dev/null 2>&1; then
        rm "$T/u/images/gone.sqfs"
        out=$(as_user "${ENV[@]}" "$DRIVER/run" "$T/jobs/keep2.sh" step_script 2>&1)
        is "$?" 78 "the image vanished after prepare: qrun exits 125 before the shell starts: 78"
        like "$out" "^qrun-ci: stage step_script: qrun could not start the job's container \(exit status 125\)" "... saying so"
        as_user "${ENV[@]}" "$DRIVER/cleanup"
else
        skip "no SquashFS image to remove"
fi
[ -z "$(ls "$QRUN_CI_ROOT/jobs")" ]
ok $? "no job state is left at all"

# ==== examples/ci/ci.sh: a plain shell CI script ====
ci_work=$T/u/ci-sh
mkdir -p "$ci_work"
[ "$(id -u)" -ne 0 ] || chown "$QRUN_TEST_USER" "$ci_work"
as_user env -C "$ci_work" QRUN_CI_IMAGE="oci:$layout:bookworm-ci" QRUN_CI_CACHE="$ci_work/cache" \
        QRUN_CI_SCRIPT='make && make test && ./hello >/artifacts/result.txt' \
        "$QRUN_SOURCE/examples/ci/ci.sh" "$repo" >"$T/ci-sh.log" 2>&1
rc=$?
is "$rc" 0 "examples/ci/ci.sh clones, builds and tests the project" || sed 's/^/#   /' "$T/ci-sh.log"
like "$(cat "$ci_work/artifacts/result.txt" 2>&1)" "hello from a qrun CI job" "... and leaves its artifact"
as_user env -C "$ci_work" QRUN_CI_IMAGE="oci:$layout:bookworm-ci" QRUN_CI_CACHE="$ci_work/cache" \
        QRUN_CI_SCRIPT='make test FAIL=1' "$QRUN_SOURCE/examples/ci/ci.sh" "$repo" >"$T/ci-sh2.log" 2>&1
is "$?" 2 "... a failing test fails it with make's status"
like "$(cat "$T/ci-sh2.log")" "imported image|using cached image" "... the second run uses the cached image"

# The .sqfs job's image server lingers (30 s) by design: the job's stages share
# it. End it, so that the suites after this one find no process of the user.
end_image_servers
done_testing

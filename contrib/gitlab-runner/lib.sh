# shellcheck shell=bash disable=SC2034 # (the variables are for the scripts that source this)
# Shared by the qrun driver for GitLab Runner's custom executor (config,
# prepare, run, cleanup); see docs/ci.md. Sourced, not run.
#
# Where things live, under QRUN_CI_ROOT (default /var/tmp/qrun-ci-$USER):
#   builds/SLOT/   the builds directory of one concurrency slot of one
#                  runner and project (the runner clones into
#                  builds/SLOT/NAMESPACE/PROJECT); bound into the job's
#                  container at the same path, kept between jobs
#   cache/         the runner's cache_dir, bound the same way
#   images/        docker:// images imported once, named by digest
#   jobs/JOB_ID/   one job's state: job.ini (its manifest), overlay/ (the
#                  writes of all its stages), image; removed by cleanup
#
# Settings, from QRUN_CI_SETTINGS (default /etc/qrun-ci.conf: NAME=VALUE
# lines, read by bash) if it exists, else from the runner's environment
# (never from the job's: its variables arrive as CUSTOM_ENV_*): QRUN (the binary, default qrun from PATH), QRUN_CI_ROOT,
# QRUN_CI_DEFAULT_IMAGE (for jobs that name none), QRUN_CI_TLS_VERIFY=false
# and QRUN_CI_AUTHFILE (for docker:// images), QRUN_CI_SQUASHFS=1 (import
# docker:// images as SquashFS files instead of directories),
# QRUN_CI_EXTRA_MANIFEST (a file appended to every job's manifest: limits,
# more binds, landlock), QRUN_CI_RUNNER_BINARY (the gitlab-runner bound
# into the container for artifacts and caches; default: the one in PATH).
set -euo pipefail

settings=${QRUN_CI_SETTINGS:-/etc/qrun-ci.conf}
if [ -e "$settings" ]; then
        # shellcheck source=/dev/null
        . "$settings"
fi
QRUN=${QRUN:-qrun}
ci_root=${QRUN_CI_ROOT:-/var/tmp/qrun-ci-$(id -un 2>/dev/null || id -u)}

# The runner gives both codes to prepare, run and cleanup; the defaults
# only matter when a stage is run by hand.
build_failure() {
        echo "qrun-ci: $*" >&2
        exit "${BUILD_FAILURE_EXIT_CODE:-1}"
}
system_failure() {
        echo "qrun-ci: $*" >&2
        exit "${SYSTEM_FAILURE_EXIT_CODE:-2}"
}

# number NAME VALUE: VALUE, which becomes part of a path, must be digits.
number() {
        case $2 in
        '' | *[!0-9]*) system_failure "$1 is \"$2\": expected a number" ;;
        esac
}

case $ci_root in
/*) ;;
*) system_failure "QRUN_CI_ROOT must be an absolute path, not \"$ci_root\"" ;;
esac
case $ci_root in
*:* | *'$'* | *[[:space:]]*) system_failure "QRUN_CI_ROOT ($ci_root) may not contain ':', '\$' or blanks" ;;
esac

# The slot: one runner, one project, one of its concurrent jobs (the name
# GitLab's own LXD and libvirt examples give their containers). Two jobs that
# run at once never share one; consecutive jobs do, and find their clone.
runner_id=${CUSTOM_ENV_CI_RUNNER_ID:-0}
project_id=${CUSTOM_ENV_CI_PROJECT_ID:-0}
concurrent_id=${CUSTOM_ENV_CI_CONCURRENT_PROJECT_ID:-0}
number CI_RUNNER_ID "$runner_id"
number CI_PROJECT_ID "$project_id"
number CI_CONCURRENT_PROJECT_ID "$concurrent_id"
slot=runner-$runner_id-project-$project_id-concurrent-$concurrent_id
builds_dir=$ci_root/builds/$slot
cache_dir=$ci_root/cache
images_dir=$ci_root/images

# job_state: sets job_dir, the job's state directory (not created).
job_state() {
        number CI_JOB_ID "${CUSTOM_ENV_CI_JOB_ID:-}"
        job_dir=$ci_root/jobs/$CUSTOM_ENV_CI_JOB_ID
}

# remove_tree DIR: removes DIR even where a job made directories read-only
# (overlayfs also leaves its work directory without permissions).
remove_tree() {
        [ -e "$1" ] || return 0
        chmod -R u+rwX "$1" 2>/dev/null || true
        rm -rf "$1"
}

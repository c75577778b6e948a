#!/bin/bash
# Builds the SPANK plugin: contrib/slurm/build.sh [OUT] (default
# build/qrun_spank.so). Needs gcc and Slurm's spank.h (Debian: libslurm-dev).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/../../build/qrun_spank.so}
[ -e /usr/include/slurm/spank.h ] || { echo "build.sh: no /usr/include/slurm/spank.h (install libslurm-dev)" >&2; exit 1; }
mkdir -p "$(dirname "$out")"
gcc -O2 -Wall -Wextra -Werror -fPIC -shared -o "$out" "$here/qrun_spank.c"
echo "$out"

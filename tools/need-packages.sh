#!/bin/bash
# Makes sure Debian packages are installed: tools/need-packages.sh WHO PACKAGE...
# As root it installs the missing ones (saying which); as a normal user it names
# them and exits 1. WHO prefixes the messages (build.sh, tests/run.sh, bench).
# The package lists are in tools/deps.sh, which calls this.
set -euo pipefail
who=$1
shift
missing=()
for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
        echo "$who: missing Debian packages: ${missing[*]}" >&2
        echo "$who: as root: apt-get install ${missing[*]}" >&2
        exit 1
fi
echo "$who: installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null 2>&1 ||
        { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null; }

#!/bin/bash
# Builds a minimal busybox rootfs: tools/mkrootfs.sh DIR
# Used by build.sh (the example's rootfs), the tests and the benchmarks.
set -euo pipefail
dir=${1:?usage: tools/mkrootfs.sh DIR}
busybox=/bin/busybox
if [ ! -x "$busybox" ] || LC_ALL=C readelf -l "$busybox" | grep -q INTERP; then
        echo "mkrootfs: $busybox is missing or not static (install busybox-static)" >&2
        exit 1
fi
mkdir -p "$dir"/{bin,etc,tmp,proc,dev,root,home}
chmod 1777 "$dir/tmp"
cp "$busybox" "$dir/bin/busybox"
for applet in $("$busybox" --list); do
        [ "$applet" = busybox ] || ln -sf busybox "$dir/bin/$applet"
done
# Let the usual paths resolve: /usr/bin/env, /sbin/ip and friends.
mkdir -p "$dir/usr"
ln -sfn ../bin "$dir/usr/bin"
ln -sfn bin "$dir/sbin"
ln -sfn ../bin "$dir/usr/sbin"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$dir/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$dir/etc/group"
chmod 755 "$dir"

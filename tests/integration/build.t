#!/bin/bash
# build.sh's promises: a static, stripped, 0755 binary; as a normal user with
# packages missing, it names them and stops.
. "$(dirname "$0")/../lib.sh"

bin="$QRUN_SOURCE/build/qrun"
ok "$(LC_ALL=C readelf -l "$bin" | grep -c INTERP)" "no PT_INTERP (no dynamic loader)"
like "$(file -b "$bin")" 'statically linked.*stripped' "file(1): statically linked, stripped"
is "$(stat -c %a "$bin")" "755" "mode 0755, neither setuid nor setgid"
like "$("$bin" --version)" '^qrun [0-9]+\.[0-9]+\.[0-9]+$' "the binary runs"

# A normal user on a machine without the packages: a fake dpkg-query says
# nothing is installed; build.sh must list them and stop before compiling.
mkdir -p "$T/fakebin" "$T/repo"
printf '#!/bin/sh\nexit 1\n' >"$T/fakebin/dpkg-query"
chmod 755 "$T/fakebin/dpkg-query"
mkdir -p "$T/repo/tools"
cp "$QRUN_SOURCE/build.sh" "$T/repo/"
cp "$QRUN_SOURCE/tools/deps.sh" "$QRUN_SOURCE/tools/need-packages.sh" "$QRUN_SOURCE/tools/build-vars.sh" \
        "$T/repo/tools/"
chmod -R a+rwX "$T/repo"
as_user env PATH="$T/fakebin:$PATH" "$T/repo/build.sh" >"$T/out" 2>"$T/err"
rc=$?
if [ "$(as_user id -u)" -ne 0 ]; then
        is "$rc" 1 "normal user with packages missing: exit 1"
        like "$(cat "$T/err")" '^build.sh: missing Debian packages: musl-tools libinih-dev libseccomp-dev linux-libc-dev busybox-static binutils gcc libc6-dev libarchive-dev libjansson-dev nettle-dev libzstd-dev liblzma-dev zlib1g-dev libsquashfuse-dev libfuse3-dev liblz4-dev liblzo2-dev' \
                "normal user: the missing packages are named"
        like "$(cat "$T/err")" 'as root: apt-get install musl-tools' "normal user: how to install them"
        [ ! -e "$T/repo/build/qrun" ]
        ok $? "normal user: nothing was built"
else
        skip "running as root: the normal-user path needs a second account"
fi

done_testing

#!/bin/bash
# Builds the libraries of `qrun import` and of qrun's SquashFS server for a
# static musl link into PREFIX:
#
#   build-deps.sh PREFIX
#
# PREFIX/include and PREFIX/lib then hold libarchive (tar reader with the
# gzip/zstd/xz filters), jansson, nettle (SHA-256 with SHA-NI, chosen at run
# time), zlib, libzstd and liblzma, ready for
#   musl-gcc ... -IPREFIX/include ... -LPREFIX/lib -larchive -lzstd -llzma -lz -ljansson -lnettle -static
# and libfuse3's low-level library (from Debian's fuse3 source) with
# squashfuse's libraries (Debian's), for -lsquashfuse_ll -lsquashfuse -lfuse3
# -llz4 -llzo2.
# PREFIX/VERSIONS names the Debian version of each; PREFIX/share/licenses has
# their licences. Nothing is done when PREFIX/.done exists; PREFIX appears
# whole or not at all (built in PREFIX.tmp, then renamed), and concurrent runs
# wait for each other (flock on PREFIX.lock). Meant to be cached by build.sh in
# a directory keyed by a hash of this file: every choice that changes the
# output lives in this file, except the versions of Debian's zlib1g-dev,
# libzstd-dev and liblzma-dev (COMPRESSORS=debian): a cache key may add
# `dpkg-query -W zlib1g-dev libzstd-dev liblzma-dev` to pick up their updates.
#
# Run as root it installs the Debian packages it needs and, when apt has no
# deb-src entry, adds one (/etc/apt/sources.list.d/qrun-deb-src.sources);
# as a normal user it names what is missing and stops.
#
# Where a library comes from (see REPORT.md):
# - zlib, libzstd, liblzma: Debian's own static libraries (zlib1g-dev,
#   libzstd-dev, liblzma-dev) copied with their headers. They link into a musl
#   binary as they are: the only glibc-only symbols they name (__snprintf_chk in
#   gzlib.o, __fprintf_chk in zstd's dictionary builder) sit in objects that a
#   decompressing program never pulls in, and the link fails loudly should that
#   ever change. They also carry Debian's latest security fixes. Set
#   COMPRESSORS=source below to build them from the Debian sources instead:
#   decoder-only zstd and xz, with -ffunction-sections, about 135 KB smaller.
# - libarchive, jansson, nettle: Debian's .a name glibc-only symbols
#   (gnu_dev_major & co., __snprintf_chk, __fprintf_chk), so they are built
#   here from the Debian source packages (with Debian's patches) with musl-gcc.
set -euo pipefail

COMPRESSORS=debian # debian | source

# Debian source versions (bookworm). If a pinned version can no longer be
# downloaded (the security archive keeps only the newest), the newest newer one
# apt can fetch is taken instead, with a warning; never an older one.
# PREFIX/VERSIONS tells what was used.
LIBARCHIVE_VERSION=3.6.2-1+deb12u5
JANSSON_VERSION=2.14-2
NETTLE_VERSION=3.8.1-2
ZLIB_VERSION=1:1.2.13.dfsg-1+deb12u1     # only with COMPRESSORS=source
LIBZSTD_VERSION=1.5.4+dfsg2-5+deb12u1    # only with COMPRESSORS=source
XZ_VERSION=5.4.1-1+deb12u2               # only with COMPRESSORS=source
FUSE3_VERSION=3.14.0-4

# One set of flags for every library: small (sections for --gc-sections, no
# unwind tables), hardened like qrun itself, and free of the build path.
CFLAGS_COMMON="-O2 -ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables -fstack-protector-strong"

if [ $# -ne 1 ] || [ "${1#-}" != "$1" ]; then
        sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//p}' "$0"
        exit 2
fi
say() { echo "build-deps.sh: $*"; }
die() { echo "build-deps.sh: $*" >&2; exit 1; }
# fail WHAT LOG: a build step failed; show the end of its log (the work tree
# is removed on exit).
fail() { echo "build-deps.sh: $1 failed; the end of $2:" >&2; tail -n 40 "$2" >&2; exit 1; }

mkdir -p "$(dirname "$1")"
prefix=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
[ -e "$prefix/.done" ] && { say "$prefix is up to date"; exit 0; }

exec 9>"$prefix.lock"
flock 9
[ -e "$prefix/.done" ] && { say "$prefix is up to date"; exit 0; }
start=$(date +%s)

# ---- Debian packages ----
packages=(musl-tools gcc make libc6-dev dpkg-dev autoconf automake libtool m4 linux-libc-dev xz-utils binutils
        meson ninja-build pkgconf libsquashfuse-dev liblz4-dev liblzo2-dev)
[ "$COMPRESSORS" = debian ] && packages+=(zlib1g-dev libzstd-dev liblzma-dev)
missing=()
for p in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
        [ "$(id -u)" -eq 0 ] || die "missing Debian packages: ${missing[*]} (as root: apt-get install ${missing[*]})"
        say "installing: ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null 2>&1 ||
                { apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null; }
fi

# ---- deb-src: the same mirrors as the binary packages ----
have_deb_src() {
        grep -Eqs '^[[:space:]]*Types:.*deb-src' /etc/apt/sources.list.d/*.sources ||
                grep -Eqs '^[[:space:]]*deb-src[[:space:]]' /etc/apt/sources.list /etc/apt/sources.list.d/*.list
}
if ! have_deb_src; then
        [ "$(id -u)" -eq 0 ] || die "apt has no deb-src entry; as root, add one for $(. /etc/os-release && echo "$VERSION_CODENAME") and run apt-get update"
        src=/etc/apt/sources.list.d/qrun-deb-src.sources
        if [ -f /etc/apt/sources.list.d/debian.sources ]; then
                sed 's/^Types:.*/Types: deb-src/' /etc/apt/sources.list.d/debian.sources >"$src"
        elif grep -Eqs '^[[:space:]]*deb[[:space:]]' /etc/apt/sources.list; then
                sed -n 's/^[[:space:]]*deb[[:space:]]/deb-src /p' /etc/apt/sources.list >"${src%.sources}.list"
        else
                codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
                printf 'Types: deb-src\nURIs: http://deb.debian.org/debian\nSuites: %s %s-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\nTypes: deb-src\nURIs: http://deb.debian.org/debian-security\nSuites: %s-security\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
                        "$codename" "$codename" "$codename" >"$src"
        fi
        say "added deb-src entries ($(ls "$src" "${src%.sources}.list" 2>/dev/null))"
        apt-get update -q >/dev/null
fi
apt-cache showsrc jansson 2>/dev/null | grep -q '^Package:' || {
        [ "$(id -u)" -eq 0 ] || die "apt has no source index: run apt-get update as root"
        apt-get update -q >/dev/null
}

# ---- work tree ----
work=$(mktemp -d "${TMPDIR:-/tmp}/qrun-deps.XXXXXX")
out=$prefix.tmp
trap 'rm -rf "$work" "$out"' EXIT
rm -rf "$out"
mkdir -p "$out/include" "$out/lib" "$out/share/licenses"
: >"$out/VERSIONS"
export SOURCE_DATE_EPOCH=0 LC_ALL=C TZ=UTC
cflags="$CFLAGS_COMMON -ffile-prefix-map=$work=/build"
jobs=$(nproc)

# musl's headers plus the kernel's (nothing else from glibc's /usr/include).
multiarch=$(gcc -print-multiarch)
mkdir -p "$work/kinc"
ln -s /usr/include/linux "$work/kinc/linux"
ln -s /usr/include/asm-generic "$work/kinc/asm-generic"
ln -s "/usr/include/$multiarch/asm" "$work/kinc/asm"

# Debian versions from stdin, newest first (dpkg's ordering).
newest_first() {
        local vs=() i j t
        mapfile -t vs
        for ((i = 0; i < ${#vs[@]}; i++)); do
                for ((j = i + 1; j < ${#vs[@]}; j++)); do
                        if dpkg --compare-versions "${vs[j]}" gt "${vs[i]}"; then
                                t=${vs[i]} vs[i]=${vs[j]} vs[j]=$t
                        fi
                done
        done
        [ ${#vs[@]} -eq 0 ] || printf '%s\n' "${vs[@]}"
}

# fetch PKG VERSION: downloads Debian source package PKG at VERSION and unpacks
# it, Debian's patches applied, into $work/PKG. When VERSION cannot be fetched
# any more, the newest newer one that can is taken (with a warning); an older
# one never is: that could lose a security fix without anyone noticing.
fetch() {
        local pkg=$1 want=$2 dir=$work/dl-$1 v dsc candidates=() tried=()
        mkdir -p "$dir"
        candidates=("$want")
        while read -r v; do
                dpkg --compare-versions "$v" gt "$want" && candidates+=("$v")
        done < <(apt-cache showsrc "$pkg" | sed -n 's/^Version: //p' | sort -u | newest_first)
        for v in "${candidates[@]}"; do
                tried+=("$v")
                if (cd "$dir" && apt-get source -q --download-only "$pkg=$v" >"$dir/log" 2>&1); then
                        [ "$v" = "$want" ] || say "warning: $pkg $want could not be fetched; using $v"
                        dsc=$(ls "$dir"/*.dsc)
                        dpkg-source -x "$dsc" "$work/$pkg" >>"$dir/log" 2>&1 ||
                                die "$pkg: dpkg-source failed: $(tail -n 3 "$dir/log")"
                        echo "$pkg $v (Debian source, built with musl-gcc)" >>"$out/VERSIONS"
                        return 0
                fi
                rm -f "$dir"/*
        done
        die "$pkg: source version ${tried[*]} could not be fetched (apt-cache showsrc $pkg lists what the mirror offers; update the pin)"
}

# ---- zlib, libzstd, liblzma ----
if [ "$COMPRESSORS" = debian ]; then
        lib=/usr/lib/$multiarch
        cp "$lib/libz.a" "$lib/libzstd.a" "$lib/liblzma.a" "$out/lib/"
        cp /usr/include/zlib.h /usr/include/zconf.h /usr/include/zstd.h /usr/include/zstd_errors.h \
                /usr/include/lzma.h "$out/include/"
        cp -r /usr/include/lzma "$out/include/"
        for p in zlib1g-dev libzstd-dev liblzma-dev; do
                echo "$p $(dpkg-query -W -f='${Version}' "$p") (Debian's static library)" >>"$out/VERSIONS"
                mkdir -p "$out/share/licenses/$p"
                cp "/usr/share/doc/$p/copyright" "$out/share/licenses/$p/"
        done
        say "zlib, libzstd, liblzma: Debian's static libraries"
else
        fetch zlib "$ZLIB_VERSION"
        (cd "$work/zlib" && CC=musl-gcc CFLAGS="$cflags" ./configure --static --prefix="$out" >log 2>&1 &&
                make -j"$jobs" libz.a >>log 2>&1 && cp libz.a "$out/lib/" && cp zlib.h zconf.h "$out/include/") ||
                fail zlib "$work/zlib/log"
        mkdir -p "$out/share/licenses/zlib" && cp "$work/zlib/debian/copyright" "$out/share/licenses/zlib/"
        say "zlib built"

        fetch libzstd "$LIBZSTD_VERSION"
        # Decoder only: libarchive reads, it never writes zstd.
        (cd "$work/libzstd/lib" && make -j"$jobs" CC=musl-gcc CFLAGS="$cflags" ZSTD_LIB_COMPRESSION=0 \
                ZSTD_LIB_DICTBUILDER=0 ZSTD_LIB_DEPRECATED=0 ZSTD_LEGACY_SUPPORT=0 libzstd.a >log 2>&1 &&
                cp libzstd.a "$out/lib/" && cp zstd.h zstd_errors.h "$out/include/") ||
                fail libzstd "$work/libzstd/lib/log"
        mkdir -p "$out/share/licenses/libzstd" && cp "$work/libzstd/debian/copyright" "$out/share/licenses/libzstd/"
        say "libzstd built"

        fetch xz-utils "$XZ_VERSION"
        (cd "$work/xz-utils" && CC=musl-gcc CFLAGS="$cflags" ./configure --prefix="$out" --disable-shared \
                --enable-static --disable-encoders --disable-threads --disable-xz --disable-xzdec \
                --disable-lzmadec --disable-lzmainfo --disable-lzma-links --disable-scripts --disable-doc \
                --disable-nls >log 2>&1 && make -j"$jobs" -C src/liblzma >>log 2>&1 &&
                make -C src/liblzma install >>log 2>&1) || fail xz-utils "$work/xz-utils/log"
        mkdir -p "$out/share/licenses/xz-utils" && cp "$work/xz-utils/debian/copyright" "$out/share/licenses/xz-utils/"
        say "liblzma built"
fi

# ---- jansson ----
fetch jansson "$JANSSON_VERSION"
# The Debian source has no configure script: autoreconf, as Debian's build does.
(cd "$work/jansson" && autoreconf -fi >log 2>&1 &&
        CC=musl-gcc CFLAGS="$cflags" ./configure --prefix="$out" --disable-shared --enable-static >>log 2>&1 &&
        make -j"$jobs" -C src >>log 2>&1 && make -C src install >>log 2>&1) ||
        fail jansson "$work/jansson/log"
mkdir -p "$out/share/licenses/jansson" && cp "$work/jansson/LICENSE" "$work/jansson/debian/copyright" "$out/share/licenses/jansson/"
say "jansson built"

# ---- nettle: hashes only, fat (SHA-NI and the other x86_64 code paths picked at run time) ----
fetch nettle "$NETTLE_VERSION"
# make CFLAGS=...: nettle's configure appends -ggdb3 to CFLAGS.
(cd "$work/nettle" && CC=musl-gcc CFLAGS="$cflags" ./configure --prefix="$out" --libdir="$out/lib" \
        --disable-shared --enable-static --enable-fat --disable-public-key --enable-mini-gmp \
        --disable-documentation --disable-openssl >log 2>&1 &&
        make -j"$jobs" CFLAGS="$cflags" libnettle.a >>log 2>&1 && make install-headers install-static >>log 2>&1) ||
        fail nettle "$work/nettle/log"
mkdir -p "$out/share/licenses/nettle" && cp "$work/nettle/COPYING.LESSERv3" "$work/nettle/COPYINGv2" "$work/nettle/debian/copyright" "$out/share/licenses/nettle/"
say "nettle built"

# ---- libarchive: the reader, tar and its compression filters, nothing else linked ----
fetch libarchive "$LIBARCHIVE_VERSION"
# autoreconf first: Debian's patches touch configure.ac and Makefile.am, and
# make would otherwise regenerate them with a libtool that does not match.
configure_flags=(--prefix="$out" --disable-shared --enable-static --without-xml2 --without-expat
        --without-openssl --without-nettle --without-mbedtls --without-lz4 --without-bz2lib --without-cng
        --without-iconv --without-libb2 --without-lzo2 --disable-acl --disable-xattr
        --disable-bsdtar --disable-bsdcpio --disable-bsdcat --disable-posix-regex-lib)
(cd "$work/libarchive" && autoreconf -fi >log 2>&1 &&
        { ! ./configure --help | grep -q -- --disable-bsdunzip || configure_flags+=(--disable-bsdunzip); } &&
        CC=musl-gcc CFLAGS="$cflags" CPPFLAGS="-I$out/include -I$work/kinc" LDFLAGS="-L$out/lib" \
                ./configure "${configure_flags[@]}" >>log 2>&1 &&
        grep -q '^#define HAVE_LIBZ 1' config.h && grep -q '^#define HAVE_LIBZSTD 1' config.h &&
        grep -q '^#define HAVE_LIBLZMA 1' config.h &&
        make -j"$jobs" libarchive.la >>log 2>&1 && make install-libLTLIBRARIES install-includeHEADERS >>log 2>&1) ||
        fail libarchive "$work/libarchive/log"
mkdir -p "$out/share/licenses/libarchive" && cp "$work/libarchive/COPYING" "$work/libarchive/debian/copyright" "$out/share/licenses/libarchive/"
say "libarchive built"

# ---- libfuse3: the low-level library of qrun's SquashFS server ----
fetch fuse3 "$FUSE3_VERSION"
# meson with musl-gcc as the compiler (a native file; CFLAGS from the
# environment, buildtype=plain adds nothing to them), static library only,
# without fusermount3, the examples and the tests, and not position
# independent (b_staticpic, on by default in meson), like the other libraries
# here. Symbol versioning off: meson takes any libc that is not uClibc for
# glibc, a static library has no use for .symver, and without it the headers
# name the plain compatibility symbols (fuse_parse_cmdline_312 and co.) that
# this build defines. No pkg-config for meson: libfuse needs nothing but libc
# (its dlopen, for the high-level API's modules, is musl's static stub, which
# fails). --prefix=/usr: the library keeps the path of fusermount3 (for mounts
# it does itself, which qrun never asks for), so it names Debian's, not PREFIX.
printf "[binaries]\nc = 'musl-gcc'\nar = 'ar'\nstrip = 'strip'\npkgconfig = 'false'\n" >"$work/musl-native.ini"
(cd "$work/fuse3" && CFLAGS="$cflags -I$work/kinc" meson setup --native-file "$work/musl-native.ini" \
        --prefix=/usr --libdir=lib --buildtype=plain -Db_staticpic=false -Ddefault_library=static \
        -Dutils=false -Dexamples=false -Dtests=false -Duseroot=false -Ddisable-libc-symbol-version=true \
        build >log 2>&1 && ninja -C build >>log 2>&1 &&
        DESTDIR="$work/fuse3-root" meson install -C build --no-rebuild >>log 2>&1 &&
        ! grep -q LIBFUSE_BUILT_WITH_VERSIONED_SYMBOLS "$work/fuse3-root/usr/include/fuse3/libfuse_config.h") ||
        die "fuse3 failed (see $work/fuse3/log)"
cp "$work/fuse3-root/usr/lib/libfuse3.a" "$out/lib/"
cp -r "$work/fuse3-root/usr/include/fuse3" "$out/include/"
mkdir -p "$out/share/licenses/fuse3" &&
        cp "$work/fuse3/LICENSE" "$work/fuse3/LGPL2.txt" "$work/fuse3/GPL2.txt" "$work/fuse3/debian/copyright" "$out/share/licenses/fuse3/"
say "libfuse3 built"

# ---- squashfuse: the SquashFS reader and its FUSE operations ----
# Debian's static libraries (libsquashfuse-dev), copied with their headers, and
# liblz4 and liblzo2 (Debian's, for the compressions squashfuse was built
# with). They are built for glibc but name only one symbol musl lacks,
# __fprintf_chk (in two usage and error messages); qrun defines it
# (modules/glibc_compat.c). squashfuse's source cannot be built here instead:
# Debian's mirror answers 404 for squashfuse_0.1.105.orig.tar.gz. The
# libraries were built against Debian's libfuse3 3.14 headers with
# FUSE_USE_VERSION 32, the libfuse3 built above from the same source.
multiarch_lib=/usr/lib/$multiarch
for a in libsquashfuse.a libsquashfuse_ll.a liblz4.a liblzo2.a; do
        cp "$multiarch_lib/$a" "$out/lib/" || die "$multiarch_lib/$a is missing"
done
cp -r /usr/include/squashfuse "$out/include/"
cp /usr/include/lz4.h /usr/include/lz4hc.h "$out/include/" 2>/dev/null || true
for p in libsquashfuse-dev liblz4-dev liblzo2-dev; do
        echo "$p $(dpkg-query -W -f='${Version}' "$p") (Debian's static library)" >>"$out/VERSIONS"
        mkdir -p "$out/share/licenses/$p" && cp "/usr/share/doc/$p/copyright" "$out/share/licenses/$p/"
done
grep -q '^#define FUSE_USE_VERSION 32$' "$out/include/squashfuse/config.h" ||
        die "squashfuse/config.h: not built with FUSE_USE_VERSION 32"
say "squashfuse: Debian's static libraries"

# ---- finish: only what a static link needs ----
rm -rf "$out"/lib/*.la "$out/lib/pkgconfig" "$out/share/man" "$out/share/doc" "$out/bin"
sha256sum "$0" | cut -d' ' -f1 | sed 's/^/build-deps.sh sha256 /' >>"$out/VERSIONS"
touch "$out/.done"
rm -rf "$prefix"
mv "$out" "$prefix"
trap - EXIT
rm -rf "$work"
say "built $prefix in $(($(date +%s) - start)) s:"
sed 's/^/  /' "$prefix/VERSIONS"

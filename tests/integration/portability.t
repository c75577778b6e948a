#!/bin/bash
# Nothing may assume x86_64: the profiles compile for aarch64 and every source
# file builds for it (with the cross compiler; linking would need an arm64
# libinih, so the check stops at objects). The flags are build/qrun's
# (tools/build-vars.sh), without musl's include directory, which is x86_64's.
. "$(dirname "$0")/../lib.sh"
. "$QRUN_SOURCE/tools/build-vars.sh"

gen="$QRUN_SOURCE/build/seccomp-gen"
"$gen" --arch aarch64 "$T/tables.c" default="$QRUN_SOURCE/profiles/default.ini" \
        strict="$QRUN_SOURCE/profiles/strict.ini" 2>"$T/gen.err"
is "$?" 0 "the generator compiles the profiles for aarch64"
like "$(cat "$T/gen.err")" 'default: [0-9]+ rules, [0-9]+ instructions \(aarch64\)' "aarch64 default profile"
like "$(cat "$T/tables.c")" 'sc_native = \{"aarch64", 0xc00000b7' "the aarch64 audit architecture is embedded"
if command -v aarch64-linux-gnu-gcc >/dev/null; then
        cross=(aarch64-linux-gnu-gcc "${QRUN_CFLAGS[@]}" "${QRUN_INCLUDES[@]}" -Werror)
        for f in "${QRUN_SOURCES[@]}"; do
                (cd "$QRUN_SOURCE" && "${cross[@]}" -c "$f" -o "$T/x.o" 2>>"$T/cc.err")
                ok $? "aarch64: $(basename "$f") compiles with -Werror"
        done
        (cd "$QRUN_SOURCE" && "${cross[@]}" -c "$T/tables.c" -o "$T/x.o")
        ok $? "aarch64: the generated tables compile"
else
        skip "no aarch64 cross compiler (gcc-aarch64-linux-gnu)"
fi

done_testing

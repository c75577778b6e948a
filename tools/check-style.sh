#!/bin/bash
# Checks the C sources' style; run by tests/run.sh:
#
#   tools/check-style.sh
#
# 1. Formatting: clang-format (with .clang-format) would change nothing in
#    launcher.c, modules/, tests/helper/, tests/unit/, tests/fuzz/,
#    tests/security/ and tests/reliability/. Fix with clang-format -i FILE.
# 2. Length: no function in launcher.c, modules/*.c or tools/*.c is longer than
#    60 lines, counting the lines between its `{` and its `}` (both in column
#    0, as .clang-format puts them).
# Each problem is printed as FILE:LINE: what; the exit status is 1 if any.
set -euo pipefail
cd "$(dirname "$0")/.."
max_lines=60

status=0

# ---- 1. formatting ----
# One clang-format for all files; it names each place it would change.
report=$(clang-format --dry-run launcher.c modules/*.[ch] tests/helper/*.c tests/unit/*.[ch] tests/fuzz/*.[ch] \
        tests/security/*.c tests/reliability/*.c 2>&1) || true
if [ -n "$report" ]; then
        status=1
        printf '%s\n' "$report" | awk -F: '
                / warning: code should be clang-formatted/ {
                        if (!seen[$1]++)
                                printf "%s:%s: not formatted with .clang-format (clang-format -i %s)\n", $1, $2, $1
                        next
                }
                /error:/ { print }'
fi

# ---- 2. function length ----
# A function's signature is the run of lines before its `{` that starts with a
# line beginning in column 0 with an identifier; its name is the identifier
# before the first `(` once attributes are dropped. Prints FILE:LINE: N lines:
# SIGNATURE<TAB>FILE:NAME for every function longer than the limit.
long=$(awk -v max="$max_lines" '
function strip_attributes(s,   i, j, depth, c) {
        while ((i = index(s, "__attribute__")) > 0) {
                depth = 0
                for (j = i + 13; j <= length(s); j++) {
                        c = substr(s, j, 1)
                        if (c == "(")
                                depth++
                        else if (c == ")" && --depth == 0)
                                break
                }
                s = substr(s, 1, i - 1) substr(s, j + 1)
        }
        return s
}
function name_of(sig,   s) {
        s = strip_attributes(sig)
        if (!match(s, /[A-Za-z_][A-Za-z0-9_]*[ \t]*\(/))
                return "?"
        s = substr(s, RSTART, RLENGTH - 1)
        sub(/[ \t]+$/, "", s)
        return s
}
FNR == 1 { body = 0; sig = "" }
body == 0 && /^[A-Za-z_]/ { sig = $0; sig_line = FNR; next }
body == 0 && /^[ \t]/ && sig != "" { line = $0; sub(/^[ \t]+/, " ", line); sig = sig line; next }
/^\{/ { body = FNR; name = sig; name_line = sig != "" ? sig_line : FNR; next }
/^\}/ {
        if (body) {
                n = FNR - body - 1
                if (n > max)
                        printf "%s:%d: %d lines: %s\t%s:%s\n", FILENAME, name_line, n, name, FILENAME, name_of(name)
        }
        body = 0
        sig = ""
        next
}
body == 0 { sig = "" }
' launcher.c modules/*.c tools/*.c)

while IFS=$'\t' read -r message _; do
        [ -n "$message" ] || continue
        echo "$message (longer than $max_lines lines)"
        status=1
done <<<"$long"

[ "$status" -eq 0 ] || echo "tools/check-style.sh: style problems above" >&2
exit "$status"

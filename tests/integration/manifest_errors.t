#!/bin/bash
# Malformed manifests: each gets exit 125 and exactly the expected diagnostics
# (file:line: [section] key: problem), and nothing runs.
. "$(dirname "$0")/../lib.sh"

cd "$T" || exit 1
unset QT_UNSET_VARIABLE

# check NAME EXPECTED: runs qrun on bad.ini (whose text is on stdin) from $T, so
# diagnostics name "bad.ini".
check() {
        printf '[rootfs]\npath = %s\n' "$ROOTFS" >bad.ini
        cat >>bad.ini
        chmod a+r bad.ini
        run_qrun bad.ini -- /bin/sh -c 'echo RAN'
        is "$RC" 125 "$1: exit 125"
        is "$ERR" "$2" "$1: message"
        is "$OUT" "" "$1: nothing ran"
}

check "unknown section" 'bad.ini:3: unknown section [proces] (did you mean [process]?)' <<'EOF2'
[proces]
EOF2
check "unknown key" 'bad.ini:4: [process] comand: unknown key (did you mean "command"?)' <<'EOF2'
[process]
comand = /bin/true
EOF2
check "env_defaults not a boolean" 'bad.ini:4: [process] env_defaults: expected a boolean (true/false/yes/no/on/off/1/0), got "some"' <<'EOF2'
[process]
env_defaults = some
EOF2
check "passwd in the wrong section" 'bad.ini:4: [process] passwd: unknown key here (it belongs in [user])' <<'EOF2'
[process]
passwd = false
EOF2
check "key in the wrong section" 'bad.ini:4: [namespaces] hostname: unknown key here (it belongs in [process])' <<'EOF2'
[namespaces]
hostname = box
EOF2
check "duplicate key" 'bad.ini:5: [process] cwd: set twice (first on line 4); only repeatable keys may appear more than once' <<'EOF2'
[process]
cwd = /
cwd = /tmp
EOF2
check "duplicate section key across repeated sections" 'bad.ini:6: [user] uid: set twice (first on line 4); only repeatable keys may appear more than once' <<'EOF2'
[user]
uid = 0
[user]
uid = self
EOF2
check "line without =" 'bad.ini:4: expected KEY = VALUE, got "pid true"' <<'EOF2'
[namespaces]
pid true
EOF2
check "colon instead of =" 'bad.ini:4: expected KEY = VALUE, got "uid: 0"' <<'EOF2'
[user]
uid: 0
EOF2
check "unclosed section" 'bad.ini:3: expected ] at the end of the section name' <<'EOF2'
[limits
EOF2
check "bad boolean" 'bad.ini:4: [namespaces] net: expected a boolean (true/false/yes/no/on/off/1/0), got "sometimes"' <<'EOF2'
[namespaces]
net = sometimes
EOF2
check "bad uid" 'bad.ini:4: [user] uid: expected "self" or 0, got "root" (only your own id can be mapped without a setuid helper)' <<'EOF2'
[user]
uid = root
EOF2
check "bad number" 'bad.ini:4: [limits] nofile: expected a number, got "x"' <<'EOF2'
[limits]
nofile = x
EOF2
check "bad size suffix" 'bad.ini:4: [limits] fsize: unknown size suffix in "10MB" (use K, M, G or T)' <<'EOF2'
[limits]
fsize = 10MB
EOF2
check "bad duration" 'bad.ini:4: [limits] timeout: unknown duration unit in "5y" (use ms, s, m or h)' <<'EOF2'
[limits]
timeout = 5y
EOF2
check "relative cwd" 'bad.ini:4: [process] cwd: must be an absolute path inside the container, got "tmp"' <<'EOF2'
[process]
cwd = tmp
EOF2
check "env without =" 'bad.ini:4: [process] env: expected NAME=VALUE, got "NOVALUE"' <<'EOF2'
[process]
env = NOVALUE
EOF2
check "env bad name" 'bad.ini:4: [process] env: bad variable name "MY-VAR"' <<'EOF2'
[process]
env = MY-VAR=1
EOF2
check "bad hostname" 'bad.ini:4: [process] hostname: expected 1 to 64 letters, digits, '"'"'-'"'"' or '"'"'.'"'"', got "my_box!"' <<'EOF2'
[process]
hostname = my_box!
EOF2
check "bad umask" 'bad.ini:4: [process] umask: expected an octal mask such as 022 or 0077, got "u=rwx"' <<'EOF2'
[process]
umask = u=rwx
EOF2
check "unterminated quote in args" 'bad.ini:5: [process] args: unterminated " quote' <<'EOF2'
[process]
command = /bin/echo
args = "hello
EOF2
check "unset variable" 'bad.ini:4: [process] env: ${QT_UNSET_VARIABLE} is not set in the environment (use ${QT_UNSET_VARIABLE:-default})' <<'EOF2'
[process]
env = A=${QT_UNSET_VARIABLE}
EOF2
check "lone dollar" 'bad.ini:4: [process] cwd: a lone $ (write ${NAME} to expand a variable, $$ for a $)' <<'EOF2'
[process]
cwd = /$HOME
EOF2
check "hostname without uts" 'bad.ini:6: [process] hostname: needs a uts namespace ([namespaces] uts = true)' <<'EOF2'
[namespaces]
uts = false
[process]
hostname = box
EOF2
check "cwd missing in the rootfs" 'bad.ini:4: [process] cwd: /no/such/dir: No such file or directory inside the rootfs' <<'EOF2'
[process]
cwd = /no/such/dir
EOF2
check "relative command path" 'bad.ini:4: [process] command: "bin/sh" must be an absolute path or a name to look up in PATH' <<'EOF2'
[process]
command = bin/sh
EOF2
check "keep_fds below 3" 'bad.ini:4: [process] keep_fds: 2: 0, 1 and 2 are always kept; name descriptors from 3 up' <<'EOF2'
[process]
keep_fds = 2
EOF2
check "keep_fds not a number" 'bad.ini:4: [process] keep_fds: expected a number, got "x"' <<'EOF2'
[process]
keep_fds = 3 x
EOF2
check "keep_fds not open" 'bad.ini:4: [process] keep_fds: descriptor 37: not open (nothing was passed there)' <<'EOF2'
[process]
keep_fds = 37
EOF2
check "bad env_preset" 'bad.ini:4: [process] env_preset: expected none or hpc, got "mpi"' <<'EOF2'
[process]
env_preset = mpi
EOF2
check "join key with a blank" 'bad.ini:4: [namespaces] join: expected a key without blanks or control characters, got "a b"' <<'EOF2'
[namespaces]
join = a b
EOF2
check "several problems reported together" 'bad.ini:4: [limits] nofile: expected a number, got "many"
bad.ini:5: [limits] nproc: expected a number, got "-1"
bad.ini:6: unknown section [limts] (did you mean [limits]?)' <<'EOF2'
[limits]
nofile = many
nproc = -1
[limts]
EOF2

# A key before any section needs its own file (check() writes [rootfs] first).
printf 'command = /bin/true\n[rootfs]\npath = %s\n' "$ROOTFS" >bad.ini
run_qrun bad.ini
is "$RC:$ERR" '125:bad.ini:1: "command" is outside any section (add a [section] line above it)' \
        "key before any section"

# Missing required keys
printf '[process]\ncommand = /bin/true\n' >bad.ini
run_qrun bad.ini
is "$RC:$ERR" '125:bad.ini: [rootfs] path: missing: set it to the directory to run in (or / for the host root)' \
        "missing [rootfs] path"
printf '[rootfs]\npath = %s\n' "$ROOTFS" >bad.ini
run_qrun bad.ini
is "$RC:$ERR" '125:bad.ini: [process] command: missing: set it in the manifest or give the command after --' \
        "missing command"

# Files that are not manifests
mkfifo fifo.ini && chmod a+r fifo.ini
run_qrun fifo.ini
is "$RC:$ERR" "125:fifo.ini: not a regular file" "a FIFO is refused without hanging"
head -c 2000000 /dev/urandom >garbage.ini && chmod a+r garbage.ini
run_qrun garbage.ini
is "$RC:$ERR" "125:garbage.ini: too large (2000000 bytes; a manifest is at most 1048576)" "2 MB of garbage"
printf '\x00\x01binary\n' >bin.ini && chmod a+r bin.ini
run_qrun bin.ini
is "$RC:$ERR" "125:bin.ini:1: contains a NUL byte (is this a binary file?)" "binary data"

done_testing

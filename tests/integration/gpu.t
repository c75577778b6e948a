#!/bin/bash
# [gpu] without a GPU. Root makes the fixtures: fake NVIDIA device nodes
# (character devices 1:3, which the test user may open) on a tmpfs over /dev
# in a private mount namespace of the test's own (the host's /dev is never
# touched); stub libraries named like the driver's, among them a 32-bit one
# with the same soname and one whose ELF machine was changed after ldconfig
# listed it; an ld.so.cache built by ldconfig -C; a fake nvidia-smi; a CDI
# spec. qrun runs as the test user, and a glibc program in the rootfs shows
# that the driver library resolves through the library path.
. "$(dirname "$0")/../lib.sh"

if [ "$(id -u)" -ne 0 ]; then
        skip "the fake device nodes need root to make (mknod)"
        done_testing
        exit
fi
for tool in gcc as ld ldconfig ldd unshare mknod; do
        if ! command -v "$tool" >/dev/null; then
                skip "$tool is not installed"
                done_testing
                exit
        fi
done

# ---- fixtures ----
F=$T/fx
R=$T/root
mkdir -p "$F/lib64" "$F/lib32" "$F/bin"
printf 'const char *stub_name(void) { return STUB; }\nint cuInit(unsigned f) { return (int)f; }\n' >"$F/stub.c"
for lib in libcuda libnvidia-ml libnvidia-ptxjitcompiler libnvidia-nvvm libnotdriver; do
        gcc -shared -fPIC -DSTUB="\"$lib 64-bit\"" -Wl,-soname,$lib.so.1 -o "$F/lib64/$lib.so.550.54.14" "$F/stub.c"
        ln -s "$lib.so.550.54.14" "$F/lib64/$lib.so.1"
done
ln -s libcuda.so.1 "$F/lib64/libcuda.so" # the development name, as a -dev package adds
# A 32-bit libnvidia-ml.so.1, as multilib hosts have beside the 64-bit one.
printf '.globl f\nf: ret\n' | as --32 -o "$F/stub32.o" - &&
        ld -m elf_i386 -shared -soname libnvidia-ml.so.1 -o "$F/lib32/libnvidia-ml.so.1" "$F/stub32.o"
ldconfig -X -C "$F/ld.so.cache" -f /dev/null "$F/lib64" "$F/lib32"
# The cache lists libnvidia-nvvm as x86-64; the file is now aarch64's (a driver
# replaced without ldconfig): its ELF machine must be checked.
printf '\267\000' | dd of="$F/lib64/libnvidia-nvvm.so.550.54.14" bs=1 seek=18 conv=notrunc 2>/dev/null
printf '#!/bin/sh\necho "fake nvidia-smi: $(ls /dev | grep -c "^nvidia[0-9]")" GPUs\n' >"$F/bin/nvidia-smi"
chmod 755 "$F/bin/nvidia-smi"
printf '#include <stdio.h>\nconst char *stub_name(void);\nint main(void) { puts(stub_name()); return 0; }\n' >"$F/probe.c"
gcc -o "$F/cudaprobe" "$F/probe.c" -L"$F/lib64" -lcuda

# A rootfs the test user owns (qrun may create mount targets in it), with the
# probe and the glibc it needs (ld.so, libc).
cp -a "$ROOTFS" "$R"
cp "$F/cudaprobe" "$R/bin/cudaprobe"
for f in $(ldd "$F/cudaprobe" | grep -o '/[^ ]*'); do
        mkdir -p "$R$(dirname "$f")"
        cp -L "$f" "$R$f"
done
chown -R "$QRUN_TEST_USER" "$R"
chmod -R a+rX "$T"
# The runtime directory, where qrun keeps the cache's index and the library
# directory: the test's own (other tests list /tmp/qrun-UID).
export XDG_RUNTIME_DIR=$T/xdg
RUN=$XDG_RUNTIME_DIR/qrun
mkdir -m 700 "$XDG_RUNTIME_DIR"
chown "$QRUN_TEST_USER" "$XDG_RUNTIME_DIR"

# gpu_qrun NODES ARGS...: run_qrun ARGS in a private mount namespace whose
# /dev is a tmpfs with the usual devices and the fake NODES (names under
# /dev, space-separated), with the fake nvidia-smi first in PATH.
gpu_qrun() {
        local nodes=$1
        shift
        PATH=$F/bin:$PATH unshare -m --propagation private sh -c '
                set -e
                nodes=$1 user=$2
                shift 2
                mount -t tmpfs -o mode=0755 fakedev /dev
                mknod -m 666 /dev/null c 1 3
                mknod -m 666 /dev/zero c 1 5
                mknod -m 666 /dev/full c 1 7
                mknod -m 666 /dev/random c 1 8
                mknod -m 666 /dev/urandom c 1 9
                mknod -m 666 /dev/tty c 5 0
                for n in $nodes; do
                        mkdir -p "/dev/$(dirname "$n")"
                        mknod -m 666 "/dev/$n" c 1 3
                done
                if [ -n "${GPU_EXTRAS:-}" ]; then # the persistenced socket and the firmware
                        mount -t tmpfs -o mode=0755 fakerun /run
                        mkdir /run/nvidia-persistenced
                        python3 -c "import socket; socket.socket(socket.AF_UNIX).bind(\"/run/nvidia-persistenced/socket\")"
                        chmod 666 /run/nvidia-persistenced/socket
                        mount -t tmpfs -o mode=0755 fakefw /lib/firmware
                        mkdir -p /lib/firmware/nvidia/550.54.14
                        echo gsp >/lib/firmware/nvidia/550.54.14/gsp_ga10x.bin
                fi
                exec setpriv --reuid="$user" --regid="$user" --clear-groups -- "$@"' \
                sh "$nodes" "$QRUN_TEST_USER" "$QRUN" "$@" </dev/null >"$T/out" 2>"$T/err"
        RC=$?
        OUT=$(cat "$T/out")
        ERR=$(cat "$T/err")
}
ALL="nvidiactl nvidia-uvm nvidia-uvm-tools nvidia0 nvidia1 nvidia-caps/nvidia-cap1"

gpu_manifest() { # gpu_manifest FILE [EXTRA LINES]: [gpu] with the fixture's cache
        printf '[rootfs]\npath = %s\n[gpu]\nldcache = %s\n%s\n' "$R" "$F/ld.so.cache" "${2:-}" | manifest "$1"
}
gpu_manifest "$T/auto.ini"

# ---- no GPU ----
if [ -e /dev/nvidiactl ]; then
        skip "this machine has an NVIDIA GPU (tests/gpu/real.sh is for it)"
else
        gpu_manifest "$T/true.ini" "nvidia = true"
        run_qrun "$T/true.ini" -- /bin/true
        is "$RC:$ERR" "125:$T/true.ini:5: [gpu] nvidia: true, but this machine has no NVIDIA GPU (/dev/nvidiactl: No such file or directory)" \
                "nvidia = true without a GPU: one line, exit 125"
        run_qrun --check "$T/auto.ini" -- /bin/true
        ok $(printf '%s' "$OUT" | grep -q '^; off: no /dev/nvidiactl (nvidia = auto)$' &&
                ! printf '%s' "$OUT" | grep -q '^\[mounts\]'; echo $?) \
                "nvidia = auto without a GPU: off, and chroot mode stays chroot mode"
        run_qrun "$T/auto.ini" -- /bin/sh -c 'ls /usr/local/nvidia 2>&1; echo $LD_LIBRARY_PATH'
        is "$RC:$OUT" "0:ls: /usr/local/nvidia: No such file or directory" "nvidia = auto without a GPU: nothing bound, nothing set"
fi

# ---- fake devices, the driver from the cache ----
gpu_qrun "$ALL" "$T/auto.ini" -- /bin/sh -c 'ls /dev | grep nvidia | tr "\n" " "'
is "$RC:$OUT" "0:nvidia-caps nvidia-uvm nvidia-uvm-tools nvidia0 nvidia1 nvidiactl " \
        "auto with /dev/nvidiactl: the control nodes, every GPU and the capabilities are there"
gpu_qrun "$ALL" "$T/auto.ini" -- /bin/sh -c \
        'for d in nvidiactl nvidia-uvm nvidia0 nvidia1 nvidia-caps/nvidia-cap1; do /bin/qtest open /dev/$d; done | tr "\n" " "; echo x >/dev/nvidia0 && echo written'
is "$RC:$OUT" "0:ok ok ok ok ok written" "the nodes open for reading and writing (their binds are not nodev)"
gpu_qrun "$ALL" "$T/auto.ini" -- /bin/cudaprobe
is "$RC:$OUT" "0:libcuda 64-bit" "a program linked with libcuda.so.1 finds the driver's through the library path"
gpu_qrun "$ALL" "$T/auto.ini" -- /bin/sh -c 'ls /usr/local/nvidia/lib64 | tr "\n" " "'
is "$OUT" "libcuda.so libcuda.so.1 libnvidia-ml.so.1 libnvidia-ptxjitcompiler.so.1 " \
        "the driver's libraries by the names programs ask for; not a library off the list, not one of another ELF machine"
gpu_qrun "$ALL" "$T/auto.ini" -- /bin/sh -c 'readlink /usr/local/nvidia/lib64/libcuda.so.1; readlink /usr/local/nvidia/lib64/libcuda.so; test -f /usr/local/nvidia/.host/1/libnvidia-ml.so.1 || echo "no 32-bit directory"'
is "$OUT" "/usr/local/nvidia/.host/0/libcuda.so.1
/usr/local/nvidia/.host/0/libcuda.so
no 32-bit directory" "each name links into the bind of the library's directory (one bind, not one per library)"
gpu_qrun "$ALL" "$T/auto.ini" -- /bin/sh -c 'wc -c </usr/local/nvidia/lib64/libnvidia-ml.so.1'
is "$OUT" "$(wc -c <"$F/lib64/libnvidia-ml.so.550.54.14")" "the 64-bit libnvidia-ml.so.1, not the 32-bit one with the same soname"
gpu_qrun "$ALL" "$T/auto.ini" -- /bin/sh -c '/bin/qtest create /usr/local/nvidia/lib64/x; /bin/qtest create /usr/local/nvidia/lib64/libcuda.so.1'
is "$OUT" "EROFS
EROFS" "the library directory and the libraries are read-only"
gpu_qrun "$ALL" "$T/auto.ini" -- nvidia-smi
is "$RC:$OUT" "0:fake nvidia-smi: 2 GPUs" "nvidia-smi is bound and on PATH"
gpu_qrun "$ALL" "$T/auto.ini" -- /bin/sh -c 'echo "$LD_LIBRARY_PATH|$PATH"'
is "$OUT" "/usr/local/nvidia/lib64|/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/local/nvidia/bin" \
        "LD_LIBRARY_PATH starts with the library directory, PATH ends with its bin"
gpu_manifest "$T/env.ini" "$(printf '[process]\nenv = LD_LIBRARY_PATH=/opt/lib')"
gpu_qrun "$ALL" "$T/env.ini" -- /bin/sh -c 'echo "$LD_LIBRARY_PATH"'
is "$OUT" "/usr/local/nvidia/lib64:/opt/lib" "the manifest's LD_LIBRARY_PATH is kept, after the driver's"
[ ! -e "$R/dev/nvidia0" ] && [ -d "$R/usr/local/nvidia" ] && [ -z "$(ls -A "$R/usr/local/nvidia")" ]
ok $? "nothing is written into the rootfs but the empty mount point"

gpu_qrun "$ALL" --check "$T/auto.ini" -- /bin/true
like "$OUT" "; mount mode, implied by \[gpu\]" "--check says chroot mode became mount mode"
like "$OUT" "; on: /dev/nvidiactl exists \(nvidia = auto\)" "--check says why the GPU is on"
like "$OUT" "libnvidia-nvvm.so.1 \(skipped: not this machine's ELF\)" "--check names the library of another ELF machine"
like "$OUT" "; left out: 1 entries of $F/ld.so.cache for another ABI \\(such as 32-bit\\)" "--check counts the 32-bit entry"
like "$OUT" "; $F/lib64 read-only at /usr/local/nvidia/.host/0 \(the links point there\)" "--check names the bound directory"
like "$OUT" "; devices: /dev/nvidiactl /dev/nvidia-uvm /dev/nvidia-uvm-tools /dev/nvidia-caps /dev/nvidia0 /dev/nvidia1" \
        "--check lists the devices"
gpu_qrun "$ALL" -v "$T/auto.ini" -- /bin/true
like "$ERR" "qrun: ldcache +[0-9]+ us +$F/ld.so.cache: [0-9]+ bytes, 5 driver libraries" "-v times the ld.so.cache read"
like "$ERR" "qrun: gpu +[0-9]+ us" "-v times the GPU's binds"

# ---- kept in the runtime directory: the cache's index, the library directory ----
ok $(ls "$RUN"/gpu-ldcache-* >/dev/null 2>&1; echo $?) "the ld.so.cache's index is kept in the runtime directory"
gpu_qrun "$ALL" -v "$T/auto.ini" -- /bin/cudaprobe
is "$RC:$OUT" "0:libcuda 64-bit" "a later launch: the driver resolves"
like "$ERR" "qrun: ldcache +[0-9]+ us +$F/ld.so.cache: [0-9]+ bytes, 5 driver libraries \(its index\)" \
        "... through the index, without reading the cache"
like "$ERR" "qrun: gpudir +[0-9]+ us +$RUN/gpu-[0-9a-f]{16} found" "... binding the library directory an earlier launch made"
for f in "$RUN"/gpu-ldcache-*; do # damaged (by its owner: another's would not be read)
        printf 'qrun-gpu-index 1 0\nlibcuda.so.1\n' >"$f"
        chown "$QRUN_TEST_USER" "$f"
done
gpu_qrun "$ALL" -v "$T/auto.ini" -- /bin/cudaprobe
is "$RC:$OUT" "0:libcuda 64-bit" "a damaged index: the launch reads the cache instead"
like "$ERR" "qrun: ldcache +[0-9]+ us +$F/ld.so.cache: [0-9]+ bytes, 5 driver libraries$" "(-v says the cache was read)"
gpu_qrun "$ALL" -v "$T/auto.ini" -- /bin/true
like "$ERR" "5 driver libraries \(its index\)" "... and rewrote the index"
for f in "$RUN"/gpu-ldcache-*; do # a name that is not a file name
        printf 'qrun-gpu-index 1 0\n%s/lib64/libcuda.so.1\t../../escaped\n' "$F" >"$f"
        chown "$QRUN_TEST_USER" "$f"
done
rm -rf "$RUN"/gpu-[0-9a-f]*
gpu_qrun "$ALL" -v "$T/auto.ini" -- /bin/cudaprobe
is "$RC:$OUT" "0:libcuda 64-bit" "an index naming a link outside lib64 is not taken"
like "$ERR" "qrun: ldcache +[0-9]+ us +$F/ld.so.cache: [0-9]+ bytes, 5 driver libraries$" "... the cache is read instead"
ok $(! ls -A "$RUN" "$XDG_RUNTIME_DIR" | grep -q escaped; echo $?) "... and no link is made outside"
cp "$F/ld.so.cache" "$T/new.cache" # ldconfig writes a new file, too
chmod a+r "$T/new.cache"
sed "s|$F/ld.so.cache|$T/new.cache|" "$T/auto.ini" | manifest "$T/new.ini"
gpu_qrun "$ALL" -v "$T/new.ini" -- /bin/true
is "$RC" 0 "another cache file: the launch works"
like "$ERR" "qrun: ldcache +[0-9]+ us +$T/new.cache: [0-9]+ bytes, 5 driver libraries$" "... reading it, not the first one's index"
# The first launches on a node, eight at once: each gets the whole directory.
rm -rf "$RUN"/gpu-*
cat >"$T/eight.sh" <<EOF
#!/bin/sh
pids=
for i in 1 2 3 4 5 6 7 8; do
        "$QRUN" -v "$T/auto.ini" -- /bin/cudaprobe >"$T/eight/\$i" 2>&1 &
        pids="\$pids \$!"
done
for p in \$pids; do wait \$p || echo failed; done
cat $T/eight/*
EOF
chmod 755 "$T/eight.sh"
mkdir "$T/eight"
chown "$QRUN_TEST_USER" "$T/eight"
QRUN=$T/eight.sh gpu_qrun "$ALL"
is "$(echo "$OUT" | grep -c '^libcuda 64-bit$'):$(echo "$OUT" | grep -c failed)" "8:0" \
        "eight first launches at once all find the driver"
ok $(echo "$OUT" | grep -q "gpudir .* made: 5 links and mount points, 1 skipped"; echo $?) \
        "... one of them made the library directory (the 64-bit libraries, nvidia-smi; not the replaced one)"
is "$(ls -A "$RUN" | grep -c '^gpu-[0-9a-f]*$'):$(ls -A "$RUN" | grep -vc '^gpu-\(ldcache-\)\?[0-9a-f]*$')" "1:0" \
        "... one directory and one index, no temporary left"
mkdir -m 755 "$T/xdg2" "$T/xdg2/qrun"
chown "$QRUN_TEST_USER" "$T/xdg2" "$T/xdg2/qrun"
XDG_RUNTIME_DIR=$T/xdg2 gpu_qrun "$ALL" "$T/auto.ini" -- /bin/true
like "$RC:$ERR" "^125:qrun: gpu: $T/xdg2/qrun is not a private directory of yours \\(owner $(id -u "$QRUN_TEST_USER"), mode 0755\\): remove it, or set XDG_RUNTIME_DIR" \
        "a runtime directory others may enter: one line, nothing bound"

# ---- the persistenced socket and the firmware, when the host has them ----
if [ -d /lib/firmware ] && command -v python3 >/dev/null; then
        GPU_EXTRAS=1 gpu_qrun "$ALL" "$T/auto.ini" -- /bin/sh -c \
                'test -S /run/nvidia-persistenced/socket && echo socket; cat /lib/firmware/nvidia/550.54.14/gsp_ga10x.bin'
        is "$RC:$OUT" "0:socket
gsp" "the persistenced socket and the firmware directory are bound at their paths"
        # A rootfs qrun cannot write to, and dir = an existing directory:
        # the optional binds are skipped, and -v says so.
        printf '[rootfs]\npath = %s\n[gpu]\nldcache = %s\ndir = /tmp\n' "$ROOTFS" "$F/ld.so.cache" | manifest "$T/ro.ini"
        GPU_EXTRAS=1 gpu_qrun "$ALL" -v "$T/ro.ini" -- /bin/sh -c 'ls /tmp/lib64 | wc -l; test -e /run/nvidia-persistenced/socket || echo "no socket"'
        is "$RC:$OUT" "0:4
no socket" "a rootfs qrun cannot write to, with dir = an existing directory: the GPU works, the socket is skipped"
        like "$ERR" "qrun: gpu: /run/nvidia-persistenced/socket skipped: unable to create /run in the rootfs" "-v says why it was skipped"
else
        skip "no /lib/firmware or python3 to make the fixtures with"
fi

# ---- devices ----
gpu_manifest "$T/one.ini" "devices = 1"
gpu_qrun "$ALL" "$T/one.ini" -- /bin/sh -c 'ls /dev | grep "^nvidia[0-9]"'
is "$RC:$OUT" "0:nvidia1" "devices = 1 shows only nvidia1"
gpu_manifest "$T/none.ini" "devices = none"
gpu_qrun "$ALL" "$T/none.ini" -- /bin/sh -c 'ls /dev | grep nvidia | tr "\n" " "; /bin/cudaprobe'
is "$RC:$OUT" "0:nvidia-caps nvidia-uvm nvidia-uvm-tools nvidiactl libcuda 64-bit" "devices = none: no GPU, the driver still there"
gpu_manifest "$T/two.ini" "devices = 0,2"
gpu_qrun "$ALL" "$T/two.ini" -- /bin/true
is "$RC:$ERR" "125:$T/two.ini:5: [gpu] devices: GPU 2: /dev/nvidia2: No such file or directory" "a GPU that is not there: one line"
CUDA_VISIBLE_DEVICES=0 gpu_manifest "$T/cvd.ini" 'devices = ${CUDA_VISIBLE_DEVICES}'
CUDA_VISIBLE_DEVICES=0 gpu_qrun "$ALL" "$T/cvd.ini" -- /bin/sh -c 'ls /dev | grep "^nvidia[0-9]"'
is "$RC:$OUT" "0:nvidia0" 'devices = ${CUDA_VISIBLE_DEVICES} takes the batch system'"'"'s choice'
gpu_manifest "$T/off.ini" "nvidia = false"
gpu_qrun "$ALL" "$T/off.ini" -- /bin/sh -c 'ls /dev/nvidiactl /usr/local/nvidia 2>&1 | wc -l'
is "$RC:$OUT" "0:2" "nvidia = false: nothing bound"

# ---- mount mode: the device binds are not nodev, the library directory is ----
gpu_manifest "$T/proc.ini" "$(printf '[mounts]\nproc = true\n')"
gpu_qrun "$ALL" "$T/proc.ini" -- /bin/sh -c \
        'awk "\$5 == \"/dev/nvidia0\" || \$5 == \"/usr/local/nvidia\" {print \$5, \$6}" /proc/self/mountinfo'
like "$OUT" "^/dev/nvidia0 rw[^ ]*
/usr/local/nvidia ro,nosuid,nodev" "in [mounts] mode: /dev/nvidia0 bound without nodev, the library directory ro,nosuid,nodev"
like "$(echo "$OUT" | head -1)" "^/dev/nvidia0 [a-z,]+$" "(its options)"
case $(echo "$OUT" | head -1) in *nodev*) ok 1 "/dev/nvidia0 is not nodev" ;; *) ok 0 "/dev/nvidia0 is not nodev" ;; esac

# ---- the ld.so.cache ----
head -c 4096 /dev/urandom >"$T/garbage.cache"
chmod a+r "$T/garbage.cache"
printf '[rootfs]\npath = %s\n[gpu]\nldcache = %s\n' "$R" "$T/garbage.cache" | manifest "$T/garbage.ini"
gpu_qrun "$ALL" "$T/garbage.ini" -- /bin/true
is "$RC:$ERR" "125:$T/garbage.ini:4: [gpu] ldcache: $T/garbage.cache: not an ld.so.cache qrun can read (glibc 2.2 or later writes one)" \
        "a file that is not an ld.so.cache: one line"
head -c 3000 "$F/ld.so.cache" >"$T/short.cache"
chmod a+r "$T/short.cache"
sed "s|$T/garbage.cache|$T/short.cache|" "$T/garbage.ini" | manifest "$T/short.ini"
gpu_qrun "$ALL" "$T/short.ini" -- /bin/true
like "$RC:$ERR" "^125:.*short.cache: not an ld.so.cache qrun can read" "a truncated cache is refused, not read past"

# ---- CDI ----
cat >"$T/spec.json" <<EOF2
{
  "cdiVersion": "0.5.0",
  "kind": "nvidia.com/gpu",
  "devices": [
    {"name": "0", "containerEdits": {"deviceNodes": [{"path": "/dev/nvidia0"}]}},
    {"name": "1", "containerEdits": {"deviceNodes": [{"path": "/dev/nvidia1"}]}},
    {"name": "all", "containerEdits": {"deviceNodes": [{"path": "/dev/nvidia0"}, {"path": "/dev/nvidia1"}]}}
  ],
  "containerEdits": {
    "env": ["NVIDIA_VISIBLE_DEVICES=void", "CDI_SAYS=hello"],
    "deviceNodes": [{"path": "/dev/nvidiactl"}, {"path": "/dev/nvidia-uvm"}],
    "mounts": [{"hostPath": "$F/lib64/libcuda.so.550.54.14",
                "containerPath": "/usr/lib/x86_64-linux-gnu/libcuda.so.550.54.14",
                "options": ["ro", "nosuid", "nodev", "bind"]}],
    "hooks": [{"hookName": "createContainer", "path": "/usr/bin/nvidia-ctk",
               "args": ["nvidia-ctk", "hook", "update-ldcache", "--folder", "/usr/lib/x86_64-linux-gnu"]},
              {"hookName": "createContainer", "path": "/usr/bin/nvidia-ctk",
               "args": ["nvidia-ctk", "hook", "chmod", "--mode", "755", "--path", "/dev/dri"]}]
  }
}
EOF2
chmod a+r "$T/spec.json"
printf '[rootfs]\npath = %s\n[gpu]\ncdi = %s\ndevices = 0\nldcache = %s\n' "$R" "$T/spec.json" "$F/ld.so.cache" | manifest "$T/cdi.ini"
gpu_qrun "$ALL" "$T/cdi.ini" -- /bin/sh -c 'ls /dev | grep nvidia | tr "\n" " "; echo "$CDI_SAYS $NVIDIA_VISIBLE_DEVICES"; /bin/cudaprobe'
is "$RC:$OUT" "0:nvidia-uvm nvidia0 nvidiactl hello void
libcuda 64-bit" "cdi: the spec's nodes for device 0, its environment, and its library found through the soname the host's cache gives it"
gpu_qrun "$ALL" "$T/cdi.ini" -- /bin/sh -c 'echo "$LD_LIBRARY_PATH"; readlink /usr/local/nvidia/lib64/libcuda.so.1'
is "$OUT" "/usr/local/nvidia/lib64:/usr/lib/x86_64-linux-gnu
/usr/lib/x86_64-linux-gnu/libcuda.so.550.54.14" "cdi: update-ldcache's folder on LD_LIBRARY_PATH, and the soname link"
gpu_qrun "$ALL" --check "$T/cdi.ini" -- /bin/true
like "$OUT" "; CDI hook not run: nvidia-ctk hook chmod --mode 755 --path /dev/dri" "cdi: --check names the hooks qrun does not run"
printf '[rootfs]\npath = %s\n[gpu]\ncdi = %s\ndevices = 7\n' "$R" "$T/spec.json" | manifest "$T/cdi7.ini"
gpu_qrun "$ALL" "$T/cdi7.ini" -- /bin/true
is "$RC:$ERR" "125:$T/cdi7.ini:4: [gpu] cdi: $T/spec.json: no device named \"7\" ([gpu] devices)" "cdi: a device the spec lacks"
printf '[rootfs]\npath = %s\n[gpu]\ncdi = /dev/zero\n' "$R" | manifest "$T/zero.ini"
gpu_qrun "$ALL" "$T/zero.ini" -- /bin/true
is "$RC:$ERR" "125:$T/zero.ini:4: [gpu] cdi: /dev/zero: not a regular file" "cdi: a device is refused at once, not read forever"
printf 'cdiVersion: 0.5.0\n' >"$T/spec.yaml"
chmod a+r "$T/spec.yaml"
printf '[rootfs]\npath = %s\n[gpu]\ncdi = %s\n' "$R" "$T/spec.yaml" | manifest "$T/yaml.ini"
gpu_qrun "$ALL" "$T/yaml.ini" -- /bin/true
like "$RC:$ERR" "^125:$T/yaml.ini:4: \[gpu\] cdi: $T/spec.yaml: line 1: .*nvidia-ctk cdi generate --format=json\)$" "cdi: YAML is refused with the way to get JSON"

done_testing

#!/bin/bash
# The check that needs a real NVIDIA GPU (tests/integration/gpu.t covers the
# rest with fake nodes and stub libraries):
#
#   tests/gpu/real.sh
#
# On a machine with an NVIDIA driver and GPU it runs, on the host and then
# inside qrun ([gpu] nvidia = true, a busybox rootfs with only glibc added,
# none of the driver), `nvidia-smi -L` and a small C program that dlopens
# libcuda.so.1 and calls cuInit, cuDriverGetVersion, cuDeviceGetCount and
# cuDeviceGetName; the two must agree. With two GPUs or more it also checks
# that devices = 0 shows exactly one. It prints what it found. Where there is
# no GPU it prints one "skip" line and exits 0. Run it as a normal user, or as
# root (qrun then runs as QRUN_TEST_USER, default nobody).
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ ! -c /dev/nvidiactl ]; then
        echo "real.sh: skip: no NVIDIA GPU on this machine (no /dev/nvidiactl)"
        exit 0
fi
if ! command -v nvidia-smi >/dev/null; then
        echo "real.sh: skip: /dev/nvidiactl exists but nvidia-smi is not installed (no driver user space)"
        exit 0
fi
[ -x build/qrun ] || ./build.sh >/dev/null
W=$(mktemp -d /tmp/qrun-gpu-real.XXXXXX)
trap 'rm -rf "$W"' EXIT
chmod 755 "$W"
user=${QRUN_TEST_USER:-nobody}
as_user() {
        if [ "$(id -u)" -eq 0 ]; then
                setpriv --reuid="$user" --regid="$user" --clear-groups -- "$@"
        else
                "$@"
        fi
}

cat >"$W/cuprobe.c" <<'EOF2'
/* dlopens the driver and lists what CUDA sees. */
#include <dlfcn.h>
#include <stdio.h>
typedef int (*fn_i)(unsigned);
typedef int (*fn_pi)(int *);
typedef int (*fn_name)(char *, int, int);
int main(void)
{
        void *cuda = dlopen("libcuda.so.1", RTLD_NOW);
        if (!cuda) {
                printf("dlopen: %s\n", dlerror());
                return 1;
        }
        fn_i init = (fn_i)dlsym(cuda, "cuInit");
        fn_pi version = (fn_pi)dlsym(cuda, "cuDriverGetVersion");
        fn_pi count = (fn_pi)dlsym(cuda, "cuDeviceGetCount");
        fn_name name = (fn_name)dlsym(cuda, "cuDeviceGetName");
        int v = 0, n = 0, rc = init(0);
        if (rc) {
                printf("cuInit: error %d\n", rc);
                return 1;
        }
        version(&v);
        count(&n);
        printf("driver %d.%d, %d devices\n", v / 1000, v % 1000 / 10, n);
        for (int i = 0; i < n; i++) {
                char buf[256] = "?";
                name(buf, sizeof(buf), i);
                printf("device %d: %s\n", i, buf);
        }
        return 0;
}
EOF2
gcc -O2 -o "$W/cuprobe" "$W/cuprobe.c" -ldl

# The rootfs: busybox, the probe, and the C libraries the probe and the
# host's libcuda need (glibc), never the driver's own.
tools/mkrootfs.sh "$W/rootfs" >/dev/null
cp "$W/cuprobe" "$W/rootfs/bin/"
mkdir -p "$W/rootfs/usr/local/nvidia" # [gpu] dir's mount point (the rootfs is not the user's)
libcuda=$(ldconfig -p | awk '$1 == "libcuda.so.1" && /x86-64|AArch64|64bit/ {print $NF; exit}')
for f in $(ldd "$W/cuprobe" ${libcuda:+"$libcuda"} | grep -o '/[^ ]*' | grep -v ':$' | sort -u); do
        case $(basename "$f") in libcuda* | libnvidia*) continue ;; esac
        mkdir -p "$W/rootfs$(dirname "$f")"
        cp -L "$f" "$W/rootfs$f"
done
printf '[rootfs]\npath = %s\n[gpu]\nnvidia = true\n' "$W/rootfs" >"$W/gpu.ini"
printf '[rootfs]\npath = %s\n[gpu]\nnvidia = true\ndevices = 0\n' "$W/rootfs" >"$W/one.ini"
chmod -R a+rX "$W"

status=0
compare() { # compare WHAT HOST_OUTPUT QRUN_OUTPUT
        printf '%s on the host:\n%s\n%s in qrun:\n%s\n' "$1" "$2" "$1" "$3"
        if [ "$2" = "$3" ]; then echo "real.sh: ok: $1 agrees"; else echo "real.sh: FAILED: $1 differs"; status=1; fi
}
compare "nvidia-smi -L" "$(nvidia-smi -L 2>&1)" "$(as_user build/qrun "$W/gpu.ini" -- nvidia-smi -L 2>&1)"
compare "cuprobe" "$("$W/cuprobe" 2>&1)" "$(as_user build/qrun "$W/gpu.ini" -- /bin/cuprobe 2>&1)"
gpus=$(nvidia-smi -L | grep -c '^GPU ')
if [ "$gpus" -ge 2 ]; then
        one=$(as_user build/qrun "$W/one.ini" -- nvidia-smi -L 2>&1 | grep -c '^GPU ' || true)
        if [ "$one" = 1 ]; then echo "real.sh: ok: devices = 0 shows 1 of $gpus GPUs"; else
                echo "real.sh: FAILED: devices = 0 shows $one of $gpus GPUs"; status=1; fi
fi
echo "real.sh: what qrun bound:"
as_user build/qrun --check "$W/gpu.ini" -- /bin/true | sed -n '/^\[gpu\]/,/^$/p' || status=1
exit $status

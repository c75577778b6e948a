#!/usr/bin/env python3
"""The containers' default seccomp profile (podman's and crun's,
containers/common pkg/seccomp/seccomp.json, Docker's format) as the OCI
runtime spec's linux.seccomp for one architecture and no added capabilities,
the way podman resolves it for an unprivileged container:

    containers2oci.py PROFILE.json [ARCH] > seccomp.json      (ARCH: amd64)

A rule is kept when its includes (arches, caps, minKernel) all hold and none
of its excludes do; the container has no capabilities. The architectures are
ARCH's entry in archMap with its sub-architectures (x86_64: also x86 and x32).
"""
import json
import os
import sys

ARCH_NAMES = {"amd64": "SCMP_ARCH_X86_64", "arm64": "SCMP_ARCH_AARCH64"}


def kernel_version():
    release = os.uname().release.split("-")[0].split(".")
    return tuple(int(x) for x in release[:2])


def applies(rule, arch, kernel):
    inc, exc = rule.get("includes") or {}, rule.get("excludes") or {}
    if inc.get("arches") and arch not in inc["arches"]:
        return False
    if inc.get("caps"):
        return False  # no capabilities added
    if inc.get("minKernel"):
        want = tuple(int(x) for x in inc["minKernel"].split(".")[:2])
        if kernel < want:
            return False
    if exc.get("arches") and arch in exc["arches"]:
        return False
    return True  # excludes.caps: the container has none of them


def main():
    profile = json.load(open(sys.argv[1]))
    arch = sys.argv[2] if len(sys.argv) > 2 else "amd64"
    kernel = kernel_version()
    arches = []
    for entry in profile.get("archMap") or []:
        if entry["architecture"] == ARCH_NAMES[arch]:
            arches = [entry["architecture"]] + entry.get("subArchitectures", [])
    out = {"defaultAction": profile["defaultAction"], "architectures": arches, "syscalls": []}
    if "defaultErrnoRet" in profile:
        out["defaultErrnoRet"] = profile["defaultErrnoRet"]
    for rule in profile["syscalls"]:
        if not applies(rule, arch, kernel):
            continue
        r = {"names": rule["names"], "action": rule["action"]}
        if rule.get("args"):
            r["args"] = rule["args"]
        if "errnoRet" in rule:
            r["errnoRet"] = rule["errnoRet"]
        out["syscalls"].append(r)
    json.dump(out, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()

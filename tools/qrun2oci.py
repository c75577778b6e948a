#!/usr/bin/env python3
"""Converts a qrun seccomp profile into the OCI runtime spec's linux.seccomp.

    tools/qrun2oci.py PROFILE.ini [--arches SCMP_ARCH_X86_64,SCMP_ARCH_X86,SCMP_ARCH_X32]

Prints the JSON object for config.json's "linux"."seccomp", so that crun and
runc load the same rules (bench/compare.sh). Faithful except where the OCI
format cannot follow qrun:
  - 32-bit conditions become 64-bit ones (libseccomp has no width): the
    upper-half trap qrun closes stays open for crun and runc;
  - the order of rules is qrun's; libseccomp decides overlaps its own way, so
    use it on profiles written for both (qrun's default and strict are).
"""
import argparse
import errno
import json
import re
import sys

OPS = {"==": "SCMP_CMP_EQ", "!=": "SCMP_CMP_NE", "<": "SCMP_CMP_LT",
       "<=": "SCMP_CMP_LE", ">": "SCMP_CMP_GT", ">=": "SCMP_CMP_GE"}
COND = re.compile(r"^arg(\d):(32|64)\s*(?:&\s*(\S+)\s*==|(==|!=|<=|>=|<|>))\s*(\S+)$")


def action(text):
    """(OCI action, errnoRet or None) for a qrun action."""
    if text == "allow":
        return "SCMP_ACT_ALLOW", None
    if text == "log":
        return "SCMP_ACT_LOG", None
    if text == "kill_process":
        return "SCMP_ACT_KILL_PROCESS", None
    name = text.split()[1]
    return "SCMP_ACT_ERRNO", int(name) if name.isdigit() else getattr(errno, name)


def condition(text):
    m = COND.match(text.strip())
    if not m:
        sys.exit("qrun2oci: cannot read condition %r" % text)
    arg, _width, mask, op, value = m.groups()
    if mask is not None:
        return {"index": int(arg), "value": int(mask, 0), "valueTwo": int(value, 0),
                "op": "SCMP_CMP_MASKED_EQ"}
    return {"index": int(arg), "value": int(value, 0), "op": OPS[op]}


def convert(path, arches):
    section, default, rules = None, None, []
    for line in open(path):
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            section = line[1:-1]
            continue
        key, _, value = (part.strip() for part in line.partition("="))
        if section == "policy" and key == "default":
            default = action(value)
        if section != "syscalls":
            continue
        if key == "errno":
            err, _, value = value.partition(" ")
            key = "errno " + err
        names, _, conds = value.partition(" if ")
        act, ret = action(key)
        rule = {"names": names.split(), "action": act,
                "args": [condition(c) for c in conds.split("&&")] if conds else []}
        if ret is not None:
            rule["errnoRet"] = ret
        rules.append(rule)
    out = {"defaultAction": default[0], "architectures": arches, "syscalls": rules}
    if default[1] is not None:
        out["defaultErrnoRet"] = default[1]
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("profile")
    ap.add_argument("--arches", default="SCMP_ARCH_X86_64,SCMP_ARCH_X86,SCMP_ARCH_X32")
    a = ap.parse_args()
    json.dump(convert(a.profile, a.arches.split(",")), sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Converts a Docker/OCI seccomp profile (JSON) into qrun's policy format.

    tools/oci2qrun.py PROFILE.json [--arch amd64] [--cap CAP_...]... > policy.ini

Rules are kept when they apply to the architecture and capability set (the
profile's includes/excludes); everything else about the conversion is literal:
same actions, same errno values, same argument comparisons, in file order.
Argument widths: the profile format has none (libseccomp compares 64 bits);
arguments the kernel reads as 32-bit ints are marked :32 from the table below,
others stay :64.

Where rules for one call conflict, the result is what libseccomp (and so
podman, crun and Docker) enforces: the first unconditional rule for a call
wins and voids every other rule for it, conditional or not. Such voided rules
are left out, with a comment naming them.
"""
import argparse
import errno
import json
import sys

# Arguments the kernel declares as int / unsigned int (the upper half of the
# register is ignored), for the calls Docker-style profiles put conditions on.
WIDTH32 = {
    "personality": {0},
    "socket": {0, 1, 2},
    "socketpair": {0, 1, 2},
}

OPS = {
    "SCMP_CMP_EQ": "==", "SCMP_CMP_NE": "!=", "SCMP_CMP_LT": "<",
    "SCMP_CMP_LE": "<=", "SCMP_CMP_GT": ">", "SCMP_CMP_GE": ">=",
}

ARCH_ALIASES = {"amd64": {"amd64", "x86_64"}, "arm64": {"arm64", "aarch64"}}


def action_of(rule_or_profile, key, errno_key):
    action = rule_or_profile[key]
    if action == "SCMP_ACT_ALLOW":
        return "allow"
    if action == "SCMP_ACT_LOG":
        return "log"
    if action in ("SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL"):
        return "kill_process"
    if action == "SCMP_ACT_ERRNO":
        value = rule_or_profile.get(errno_key) or errno.EPERM
        return "errno " + errno.errorcode.get(value, str(value))
    sys.exit("oci2qrun: unsupported action %s" % action)


def applies(rule, arch, caps):
    names = ARCH_ALIASES.get(arch, {arch})
    inc, exc = rule.get("includes") or {}, rule.get("excludes") or {}
    if inc.get("arches") and not names & set(inc["arches"]):
        return False
    if exc.get("arches") and names & set(exc["arches"]):
        return False
    if inc.get("caps") and not set(inc["caps"]) <= caps:
        return False
    if exc.get("caps") and set(exc["caps"]) & caps:
        return False
    return True


def condition(name, arg):
    width = 32 if arg["index"] in WIDTH32.get(name, ()) else 64
    lhs = "arg%d:%d" % (arg["index"], width)
    if arg["op"] == "SCMP_CMP_MASKED_EQ":
        return "%s & %#x == %#x" % (lhs, arg["value"], arg.get("valueTwo", 0))
    return "%s %s %#x" % (lhs, OPS[arg["op"]], arg["value"])


def wrap(key, names):
    lines, line = [], []
    for n in names:
        if line and len(" ".join(line + [n])) > 88 - len(key):
            lines.append("%s = %s" % (key, " ".join(line)))
            line = []
        line.append(n)
    if line:
        lines.append("%s = %s" % (key, " ".join(line)))
    return lines


def convert(profile, arch, caps, source):
    out = ["# Converted by tools/oci2qrun.py from %s" % source,
           "# for architecture %s with capabilities: %s." % (arch, " ".join(sorted(caps)) or "none"),
           "", "[policy]",
           "default = " + action_of(profile, "defaultAction", "defaultErrnoRet"),
           "unknown = errno ENOSYS", "", "[syscalls]"]
    rules = [r for r in profile["syscalls"] if applies(r, arch, caps)]
    # libseccomp: the first unconditional rule for a call decides it alone.
    decided = {}
    for i, rule in enumerate(rules):
        if not rule.get("args"):
            for name in rule["names"]:
                decided.setdefault(name, i)
    for i, rule in enumerate(rules):
        action = action_of(rule, "action", "errnoRet")
        key, _, errno_name = action.partition(" ")
        names = [n for n in rule["names"] if decided.get(n, i) == i]
        voided = [n for n in rule["names"] if n not in names]
        if voided:
            out.append("# voided by an earlier unconditional rule, as libseccomp does: %s %s"
                       % (action, " ".join(voided)))
        if not names:
            continue
        prefix = (errno_name + " ") if errno_name else ""
        args = rule.get("args") or []
        if args:
            for name in names:
                conds = " && ".join(condition(name, a) for a in args)
                out.append("%s = %s%s if %s" % (key, prefix, name, conds))
        else:
            for line in wrap(key, names):
                out.append(line.replace(key + " = ", "%s = %s" % (key, prefix), 1))
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("profile")
    ap.add_argument("--arch", default="amd64")
    ap.add_argument("--cap", action="append", default=[])
    ap.add_argument("--source", help="what to name as the source in the header")
    a = ap.parse_args()
    profile = json.load(open(a.profile))
    sys.stdout.write(convert(profile, a.arch, set(a.cap), a.source or a.profile))


if __name__ == "__main__":
    main()

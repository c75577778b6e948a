#!/usr/bin/python3
"""Compares two directory trees: treecmp.py [OPTIONS] REFERENCE TREE

REFERENCE is what a tree should look like (umoci unpack --rootless's rootfs,
or the directory a tarball was made from); TREE is what qrun import made.
Compared for every path: the file type, the permission bits, a symlink's
target, a regular file's size and SHA-256, which regular files are hard links
of each other, and (--mtime) a regular file's mtime in whole seconds.
Owners are not compared: both trees belong to whoever unpacked them.

  --qrun-modes   expect qrun import's modes, not REFERENCE's: files
                 (mode & 0777) | 0600 (setuid, setgid and sticky dropped,
                 always u+rw), directories (mode & 01777) | 0700
  --extra PATH   PATH (relative, e.g. work) may exist in TREE alone (repeatable)
  --mtime        compare regular files' mtimes (seconds)

The top directory's own mode is not compared (qrun leaves it as it created
it). Prints one line per difference and exits 1, or prints "N entries, same"
and exits 0.
"""
import hashlib
import os
import stat
import sys


def kind(mode):
    for test, name in ((stat.S_ISDIR, "dir"), (stat.S_ISREG, "file"), (stat.S_ISLNK, "symlink"),
                       (stat.S_ISFIFO, "fifo"), (stat.S_ISSOCK, "socket"), (stat.S_ISCHR, "chardev"),
                       (stat.S_ISBLK, "blockdev")):
        if test(mode):
            return name
    return "unknown"


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def scan(top, qrun_modes, mtime):
    """{relative path: description}, and the hard-link groups (sets of paths)."""
    entries, inodes = {}, {}
    for dirpath, dirnames, filenames in os.walk(top):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            rel = os.path.relpath(path, top)
            st = os.lstat(path)
            k = kind(st.st_mode)
            perm = stat.S_IMODE(st.st_mode)
            if qrun_modes and k == "dir":
                perm = (perm & 0o1777) | 0o700
            elif qrun_modes and k == "file":
                perm = (perm & 0o777) | 0o600
            desc = [k]
            if k != "symlink":  # a symlink's own mode means nothing on Linux
                desc.append("%04o" % perm)
            if k == "symlink":
                desc.append("-> " + os.readlink(path))
            elif k == "file":
                desc += [str(st.st_size), sha256(path)]
                if mtime:
                    desc.append("mtime %d" % int(st.st_mtime))
                if st.st_nlink > 1:
                    inodes.setdefault((st.st_dev, st.st_ino), set()).add(rel)
            entries[rel] = " ".join(desc)
    groups = {frozenset(g) for g in inodes.values() if len(g) > 1}
    return entries, groups


def main(argv):
    qrun_modes, mtime, extra, args = False, False, set(), []
    i = 0
    while i < len(argv):
        if argv[i] == "--qrun-modes":
            qrun_modes = True
        elif argv[i] == "--mtime":
            mtime = True
        elif argv[i] == "--extra" and i + 1 < len(argv):
            i += 1
            extra.add(argv[i].strip("/"))
        else:
            args.append(argv[i])
        i += 1
    if len(args) != 2:
        sys.stderr.write(__doc__)
        return 2
    ref, ref_links = scan(args[0], qrun_modes, mtime)
    got, got_links = scan(args[1], False, mtime)
    diffs = []
    for rel in sorted(ref.keys() | got.keys()):
        if rel not in got:
            diffs.append("missing: /%s (%s)" % (rel, ref[rel]))
        elif rel not in ref:
            if rel not in extra:
                diffs.append("extra: /%s (%s)" % (rel, got[rel]))
        elif ref[rel] != got[rel]:
            diffs.append("differs: /%s: expected %s, got %s" % (rel, ref[rel], got[rel]))
    for g in sorted(ref_links ^ got_links, key=sorted):
        side = "expected" if g in ref_links else "unexpected"
        diffs.append("%s hard links: %s" % (side, " = ".join("/" + p for p in sorted(g))))
    for d in diffs:
        print(d)
    if not diffs:
        print("%d entries, same" % len(got))
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

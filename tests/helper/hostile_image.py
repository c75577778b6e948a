#!/usr/bin/env python3
"""Crafts hostile and malformed images for tests/integration/import_hostile.t.

    hostile_image.py [--canary DIR] [--big MB] OUT SCENARIO
    hostile_image.py [--canary DIR] --all DIR

writes the image SCENARIO names at OUT: an OCI image layout (oci-layout,
index.json, a manifest, a config and the layer blobs, with correct digests
unless the scenario wants them wrong) built by hand with tarfile, json and
hashlib; or a rootfs tarball, an oci-archive or a docker-archive file. Each
scenario's layers are lists of entries: F (file), D (directory), S (symlink),
H (hard link), CHR, BLK, FIFO; a layer can also be raw bytes. --canary is
the absolute path of a directory beside DEST that symlinks aim at. --all
writes every scenario (but big) into DIR; --list prints their names.
"""
import argparse
import gzip
import hashlib
import io
import json
import lzma
import os
import shutil
import subprocess
import sys
import tarfile

# ---- tar entries ----


def _info(name, kind, mode, **kw):
    ti = tarfile.TarInfo(name)
    ti.type = kind
    ti.mode = mode
    ti.uid = ti.gid = 0
    ti.uname = ti.gname = "root"
    ti.mtime = 1700000000
    for k, v in kw.items():
        setattr(ti, k, v)
    return ti


def F(name, data=b"", mode=0o644):
    if isinstance(data, str):
        data = data.encode()
    return ("entry", _info(name, tarfile.REGTYPE, mode, size=len(data)), data)


def D(name, mode=0o755):
    return ("entry", _info(name, tarfile.DIRTYPE, mode), None)


def S(name, target):
    return ("entry", _info(name, tarfile.SYMTYPE, 0o777, linkname=target), None)


def H(name, target):
    return ("entry", _info(name, tarfile.LNKTYPE, 0o644, linkname=target), None)


def CHR(name, major=1, minor=3):
    return ("entry", _info(name, tarfile.CHRTYPE, 0o666, devmajor=major, devminor=minor), None)


def BLK(name, major=8, minor=0):
    return ("entry", _info(name, tarfile.BLKTYPE, 0o660, devmajor=major, devminor=minor), None)


def FIFO(name):
    return ("entry", _info(name, tarfile.FIFOTYPE, 0o644), None)


def ustar_header(name, size_field, typeflag=b"0"):
    """A ustar header whose size field is size_field (12 bytes, as written)."""
    h = bytearray(512)
    h[0:len(name)] = name.encode()
    h[100:108] = b"0000644\0"
    h[108:116] = b"0000000\0"
    h[116:124] = b"0000000\0"
    h[124:136] = size_field
    h[136:148] = b"14000000000\0"
    h[148:156] = b" " * 8
    h[156:157] = typeflag
    h[257:265] = b"ustar\x0000"
    h[148:156] = b"%06o\0 " % sum(h)
    return bytes(h)


def tar_bytes(entries):
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for _, ti, data in entries:
            tf.addfile(ti, io.BytesIO(data) if data is not None else None)
    return out.getvalue()


def big_tar(mb):
    """A tar with one file of mb MiB of zeros, gzip-compressed: one gzip member
    per MiB, made once (a layer may hold several members)."""
    ti = _info("big", tarfile.REGTYPE, 0o644, size=mb << 20)
    chunk = gzip.compress(bytes(1 << 20), compresslevel=1, mtime=0)
    return (gzip.compress(ti.tobuf(tarfile.PAX_FORMAT), mtime=0) + chunk * mb +
            gzip.compress(bytes(1024), mtime=0))


def compress(data, how):
    if how == "gzip":
        return gzip.compress(data, mtime=0)
    if how == "xz":
        return lzma.compress(data, format=lzma.FORMAT_XZ)
    if how == "zstd":
        if not shutil.which("zstd"):
            sys.exit("hostile_image.py: zstd (the program) is needed for zstd layers")
        return subprocess.run(["zstd", "-q", "-c"], input=data, check=True,
                              stdout=subprocess.PIPE).stdout
    return data


# ---- OCI image layout ----

LAYER_TAR = "application/vnd.oci.image.layer.v1.tar"
MEDIA = {"none": LAYER_TAR, "gzip": LAYER_TAR + "+gzip", "zstd": LAYER_TAR + "+zstd",
         "xz": LAYER_TAR}


def sha(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Layer:
    """One layer: entries (or raw bytes), compression, and how it is broken."""

    def __init__(self, entries=(), compression="gzip", raw=None, truncate=None):
        self.entries, self.compression = list(entries), compression
        self.raw, self.truncate = raw, truncate

    def tar(self):
        return tar_bytes(self.entries)

    def blob(self):
        data = self.raw if self.raw is not None else compress(self.tar(), self.compression)
        if self.truncate is not None:
            data = data[:self.truncate]
        return data


def write_blob(out, data, wrong=False):
    """Stores data under its digest (wrong: under another one, which the
    descriptor then names) and returns the digest the descriptor names."""
    d = sha(data + b"tampered") if wrong else sha(data)
    path = os.path.join(out, "blobs", "sha256", d[7:])
    with open(path, "wb") as f:
        f.write(data)
    return d


def oci_layout(out, layers, wrong=None, config_extra=None, index=None, media_type=None,
               missing=None, no_layout=False, size_delta=0, raw_json=None, diff_ids=True):
    """Writes an OCI image layout at out. wrong: "layer", "config" or
    "manifest" (its descriptor names another digest); raw_json: {"index.json"
    | "manifest" | "config": text} replaces that file's JSON; missing: "layer"
    deletes the layer blob."""
    os.makedirs(os.path.join(out, "blobs", "sha256"))
    raw_json = raw_json or {}
    if not no_layout:
        with open(os.path.join(out, "oci-layout"), "w") as f:
            json.dump({"imageLayoutVersion": "1.0.0"}, f)
    descs, diffs = [], []
    for i, layer in enumerate(layers):
        data = layer.blob()
        last = i == len(layers) - 1
        d = write_blob(out, data, wrong == "layer" and last)
        if missing == "layer" and last:
            os.unlink(os.path.join(out, "blobs", "sha256", d[7:]))
        size = len(data) + (size_delta if i == len(layers) - 1 else 0)
        descs.append({"mediaType": media_type or MEDIA[layer.compression], "digest": d,
                      "size": size})
        diffs.append(sha(layer.tar()) if layer.raw is None and layer.truncate is None else None)
    config = {"architecture": "amd64", "os": "linux",
              "config": {"Cmd": ["/bin/sh"], "Env": ["PATH=/bin:/usr/bin"]},
              "rootfs": {"type": "layers", "diff_ids": diffs if diff_ids and None not in diffs
                         else []}}
    config.update(config_extra or {})
    config_bytes = raw_json.get("config", json.dumps(config, indent=1)).encode()
    cd = write_blob(out, config_bytes, wrong == "config")
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                           "digest": cd, "size": len(config_bytes)},
                "layers": descs}
    manifest_bytes = raw_json.get("manifest", json.dumps(manifest, indent=1)).encode()
    md = write_blob(out, manifest_bytes, wrong == "manifest")
    if index is None:
        index = {"schemaVersion": 2, "manifests": [
            {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md,
             "size": len(manifest_bytes)}]}
    with open(os.path.join(out, "index.json"), "w") as f:
        f.write(raw_json.get("index.json", json.dumps(index, indent=1)))


def archive_of(directory, out, extra=()):
    """A tar of directory's contents (an oci-archive or docker-archive), with
    extra entries after them."""
    entries = []
    for root, dirs, files in os.walk(directory):
        dirs.sort()
        rel = os.path.relpath(root, directory)
        if rel != ".":
            entries.append(D(rel))
        for name in sorted(files):
            with open(os.path.join(root, name), "rb") as f:
                entries.append(F(os.path.normpath(os.path.join(rel, name)), f.read()))
    with open(out, "wb") as f:
        f.write(tar_bytes(entries + list(extra)))


# ---- scenarios ----

SCENARIOS = {}


def scenario(fn):
    SCENARIOS[fn.__name__.replace("_", "-")] = fn
    return fn


def ok_layers():
    return [Layer([D("etc"), F("etc/hostname", "inside\n")])]


# 1. names and links

@scenario
def absolute(out, a):
    oci_layout(out, [Layer([F("/qrun-hostile-absolute", "x")])])


@scenario
def dotdot(out, a):
    oci_layout(out, [Layer([F("../qrun-hostile-dotdot", "x")])])


@scenario
def dotdot_inner(out, a):
    oci_layout(out, [Layer([D("a"), F("a/../../x", "x")])])


@scenario
def symlink_root(out, a):  # evil -> / then evil/x: lands in DEST/x
    oci_layout(out, [Layer([S("evil", "/"), F("evil/x", "via-root\n")])])


@scenario
def symlink_up(out, a):  # evil -> ../../.. then evil/canary/x: lands in DEST/canary/x
    oci_layout(out, [Layer([D("canary"), S("evil", "../../../../../.."),
                            F("evil/canary/x", "via-up\n")])])


@scenario
def symlink_up_canary(out, a):  # evil -> ../../canary (the canary is there, seen from the work tree)
    oci_layout(out, [Layer([D("canary"), S("evil", "../../canary"), F("evil/x", "via-up\n")])])


@scenario
def symlink_etc(out, a):  # evil -> /etc then evil/qrun-hostile-etc
    oci_layout(out, [Layer([D("etc"), S("evil", "/etc"),
                            F("evil/qrun-hostile-etc", "via-etc\n")])])


@scenario
def symlink_abs_canary(out, a):  # evil -> the canary's absolute path
    inside = a.canary.lstrip("/")
    oci_layout(out, [Layer([D(inside), S("evil", a.canary), F("evil/x", "via-abs\n")])])


@scenario
def symlink_dangling(out, a):  # evil -> a canary path the tree lacks: a clean error
    oci_layout(out, [Layer([S("evil", "../../canary"), F("evil/x", "via-dangling\n")])])


@scenario
def symlink_across_layers(out, a):
    oci_layout(out, [Layer([D("canary"), S("evil", "../../canary"), S("evil2", "/")]),
                     Layer([F("evil/x", "layer2\n"), F("evil2/y", "layer2\n")])])


@scenario
def dir_to_symlink(out, a):  # d/ then d -> ../../canary, then d/x (one layer)
    oci_layout(out, [Layer([D("canary"), D("d"), F("d/old", "old\n"), S("d", "../../canary"),
                            F("d/x", "below\n")])])


@scenario
def dir_to_symlink_layers(out, a):  # the same across layers
    oci_layout(out, [Layer([D("canary"), D("d"), F("d/old", "old\n")]),
                     Layer([S("d", "../../canary")]),
                     Layer([F("d/x", "below\n")])])


@scenario
def hardlink_abs(out, a):
    oci_layout(out, [Layer([H("passwd", "/etc/passwd")])])


@scenario
def hardlink_dotdot(out, a):
    oci_layout(out, [Layer([H("outside", "../outside")])])


@scenario
def hardlink_canary_abs(out, a):  # a hard link to the canary's absolute path
    oci_layout(out, [Layer([H("h", a.canary + "/x")])])


@scenario
def hardlink_symlink(out, a):  # evil -> ../../canary, h => evil/x: the tree's canary/x
    oci_layout(out, [Layer([D("canary"), F("canary/x", "inside\n"), S("evil", "../../canary"),
                            H("h", "evil/x")])])


@scenario
def hardlink_symlink_missing(out, a):  # the same without the tree's canary/x
    oci_layout(out, [Layer([S("evil", "../../canary"), H("h", "evil/x")])])


@scenario
def replace_symlink(out, a):  # f -> ../../canary/x, then f as a file (two layers and one)
    oci_layout(out, [Layer([S("f", "../../canary/x"), S("g", a.canary + "/x")]),
                     Layer([F("f", "new-f\n"), S("h", "../../canary/x"), F("h", "new-h\n")])])


@scenario
def rootfs_tar(out, a):  # a rootfs tarball (tar:): the same rules, no whiteouts
    with open(out, "wb") as f:
        f.write(compress(tar_bytes([D("canary"), S("evil", "../../canary"),
                                    F("evil/x", "via-tar\n"), F(".wh.kept", "k\n")]), "gzip"))


@scenario
def rootfs_tar_dotdot(out, a):
    with open(out, "wb") as f:
        f.write(tar_bytes([F("../../canary/x", "from the tarball\n")]))


@scenario
def symlink_empty(out, a):  # a symlink without a target (found by tests/fuzz/fuzz_image.c)
    oci_layout(out, [Layer([S("x", "")])])


@scenario
def parent_is_file(out, a):
    oci_layout(out, [Layer([F("f", "a file\n"), F("f/x", "below a file\n")])])


@scenario
def deep_path(out, a):  # one name of 2,000 components (within PATH_MAX)
    name = "/".join(["d"] * 2000) + "/f"
    oci_layout(out, [Layer([F(name, "deep\n")])])


@scenario
def deep_tree_bad_digest(out, a):  # 1,100 levels, then a digest mismatch
    name = "/".join(["d"] * 1100) + "/f"
    oci_layout(out, [Layer([F(name, "deep\n")])], wrong="layer")


# 2. whiteouts


@scenario
def whiteouts(out, a):
    oci_layout(out, [
        Layer([D("a"), F("a/old", "old\n"), F("a/keep", "keep\n"), D("b"), D("b/c"),
               F("b/c/d", "d\n"), S("b/link", "/"), F("file1", "1\n"), D("s"),
               F("s/old", "old\n")]),
        # same: a file of this layer's own; s: a directory of this layer's own
        # that the layers below had too
        Layer([F("a/.wh.old"), F(".wh.b"), F(".wh.nothing"), F("a/.wh.nothing-either"),
               F("nodir/.wh.x"), F("same", "same layer\n"), F(".wh.same"),
               D("s"), F("s/new", "new\n"), F(".wh.s")]),
    ])


@scenario
def opaque(out, a):
    oci_layout(out, [
        Layer([D("o"), F("o/old1", "1\n"), D("o/sub"), F("o/sub/old2", "2\n"), D("p"),
               F("p/old", "p\n"), D("q"), D("q/sub"), F("q/sub/old", "q\n"), D("r"),
               D("r/sub"), F("r/sub/old", "r\n")]),
        # o: the marker first; p: after this layer's own entry; q: after an
        # entry below a directory of the layers below; r: after this layer's
        # own directory, which the layers below had too
        Layer([D("o"), F("o/.wh..wh..opq"), F("o/new", "new\n"),
               F("p/new", "new\n"), F("p/.wh..wh..opq"),
               F("q/sub/new", "new\n"), F("q/.wh..wh..opq"),
               D("r"), D("r/sub"), F("r/sub/new", "new\n"), F("r/.wh..wh..opq"),
               F("fresh/.wh..wh..opq")]),
    ])


@scenario
def whiteout_dotdot(out, a):  # ".wh..." names ".."
    oci_layout(out, [Layer([D("a"), F("a/keep", "keep\n")]), Layer([F("a/.wh...")])])


@scenario
def whiteout_dot(out, a):  # ".wh.." names "."
    oci_layout(out, [Layer([D("a"), F("a/keep", "keep\n")]), Layer([F("a/.wh..")])])


@scenario
def whiteout_as_dir(out, a):  # a whiteout name used as a directory
    oci_layout(out, [Layer([F("a/.wh.x/y", "y\n")])])


# 3. broken images


@scenario
def bad_layer_digest(out, a):
    oci_layout(out, ok_layers(), wrong="layer")


@scenario
def bad_config_digest(out, a):
    oci_layout(out, ok_layers(), wrong="config")


@scenario
def bad_manifest_digest(out, a):
    oci_layout(out, ok_layers(), wrong="manifest")


@scenario
def bad_diff_id(out, a):
    oci_layout(out, ok_layers(), config_extra={"rootfs": {"type": "layers", "diff_ids": [
        sha(b"not the layer")]}})


@scenario
def bad_size(out, a):
    oci_layout(out, ok_layers(), size_delta=1)


@scenario
def bad_size_long(out, a):  # the blob is longer than its descriptor says
    oci_layout(out, ok_layers(), size_delta=-1)


@scenario
def missing_blob(out, a):
    oci_layout(out, ok_layers(), missing="layer")


@scenario
def bad_json_index(out, a):
    oci_layout(out, ok_layers(), raw_json={"index.json": '{\n "schemaVersion": 2,\n "manifests": [,]\n}\n'})


@scenario
def bad_json_manifest(out, a):
    oci_layout(out, ok_layers(), raw_json={"manifest": '{\n "schemaVersion": 2\n "layers": []\n}\n'})


@scenario
def bad_json_config(out, a):
    oci_layout(out, ok_layers(), raw_json={"config": '{\n\n "architecture": amd64\n}\n'})


@scenario
def bad_digest_form(out, a):
    oci_layout(out, ok_layers(), index={"schemaVersion": 2, "manifests": [
        {"mediaType": "application/vnd.oci.image.manifest.v1+json",
         "digest": "sha256:../../../../etc/passwd", "size": 1}]})


@scenario
def unknown_media_type(out, a):
    oci_layout(out, ok_layers(), media_type="application/vnd.example.layer.v1.squashfs")


@scenario
def unknown_manifest_type(out, a):
    oci_layout(out, ok_layers())
    with open(os.path.join(out, "index.json")) as f:
        index = json.load(f)
    index["manifests"][0]["mediaType"] = "application/vnd.example.manifest.v9+json"
    with open(os.path.join(out, "index.json"), "w") as f:
        json.dump(index, f)


@scenario
def truncated_gzip(out, a):
    data = ok_layers()[0].blob()
    oci_layout(out, [Layer(raw=data[:len(data) * 2 // 3])])


@scenario
def truncated_zstd(out, a):
    data = compress(tar_bytes([F("f", os.urandom(20000))]), "zstd")
    oci_layout(out, [Layer(raw=data[:len(data) // 2], compression="zstd")])


@scenario
def truncated_xz(out, a):
    data = compress(tar_bytes([F("f", os.urandom(20000))]), "xz")
    oci_layout(out, [Layer(raw=data[:len(data) // 2], compression="xz")])


@scenario
def truncated_tar(out, a):  # an uncompressed tar cut inside a file's data
    data = tar_bytes([F("f", b"y" * 5000)])
    oci_layout(out, [Layer(raw=data[:2048], compression="none")])


@scenario
def huge_size(out, a):  # a ustar header claiming 8 GiB, followed by 3 bytes
    oci_layout(out, [Layer(raw=ustar_header("huge", b"77777777777\0") + b"abc",
                           compression="none")])


@scenario
def huge_size_base256(out, a):  # a GNU base-256 size of 2^62
    field = b"\x80" + (1 << 62).to_bytes(11, "big")
    oci_layout(out, [Layer(raw=ustar_header("huge", field) + b"abc" + bytes(1024),
                           compression="none")])


@scenario
def not_tar(out, a):
    oci_layout(out, [Layer(raw=os.urandom(4096), compression="none")])


@scenario
def empty_index(out, a):
    oci_layout(out, ok_layers(), index={"schemaVersion": 2, "manifests": []})


@scenario
def no_oci_layout(out, a):
    oci_layout(out, ok_layers(), no_layout=True)


@scenario
def archive_zero_blob(out, a):  # an oci-archive whose layer blob is a symlink to /dev/zero
    tmp = out + ".d"
    oci_layout(tmp, ok_layers())
    manifest = json.load(open(os.path.join(tmp, "index.json")))["manifests"][0]["digest"]
    m = json.load(open(os.path.join(tmp, "blobs", "sha256", manifest[7:])))
    layer = m["layers"][0]["digest"][7:]
    os.unlink(os.path.join(tmp, "blobs", "sha256", layer))
    archive_of(tmp, out, [S("blobs/sha256/" + layer, "/dev/zero")])
    shutil.rmtree(tmp)


@scenario
def archive_dotdot(out, a):  # an oci-archive whose tar aims at the canary
    tmp = out + ".d"
    oci_layout(tmp, ok_layers())
    archive_of(tmp, out, [F("../../canary/x", "from the archive\n")])
    shutil.rmtree(tmp)


@scenario
def docker_dotdot(out, a):  # docker-archive: manifest.json names ../x
    tmp = out + ".d"
    os.makedirs(tmp)
    with open(os.path.join(tmp, "manifest.json"), "w") as f:
        json.dump([{"Config": "../../etc/passwd", "RepoTags": ["x:1"], "Layers": []}], f)
    archive_of(tmp, out)
    shutil.rmtree(tmp)


# 4. special files and modes


@scenario
def specials(out, a):
    oci_layout(out, [Layer([D("dev"), CHR("dev/null", 1, 3), CHR("dev/zero", 1, 5),
                            BLK("dev/sda"), FIFO("run-fifo"), FIFO("dev/fifo2"),
                            F("regular", "r\n")])])


@scenario
def modes(out, a):
    oci_layout(out, [Layer([F("suid", "s\n", 0o4755), F("sgid", "g\n", 0o2755),
                            D("sgid-dir", 0o2775), D("locked", 0o000),
                            F("locked/file", "f\n", 0o000), D("locked/sub", 0o000),
                            F("nomode", "n\n", 0o000)])])


# 5. atomicity


@scenario
def big(out, a):  # --big MiB of zeros, gzip
    oci_layout(out, [Layer(raw=big_tar(a.big))])


@scenario
def mb8(out, a):  # eight files of 1 MiB: too big for a file system of 2 MiB
    oci_layout(out, [Layer([F("f%d" % i, bytes(1 << 20)) for i in range(8)])])


# 7. the config, into --manifest


@scenario
def config_workdir(out, a):  # a WorkingDir that would add a bind of / to the manifest
    oci_layout(out, ok_layers(), config_extra={"config": {
        "Cmd": ["/bin/sh"], "WorkingDir": "/w\n[mounts]\nbind = /:/host"}})


@scenario
def config_workdir_dotdot(out, a):  # a WorkingDir aimed beside DEST
    oci_layout(out, ok_layers(), config_extra={"config": {"WorkingDir": "/../../canary/w"}})


@scenario
def config_workdir_symlink(out, a):  # a WorkingDir below a planted symlink
    oci_layout(out, [Layer([D("canary"), S("evil", "../../canary")])],
               config_extra={"config": {"WorkingDir": "/evil/w"}})


@scenario
def config_newlines(out, a):  # line breaks in every value the manifest takes
    evil = "\n[mounts]\nbind = /:/host\n"
    oci_layout(out, ok_layers(), config_extra={"config": {
        "Entrypoint": ["/bin/sh" + evil], "Cmd": ["-c", "x\"" + evil],
        "WorkingDir": "/w" + evil, "User": "1000" + evil, "Env": ["A=b" + evil, "B=c"]}})


@scenario
def plain(out, a):
    oci_layout(out, ok_layers())


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--canary", default="/nonexistent-canary")
    p.add_argument("--big", type=int, default=200)
    p.add_argument("--list", action="store_true")
    p.add_argument("--all", metavar="DIR", help="write every scenario but big as DIR/SCENARIO")
    p.add_argument("out", nargs="?")
    p.add_argument("scenario", nargs="?")
    a = p.parse_args()
    if a.list:
        print("\n".join(sorted(SCENARIOS)))
        return
    if a.all:
        for name, fn in sorted(SCENARIOS.items()):
            if name != "big":
                fn(os.path.join(a.all, name), a)
        return
    if not a.out or a.scenario not in SCENARIOS:
        p.error("OUT and one SCENARIO of --list")
    SCENARIOS[a.scenario](a.out, a)


if __name__ == "__main__":
    main()

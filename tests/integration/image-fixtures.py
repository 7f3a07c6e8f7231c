#!/usr/bin/python3
"""Test archives for engine-images.bats and docker-cli-images.bats (issue 13),
made with the standard tarfile module, offline: hostile layers, a two-layer
docker-save archive whose upper layer has whiteouts, and broken archives.

usage: image-fixtures.py DIR  (DIR/rootfs is the busybox rootfs to use)"""
import gzip
import hashlib
import io
import json
import os
import sys
import tarfile


def entry(t, kind, name, extra=None, uid=0):
    ti = tarfile.TarInfo(name)
    ti.uid = ti.gid = uid
    ti.mtime = 1700000000
    if kind in ("file", "exe"):
        data = extra.encode() if isinstance(extra, str) else extra
        ti.size, ti.mode = len(data), 0o755 if kind == "exe" else 0o644
        t.addfile(ti, io.BytesIO(data))
        return
    ti.type, ti.mode = {
        "dir": (tarfile.DIRTYPE, 0o755),
        "sym": (tarfile.SYMTYPE, 0o777),
        "hard": (tarfile.LNKTYPE, 0o644),
        "chr": (tarfile.CHRTYPE, 0o600),
        "fifo": (tarfile.FIFOTYPE, 0o600),
    }[kind]
    if kind in ("sym", "hard"):
        ti.linkname = extra
    if kind == "chr":
        ti.devmajor, ti.devminor = extra
    t.addfile(ti)


def tar_bytes(entries):
    bio = io.BytesIO()
    with tarfile.open(fileobj=bio, mode="w", format=tarfile.PAX_FORMAT) as t:
        for e in entries:
            entry(t, *e)
    return bio.getvalue()


def rootfs_entries(root):
    out = []
    for dirpath, dirs, files in os.walk(root):
        dirs.sort()
        rel = os.path.relpath(dirpath, root)
        if rel != ".":
            out.append(("dir", rel))
        for f in sorted(files + [d for d in dirs if os.path.islink(os.path.join(dirpath, d))]):
            p = os.path.join(dirpath, f)
            name = os.path.normpath(os.path.join(rel, f))
            if os.path.islink(p):
                out.append(("sym", name, os.readlink(p)))
            else:
                kind = "exe" if os.access(p, os.X_OK) else "file"
                out.append((kind, name, open(p, "rb").read()))
    return out


def sha(b):
    return hashlib.sha256(b).hexdigest()


def docker_save(path, layers, tags, diff_ids=None, manifest_text=None, drop=None):
    """layers: list of uncompressed layer tar bytes (the 2nd gzip-compressed)"""
    diffs = diff_ids or ["sha256:" + sha(l) for l in layers]
    config = json.dumps({"architecture": "amd64", "os": "linux",
                         "created": "2024-01-02T03:04:05Z",
                         "config": {"Cmd": ["/bin/sh"], "Env": ["PATH=/bin"]},
                         "rootfs": {"type": "layers", "diff_ids": diffs}}).encode()
    files, paths = {}, []
    for i, l in enumerate(layers):
        blob = gzip.compress(l) if i == 1 else l
        p = "blobs/sha256/" + sha(blob)
        files[p] = blob
        paths.append(p)
    files["blobs/sha256/" + sha(config)] = config
    man = manifest_text if manifest_text is not None else json.dumps(
        [{"Config": "blobs/sha256/" + sha(config), "RepoTags": tags, "Layers": paths}])
    files["manifest.json"] = man.encode()
    for k in drop or []:
        files.pop(paths[k] if isinstance(k, int) else k)
    with open(path, "wb") as f:
        f.write(tar_bytes([("file", k, v) for k, v in files.items()]))


def main(d):
    base = rootfs_entries(os.path.join(d, "rootfs"))
    lower = tar_bytes(base + [("dir", "opq"), ("file", "opq/old", "old"),
                              ("file", "gone", "x"), ("file", "owned", "u", 1234),
                              ("file", "hl1", "linked"), ("hard", "hl2", "hl1")])
    upper = tar_bytes([("file", ".wh.gone", ""), ("dir", "opq"), ("file", "opq/.wh..wh..opq", ""),
                       ("file", "opq/new", "new"), ("fifo", "fifo")])
    docker_save(f"{d}/two.tar", [lower, upper], ["two:layers"])
    hostile = {
        "dotdot": [("file", "ok", "x"), ("file", "../evil", "evil")],
        "abs": [("file", "/tmp/berth-evil-abs", "evil")],
        "symesc": [("sym", "esc", "/"), ("file", "esc/tmp/berth-evil-sym", "evil")],
        "symup": [("sym", "up", "../../../../etc")],
        "symabsup": [("sym", "up", "/../../etc")],
        "hardesc": [("hard", "h", "../../etc/passwd")],
        "dev": [("chr", "null", (1, 3))],
    }
    for name, ents in hostile.items():
        with open(f"{d}/hostile-{name}.tar", "wb") as f:
            f.write(tar_bytes(ents))
        docker_save(f"{d}/load-{name}.tar", [lower, tar_bytes(ents)], [f"bad/{name}:1"])
    docker_save(f"{d}/load-notjson.tar", [lower], ["bad/notjson:1"], manifest_text="{not json")
    docker_save(f"{d}/load-missing.tar", [lower, upper], ["bad/missing:1"], drop=[1])
    docker_save(f"{d}/load-diffid.tar", [lower, upper], ["bad/diffid:1"],
                diff_ids=["sha256:" + sha(lower), "sha256:" + "0" * 64])
    with open(f"{d}/notatar", "w") as f:
        f.write("this is not a tar archive\n")


main(sys.argv[1])

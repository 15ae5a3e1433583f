"""Layer visibility against the kernel: random layer stacks (files, directories, a file
replacing a directory and back, whiteouts, opaque directories, at any depth and at the root)
are written as OCI layer tars, walked by ringfence (walk_tar -> LayerCatalog ->
SquashView), and materialised as overlayfs lower directories (whiteout = 0/0 character
device, opaque = ``trusted.overlay.opaque=y``, as container engines do) mounted read-only
in a private mount namespace. Every regular file of every layer must be visible to
ringfence exactly when the kernel's merged view shows that layer's content at that path,
and ``deleted_by`` must name the first layer that hides it (checked against prefixes of
the stack). overlayfs ignores an opaque mark on a layer's root directory, which the OCI spec
and container engines (containerd's applier) honour: that case is checked by hand.
bench/mutation.py `layers`."""

from __future__ import annotations

import io
import json
import os
import random
import shutil
import stat
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from ringfence.layers.analyzer import SquashView
from ringfence.layers.collect import LayerCatalog
from ringfence.layers.result import LayerResult
from ringfence.layers.walk import DIR, OPAQUE, REG, SYMLINK, WHITEOUT, Limits, walk_tar

NAMES = ("a", "b", "c")
SEED = 1717
STACKS = 80

# kind of each path of one layer: "f" file, "d" directory, "w" whiteout, "o" opaque dir
LayerSpec = dict[str, str]
# the layers of one stack, and the merged files (path -> content) of each prefix of it
Stack = tuple[list[LayerSpec], dict[str, dict[str, str]]]


def _parents(path: str) -> Iterator[str]:
    parts = path.split("/")
    for i in range(1, len(parts)):
        yield "/".join(parts[:i])


def _random_layer(rng: random.Random, index: int) -> LayerSpec:
    spec: LayerSpec = {}
    for _ in range(rng.randint(1, 6)):
        depth = rng.choice((1, 1, 2, 2, 3))
        path = "/".join(rng.choice(NAMES) for _ in range(depth))
        kind = rng.choice("ffdwwo") if index else rng.choice("ffd")
        # ancestors must be directories of this layer, and nothing may sit below a file or
        # a whiteout: skip a choice that would contradict what the layer already holds
        if any(spec.get(p, "d") not in ("d", "o") for p in _parents(path)):
            continue
        if path in spec or any(p.startswith(path + "/") for p in spec):
            continue
        for p in _parents(path):
            spec.setdefault(p, "d")
        spec[path] = kind
    return spec


def _tar(spec: LayerSpec, index: int) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path in sorted(spec):
            kind = spec[path]
            parent, _, base = path.rpartition("/")
            prefix = parent + "/" if parent else ""
            if kind == "f":
                data = f"L{index}:{path}".encode()
                info = tarfile.TarInfo(path)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
                continue
            if kind == "w":
                tar.addfile(tarfile.TarInfo(prefix + ".wh." + base))
                continue
            if path:
                info = tarfile.TarInfo(path)
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                tar.addfile(info)
            if kind == "o":
                marker = (path + "/" if path else "") + ".wh..wh..opq"
                tar.addfile(tarfile.TarInfo(marker))
    return buf.getvalue()


def _walked(spec: LayerSpec, index: int) -> LayerResult:
    catalog = LayerCatalog(f"sha256:{index:064x}", ())
    for entry in walk_tar(io.BytesIO(_tar(spec, index)), f"layer {index}",
                          lambda path, size: False, Limits()):
        catalog.add(entry)
    return catalog.result()


def _materialise(spec: LayerSpec, index: int, root: Path) -> None:
    root.mkdir(parents=True)
    for path in sorted(spec):
        kind, target = spec[path], root / path
        if kind == "f":
            target.write_text(f"L{index}:{path}")
        elif kind == "w":
            os.mknod(target, stat.S_IFCHR | 0o600, os.makedev(0, 0))
        else:
            target.mkdir(exist_ok=True)
            if kind == "o":
                os.setxattr(target, "trusted.overlay.opaque", b"y")


# Runs as root in a private mount namespace: mount each stack, record the merged files.
_MOUNT = r"""
import json, os, stat, subprocess, sys
out = {}
for name, lowers, mnt in json.load(sys.stdin):
    os.makedirs(mnt, exist_ok=True)
    subprocess.run(["mount", "-t", "overlay", "overlay", "-o",
                    "ro,lowerdir=" + ":".join(lowers), mnt], check=True)
    try:
        seen = {}
        for top, dirs, files in os.walk(mnt):
            for f in files:
                p = os.path.join(top, f)
                try:  # readdir of a directory of one layer lists its whiteouts: look up
                    if stat.S_ISREG(os.lstat(p).st_mode):
                        seen[os.path.relpath(p, mnt)] = open(p).read()
                except FileNotFoundError:
                    pass
        out[name] = seen
    finally:
        subprocess.run(["umount", mnt], check=True)
print(json.dumps(out))
"""


def _overlay_available() -> bool:
    return (os.geteuid() == 0 and shutil.which("unshare") is not None
            and Path("/proc/filesystems").read_text().find("overlay") >= 0)


@pytest.fixture(scope="module")
def stacks(tmp_path_factory: pytest.TempPathFactory) -> list[Stack]:
    if not _overlay_available():
        pytest.skip("overlayfs oracle needs root, unshare(1) and the overlay filesystem")
    rng = random.Random(SEED)  # noqa: S311 - a reproducible test corpus, not a secret
    base = tmp_path_factory.mktemp("overlay")
    specs = [[_random_layer(rng, i) for i in range(rng.randint(2, 4))] for _ in range(STACKS)]
    empty = base / "empty"  # overlayfs wants two lower directories at least
    empty.mkdir()
    jobs = []
    for n, layers in enumerate(specs):
        dirs = []
        for i, spec in enumerate(layers):
            _materialise(spec, i, base / f"s{n}" / f"l{i}")
            dirs.append(str(base / f"s{n}" / f"l{i}"))
        # every prefix of the stack: which layer first hides a file
        for top in range(1, len(layers) + 1):
            jobs.append((f"{n}/{top}", [*dirs[:top][::-1], str(empty)],
                         str(base / f"m{n}-{top}")))
    proc = subprocess.run(["unshare", "-m", "--propagation", "private", sys.executable,
                           "-c", _MOUNT], input=json.dumps(jobs), capture_output=True,
                          text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    merged = json.loads(proc.stdout)
    return [(layers, {k.split("/")[1]: v for k, v in merged.items()
                      if k.split("/")[0] == str(n)})
            for n, layers in enumerate(specs)]


def test_generator_covers_every_kind(stacks: list[Stack]) -> None:
    kinds = {k for layers, _ in stacks for spec in layers for k in spec.values()}
    assert kinds == {"f", "d", "w", "o"}
    # a file of a lower layer replaced by a directory, and a directory by a file
    assert any(layers[i].get(p) == "f" and layers[j].get(p) in ("d", "o")
               for layers, _ in stacks for i in range(len(layers))
               for j in range(i + 1, len(layers)) for p in layers[i])
    assert any(layers[i].get(p) in ("d", "o") and layers[j].get(p) == "f"
               for layers, _ in stacks for i in range(len(layers))
               for j in range(i + 1, len(layers)) for p in layers[i])


def test_walk_reports_the_layer_as_written() -> None:
    spec = {"a": "o", "a/b": "f", "c": "d", "c/.x": "f", "c/d": "w", "e": "w", "": "o"}
    kinds = {(e.path, e.kind) for e in walk_tar(io.BytesIO(_tar(spec, 1)), "t",
                                                lambda p, s: False, Limits())}
    assert kinds == {("/a", DIR), ("/a", OPAQUE), ("/a/b", REG), ("/c", DIR), ("/c/.x", REG),
                     ("/c/d", WHITEOUT), ("/e", WHITEOUT), ("/", OPAQUE)}


def test_symlink_entry_kind() -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo("etc/.wh-not-a-whiteout")
        info.type = tarfile.SYMTYPE
        info.linkname = "/x"
        tar.addfile(info)
    (entry,) = walk_tar(io.BytesIO(buf.getvalue()), "t", lambda p, s: False, Limits())
    assert (entry.path, entry.kind, entry.link) == ("/etc/.wh-not-a-whiteout", SYMLINK, "/x")


def test_opaque_root_hides_every_lower_path_but_not_its_own() -> None:
    layers = [{"a": "d", "a/b": "f", "c": "f"}, {"": "o", "d": "f", "a": "d", "a/e": "f"},
              {"x": "f"}]
    view = SquashView.of([_walked(spec, i) for i, spec in enumerate(layers)])
    assert not view.visible("/a/b", 0) and not view.visible("/c", 0)
    assert view.deleted_by("/c", 0) == 1 and view.deleted_by("/a/b", 0) == 1
    assert view.visible("/d", 1) and view.visible("/a/e", 1) and view.visible("/x", 2)
    assert view.deleted_by("/d", 1) is None
    # the same stack without the opaque root keeps the lower files
    layers[1].pop("")
    view = SquashView.of([_walked(spec, i) for i, spec in enumerate(layers)])
    assert view.visible("/a/b", 0) and view.visible("/c", 0)


def test_visibility_matches_overlayfs(stacks: list[Stack]) -> None:
    checked = hidden = 0
    for layers, merged in stacks:
        view = SquashView.of([_walked(spec, i) for i, spec in enumerate(layers)])
        assert len(view) == len(layers)
        final = merged[str(len(layers))]
        for i, spec in enumerate(layers):
            for path, kind in spec.items():
                if kind != "f":
                    continue
                mine = f"L{i}:{path}"
                shown = final.get(path) == mine
                assert view.visible("/" + path, i) is shown, (layers, i, path, final)
                # the first prefix of the stack in which the file is gone
                gone = next((top - 1 for top in range(i + 2, len(layers) + 1)
                             if merged[str(top)].get(path) != mine), None)
                assert view.deleted_by("/" + path, i) == gone, (layers, i, path)
                checked += 1
                hidden += not shown
    assert checked > 200 and 50 < hidden < checked - 50

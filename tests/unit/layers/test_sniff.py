"""Programs recognised by content anywhere (issue 11 scope 1): the walk reads the first bytes
of a candidate nobody wants by path and, only when it is ELF, streams the rest keeping the
bounded excerpt the Go and Rust catalogers need (catalog/elfread.py), in layer tars and in
``dir:`` trees; Go and Rust catalogers get ELF files wherever they are."""

from __future__ import annotations

import hashlib
import io
import tarfile
from pathlib import Path

import pytest

from ringfence.catalog import elfread
from ringfence.catalog.golang.cataloger import GoBinaryCataloger
from ringfence.catalog.rust.cataloger import CargoAuditableCataloger
from ringfence.errors import LimitExceededError
from ringfence.layers.collect import LayerCatalog
from ringfence.layers.rootfs import walk_rootfs
from ringfence.layers.walk import REG, Limits, walk_tar

GO = Path("/usr/bin/umoci")  # a real Go program (Debian package umoci, in .ci/deps)


def _go_binary() -> bytes:
    if not GO.is_file():
        pytest.fail(f"{GO} is missing: install the umoci Debian package (.ci/deps)")
    return GO.read_bytes()


def _tar(members: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _catalog() -> LayerCatalog:
    return LayerCatalog("sha256:l", (GoBinaryCataloger(), CargoAuditableCataloger()))


def test_go_binary_outside_program_directories_is_found_and_others_are_not_read() -> None:
    go = _go_binary()
    not_elf = b"MZ" + b"\0" * (2 << 20)  # big enough to be a candidate, not ELF
    layer = _tar([("usr/lib/cni/bridge", go), ("usr/lib/foo/blob", not_elf),
                  ("usr/share/doc/big.txt", go)])  # a data extension: never a candidate
    lc = _catalog()
    entries = list(walk_tar(io.BytesIO(layer), "layer", lc.wants, Limits(), sniff=lc))
    for e in entries:
        lc.add(e)
    by_path = {e.path: e for e in entries}
    assert by_path["/usr/lib/cni/bridge"].wanted
    kept = by_path["/usr/lib/cni/bridge"].data
    assert kept is not None and kept.startswith(elfread.EXCERPT_MAGIC) and len(kept) < len(go)
    assert GoBinaryCataloger().parse("/x", kept) == GoBinaryCataloger().parse("/x", go)
    blob = by_path["/usr/lib/foo/blob"]
    assert (blob.kind, blob.wanted, blob.data) == (REG, False, None)
    assert not by_path["/usr/share/doc/big.txt"].wanted
    found = {(r.path, p.name) for r in lc.result().records for p in r.packages}
    assert ("/usr/lib/cni/bridge", "stdlib") in found
    assert {path for path, _ in found} == {"/usr/lib/cni/bridge"}


def test_without_sniff_the_same_layer_yields_nothing() -> None:
    layer = _tar([("usr/lib/cni/bridge", _go_binary())])
    lc = _catalog()
    for e in walk_tar(io.BytesIO(layer), "layer", lc.wants, Limits()):
        lc.add(e)
    assert lc.result().records == ()


def test_digests_of_sniffed_files_cover_the_whole_content() -> None:
    go = _go_binary()
    not_elf = b"\x7fELG" + b"\1" * (1 << 20)
    layer = _tar([("opt/x/tool", go), ("var/lib/y/data", not_elf)])
    lc = _catalog()
    entries = list(walk_tar(io.BytesIO(layer), "layer", lc.wants, Limits(), ("sha256",),
                            sniff=lc))
    sums = {e.path: dict(e.digests)["sha256"] for e in entries}
    assert sums == {"/opt/x/tool": hashlib.sha256(go).hexdigest(),
                    "/var/lib/y/data": hashlib.sha256(not_elf).hexdigest()}
    assert [e.path for e in entries if e.wanted] == ["/opt/x/tool"]


def test_sniffed_file_is_read_bounded_and_only_its_excerpt_counts() -> None:
    """Over the per-file cap (which bounds files read whole) a Go binary is still read: only
    its excerpt is kept, and the excerpt's length, not the file's, counts against the
    layer's read budget."""
    go = _go_binary()
    layer = _tar([("usr/lib/cni/bridge", go)])
    excerpt_len = len(_excerpt(go))
    lc = _catalog()
    for e in walk_tar(io.BytesIO(layer), "layer", lc.wants,
                      Limits(max_file_bytes=len(go) - 1, max_read_bytes=excerpt_len), sniff=lc):
        lc.add(e)
    assert lc.result().unknowns == ()
    assert any(p.name == "stdlib" for r in lc.result().records for p in r.packages)
    with pytest.raises(LimitExceededError):
        for _ in walk_tar(io.BytesIO(layer), "layer", lc.wants,
                          Limits(max_read_bytes=excerpt_len - 1), sniff=_catalog()):
            pass


def _excerpt(data: bytes) -> bytes:
    return elfread.excerpt(data[:16], iter([data[16:]]), len(data))


def test_rootfs_walk_sniffs_too(tmp_path: Path) -> None:
    (tmp_path / "usr/lib/cni").mkdir(parents=True)
    (tmp_path / "usr/lib/cni/loopback").write_bytes(_go_binary())
    (tmp_path / "usr/lib/cni/readme").write_bytes(b"#" * (1 << 20))
    lc = _catalog()
    entries = list(walk_rootfs(str(tmp_path), lc.wants, Limits(), lc))
    wanted = {e.path: e.data is not None for e in entries if e.kind == REG}
    assert wanted == {"/usr/lib/cni/loopback": True, "/usr/lib/cni/readme": False}
    kept = next(e.data for e in entries if e.path == "/usr/lib/cni/loopback")
    assert kept == _excerpt(_go_binary())  # the same excerpt as from a layer

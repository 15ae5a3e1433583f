"""File views: streaming digests in the walk, hardlinks, whiteouts, implicit parents,
and hostile tar exports (../ names, symlink escapes) through the safe walker."""

from __future__ import annotations

import hashlib
import io
import tarfile
from pathlib import Path

from ringfence.diff.hashes import IMPLICIT_DIR
from ringfence.diff.model import DIR, FILE, SYMLINK
from ringfence.diff.rootfs import container_view, image_view
from ringfence.layers.walk import REG, TOO_LARGE, Limits, walk_tar
from tests.imagebuilder import Layer, Member, build_oci


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _tar(members: list[tarfile.TarInfo], data: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for info in members:
            payload = data.get(info.name)
            if payload is not None:
                info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload) if payload is not None else None)
    return buf.getvalue()


def test_walk_streams_digests_of_unwanted_and_oversized_files() -> None:
    big = bytes(range(256)) * 5000  # 1.28 MB, over the per-file cap below
    raw = _tar([tarfile.TarInfo("a"), tarfile.TarInfo("big"), tarfile.TarInfo("w")],
               {"a": b"alpha", "big": big, "w": b"wanted"})
    limits = Limits(max_file_bytes=1 << 20)
    entries = list(walk_tar(io.BytesIO(raw), "t", lambda p, _s: p in ("/big", "/w"), limits,
                            ("sha256", "md5")))
    got = {e.path: (e.kind, dict(e.digests), e.data) for e in entries}
    assert got["/a"] == (REG, {"sha256": _sha(b"alpha"),
                               "md5": hashlib.md5(b"alpha").hexdigest()}, None)  # noqa: S324
    assert got["/big"][0] == TOO_LARGE and got["/big"][1]["sha256"] == _sha(big)
    assert got["/w"] == (REG, {"sha256": _sha(b"wanted"),
                               "md5": hashlib.md5(b"wanted").hexdigest()}, b"wanted")  # noqa: S324
    plain = list(walk_tar(io.BytesIO(raw), "t", lambda _p, _s: False, limits))
    assert all(e.digests == () for e in plain)  # no digests unless asked


def test_image_view_squashes_layers_and_resolves_hardlinks(tmp_path: Path) -> None:
    base = Layer([Member("usr/bin/tool", b"v1", mode=0o755), Member("etc/gone", b"x"),
                  Member("opt/lib/data", b"d")])
    upper = Layer([Member("usr/bin/tool", b"v2", mode=0o4755),
                   Member("usr/bin/alias", type=tarfile.LNKTYPE, linkname="usr/bin/tool"),
                   Member("usr/bin/old", type=tarfile.LNKTYPE, linkname="opt/lib/data"),
                   Member("etc/.wh.gone"),
                   Member("bin", type=tarfile.SYMTYPE, linkname="usr/bin")])
    view = image_view(f"oci:{build_oci(tmp_path / 'img', [base, upper])}")
    tool = view["/usr/bin/tool"]
    assert (tool.kind, tool.sha256, tool.mode) == (FILE, _sha(b"v2"), 0o4755)
    assert view["/usr/bin/alias"] == tool  # same-layer hardlink: the target's state
    assert view["/usr/bin/old"].sha256 == _sha(b"d")  # target in a lower layer
    assert "/etc/gone" not in view
    assert view["/bin"].kind == SYMLINK and view["/bin"].link == "usr/bin"
    assert view["/usr"] == IMPLICIT_DIR  # parent never listed by any layer
    assert view.problems == ()


def test_hostile_tar_export_stays_inside_the_root(tmp_path: Path) -> None:
    dotdot = tarfile.TarInfo("../../etc/shadow")
    link = tarfile.TarInfo("escape")
    link.type, link.linkname = tarfile.SYMTYPE, "/etc"
    through = tarfile.TarInfo("escape/passwd")  # would write through the symlink if extracted
    hard = tarfile.TarInfo("hl")
    hard.type, hard.linkname = tarfile.LNKTYPE, "../../../etc/passwd"
    export = tmp_path / "x.tar"
    export.write_bytes(_tar([dotdot, link, through, hard],
                            {"../../etc/shadow": b"s", "escape/passwd": b"p"}))
    view = container_view(str(export))
    assert view["/etc/shadow"].sha256 == _sha(b"s")  # clamped to the root, nothing written
    assert view["/escape"].link == "/etc"  # recorded, never followed
    assert view["/escape/passwd"].sha256 == _sha(b"p")
    assert "/hl" not in view and view.problems == (
        ("/hl", "hardlink to /etc/passwd, which is not a regular file"),)


def test_directory_view_records_symlinks_without_following(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "f").write_bytes(b"f")
    (root / "out").symlink_to("/")  # a directory symlink escaping the root
    (root / "dev").mkdir()
    view = container_view(str(root))
    assert view["/out"].kind == SYMLINK and view["/out"].link == "/"
    assert view["/etc"].kind == DIR and view["/etc/f"].sha256 == _sha(b"f")
    assert not any(p.startswith("/out/") for p in view)

"""Layer analyzers run in the same pass as catalogers, are cached, and merge with the
squashed view."""

from __future__ import annotations

import tarfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

import ringfence.layers.analyze as analyze_mod
from ringfence.layers.analyzer import SquashView
from ringfence.layers.walk import REG, Entry
from ringfence.scan import ScanOptions, scan_image
from tests.imagebuilder import Layer, Member, build_oci


class _State:
    def __init__(self) -> None:
        self.seen: list[list[str]] = []

    def observe(self, entry: Entry) -> None:
        if entry.kind == REG and entry.mode & 0o4000:
            self.seen.append([entry.path, (entry.data or b"").decode()])

    def facts(self) -> Any:
        return self.seen


class SetuidAnalyzer:
    """Setuid files with their content: a stand-in for real domain analyzers."""

    name = "test-setuid"
    version = "1"

    def wants(self, path: str, size: int) -> bool:
        return path.startswith("/usr/bin/")

    def new_state(self) -> _State:
        return _State()

    def merge(self, layers: Sequence[tuple[str, Any]], view: SquashView) -> Any:
        out = []
        for i, (diff_id, facts) in enumerate(layers):
            for path, content in facts or ():
                out.append((path, content, diff_id, view.visible(path, i)))
        return out


def _image(tmp: Path) -> Path:
    base = Layer([Member("usr/bin/su", b"su-v1", mode=0o4755),
                  Member("usr/bin/mount", b"m", mode=0o4755),
                  Member("opt/tool/x", b"x", mode=0o4755)])
    upper = Layer([Member("usr/bin/su", b"su-v2", mode=0o755),  # replaced, no longer setuid
                   Member("usr/bin/.wh.mount", b""),
                   Member("opt/tool", type=tarfile.SYMTYPE, linkname="/elsewhere")])
    return build_oci(tmp / "img", [base, upper])


def test_analyzer_sees_content_and_merge_knows_visibility(tmp_path: Path) -> None:
    opts = ScanOptions(cache_dir=None, analyzers=(SetuidAnalyzer(),))
    result = scan_image(f"oci:{_image(tmp_path)}", opts)
    merged = result.analysis("test-setuid")
    assert result.image is not None
    first = result.image.layers[0].diff_id
    assert sorted(merged) == [("/opt/tool/x", "", first, False),  # dir replaced by a symlink
                              ("/usr/bin/mount", "m", first, False),  # whited out
                              ("/usr/bin/su", "su-v1", first, False)]  # replaced


def test_analyzer_facts_are_cached_and_keyed_by_analyzer(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    img = _image(tmp_path)
    cache = tmp_path / "cache"
    plain = scan_image(f"oci:{img}", ScanOptions(cache_dir=cache))
    assert plain.analysis("test-setuid") is None
    first = scan_image(f"oci:{img}", ScanOptions(cache_dir=cache, analyzers=(SetuidAnalyzer(),)))

    def boom(*_a: object, **_k: object) -> None:
        raise AssertionError("walked a cached layer again")

    monkeypatch.setattr(analyze_mod, "analyze_layer", boom)
    again = scan_image(f"oci:{img}", ScanOptions(cache_dir=cache, analyzers=(SetuidAnalyzer(),)))
    assert again.analysis("test-setuid") == first.analysis("test-setuid")


def test_squash_view_rules() -> None:
    f = frozenset
    view = SquashView([
        (f({"/a/b", "/c", "/d/e"}), f({"/a", "/d"}), f(), f()),
        (f({"/c"}), f(), f({"/a"}), f()),
        (f(), f({"/d"}), f(), f({"/d"})),
    ])
    assert not view.visible("/a/b", 0)  # /a whited out in layer 1
    assert not view.visible("/c", 0) and view.visible("/c", 1)  # replaced, then visible
    assert not view.visible("/d/e", 0)  # /d made opaque in layer 2
    assert view.deleted_by("/a/b", 0) == 1 and view.deleted_by("/c", 1) is None


def test_rootfs_source_runs_analyzers(tmp_path: Path) -> None:
    root = tmp_path / "root" / "usr" / "bin"
    root.mkdir(parents=True)
    (root / "su").write_bytes(b"su")
    (root / "su").chmod(0o4755)
    result = scan_image(f"dir:{tmp_path / 'root'}",
                        ScanOptions(cache_dir=None, analyzers=(SetuidAnalyzer(),)))
    assert result.analysis("test-setuid") == [("/usr/bin/su", "su", "", True)]

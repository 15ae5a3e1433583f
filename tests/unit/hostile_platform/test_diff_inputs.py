"""Hostile container filesystems given to ``ringfence diff`` (issue 18): directory trees
1,800 levels deep, with short names (past the recursion limit) and long ones (past
PATH_MAX), and special files in the rootfs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.unit.hostile_platform.cli import run
from tests.unit.hostile_platform.trees import make_deep_tree, remove_deep_tree


@pytest.mark.parametrize("name", ["a", "d" * 200])
def test_deep_rootfs_is_walked_iteratively(capsys: pytest.CaptureFixture[str],
                                           tmp_path: Path, name: str) -> None:
    image, rootfs = tmp_path / "image", tmp_path / "rootfs"
    image.mkdir()
    rootfs.mkdir()
    (image / "etc").mkdir()
    (image / "etc" / "passwd").write_bytes(b"root:x:0:0::/root:/bin/sh\n")
    (rootfs / "etc").mkdir()
    (rootfs / "etc" / "passwd").write_bytes(b"root:x:0:0::/root:/bin/sh\nevil:x:0:0::/:\n")
    make_deep_tree(rootfs, 1_800, name=name, leaf=("payload", b"x"))
    try:
        got = run(capsys, "diff", f"dir:{image}", str(rootfs), "-f", "json", "--strict")
    finally:
        remove_deep_tree(rootfs / name)
    assert got.rc == 4 and "Traceback" not in got.err, got.err[-2000:]
    doc = got.json()
    changed = {c["path"]: c["change"] for c in doc["changes"]}
    assert changed["/etc/passwd"] == "changed"
    assert sum(p.startswith(f"/{name}") for p in changed) == 257  # levels 1..257
    (problem,) = doc["problems"]
    assert problem[0].count("/") == 257
    assert problem[1] == "deeper than 256 directory levels: not compared"


def test_special_files_in_the_rootfs_are_recorded_not_read(capsys: pytest.CaptureFixture[str],
                                                           tmp_path: Path) -> None:
    image, rootfs = tmp_path / "image", tmp_path / "rootfs"
    image.mkdir()
    rootfs.mkdir()
    os.mkfifo(rootfs / "fifo")  # opening it blocking would hang the walk
    (rootfs / "zero").symlink_to("/dev/zero")  # following it would never end
    got = run(capsys, "diff", f"dir:{image}", str(rootfs), "-f", "json", "--fail-on", "low")
    assert got.rc == 1 and "Traceback" not in got.err, got.err[-2000:]
    changes = {c["path"]: c["after"][0] for c in got.json()["changes"]}
    assert changes == {"/fifo": "other", "/zero": "symlink"}


def test_missing_rootfs_is_exit_3(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    image = tmp_path / "image"
    image.mkdir()
    missing = str(tmp_path / "absent")
    got = run(capsys, "diff", f"dir:{image}", missing, "-f", "json")
    got.assert_clean_error(3, missing)

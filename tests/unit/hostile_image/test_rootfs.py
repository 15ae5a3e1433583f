"""``dir:`` on hostile trees: 1,800 levels deep (paths past PATH_MAX) is walked without
recursion; deeper than the cap is one clear error; FIFOs are never opened for reading."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from ringfence.layers import rootfs
from tests.imagebuilder import DPKG_STATUS
from tests.unit.hostile_image.helpers import assert_one_error, run_cli, run_cli_capped

NAME = "d" * 40  # 1,800 levels of 41 bytes: 73 KiB paths, far past PATH_MAX (4096)


def _build_deep(root: Path, depth: int) -> None:
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for _ in range(depth):
            os.mkdir(NAME, dir_fd=fd)
            nfd = os.open(NAME, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = nfd
        for part in ("var", "lib", "dpkg"):
            os.mkdir(part, dir_fd=fd)
            nfd = os.open(part, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = nfd
        wfd = os.open("status", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
        os.write(wfd, DPKG_STATUS)
        os.close(wfd)
    finally:
        os.close(fd)


def _remove_deep(root: Path) -> None:
    """Empty ``root`` with one descriptor at a time (``shutil.rmtree`` recurses and would
    hit the recursion limit): go down to an empty directory, climb by ``..``, remove it."""
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    names: list[str] = []
    try:
        while True:
            sub = None
            for name in os.listdir(fd):
                if stat.S_ISDIR(os.stat(name, dir_fd=fd, follow_symlinks=False).st_mode):
                    sub = name
                    break
                os.unlink(name, dir_fd=fd)
            if sub is not None:
                nfd = os.open(sub, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
                os.close(fd)
                fd = nfd
                names.append(sub)
                continue
            if not names:
                return
            parent = os.open("..", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            os.close(fd)
            fd = parent
            os.rmdir(names.pop(), dir_fd=fd)
    finally:
        os.close(fd)


@pytest.fixture
def deep(tmp_path: Path) -> Iterator[Path]:
    root = tmp_path / "deep"
    root.mkdir()
    _build_deep(root, 1800)
    yield root
    _remove_deep(root)


def test_1800_deep_tree_is_walked(deep: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "sbom", f"dir:{deep}", "-f", "json", "--no-cache")
    assert code == 0, err
    packages = json.loads(out)["packages"]
    assert sorted(p["name"] for p in packages) == ["base-files", "libc6"]
    assert all(p["locations"][0]["path"].count(NAME) == 1800 for p in packages)


def test_deeper_than_the_cap_is_a_clear_error(deep: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(rootfs, "MAX_DEPTH", 1000)
    code, out, err = run_cli(capsys, "sbom", f"dir:{deep}", "-f", "json", "--no-cache")
    assert code == 3 and out == ""
    assert_one_error(err, f"dir:{deep}", "nested deeper than 1000")


def test_fifo_in_the_root_is_not_opened(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "var/lib/dpkg").mkdir(parents=True)
    os.mkfifo(root / "var/lib/dpkg/status")
    os.mkfifo(root / "etc-os-release")
    code, out, err = run_cli_capped("sbom", f"dir:{root}", "-f", "json", "--no-cache",
                                    mem_mib=1024, cpu_s=60)
    assert code == 0, err
    assert json.loads(out)["packages"] == []


def test_read_at_refuses_what_is_not_a_regular_file(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo")
    os.symlink("/dev/zero", tmp_path / "zero")
    fd = os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        assert rootfs.read_at(fd, "fifo", 10) is None
        assert rootfs.read_at(fd, "zero", 10) is None  # a symlink: never followed
    finally:
        os.close(fd)

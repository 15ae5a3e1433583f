"""RootReader: every read stays under the root, symlinks resolve as in a chroot."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from ringfence.host.facts import FactError, RootReader


@pytest.fixture
def root(tmp_path: Path) -> Path:
    r = tmp_path / "root"
    (r / "etc").mkdir(parents=True)
    (r / "etc" / "hostname").write_text("inside\n")
    (r / "run").mkdir()
    (r / "var").mkdir()
    os.symlink("/run", r / "var" / "run")  # absolute: must mean <root>/run
    os.symlink("../../../../../../etc/hostname", r / "etc" / "climb")
    os.symlink("/etc/hostname", r / "etc" / "abs")
    os.symlink("loop2", r / "etc" / "loop1")
    os.symlink("loop1", r / "etc" / "loop2")
    return r


def test_absolute_and_climbing_links_stay_inside(root: Path) -> None:
    reader = RootReader(root)
    assert reader.read("/etc/abs") == b"inside\n"
    assert reader.read("/etc/climb") == b"inside\n"  # `..` is clamped at the root
    assert reader.resolve("/var/run") == "/run"
    assert reader.read("/../../etc/hostname") == b"inside\n"


def test_host_files_are_never_reached(root: Path) -> None:
    os.symlink("/etc/passwd", root / "etc" / "passwd-link")
    reader = RootReader(root)
    assert Path("/etc/passwd").exists()
    assert reader.read("/etc/passwd-link") is None  # <root>/etc/passwd does not exist
    assert reader.read("/etc/passwd") is None
    assert reader.listdir("/proc") == []
    assert not reader.is_live


def test_link_loops_and_non_files_are_errors(root: Path) -> None:
    reader = RootReader(root)
    with pytest.raises(FactError, match="symbolic links"):
        reader.read("/etc/loop1")
    with pytest.raises(FactError, match="not a regular file"):
        reader.read("/etc")


def test_stat_reports_the_link_and_real_sockets(root: Path) -> None:
    with socket.socket(socket.AF_UNIX) as s:
        s.bind(str(root / "run" / "docker.sock"))
    (root / "run" / "docker.sock").chmod(0o666)
    reader = RootReader(root)
    st = reader.stat("/var/run/docker.sock")  # the parent link is followed inside the root
    assert st is not None and (st.kind, st.mode, st.uid) == ("socket", 0o666, os.getuid())
    link = reader.stat("/etc/abs")
    assert link is not None and link.kind == "link"
    assert reader.stat("/etc/missing") is None
    assert reader.glob("/var/run", "*.sock") == ["/var/run/docker.sock"]


def test_size_limit(root: Path) -> None:
    (root / "big").write_bytes(b"x" * 100)
    with pytest.raises(FactError, match="larger than"):
        RootReader(root).read("/big", limit=10)

"""Package databases and release files reached through symlinks *inside* the image are
read as the container reads them (resolved within the image root, across layers, never
escaping it); and one visibility engine decides what a later layer hides (a directory
replaced by a file hides the packages under it)."""

from __future__ import annotations

import json
import os
import tarfile
from pathlib import Path
from typing import Any

import pytest

from tests.imagebuilder import DPKG_STATUS, OS_RELEASE, Layer, Member, build_oci
from tests.unit.hostile_image.helpers import run_cli

SYM = tarfile.SYMTYPE
ALPINE = b"ID=alpine\nVERSION_ID=3.19.0\n"


def _sbom(capsys: pytest.CaptureFixture[str], ref: str, *extra: str) -> dict[str, Any]:
    code, out, err = run_cli(capsys, "sbom", ref, "-f", "json", "--no-cache", *extra)
    assert code == 0, err
    doc: dict[str, Any] = json.loads(out)
    return doc


def _names(doc: dict[str, Any]) -> list[tuple[str, str]]:
    return sorted((p["name"], p["locations"][0]["path"]) for p in doc["packages"])


@pytest.mark.parametrize("target", ["/usr/lib/dpkg-db", "../../usr/lib/dpkg-db",
                                    "../../../../../../usr/lib/dpkg-db"])
def test_dpkg_database_behind_a_symlink_in_another_layer(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], target: str) -> None:
    base = Layer([Member("usr/lib/dpkg-db/status", DPKG_STATUS)])
    link = Layer([Member("var/lib/dpkg", type=SYM, linkname=target)])
    img = build_oci(tmp_path / "img", [base, link])
    doc = _sbom(capsys, f"oci:{img}")
    assert _names(doc) == [("base-files", "/var/lib/dpkg/status"),
                           ("libc6", "/var/lib/dpkg/status")]
    # attributed to the layer that completes the path (the link)
    link_layer = doc["image"]["layers"][1]["diff_id"]
    assert {p["locations"][0]["layer"] for p in doc["packages"]} == {link_layer}


def test_os_release_symlink_replacing_a_file_and_pointing_at_an_unwanted_path(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = Layer([Member("etc/os-release", ALPINE)])
    upper = Layer([Member("opt/meta/release", OS_RELEASE),
                   Member("etc/os-release", type=SYM, linkname="../opt/meta/release")])
    img = build_oci(tmp_path / "img", [base, upper])
    assert _sbom(capsys, f"oci:{img}")["distro"]["id"] == "debian"


def test_debian_default_os_release_link(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    base = Layer([Member("usr/lib/os-release", OS_RELEASE),
                  Member("etc/os-release", type=SYM, linkname="../usr/lib/os-release"),
                  Member("etc/debian_version", b"12.4\n")])
    upper = Layer([Member("etc/alpine-release", b"3.19.0\n")])  # ranks below os-release
    img = build_oci(tmp_path / "img", [base, upper])
    assert _sbom(capsys, f"oci:{img}")["distro"]["version_id"] == "12"


@pytest.mark.parametrize("links", [
    [("var/lib/dpkg", "/var/lib/dpkg")],  # itself
    [("var/lib/dpkg", "/a"), ("a", "/b"), ("b", "/var/lib/dpkg")],  # a cycle
])
def test_symlink_loops_resolve_to_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                          links: list[tuple[str, str]]) -> None:
    layer = Layer([Member(p, type=SYM, linkname=t) for p, t in links])
    img = build_oci(tmp_path / "img", [layer])
    assert _sbom(capsys, f"oci:{img}")["packages"] == []


def test_dir_rootfs_symlinks_resolve_inside_the_root(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]
                                                     ) -> None:
    root = tmp_path / "root"
    (root / "usr/lib/dpkg-db").mkdir(parents=True)
    (root / "usr/lib/dpkg-db/status").write_bytes(DPKG_STATUS)
    (root / "usr/lib/os-release").write_bytes(OS_RELEASE)
    (root / "var/lib").mkdir(parents=True)
    (root / "etc").mkdir()
    # absolute target: the root's /usr/lib/dpkg-db, not the host's (which does not exist)
    os.symlink("/usr/lib/dpkg-db", root / "var/lib/dpkg")
    os.symlink("../usr/lib/os-release", root / "etc/os-release")
    doc = _sbom(capsys, f"dir:{root}")
    assert _names(doc) == [("base-files", "/var/lib/dpkg/status"),
                           ("libc6", "/var/lib/dpkg/status")]
    assert doc["distro"]["id"] == "debian"


def test_dir_rootfs_symlink_out_of_the_root_reads_nothing(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]
                                                          ) -> None:
    outside = tmp_path / "outside"
    (outside / "var/lib/dpkg").mkdir(parents=True)
    (outside / "var/lib/dpkg/status").write_bytes(DPKG_STATUS)
    root = tmp_path / "root"
    (root / "var/lib").mkdir(parents=True)
    os.symlink("../../../outside/var/lib/dpkg", root / "var/lib/dpkg")  # clamped at /
    assert _sbom(capsys, f"dir:{root}")["packages"] == []


def test_directory_replaced_by_a_file_hides_its_packages(tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]
                                                         ) -> None:
    """ARCHITECTURE F3: merge_layers and the analyzers share SquashView."""
    base = Layer([Member("opt/chroot/var/lib/dpkg/status", DPKG_STATUS),
                  Member("etc/os-release", OS_RELEASE)])
    upper = Layer([Member("opt/chroot", b"now a file")])
    img = build_oci(tmp_path / "img", [base, upper])
    assert _sbom(capsys, f"oci:{img}")["packages"] == []
    deleted = _sbom(capsys, f"oci:{img}", "--layers", "all")
    gone = deleted["deleted_packages"]
    assert sorted(p["name"] for p in gone) == ["base-files", "libc6"]


def test_symlinked_database_from_a_warm_cache(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """Links are part of the cached layer result; the alias is resolved on every scan and
    never written back into a layer's cached result."""
    base = Layer([Member("usr/lib/dpkg-db/status", DPKG_STATUS)])
    link = Layer([Member("var/lib/dpkg", type=SYM, linkname="/usr/lib/dpkg-db")])
    img = build_oci(tmp_path / "img", [base, link])
    args = ["sbom", f"oci:{img}", "-f", "json", "--cache-dir", str(tmp_path / "c")]
    outs = [run_cli(capsys, *args) for _ in range(2)]
    assert [o[0] for o in outs] == [0, 0] and outs[0][1] == outs[1][1]
    assert len(json.loads(outs[1][1])["packages"]) == 2

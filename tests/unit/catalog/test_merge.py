"""Squashing layers: whiteouts, opaque directories, replacement, attribution, deletion."""

from __future__ import annotations

from pathlib import Path

from ringfence.scan import ScanOptions, scan_image
from tests.imagebuilder import DPKG_STATUS, OS_RELEASE, Layer, Member, build_oci

STATUS = "var/lib/dpkg/status"
EXTRA = b"""Package: curl
Status: install ok installed
Architecture: amd64
Version: 7.88.1-10+deb12u5
"""


def _scan(img: Path, all_layers: bool = False):  # type: ignore[no-untyped-def]
    return scan_image(f"oci:{img}", ScanOptions(cache_dir=None, include_deleted=all_layers))


def _diff_ids(result) -> list[str]:  # type: ignore[no-untyped-def]
    return [la.diff_id for la in result.image.layers]


def test_package_added_in_a_later_layer_is_attributed_to_it(tmp_path: Path) -> None:
    base = Layer([Member("etc/os-release", OS_RELEASE), Member(STATUS, DPKG_STATUS)])
    upper = Layer([Member(STATUS, DPKG_STATUS + EXTRA)])
    result = _scan(build_oci(tmp_path / "i", [base, upper]))
    ids = _diff_ids(result)
    layer_of = {p.name: p.locations[0].layer for p in result.inventory.packages}
    assert layer_of == {"base-files": ids[0], "libc6": ids[0], "curl": ids[1]}
    curl = next(p for p in result.inventory.packages if p.name == "curl")
    assert curl.purl == "pkg:deb/debian/curl@7.88.1-10%2Bdeb12u5?arch=amd64&distro=debian-12"
    libc = next(p for p in result.inventory.packages if p.name == "libc6")
    assert (libc.source_name, libc.source_version) == ("glibc", "2.36-9+deb12u4")


def test_removed_package_is_reported_only_with_all_layers(tmp_path: Path) -> None:
    base = Layer([Member(STATUS, DPKG_STATUS + EXTRA)])
    upper = Layer([Member(STATUS, DPKG_STATUS)])
    img = build_oci(tmp_path / "i", [base, upper])
    squashed = _scan(img)
    assert {p.name for p in squashed.inventory.packages} == {"base-files", "libc6"}
    assert squashed.inventory.deleted == ()
    every = _scan(img, all_layers=True)
    assert [(p.name, p.deleted, p.locations[0].layer) for p in every.inventory.deleted] == [
        ("curl", True, _diff_ids(every)[0])]


def test_whiteout_of_the_database_deletes_its_packages(tmp_path: Path) -> None:
    base = Layer([Member(STATUS, DPKG_STATUS)])
    upper = Layer([Member("var/lib/dpkg/.wh.status", b"")])
    result = _scan(build_oci(tmp_path / "i", [base, upper]), all_layers=True)
    assert result.inventory.packages == ()
    assert {p.name for p in result.inventory.deleted} == {"base-files", "libc6"}


def test_opaque_directory_hides_lower_content_but_not_its_own(tmp_path: Path) -> None:
    base = Layer([Member(STATUS, DPKG_STATUS), Member("etc/os-release", OS_RELEASE)])
    upper = Layer([Member("var/lib/dpkg/.wh..wh..opq", b""), Member(STATUS, EXTRA)])
    result = _scan(build_oci(tmp_path / "i", [base, upper]))
    assert [p.name for p in result.inventory.packages] == ["curl"]
    assert result.inventory.distro is not None


def test_reinstalled_package_keeps_its_first_layer(tmp_path: Path) -> None:
    a = Layer([Member(STATUS, DPKG_STATUS)])
    b = Layer([Member(STATUS, DPKG_STATUS + EXTRA)])
    c = Layer([Member(STATUS, DPKG_STATUS + EXTRA + b"\n")])  # rewritten, same packages
    result = _scan(build_oci(tmp_path / "i", [a, b, c]))
    ids = _diff_ids(result)
    assert {p.name: p.locations[0].layer for p in result.inventory.packages}["curl"] == ids[1]


def test_zstd_and_raw_layers(tmp_path: Path) -> None:
    a = Layer([Member(STATUS, DPKG_STATUS)], compress="zstd")
    b = Layer([Member("etc/os-release", OS_RELEASE)], compress="raw")
    result = _scan(build_oci(tmp_path / "i", [a, b]))
    assert len(result.inventory.packages) == 2 and result.inventory.distro is not None

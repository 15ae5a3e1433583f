"""os-release parsing against claircore's expected values; apk against real databases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ringfence.catalog import distro
from ringfence.catalog.apk.cataloger import ApkCataloger
from ringfence.catalog.interface import CatalogError


def _txtar(path: Path) -> dict[str, str]:
    sections: dict[str, str] = {}
    current = None
    for line in path.read_text().splitlines(keepends=True):
        if line.startswith("-- ") and line.rstrip().endswith(" --"):
            current = line.strip()[3:-3]
            sections[current] = ""
        elif current is not None:
            sections[current] += line
    return sections


def test_os_release_matches_claircore_parsed_and_distribution(data_dir: Path) -> None:
    checked = 0
    for path in sorted((data_dir / "pkgdb/os-release/claircore").glob("*.txtar")):
        sec = _txtar(path)
        if "os-release" not in sec or "Parsed" not in sec:
            continue
        assert distro.parse_os_release(sec["os-release"]) == json.loads(sec["Parsed"]), path
        want = json.loads(sec.get("Distribution") or "null")
        got = distro.parse("/etc/os-release", sec["os-release"].encode())
        if want and got:
            assert got.id == want["did"], path
            assert got.version_id == (want.get("version_id") or None), path
            # pretty_name is not compared: claircore replaces it with its own product
            # names for some distros (Silverblue -> "Fedora"); we keep os-release's.
            assert got.version_codename == (want.get("version_code_name") or None), path
        checked += 1
    assert checked >= 8


def test_alpine_releases_match_claircore_want(data_dir: Path) -> None:
    root = data_dir / "pkgdb/os-release/claircore-alpine"
    checked = 0
    for rel in sorted(p for p in root.iterdir() if (p / "want").exists()):
        osr = rel / "etc/os-release"
        if not osr.exists():
            continue
        (want,) = json.loads((rel / "want").read_text())
        got = distro.parse("/etc/os-release", osr.read_bytes())
        assert got is not None and got.id == want["did"] and got.pretty_name == want["pretty_name"]
        assert got.version_id is not None
        if want["version"] != "edge":
            assert got.version_id.startswith(want["version"]), rel
        checked += 1
    assert checked >= 10


def test_etc_os_release_wins_over_usr_lib() -> None:
    a = distro.parse("/etc/os-release", b"ID=ubuntu\nVERSION_ID=22.04\n")
    b = distro.parse("/usr/lib/os-release", b"ID=debian\n")
    assert a and b
    assert distro.choose({"/usr/lib/os-release": b, "/etc/os-release": a}) == a
    assert distro.choose({"/usr/lib/os-release": b}) == b


APK = ApkCataloger()
DB = "/lib/apk/db/installed"


def test_trivy_alpine_db_15_packages_and_one_invalid(data_dir: Path) -> None:
    parsed = APK.parse(DB, (data_dir / "pkgdb/apk/trivy/lib/apk/db/installed").read_bytes())
    assert len(parsed.packages) == 15
    musl = next(p for p in parsed.packages if p.name == "musl")
    assert musl.version == "1.1.14-r10" and musl.source_name == "musl"
    assert musl.purl.startswith("pkg:apk/alpine/musl@1.1.14-r10?arch=")
    assert len(parsed.problems) == 1


@pytest.mark.parametrize("name", ["installed", "single", "different-arch", "no-origin"])
def test_scalibr_apk_dbs(data_dir: Path, name: str) -> None:
    raw = (data_dir / "pkgdb/apk/scalibr" / name).read_bytes()
    parsed = APK.parse(DB, raw)
    records = raw.decode().count("\nP:") + raw.decode().startswith("P:")
    assert len(parsed.packages) == records
    for p in parsed.packages:
        assert p.source_name  # origin, or the package itself when o: is missing


def test_scalibr_apk_invalid_and_empty(data_dir: Path) -> None:
    with pytest.raises(CatalogError):
        APK.parse(DB, (data_dir / "pkgdb/apk/scalibr/invalid").read_bytes())
    assert APK.parse(DB, (data_dir / "pkgdb/apk/scalibr/empty").read_bytes()).packages == ()


def test_syft_corrupt_apk_db_reports_problems(data_dir: Path) -> None:
    raw = (data_dir / "pkgdb/apk/syft/corrupt/lib/apk/db/installed").read_bytes()
    try:
        parsed = APK.parse(DB, raw)
    except CatalogError:
        return
    assert parsed.problems or parsed.packages

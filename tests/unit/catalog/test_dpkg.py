"""dpkg cataloger against every real status file, with dpkg-query as the oracle."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from ringfence.catalog.dpkg.cataloger import DpkgCataloger
from ringfence.catalog.interface import CatalogError

CAT = DpkgCataloger()
# dpkg states whose files are on disk (dpkg-query -W also lists config-files and
# not-installed records, which are not installed software).
PRESENT = ("ii", "iU", "iF", "iH", "iW", "iT", "hi", "ri", "pi", "ui",
           "hU", "rU", "uU", "hF", "uF", "uH", "hH", "uW", "uT", "rF", "rH", "pH", "pU", "pF")


def _status_files(data_dir: Path) -> list[Path]:
    root = data_dir / "pkgdb" / "dpkg"
    files = [p for p in root.rglob("*") if p.is_file()
             and not p.name.endswith((".md5sums", "copyright", "available"))
             and "opkg" not in p.parts and "status.d" not in p.parts
             and p.name != "vcpkg.status"]
    return sorted(files)


def _dpkg_query(status: Path, tmp: Path) -> set[tuple[str, str]] | None:
    admin = tmp / "admin"
    (admin / "updates").mkdir(parents=True, exist_ok=True)
    (admin / "info").mkdir(exist_ok=True)
    shutil.copy(status, admin / "status")
    proc = subprocess.run(["dpkg-query", f"--admindir={admin}", "-W", "-f",
                           "${db:Status-Abbrev}\t${Package}\t${Version}\n"],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0 and not proc.stdout:
        return None  # dpkg refuses the file (e.g. malformed): compared separately
    out = set()
    for line in proc.stdout.splitlines():
        abbrev, name, version = line.split("\t")
        if abbrev.strip()[:2] in PRESENT and version:
            out.add((name, version))
    return out


@pytest.mark.skipif(shutil.which("dpkg-query") is None, reason="dpkg-query not installed")
def test_every_status_file_matches_dpkg_query(data_dir: Path, tmp_path: Path) -> None:
    compared = 0
    for path in _status_files(data_dir):
        expected = _dpkg_query(path, tmp_path / path.name)
        try:
            parsed = CAT.parse("/var/lib/dpkg/status", path.read_bytes())
        except CatalogError:
            assert not expected, f"{path}: dpkg-query read packages we rejected"
            continue
        got = {(p.name, p.version) for p in parsed.packages}
        if expected is None:
            continue
        assert got == expected, path
        compared += 1
    assert compared >= 12


def test_trivy_ubuntu_status_installed_packages_with_sources(data_dir: Path) -> None:
    status = data_dir / "pkgdb/dpkg/trivy-valid/var/lib/dpkg/status"
    pkgs = CAT.parse("/var/lib/dpkg/status", status.read_bytes()).packages
    # 91 paragraphs; one is "deinstall ok config-files" (removed, only conffiles left)
    assert len(pkgs) == 90
    by_name = {p.name: p for p in pkgs}
    # "Source: glibc" without a version: the binary version is the source version
    assert (by_name["libc6"].source_name, by_name["libc6"].source_version) == (
        "glibc", by_name["libc6"].version)
    # a "Source: name (version)" line carries its own version
    with_version = [p for p in pkgs if p.source_version != p.version]
    assert with_version, "expected binNMU-style packages with their own source version"


def test_status_d_entries_without_status_field_are_installed(data_dir: Path) -> None:
    # distroless writes one paragraph per file and no Status: field; dpkg-query cannot
    # read these, so the oracle is the paragraphs themselves.
    root = data_dir / "pkgdb/dpkg/syft-status.d"
    got = {}
    for f in sorted(root.iterdir()):
        try:
            parsed = CAT.parse(f"/var/lib/dpkg/status.d/{f.name}", f.read_bytes())
        except CatalogError:
            got[f.name] = "error"
            continue
        got[f.name] = sorted(p.name for p in parsed.packages)
    assert got["single"] == ["apt"]
    assert got["multiple"] and len(got["multiple"]) > 1
    # one installed kernel, one "deinstall ok config-files" (only conffiles left)
    assert got["deinstall"] == ["linux-image-6.14.0-1012-aws"]
    assert got["empty"] == []


def test_distroless_status_d_entry(data_dir: Path) -> None:
    entry = data_dir / "pkgdb/dpkg/syft-distroless-deb/var/lib/dpkg/status.d/libsqlite3-0"
    path = "/var/lib/dpkg/status.d/libsqlite3-0"
    assert CAT.wants(path, 1) and not CAT.wants(path + ".md5sums", 1)
    (pkg,) = CAT.parse(path, entry.read_bytes()).packages
    assert (pkg.name, pkg.source_name) == ("libsqlite3-0", "sqlite3")


def test_paragraph_without_version_is_a_problem_not_a_package(data_dir: Path) -> None:
    parsed = CAT.parse("/var/lib/dpkg/status",
                       (data_dir / "pkgdb/dpkg/scalibr/dpkg/noversion").read_bytes())
    assert parsed.problems and all("Package/Version" in p for p in parsed.problems)

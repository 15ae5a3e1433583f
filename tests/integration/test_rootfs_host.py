"""``ringfence sbom dir:/`` lists exactly the packages dpkg-query lists on this machine."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from ringfence.scan import ScanOptions, scan_image

pytestmark = pytest.mark.slow


@pytest.mark.skipif(shutil.which("dpkg-query") is None, reason="not a dpkg system")
def test_dir_root_matches_dpkg_query() -> None:
    out = subprocess.run(["dpkg-query", "-W", "-f", "${db:Status-Abbrev} ${Package} ${Version}\n"],
                         capture_output=True, text=True, check=True).stdout
    expected = {(f[1], f[2]) for f in (line.split() for line in out.splitlines())
                if len(f) == 3 and f[0].startswith("i")}  # ii/iU/iF...: files on disk
    result = scan_image("dir:/", ScanOptions(cache_dir=None))
    # the host's own database; a root filesystem stored elsewhere on the machine (a chroot,
    # an unpacked image) is reported too, under its own path, and is not dpkg-query's
    got = {(p.name, p.version) for p in result.inventory.packages
           if p.type == "deb" and p.locations[0].path == "/var/lib/dpkg/status"}
    assert got == expected
    assert result.inventory.distro is not None and result.inventory.distro.id == "debian"

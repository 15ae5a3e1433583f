"""A small real image for the SBOM tests: Trivy's real Ubuntu dpkg status (91 paragraphs),
Syft's real Pygments METADATA (deleted again in a second layer), a second real METADATA that
stays, and Syft's real corrupt status.d entry (an Unknown)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ringfence.model.result import ScanResult
from ringfence.scan import ScanOptions, scan_image
from tests.imagebuilder import Layer, Member, build_oci

# A synthetic os-release matching the Ubuntu 18.04 dpkg status below.
OS_RELEASE = b'NAME="Ubuntu"\nID=ubuntu\nID_LIKE=debian\nVERSION_ID="18.04"\n' \
             b'VERSION_CODENAME=bionic\nPRETTY_NAME="Ubuntu 18.04.6 LTS"\n'
# Trivy detects Ubuntu by lsb-release only; without it, it writes OS packages without purls.
LSB_RELEASE = b"DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=18.04\nDISTRIB_CODENAME=bionic\n"
SITE = "usr/lib/python3/dist-packages"


def _layers(data: Path) -> list[Layer]:
    pkgdb = data / "pkgdb"
    status = (pkgdb / "dpkg/trivy-valid/var/lib/dpkg/status").read_bytes()
    corrupt = (pkgdb / "dpkg/syft-status.d/corrupt").read_bytes()
    site = pkgdb / "python/syft-site-packages"
    pygments = (site / "license/with-license-file-declared.dist-info/METADATA").read_bytes()
    partial = (site / "partial.dist-info/METADATA").read_bytes()
    base = Layer([Member("etc/os-release", OS_RELEASE), Member("etc/lsb-release", LSB_RELEASE),
                  Member("var/lib/dpkg/status", status),
                  Member("var/lib/dpkg/status.d/corrupt", corrupt),
                  Member(f"{SITE}/Pygments-2.6.1.dist-info/METADATA", pygments)])
    top = Layer([Member(f"{SITE}/.wh.Pygments-2.6.1.dist-info"),
                 Member(f"opt/app/{SITE}/partial.dist-info/METADATA", partial)])
    return [base, top]


@pytest.fixture(scope="session")
def small_image(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_oci(tmp_path_factory.mktemp("sbom-image") / "img.oci", _layers(data_dir))


@pytest.fixture(scope="session")
def scanned(small_image: Path) -> ScanResult:
    return scan_image(f"oci:{small_image}", ScanOptions(include_deleted=True))

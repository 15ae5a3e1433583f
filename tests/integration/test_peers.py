"""Side by side with Syft and Trivy on the fixture images, in every form both can read.

Every deb, python and npm package that both peers report must be ours with the same
version; every other difference is listed in EXPLAINED with its reason.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from packageurl import PackageURL

from ringfence.scan import ScanOptions, scan_image
from tests.conftest import IMAGE_NAMES

pytestmark = [pytest.mark.peers, pytest.mark.slow, pytest.mark.images]

TYPES = {"deb", "pypi", "npm"}
Key = tuple[str, str, str]

# Packages one peer reports and the other does not; ours agrees with the one named.
EXPLAINED: dict[str, set[Key]] = {
    # Debian's python3-pip/-setuptools/-wheel install dist-info under
    # /usr/lib/python3/dist-packages. Syft (and ringfence) report these installed Python
    # distributions; Trivy skips dist-packages owned by dpkg, as the deb already covers them.
    "bookworm-py": {("pypi", "pip", "23.0.1"), ("pypi", "setuptools", "66.1.1"),
                    ("pypi", "wheel", "0.38.4")},
}


def _norm(type_: str, name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower() if type_ == "pypi" else name


def _from_purls(items: list[tuple[str | None, str, str | None]]) -> set[Key]:
    out = set()
    for purl, name, version in items:
        if not purl or not version:
            continue
        p = PackageURL.from_string(purl)
        if p.type in TYPES:
            full = f"{p.namespace}/{p.name}" if p.type == "npm" and p.namespace else name
            out.add((p.type, _norm(p.type, full), version))
    return out


def _syft(ref: str, tmp: Path) -> set[Key]:
    out = tmp / "syft.json"
    subprocess.run(["syft", "scan", ref, "-o", f"syft-json={out}", "-q"], check=True,
                   timeout=600, env={"TMPDIR": str(tmp), "PATH": _path(),
                                     "SYFT_CHECK_FOR_APP_UPDATE": "false"})
    doc = json.loads(out.read_text())
    return _from_purls([(a.get("purl"), a["name"], a["version"]) for a in doc["artifacts"]])


def _trivy(path: str, tmp: Path) -> set[Key]:
    out = tmp / "trivy.json"
    subprocess.run(["trivy", "image", "--input", path, "--format", "cyclonedx",
                    "--skip-db-update", "--offline-scan", "--skip-version-check",
                    "--disable-telemetry", "--cache-dir", str(tmp / "tc"), "-q", "-o", str(out)],
                   check=True, timeout=600)
    doc = json.loads(out.read_text())
    return _from_purls([(c.get("purl"), c["name"], c.get("version"))
                        for c in doc.get("components", [])])


def _path() -> str:
    import os

    return os.environ.get("PATH", "/usr/bin:/bin")


def _ours(ref: str) -> set[Key]:
    result = scan_image(ref, ScanOptions(cache_dir=None))
    return {(p.type, _norm(p.type, p.name), p.version) for p in result.inventory.packages
            if p.type in TYPES}


# (our transport, Syft's scheme, does Trivy read it?) — Trivy ignores oci-archive tars.
FORMS = [
    ("oci", "oci-dir", ".oci", True),
    ("docker-archive", "docker-archive", ".docker.tar", True),
    ("oci-archive", "oci-archive", ".oci.tar", False),
]


@pytest.mark.skipif(not (shutil.which("syft") and shutil.which("trivy")), reason="peers absent")
@pytest.mark.parametrize("name", IMAGE_NAMES)
@pytest.mark.parametrize(("ours", "syft_scheme", "suffix", "trivy_reads"), FORMS)
def test_same_packages_as_peers(images_dir: Path, tmp_path: Path, name: str, ours: str,
                                syft_scheme: str, suffix: str, trivy_reads: bool) -> None:
    path = str(images_dir / f"{name}{suffix}")
    mine = _ours(f"{ours}:{path}")
    syft = _syft(f"{syft_scheme}:{path}", tmp_path)
    trivy = _trivy(path, tmp_path) if trivy_reads else syft - EXPLAINED.get(name, set())
    both = syft & trivy
    assert both - mine == set(), "reported by both peers, missing or different here"
    explained = EXPLAINED.get(name, set())
    assert (syft ^ trivy) == explained
    assert mine - both == explained & mine
    assert len(both) > 80

"""bookworm-py end to end: the pip packages of layer 3 and the npm tree of layer 4.

Expected sets come from the image's contents.txt (``pip list`` run inside the image,
``/app/package-lock.json`` entries and the ``npm ls`` root), written when it was built.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.images

# Debian's own distributions (python3-pip, python3-setuptools, python3-wheel, layer 2)
DEBIAN_SITE = "/usr/lib/python3/dist-packages/"
PIP_SITE = "/usr/local/lib/python3.11/dist-packages/"


def _section(text: str, title: str) -> list[str]:
    block = text.split(f"## {title}", 1)[1].split("\n## ", 1)[0]
    return [line for line in block.splitlines()[1:] if line.strip()]


@pytest.fixture(scope="module")
def contents(images_dir: Path) -> str:
    return (images_dir / "bookworm-py.contents.txt").read_text()


@pytest.fixture(scope="module")
def sbom(images_dir: Path) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "ringfence.cli.main", "sbom",
         f"oci:{images_dir / 'bookworm-py.oci'}", "-f", "json", "--no-cache"],
        capture_output=True, check=True, timeout=300)
    doc: dict[str, Any] = json.loads(out.stdout)
    return doc


def _layers(sbom: dict[str, Any]) -> list[str]:
    return [layer["diff_id"] for layer in sbom["image"]["layers"]]


def _found(sbom: dict[str, Any], cataloger: str) -> dict[tuple[str, str], tuple[str, str]]:
    """(name, version) -> (path, layer) for one cataloger; fails on duplicates."""
    found: dict[tuple[str, str], tuple[str, str]] = {}
    for p in sbom["packages"]:
        if p["cataloger"] == cataloger:
            loc = p["locations"][0]
            key = (p["name"], p["version"])
            assert key not in found or found[key][0] != loc["path"], key
            found[key] = (loc["path"], loc["layer"])
    return found


def test_pip_packages_and_layers(sbom: dict[str, Any], contents: str) -> None:
    pip_list = {tuple(line.split("==", 1)) for line in
                _section(contents, "python distributions visible")}
    found = _found(sbom, "python")
    assert set(found) == pip_list
    layers = _layers(sbom)
    debian = {k for k, (path, _) in found.items() if path.startswith(DEBIAN_SITE)}
    assert {name for name, _ in debian} == {"pip", "setuptools", "wheel"}
    for key, (path, layer) in found.items():
        want = layers[1] if key in debian else layers[2]
        assert layer == want, (key, path)
        assert key in debian or path.startswith(PIP_SITE)


def test_lock_files_in_an_image_are_not_inventory(sbom: dict[str, Any]) -> None:
    # Images get the installed-package catalogers only (Syft and Trivy do the same):
    # /app/requirements.txt and /app/package-lock.json do not add a second copy.
    assert _found(sbom, "python-lockfile") == {} and _found(sbom, "npm-lockfile") == {}


def test_requirements_txt_is_layer_3_with_declared_catalogers(images_dir: Path,
                                                              contents: str) -> None:
    from ringfence.catalog.registry import DIRECTORY_CATALOGERS
    from ringfence.scan import ScanOptions, scan_image

    result = scan_image(f"oci:{images_dir / 'bookworm-py.oci'}",
                        ScanOptions(cache_dir=None, catalogers=DIRECTORY_CATALOGERS))
    assert result.image is not None
    layer3 = result.image.layers[2].diff_id
    declared = {(p.name, p.version): (p.locations[0].path, p.locations[0].layer)
                for p in result.inventory.packages if p.cataloger == "python-lockfile"}
    pip_list = {tuple(line.split("==", 1)) for line in
                _section(contents, "python distributions visible")}
    assert set(declared) == {k for k in pip_list if k[0] not in {"pip", "setuptools", "wheel"}}
    assert set(declared.values()) == {("/app/requirements.txt", layer3)}


def test_npm_tree_and_layer(sbom: dict[str, Any], contents: str) -> None:
    lock = {tuple(line.split()) for line in _section(contents, "/app/package-lock.json")}
    root = re.match(r"(\S+)@(\S+) ", _section(contents, "npm tree in /app")[0])
    assert root is not None
    installed = _found(sbom, "npm")
    want = {(path.rpartition("node_modules/")[2], v): f"/app/{path}/package.json"
            for path, v in lock}
    want[(root[1], root[2])] = "/app/package.json"
    layer4 = _layers(sbom)[3]
    assert {k: path for k, (path, _) in installed.items()} == want
    assert {layer for _, layer in installed.values()} == {layer4}


def test_no_unknowns_from_language_catalogers(sbom: dict[str, Any]) -> None:
    ours = {"python", "python-lockfile", "npm", "npm-lockfile"}
    assert [u for u in sbom["unknowns"] if u["plugin"] in ours] == []

"""The fixture images in every local form give the same inventory, attributed to the
right layers; the cache makes a second scan walk nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ringfence.model.result import ScanResult
from ringfence.scan import ScanOptions, scan_image
from tests.conftest import IMAGE_NAMES

pytestmark = [pytest.mark.images, pytest.mark.slow]


def _forms(images: Path, name: str) -> list[str]:
    return [f"oci:{images}/{name}.oci", f"oci-archive:{images}/{name}.oci.tar",
            f"docker-archive:{images}/{name}.docker.tar"]


def contents_section(images: Path, name: str, title: str) -> list[str]:
    """Lines of one ``## title`` section of NAME.contents.txt (written by build-images.sh)."""
    lines, inside = [], False
    for line in (images / f"{name}.contents.txt").read_text().splitlines():
        if line.startswith("## "):
            inside = line[3:].startswith(title)
            continue
        if inside and line.strip():
            lines.append(line)
    return lines


def contents_debs(images: Path, name: str) -> set[tuple[str, str]]:
    """The exact dpkg list (name, version) recorded for the image."""
    lines = contents_section(images, name, "dpkg packages")
    return {(ln.split()[0], ln.split()[1]) for ln in lines}


def _key(result: ScanResult) -> list[tuple[str, str, str, str | None]]:
    return [(p.type, p.name, p.version, p.locations[0].layer) for p in result.inventory.packages]


@pytest.mark.parametrize("name", IMAGE_NAMES)
def test_every_form_gives_the_same_inventory(images_dir: Path, name: str) -> None:
    results = [scan_image(ref, ScanOptions(cache_dir=None)) for ref in _forms(images_dir, name)]
    assert _key(results[0]) == _key(results[1]) == _key(results[2])
    assert results[0].inventory.unknowns == ()
    debs = {(p.name, p.version) for p in results[0].inventory.packages if p.type == "deb"}
    assert debs == contents_debs(images_dir, name)
    assert len(debs) == {"bookworm-min": 88, "bookworm-py": 117, "bullseye-big": 284}[name]


def test_bookworm_py_layers_and_whiteouts(images_dir: Path) -> None:
    result = scan_image(f"oci:{images_dir}/bookworm-py.oci",
                        ScanOptions(cache_dir=None, include_deleted=True))
    assert result.image is not None
    ids = [la.diff_id for la in result.image.layers]
    debs = [p for p in result.inventory.packages if p.type == "deb"]
    by_layer = {i: {p.name for p in debs if p.locations[0].layer == d} for i, d in enumerate(ids)}
    assert "python3" in by_layer[1] and "libc6" in by_layer[0]
    assert not by_layer[2] and not by_layer[3]  # pip and npm layers add no debs
    # tzdata was purged in layer 2: gone from the squashed view, kept as deleted
    assert "tzdata" not in {p.name for p in debs}
    assert [(p.name, p.locations[0].layer) for p in result.inventory.deleted
            if p.type == "deb"] == [("tzdata", ids[0])]


def test_second_scan_is_served_from_the_cache(images_dir: Path, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    opts = ScanOptions(cache_dir=tmp_path / "cache")
    first = scan_image(f"oci:{images_dir}/bookworm-py.oci", opts)
    import ringfence.layers.analyze as analyze_mod

    def boom(*_a: object, **_k: object) -> None:
        raise AssertionError("a cached layer was walked again")

    monkeypatch.setattr(analyze_mod, "analyze_layer", boom)
    # the same layers, reached through another transport, come from the cache
    second = scan_image(f"docker-archive:{images_dir}/bookworm-py.docker.tar", opts)
    assert _key(first) == _key(second)


def test_cli_sbom_json(images_dir: Path, tmp_path: Path) -> None:
    from ringfence.cli.main import main

    out = tmp_path / "o.json"
    code = main(["sbom", f"oci:{images_dir}/bookworm-min.oci", "-f", "json", "-o", str(out),
                 "--cache-dir", str(tmp_path / "c")])
    assert code == 0
    doc = json.loads(out.read_text())
    from ringfence.report.json_report import SCHEMA

    assert doc["schema"] == SCHEMA and len(doc["packages"]) == 88
    assert doc["distro"]["id"] == "debian" and doc["distro"]["version_id"] == "12"

"""CycloneDX 1.6 output of a real scan, validated against the schema bundled with
cyclonedx-python-lib (strict JSON validator)."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from ringfence import __version__
from ringfence.model.result import ScanResult
from ringfence.sbom.cyclonedx import CycloneDxRenderer


def _doc(result: ScanResult) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(CycloneDxRenderer().render(result))
    return out


def _props(obj: dict[str, Any]) -> dict[str, str]:
    return {p["name"]: p["value"] for p in obj.get("properties", [])}


def test_valid_against_cyclonedx_1_6_strict_schema(scanned: ScanResult) -> None:
    text = CycloneDxRenderer().render(scanned)
    assert json.loads(text)["specVersion"] == "1.6"
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None


def test_one_library_component_per_package_with_its_purl(scanned: ScanResult) -> None:
    doc = _doc(scanned)
    inv = scanned.inventory
    libs = [c for c in doc["components"] if c["type"] == "library"]
    assert len(inv.packages) == 91 and len(inv.deleted) == 1  # 90 debs + Pygments; Pygments
    assert len(libs) == len(inv.packages) + len(inv.deleted)
    assert sorted(c["purl"] for c in libs) == sorted(p.purl for p in (*inv.packages,
                                                                      *inv.deleted))
    (os_comp,) = [c for c in doc["components"] if c["type"] == "operating-system"]
    assert (os_comp["name"], os_comp["version"]) == ("ubuntu", "18.04")
    assert _props(os_comp)["ringfence:distro:codename"] == "bionic"


def test_ringfence_fields_are_properties(scanned: ScanResult) -> None:
    doc = _doc(scanned)
    layer0 = scanned.image.layers[0].diff_id if scanned.image else None
    by_name = {(c["name"], _props(c).get("ringfence:deleted")): c for c in doc["components"]}
    bsd = _props(by_name[("bsdutils", None)])
    assert bsd["ringfence:cataloger"] == "dpkg"
    assert bsd["ringfence:source:name"] == "util-linux"  # Source: util-linux (2.31.1-0.4ubuntu3.1)
    assert bsd["ringfence:source:version"] == "2.31.1-0.4ubuntu3.1"
    assert bsd["ringfence:location:0:path"] == "/var/lib/dpkg/status"
    assert bsd["ringfence:location:0:layer"] == layer0
    gone = by_name[("Pygments", "true")]
    assert _props(gone)["ringfence:location:0:path"].endswith("Pygments-2.6.1.dist-info/METADATA")
    assert gone["licenses"] == [{"license": {"name": "BSD License"}}]


def test_metadata_describes_the_image_and_the_tool(scanned: ScanResult) -> None:
    meta = _doc(scanned)["metadata"]
    assert meta["component"]["type"] == "container"
    assert meta["component"]["name"] == scanned.target.name
    assert meta["component"]["version"] == scanned.target.digest
    assert meta["tools"]["components"] == [
        {"name": "ringfence", "type": "application", "version": __version__}]


def test_unknowns_are_metadata_properties(scanned: ScanResult) -> None:
    props = _props(_doc(scanned)["metadata"])
    assert props["ringfence:unknown:0:location"] == "/var/lib/dpkg/status.d/corrupt"
    assert props["ringfence:unknown:0:plugin"] == "dpkg"
    assert "ringfence:unknown:1:location" not in props


def test_bom_refs_unique_and_derived_from_purl_and_location(scanned: ScanResult) -> None:
    refs = [c["bom-ref"] for c in _doc(scanned)["components"]]
    assert len(refs) == len(set(refs))
    pygments = [r for r in refs if r.startswith("pkg:pypi/pygments@2.6.1?package-id=")]
    assert len(pygments) == 2  # same purl, two locations (deleted and visible)


def test_deterministic_except_serial_and_timestamp(scanned: ScanResult) -> None:
    shuffled = replace(scanned, inventory=replace(
        scanned.inventory, packages=tuple(reversed(scanned.inventory.packages))))
    a, b = _doc(scanned), _doc(shuffled)
    assert a["serialNumber"] != b["serialNumber"]
    for d in (a, b):
        del d["serialNumber"]
        del d["metadata"]["timestamp"]
    assert a == b
    names = [c["name"] for c in a["components"] if c["type"] == "library"]
    assert names == sorted(names)

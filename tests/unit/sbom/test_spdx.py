"""SPDX 2.3 output of a real scan, validated twice: by spdx-tools (its model validator and its
own JSON parser) and by jsonschema against the official SPDX 2.3 JSON schema, which
lib4sbom ships as ``lib4sbom/schemas/spdx/2.3-schema.json`` (spdx-tools ships none)."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from spdx_tools.spdx.parser.parse_anything import parse_file
from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

from ringfence.model.result import ScanResult
from ringfence.sbom.spdx import SpdxRenderer, build_document


def _doc(result: ScanResult) -> dict[str, Any]:
    out: dict[str, Any] = json.loads(SpdxRenderer().render(result))
    return out


@pytest.fixture(scope="module")
def spdx_schema() -> dict[str, Any]:
    pytest.importorskip("lib4sbom", reason="lib4sbom ships the official SPDX 2.3 schema")
    text = resources.files("lib4sbom").joinpath("schemas/spdx/2.3-schema.json").read_text()
    schema: dict[str, Any] = json.loads(text)
    assert schema["$id"] == "http://spdx.org/rdf/terms/2.3"
    return schema


def test_valid_by_spdx_tools(scanned: ScanResult, tmp_path: Path) -> None:
    assert validate_full_spdx_document(build_document(scanned)) == []
    path = tmp_path / "out.spdx.json"
    path.write_text(SpdxRenderer().render(scanned))
    reparsed = parse_file(str(path))  # spdx-tools' own JSON reader
    assert validate_full_spdx_document(reparsed) == []
    assert len(reparsed.packages) == 1 + 91 + 1 + 1  # image, packages, deleted, OS


def test_valid_against_official_spdx_2_3_json_schema(scanned: ScanResult,
                                                     spdx_schema: dict[str, Any]) -> None:
    jsonschema.Draft7Validator(spdx_schema).validate(_doc(scanned))


def test_describes_image_which_contains_every_package(scanned: ScanResult) -> None:
    doc = _doc(scanned)
    rels = doc["relationships"]
    assert {"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES",
            "relatedSpdxElement": "SPDXRef-Image"} in rels
    contained = {r["relatedSpdxElement"] for r in rels if r["spdxElementId"] == "SPDXRef-Image"
                 and r["relationshipType"] == "CONTAINS"}
    others = {p["SPDXID"] for p in doc["packages"]} - {"SPDXRef-Image"}
    assert contained == others and len(others) == 93
    image = next(p for p in doc["packages"] if p["SPDXID"] == "SPDXRef-Image")
    assert image["primaryPackagePurpose"] == "CONTAINER"
    assert image["versionInfo"] == scanned.target.digest


def test_every_package_has_a_package_manager_purl(scanned: ScanResult) -> None:
    inv = scanned.inventory
    purls = [r["referenceLocator"] for p in _doc(scanned)["packages"]
             for r in p.get("externalRefs", [])
             if r["referenceCategory"] == "PACKAGE-MANAGER" and r["referenceType"] == "purl"]
    assert sorted(purls) == sorted(p.purl for p in (*inv.packages, *inv.deleted))


def test_ringfence_fields_in_comment_and_unknown_licenses_as_refs(scanned: ScanResult) -> None:
    doc = _doc(scanned)
    bsd = next(p for p in doc["packages"] if p["name"] == "bsdutils")
    fields = json.loads(bsd["comment"].removeprefix("ringfence: "))
    assert (fields["source_name"], fields["source_version"]) == ("util-linux",
                                                                 "2.31.1-0.4ubuntu3.1")
    assert fields["locations"][0]["path"] == "/var/lib/dpkg/status"
    assert bsd["sourceInfo"] == "acquired package info from dpkg: /var/lib/dpkg/status"
    pyg = [p for p in doc["packages"] if p["name"] == "Pygments"]
    assert {p["licenseDeclared"] for p in pyg} == {"LicenseRef-BSD-License"}
    assert doc["hasExtractedLicensingInfos"] == [
        {"licenseId": "LicenseRef-BSD-License", "extractedText": "BSD License",
         "name": "BSD License"}]


def test_unknowns_in_comment_and_annotations(scanned: ScanResult) -> None:
    doc = _doc(scanned)
    assert "/var/lib/dpkg/status.d/corrupt" in doc["comment"]
    (note,) = doc["annotations"]
    assert note["annotationType"] == "OTHER"
    assert note["annotator"].startswith("Tool: ringfence-")
    assert json.loads(note["comment"].removeprefix("ringfence:unknown "))["plugin"] == "dpkg"


def test_deterministic_except_created_and_namespace(scanned: ScanResult) -> None:
    a, b = _doc(scanned), _doc(scanned)
    assert a["documentNamespace"] != b["documentNamespace"]
    for d in (a, b):
        del d["documentNamespace"]
        del d["creationInfo"]["created"]
        for note in d["annotations"]:
            del note["annotationDate"]
    assert a == b
    ids = [p["SPDXID"] for p in a["packages"]]
    assert len(ids) == len(set(ids))

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
from ringfence.sbom.spdx import SpdxRenderer


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


def _owned(owner_in_document: bool) -> ScanResult:
    from dataclasses import replace

    from tests.unit.sbom.rich_result import rich_result

    result = rich_result()
    inv = result.inventory
    zlib = next(p for p in inv.packages if p.name == "zlib1g")
    requests = next(p for p in inv.packages if p.name == "requests")
    owned = replace(requests, owner=zlib.purl) if owner_in_document else requests
    packages = tuple(owned if p is requests else p for p in inv.packages)
    return replace(result, inventory=replace(inv, packages=packages))


@pytest.mark.parametrize("owner_in_document", [True, False], ids=["relationship", "comment"])
def test_owner_is_a_contains_relationship_valid_and_read_back(
        owner_in_document: bool, tmp_path: Path, spdx_schema: dict[str, Any]) -> None:
    from ringfence.sbom.ingest import read_sbom
    from ringfence.sbom.spdx import OWNER_COMMENT, spdx_id

    result = _owned(owner_in_document)
    requests = next(p for p in result.inventory.packages if p.name == "requests")
    zlib = next(p for p in result.inventory.packages if p.name == "zlib1g")
    text = SpdxRenderer().render(result)
    doc = json.loads(text)
    jsonschema.Draft7Validator(spdx_schema).validate(doc)
    path = tmp_path / "owned.spdx.json"
    path.write_text(text)
    assert validate_full_spdx_document(parse_file(str(path))) == []
    owning = [r for r in doc["relationships"] if r.get("comment") == OWNER_COMMENT]
    comment = next(p["comment"] for p in doc["packages"] if p["SPDXID"] == spdx_id(requests))
    if owner_in_document:
        assert owning == [{"spdxElementId": spdx_id(zlib), "relationshipType": "CONTAINS",
                           "relatedSpdxElement": spdx_id(requests), "comment": OWNER_COMMENT}]
        assert '"owner"' not in comment  # one place: the relationship
    else:
        assert owning == []  # python3-requests is not in the document
        assert json.loads(comment.removeprefix("ringfence: "))["owner"] == requests.owner
    back = read_sbom(str(path))
    assert set(back.packages) == set(result.inventory.packages)  # every field, owner too
    assert next(p for p in back.packages if p.name == "requests").owner == requests.owner


def test_contains_edges_of_other_tools_set_no_owner(tmp_path: Path) -> None:
    """A CONTAINS edge between packages without ringfence's comment (an application or a jar
    containing packages) does not make a package OS-owned (which would keep it from its
    ecosystem's advisories)."""
    from ringfence.sbom.ingest import read_sbom
    from ringfence.sbom.spdx import OWNER_COMMENT

    doc = json.loads(SpdxRenderer().render(_owned(True)))
    for r in doc["relationships"]:
        if r.get("comment") == OWNER_COMMENT:
            del r["comment"]
    path = tmp_path / "foreign.spdx.json"
    path.write_text(json.dumps(doc))
    assert all(p.owner is None for p in read_sbom(str(path)).packages)

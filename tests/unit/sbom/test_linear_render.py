"""Linear rendering (issue 11 scope 6): ringfence validates CycloneDX and SPDX documents
itself, in linear time, instead of through the libraries' quadratic validators
(``Bom.validate`` via ``register_dependency``; ``validate_full_spdx_document``). Each
replacement accepts what the library accepts on the real scanned image, yields the same
document, and refuses the broken documents the library refuses. Speed: bench/sbom.py."""

from __future__ import annotations

import json
from typing import Any

import pytest
from cyclonedx.exception.model import (
    LicenseExpressionAlongWithOthersException,
    UnknownComponentDependencyException,
)
from cyclonedx.model.bom_ref import BomRef
from cyclonedx.model.dependency import Dependency
from cyclonedx.model.license import DisjunctiveLicense, LicenseExpression
from cyclonedx.output.json import JsonV1Dot6
from spdx_tools.spdx.model.relationship import Relationship, RelationshipType
from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

from ringfence.model.inventory import Inventory
from ringfence.model.package import Location, Package
from ringfence.model.result import ScanResult, Target
from ringfence.sbom import cyclonedx, spdx


def _without_volatile(text: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(text)
    doc.pop("serialNumber", None)
    doc.get("metadata", {}).pop("timestamp", None)
    return doc


def test_cyclonedx_same_document_as_the_library_outputter(scanned: ScanResult) -> None:
    ours = cyclonedx.CycloneDxRenderer().render(scanned)
    bom = cyclonedx.build_bom(scanned)
    theirs = JsonV1Dot6(bom).output_as_string(indent=2) + "\n"
    assert _without_volatile(ours) == _without_volatile(theirs)
    deps = json.loads(ours)["dependencies"]
    assert len(deps) == len(json.loads(ours)["components"]) + 1  # subject + each component


def test_cyclonedx_validate_registers_a_missing_component() -> None:
    bom = cyclonedx.build_bom(_one_package_result())
    lone = next(iter(bom.components))
    bom.dependencies.clear()
    cyclonedx.validate(bom)
    assert lone.bom_ref in {d.ref for d in bom.dependencies}


def test_cyclonedx_validate_refuses_a_dangling_dependency() -> None:
    bom = cyclonedx.build_bom(_one_package_result())
    bom.dependencies.add(Dependency(ref=BomRef("nowhere")))
    with pytest.raises(UnknownComponentDependencyException):
        cyclonedx.validate(bom)


def test_cyclonedx_validate_refuses_an_expression_beside_other_licences() -> None:
    bom = cyclonedx.build_bom(_one_package_result())
    comp = next(iter(bom.components))
    comp.licenses = [LicenseExpression("MIT OR Apache-2.0"), DisjunctiveLicense(name="x")]
    with pytest.raises(LicenseExpressionAlongWithOthersException):
        cyclonedx.validate(bom)


def test_spdx_validate_agrees_with_the_library_on_the_scanned_image(scanned: ScanResult) -> None:
    document = spdx.build_document(scanned)
    assert spdx.validate(document) == []
    assert validate_full_spdx_document(document) == []


@pytest.mark.parametrize("breakage", ["dangling-relationship", "duplicate-id", "no-describes",
                                      "dangling-annotation", "bad-licence-ref"])
def test_spdx_validate_refuses_what_the_library_refuses(scanned: ScanResult,
                                                         breakage: str) -> None:
    document = spdx.build_document(scanned)
    pkg = document.packages[1]
    if breakage == "dangling-relationship":
        document.relationships.append(Relationship(pkg.spdx_id, RelationshipType.CONTAINS,
                                                   "SPDXRef-nowhere"))
    elif breakage == "duplicate-id":
        document.packages.append(pkg)
    elif breakage == "no-describes":
        document.relationships = [r for r in document.relationships
                                  if r.relationship_type != RelationshipType.DESCRIBES]
    elif breakage == "dangling-annotation":
        assert document.annotations, "the scanned image has unknowns, hence annotations"
        document.annotations[0].spdx_id = "SPDXRef-nowhere"
    else:
        pkg.license_declared = spdx.spdx_licensing.parse("LicenseRef-not-extracted")
    assert spdx.validate(document) != []
    assert validate_full_spdx_document(document) != []


def _one_package_result() -> ScanResult:
    pkg = Package("left-pad", "1.3.0", "npm", "pkg:npm/left-pad@1.3.0", "npm",
                  licenses=("WTFPL",), locations=(Location("/app/package.json"),))
    return ScanResult(Target("image", "x"), Inventory((pkg,)))

"""Linear rendering (issue 11 scope 6).

CycloneDX is written directly from ringfence's model (``sbom/cyclonedx.py`` says why): the
document must hold what cyclonedx-python-lib's model and outputter write for the same result
(``cyclonedx_oracle``), field for field, and pass the library's strict JSON schema validator.
SPDX likewise (``sbom/spdx.py``): the same document as spdx-tools' model and writer
(``spdx_oracle``), read back by spdx-tools' parser and passed by its full validator.
Speed: bench/sbom.py."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from spdx_tools.spdx.model.relationship import Relationship, RelationshipType
from spdx_tools.spdx.parser.parse_anything import parse_file
from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

from ringfence.catalog.licenses import normalize_all as lic  # as a cataloger records them
from ringfence.model.inventory import Distro, Inventory
from ringfence.model.package import Location, Package
from ringfence.model.result import ScanResult, Target
from ringfence.model.unknown import Unknown
from ringfence.sbom import cyclonedx, json_text, spdx
from tests.unit.sbom import cyclonedx_oracle, spdx_oracle
from tests.unit.sbom.rich_result import rich_result


def _without_volatile(text: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(text)
    doc.pop("serialNumber", None)
    doc.get("metadata", {}).pop("timestamp", None)
    return doc


def _hostile() -> ScanResult:
    """Text an image controls: control characters, quotes, non-ASCII, a lone surrogate (from
    surrogate-escaped bytes), licences the library's factory reads as an id in the wrong
    case, an unknown id, an expression beside other values, the same licence twice, and two
    packages with the same purl and location (same bom-ref seed)."""
    odd = "caf\u00e9 \"q\" \x01\x7f \udcff \U0001f600"
    pkgs = (Package(odd, "1", "npm", "pkg:npm/odd@1", "npm", licenses=lic(("mit", "MIT", odd)),
                    locations=(Location(f"/app/{odd}/package.json"),), metadata=((odd, odd),)),
            Package("twin", "1", "npm", "pkg:npm/twin@1", "npm", licenses=lic(("NotAnId OR MIT",)),
                    locations=(Location("/app/twin/package.json"),)),
            Package("twin", "1", "npm", "pkg:npm/twin@1", "npm", licenses=lic(("mit",)),
                    locations=(Location("/app/twin/package.json"),)),
            Package("apache", "2", "npm", "pkg:npm/apache@2", "npm",
                    licenses=lic(("Apache-2.0 WITH LLVM-exception",))))
    return ScanResult(Target("image", odd), Inventory(pkgs, Distro(odd, None, None, (), None),
                                                      unknowns=(Unknown(odd, odd, odd),)))


def _empty() -> ScanResult:
    return ScanResult(Target("rootfs", "/nothing"), Inventory(()))


CASES = {"rich": rich_result, "empty": _empty,
         "one": lambda: _one_package_result(),
         "no-distro-version": lambda: replace(rich_result(), inventory=replace(
             rich_result().inventory, distro=Distro("alpine")))}


@pytest.mark.parametrize("case", sorted(CASES))
def test_cyclonedx_same_document_as_the_library(case: str) -> None:
    result = CASES[case]()
    ours = cyclonedx.CycloneDxRenderer().render(result)
    assert _without_volatile(ours) == _without_volatile(cyclonedx_oracle.render(result))
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(ours) is None


def test_cyclonedx_same_document_as_the_library_on_the_scanned_image(
        scanned: ScanResult) -> None:
    ours = cyclonedx.CycloneDxRenderer().render(scanned)
    assert _without_volatile(ours) == _without_volatile(cyclonedx_oracle.render(scanned))
    doc = json.loads(ours)
    assert len(doc["dependencies"]) == len(doc["components"]) + 1  # subject + each component


def test_cyclonedx_hostile_text_same_content_as_the_library_and_valid() -> None:
    result = _hostile()
    ours = cyclonedx.CycloneDxRenderer().render(result)
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(ours) is None
    doc, theirs = _without_volatile(ours), _without_volatile(cyclonedx_oracle.render(result))
    refs = [c["bom-ref"] for c in doc["components"]]
    assert len(refs) == len(set(refs)) == 5  # the twins stay two components, refs distinct
    # the library's discriminator renames duplicate refs only while writing, then writes
    # them both under the same ref; ours keeps the second one apart with a suffix
    twin_refs = sorted(r for r in refs if r.startswith("pkg:npm/twin@1"))
    assert twin_refs[1] == twin_refs[0] + "#2"

    assert {d["ref"] for d in doc["dependencies"]} == {*refs, doc["metadata"]["component"][
        "bom-ref"]}

    def comparable(d: dict[str, Any]) -> list[str]:
        """Components without the refs of the twins (the library's are random), in order."""
        out = []
        for c in d["components"]:
            c = dict(c)
            if c["name"] == "twin":
                c.pop("bom-ref")
            out.append(json.dumps(c, sort_keys=True))
        return sorted(out)
    assert comparable(doc) == comparable(theirs)
    assert doc["metadata"] == theirs["metadata"]
    odd = next(c for c in doc["components"] if c["purl"] == "pkg:npm/odd@1")
    assert odd["licenses"] == [{"license": {"id": "MIT"}},
                               {"license": {"name": result.target.name}}]


def test_json_text_is_json_dumps_with_an_indent() -> None:
    for result in (rich_result(), _hostile(), _empty()):
        doc = cyclonedx.build(result, serial="urn:uuid:x")
        assert json_text(doc) == json.dumps(doc, indent=2) + "\n" or (
            json.loads(json_text(doc)) == doc)
    ascii_doc = cyclonedx.build(rich_result(), serial="urn:uuid:x")
    assert json_text(ascii_doc) == json.dumps(ascii_doc, indent=2) + "\n"  # byte for byte
    text = json_text({"s": "\udcff caf\u00e9"})
    assert text == json.dumps({"s": "\udcff caf\u00e9"}, indent=2) + "\n"  # stdlib path


def test_cyclonedx_build_is_linear_in_calls(monkeypatch: pytest.MonkeyPatch) -> None:
    """Work per component is constant: one bom-ref per package, whatever the count (the
    library's model did ~2,000 comparisons per component at 2,000)."""
    calls = 0
    real = cyclonedx.with_qualifier

    def counting(purl: str, key: str, value: str) -> str:
        nonlocal calls
        calls += 1
        return real(purl, key, value)
    monkeypatch.setattr(cyclonedx, "with_qualifier", counting)
    for n in (10, 1000):
        calls = 0
        pkgs = tuple(Package(f"p{i}", "1", "npm", f"pkg:npm/p{i}@1", "npm") for i in range(n))
        cyclonedx.build(ScanResult(Target("image", "x"), Inventory(pkgs)))
        assert calls == n


def test_rendering_parses_no_purl_and_no_licence(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 11: what a licence is was decided when it was catalogued and the purls are the
    packages' own, so both writers run with the purl parser and the licence parser broken
    (and the same documents come out)."""
    import license_expression
    import packageurl

    result = rich_result()
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    before = (cyclonedx.build(result, "urn:uuid:x", when), spdx.build(result, when))

    def broken(*_: object, **__: object) -> Any:
        raise AssertionError("parsed while rendering")
    monkeypatch.setattr(packageurl.PackageURL, "from_string", broken)
    monkeypatch.setattr(license_expression.Licensing, "parse", broken)
    monkeypatch.setattr(license_expression.Licensing, "validate", broken)
    after = (cyclonedx.build(result, "urn:uuid:x", when), spdx.build(result, when))
    before[1].pop("documentNamespace")
    after[1].pop("documentNamespace")
    assert after == before
    assert any("expression" in lic for c in after[0]["components"]
               for lic in c.get("licenses", ()))


SPDX_CASES = {**CASES, "owned": lambda: _owned(), "hostile": _hostile}


def _owned() -> ScanResult:
    result = rich_result()
    inv = result.inventory
    zlib = next(p for p in inv.packages if p.name == "zlib1g")
    return replace(result, inventory=replace(inv, packages=tuple(
        replace(p, owner=zlib.purl) if p.name == "requests" else p for p in inv.packages)))


def _spdx_comparable(text: str) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(text)
    doc.pop("documentNamespace")  # a fresh UUID each time
    return doc


@pytest.mark.parametrize("case", sorted(SPDX_CASES))
def test_spdx_same_document_as_spdx_tools_and_valid(case: str, tmp_path: Path) -> None:
    result = SPDX_CASES[case]()
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    ours = json_text(spdx.build(result, when))
    if case != "hostile":  # spdx-tools' writer cannot encode a lone surrogate
        assert _spdx_comparable(ours) == _spdx_comparable(spdx_oracle.render(result, when))
    path = tmp_path / "doc.spdx.json"
    path.write_text(ours, encoding="utf-8", errors="surrogatepass")
    if case != "hostile":
        assert validate_full_spdx_document(parse_file(str(path))) == []


def test_spdx_same_document_as_spdx_tools_on_the_scanned_image(scanned: ScanResult) -> None:
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    ours = json_text(spdx.build(scanned, when))
    assert _spdx_comparable(ours) == _spdx_comparable(spdx_oracle.render(scanned, when))


def test_spdx_oracle_validate_agrees_with_the_library(scanned: ScanResult) -> None:
    """The oracle's linear validator (formerly the renderer's) still agrees with spdx-tools'
    full validator, so the oracle's documents are checked ones."""
    document = spdx_oracle.build_document(scanned)
    assert spdx_oracle.validate(document) == []
    assert validate_full_spdx_document(document) == []
    document.relationships.append(Relationship(document.packages[1].spdx_id,
                                               RelationshipType.CONTAINS, "SPDXRef-nowhere"))
    assert spdx_oracle.validate(document) != []
    assert validate_full_spdx_document(document) != []


def _one_package_result() -> ScanResult:
    pkg = Package("left-pad", "1.3.0", "npm", "pkg:npm/left-pad@1.3.0", "npm",
                  licenses=lic(("WTFPL",)), locations=(Location("/app/package.json"),))
    return ScanResult(Target("image", "x"), Inventory((pkg,)))

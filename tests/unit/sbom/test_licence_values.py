"""What a warm SBOM render reads instead of parsing (issue 11): licences that carry whether
they are SPDX (``model.license``) through the caches, the bom-ref's qualifier set in the
purl's text (``sbom.with_qualifier``) and the AND of SPDX values (``sbom.spdx_and``), each
compared with the library it replaces; and how CycloneDX writes WITH expressions."""

from __future__ import annotations

import itertools
import random
from dataclasses import replace
from pathlib import Path

from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator
from license_expression import get_spdx_licensing  # type: ignore[import-untyped]
from packageurl import PackageURL

from ringfence.catalog.licenses import normalize, normalize_all
from ringfence.catalog.purls import make
from ringfence.model.evidence import Evidence
from ringfence.model.inventory import Inventory
from ringfence.model.license import SpdxLicense
from ringfence.model.package import Package
from ringfence.model.result import ScanResult, Target
from ringfence.sbom import cyclonedx, json_text, spdx, spdx_and, with_qualifier

WITH = "GPL-2.0-or-later WITH Texinfo-exception"


def _pkg(*licences: str) -> Package:
    return Package("p", "1", "deb", "pkg:deb/debian/p@1", "dpkg", licenses=normalize_all(licences))


def test_the_spdx_answer_survives_the_cache_json() -> None:
    pkg = _pkg(WITH, "MIT", "public-domain")
    back = Package.from_dict(pkg.to_dict())
    assert back == pkg
    assert {v: type(v) for v in back.licenses} == {v: type(v) for v in pkg.licenses} == {
        WITH: SpdxLicense, "MIT": SpdxLicense, "public-domain": str}
    ev = Evidence("deb", "p", licenses=pkg.licenses)
    assert {type(v) for v in Evidence.from_dict(ev.to_dict()).licenses} == {SpdxLicense, str}


def test_an_entry_without_the_answer_reads_as_names() -> None:
    """A report or cache entry written before ``spdx_licenses``: names only, never an
    expression nobody checked."""
    d = _pkg("MIT").to_dict()
    del d["spdx_licenses"]
    assert [type(v) for v in Package.from_dict(d).licenses] == [str]
    doc = cyclonedx.build(ScanResult(Target("image", "x"), Inventory((Package.from_dict(d),))))
    assert doc["components"][0]["licenses"] == [{"license": {"name": "MIT"}}]


def test_text_built_from_a_licence_is_a_name() -> None:
    assert type(normalize("mit").lower()) is str
    assert type(normalize("mit") + " OR Foo") is str


def test_with_qualifier_is_packageurls_writing_on_hostile_names() -> None:
    rng = random.Random(11)  # noqa: S311 - a seeded corpus, not a secret
    alphabet = "aZ09.-_~!*'()&?#=%:/@+ \u00e9\x01"

    def word() -> str:
        return "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 8)))
    compared = 0
    for _ in range(3000):
        quals = {k: word() for k in rng.sample(["arch", "distro", "epoch", "package-id", "z"],
                                               rng.randint(0, 4))}
        try:
            purl = make(rng.choice(["npm", "deb", "pypi", "maven", "golang", "rpm", "apk"]),
                        word(), word(), rng.choice([None, word()]), quals,
                        rng.choice([None, word()]))
            purl = PackageURL.from_string(purl).to_string()  # packageurl's canonical text
            parsed = PackageURL.from_string(purl)
        except (ValueError, TypeError):  # packageurl refuses (or trips on) the name
            continue
        assert parsed.to_string() == purl
        q = dict(parsed.qualifiers) if isinstance(parsed.qualifiers, dict) else {}
        q["package-id"] = "0123456789abcdef"  # replaced when the purl has one
        assert with_qualifier(purl, "package-id", "0123456789abcdef") == parsed._replace(
            qualifiers=q).to_string(), purl
        compared += 1
    assert compared > 2500


def test_spdx_and_is_license_expressions_rendering() -> None:
    values = [normalize(v) for v in (
        "MIT", WITH, "MIT OR Apache-2.0", "(MIT OR Apache-2.0) AND BSD-3-Clause",
        "Zlib AND (MIT OR ISC)", "LicenseRef-scancode-adrian",
        "Apache-2.0 WITH LLVM-exception OR MIT", f"{WITH} AND MIT")]
    assert all(isinstance(v, SpdxLicense) for v in values)
    licensing = get_spdx_licensing()
    for n in (1, 2, 3):
        for combo in itertools.permutations(values, n):
            operands = sorted(set(combo))
            text = operands[0] if n == 1 else " AND ".join(f"({v})" for v in operands)
            assert spdx_and(combo) == str(licensing.parse(text)), combo


def _cdx_licences(pkg: Package) -> list[dict[str, object]]:
    result = ScanResult(Target("image", "x"), Inventory((pkg,)))
    text = cyclonedx.CycloneDxRenderer().render(result)
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    comps = cyclonedx.build(result)["components"]
    return list(comps[0]["licenses"])


def _spdx_declared(pkg: Package) -> tuple[str, list[dict[str, str]]]:
    doc = spdx.build(ScanResult(Target("image", "x"), Inventory((pkg,))))
    json_text(doc)
    declared = next(p["licenseDeclared"] for p in doc["packages"] if p["name"] == "p")
    return declared, doc.get("hasExtractedLicensingInfos", [])


def test_a_with_expression_is_a_cyclonedx_expression() -> None:
    assert _cdx_licences(_pkg(WITH)) == [{"expression": WITH}]
    assert _spdx_declared(_pkg(WITH)) == (WITH, [])


def test_spdx_values_with_an_expression_among_them_are_one_expression() -> None:
    pkg = _pkg("MIT", WITH, "LGPL-2.1+")
    both = f"{WITH} AND LGPL-2.1-or-later AND MIT"
    assert _cdx_licences(pkg) == [{"expression": both}]
    assert _spdx_declared(pkg) == (both, [])


def test_ids_alone_stay_licences_with_ids() -> None:
    assert _cdx_licences(_pkg("MIT", "Zlib")) == [{"license": {"id": "MIT"}},
                                                   {"license": {"id": "Zlib"}}]


def test_a_name_beside_an_expression_keeps_its_text() -> None:
    """An expression cannot hold a name: the entries stay licences, the expression as a
    name (its text), the unknown licence as a name; SPDX gets a LicenseRef with the text."""
    pkg = _pkg(WITH, "public-domain", "MIT")
    assert _cdx_licences(pkg) == [{"license": {"id": "MIT"}},
                                  {"license": {"name": WITH}},
                                  {"license": {"name": "public-domain"}}]
    declared, extracted = _spdx_declared(pkg)
    assert declared == f"{WITH} AND LicenseRef-public-domain AND MIT"
    assert extracted == [{"licenseId": "LicenseRef-public-domain",
                          "extractedText": "public-domain", "name": "public-domain"}]


def test_a_cyclonedx_expression_of_several_values_reads_back_as_those_values(
        tmp_path: Path) -> None:
    """The writer's AND of several values, an expression among them, is split back; an AND
    of ids (which the writer never makes of several values) stays the one value it was."""
    from ringfence.sbom.ingest import read_sbom

    pkgs = (_pkg(WITH, "MIT", "Zlib OR MIT"),
            replace(_pkg("MIT AND Zlib"), name="q", purl="pkg:deb/debian/q@1"))
    path = tmp_path / "bom.json"
    path.write_text(cyclonedx.CycloneDxRenderer().render(
        ScanResult(Target("image", "x"), Inventory(pkgs))))
    back = {p.name: p for p in read_sbom(str(path)).packages}
    assert sorted(back["p"].licenses) == sorted(pkgs[0].licenses)
    assert all(isinstance(v, SpdxLicense) for v in back["p"].licenses)
    assert back["q"].licenses == ("MIT AND Zlib",)

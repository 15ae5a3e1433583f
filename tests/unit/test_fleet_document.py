"""The fleet report built from values: the JSON document validates against its schema,
text from images is data in the table, and failures are counted."""

from __future__ import annotations

import jsonschema

from ringfence.fleet.document import render_table, to_document
from ringfence.fleet.run import FleetImage, FleetResult
from ringfence.fleet.tasks import ImageOutcome
from ringfence.model.finding import Finding, Severity
from ringfence.model.inventory import Inventory
from ringfence.model.result import ScanResult, Target
from ringfence.schemas import SCHEMAS

EVIL = "docker://r/x:\x1b[2J\x1b]0;pwned\x07tag"


def _result(ref: str, *severities: Severity) -> ScanResult:
    findings = tuple(Finding("IMG-001", f"m{i}", "loc", s) for i, s in enumerate(severities))
    return ScanResult(Target("image", ref, "sha256:" + "a" * 64), Inventory(()),
                      findings=findings)


def _fleet() -> FleetResult:
    ok = FleetImage("oci:/a", "sha256:" + "a" * 64, ImageOutcome(
        "oci:/a", "sha256:" + "a" * 64, _result("oci:/a", Severity.HIGH, Severity.HIGH,
                                               Severity.LOW)))
    bad = FleetImage(EVIL, "", ImageOutcome(EVIL, "", None, f"{EVIL}: digest mismatch\x1b[0m"))
    return FleetResult((ok, bad), unique_layers=3, layers_analysed=2)


def test_document_counts_and_validates() -> None:
    doc = to_document(_fleet())
    jsonschema.Draft202012Validator(SCHEMAS["fleet"]).validate(doc)
    assert doc["summary"] == {"images": 2, "unique_images": 1, "unique_layers": 3,
                              "layers_analysed": 2, "failed": 1}
    ok, bad = doc["images"]
    assert ok["counts"] == {"critical": 0, "high": 2, "medium": 0, "low": 1, "unknown": 0}
    assert "error" not in ok and len(ok["findings"]) == 3
    assert bad["error"].startswith(EVIL) and bad["digest"] is None  # JSON keeps the value


def test_table_shows_input_text_as_data() -> None:
    text = render_table(to_document(_fleet()))
    assert "\x1b" not in text and "\x07" not in text
    lines = text.splitlines()
    assert lines[1].split()[2:] == ["0", "0/2/0/1/0"]  # packages, then C/H/M/L/U
    assert "error:" in lines[2]
    assert lines[-1] == "Total: 2 images (1 unique), 3 unique layers, 2 analysed now, 1 failed"

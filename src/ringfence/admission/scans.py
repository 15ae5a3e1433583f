"""Prior scan results by image digest, for the admission vulnerability threshold.

The webhook never scans on the request path (a scan takes seconds to minutes; admission has
a few seconds in all): images are scanned beforehand (``ringfence image REF -f json -o
DIR/NAME.json``, e.g. in CI) and the index maps each report's manifest digest to its
unsuppressed vulnerability matches. Loaded once, when the policy is loaded.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

from ringfence.errors import InputError
from ringfence.inputs import read_regular
from ringfence.model.finding import Severity

MAX_REPORT_BYTES: Final = 256 << 20
IMAGE_SCHEMAS: Final = ("ringfence.image/2",)  # and the 1.x reports before it


@dataclass(frozen=True, slots=True)
class ScannedVuln:
    advisory_id: str
    severity: Severity
    package: str


@dataclass(frozen=True, slots=True)
class ScanRecord:
    digest: str
    name: str
    vulnerabilities: tuple[ScannedVuln, ...]
    source: str

    def above(self, threshold: Severity) -> tuple[ScannedVuln, ...]:
        return tuple(v for v in self.vulnerabilities if v.severity > threshold)


@dataclass(frozen=True, slots=True)
class ScanIndex:
    records: Mapping[str, ScanRecord] = field(
        default_factory=lambda: MappingProxyType({}))
    source: str = ""

    def get(self, digest: str) -> ScanRecord | None:
        return self.records.get(digest)


def load_scan_index(directory: Path) -> ScanIndex:
    """Every ``*.json`` report in ``directory`` (not recursive). A report without a target
    digest cannot be matched to an admitted image and is an error, as is a broken file:
    a policy whose threshold silently covers fewer images than it says is worse than none."""
    if not directory.is_dir():
        raise InputError(str(directory), "scan report directory does not exist")
    records: dict[str, ScanRecord] = {}
    for path in sorted(directory.glob("*.json")):
        record = parse_report(_read(path), str(path))
        records[record.digest] = record
    return ScanIndex(MappingProxyType(records), str(directory))


def _read(path: Path) -> bytes:
    return read_regular(path, MAX_REPORT_BYTES, str(path))


def parse_report(data: bytes, source: str) -> ScanRecord:
    """One ringfence JSON image report (schema 1.x) -> its digest and unsuppressed matches."""
    try:
        doc: Any = json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise InputError(source, f"not a JSON report: {exc}") from exc
    if not isinstance(doc, dict) or not (doc.get("schema") in IMAGE_SCHEMAS or str(
            doc.get("schema_version", "")).startswith("1.")):
        raise InputError(source, "not a ringfence JSON image report (ringfence.image/2 or "
                         "schema_version 1.x)")
    target: dict[str, Any] = doc["target"] if isinstance(doc.get("target"), dict) else {}
    digest = str(target.get("digest") or "")
    if not digest.startswith("sha256:"):
        raise InputError(source, "report has no sha256 target digest")
    vulns = tuple(
        ScannedVuln(str(m.get("id")), Severity.parse(str(m.get("severity", ""))),
                    str(m.get("package", "")))
        for m in doc.get("vulnerabilities") or []
        if isinstance(m, dict) and not m.get("suppressed_by"))
    return ScanRecord(digest, str(target.get("name", "")), vulns, source)

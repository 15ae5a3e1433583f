"""ringfence's own JSON report of an image (``"schema": "ringfence.image/2"``; the JSON
Schema is ``ringfence schema image``)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, Final

from ringfence import __version__
from ringfence.model.result import ScanResult
from ringfence.model.unknown import Unknown
from ringfence.report.jsontext import json_text

# 1.1: "vulnerabilities" (matches, suppressed ones with "suppressed_by") and "db" (the
# database that answered and its age; null when no database was used).
# 1.2: "findings" (rule findings of the image-config and secret scanners; secrets redacted).
# 1.3: "provenance" (allow-list state, OCI annotations/labels, history, attestations, trust
# policy verdict; null when the provenance scanner did not run).
# 2: "schema" id (was "schema_version": "1.3"), findings as Finding.to_dict ("rule", was
# "rule_id"), vulnerability severities in lower case as everywhere.
# 2 (additive): "coverage" (package sets the database checked and those it could not, with
# why; null when no database was consulted); packages' "owner".
SCHEMA: Final = "ringfence.image/2"


def to_document(result: ScanResult) -> dict[str, Any]:
    inv = result.inventory
    return {
        "schema": SCHEMA,
        "tool": {"name": "ringfence", "version": __version__},
        "target": {"kind": result.target.kind, "name": result.target.name,
                   "digest": result.target.digest},
        "image": result.image.to_dict() if result.image else None,
        "distro": inv.distro.to_dict() if inv.distro else None,
        "packages": [p.to_dict() for p in inv.packages],
        "deleted_packages": [p.to_dict() for p in inv.deleted],
        "unknowns": [u.to_dict() for u in _unknowns(result)],
        "vulnerabilities": [m.to_dict() for m in result.vulnerabilities],
        "db": asdict(result.db) if result.db else None,
        "findings": [f.to_dict() for f in result.findings],
        "provenance": result.analysis("provenance"),
        "coverage": result.coverage.to_dict() if result.coverage else None,
    }


def _unknowns(result: ScanResult) -> list[Unknown]:
    """The inventory's unknowns plus those of later stages (matching, ignore file)."""
    return sorted(set(result.inventory.unknowns) | set(result.unknowns))


class JsonRenderer:
    def render(self, result: ScanResult) -> str:
        return json_text(to_document(result))

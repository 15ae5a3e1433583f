"""The JSON document of ``ringfence compare`` (schema ``ringfence.compare/1``)."""

from __future__ import annotations

from typing import Any

from ringfence.model.advisory import VulnerabilityMatch
from ringfence.model.package import Package
from ringfence.respond.compare import Comparison
from ringfence.respond.subject import Subject


def _package(p: Package) -> dict[str, Any]:
    return {"purl": p.purl, "name": p.name, "type": p.type, "version": p.version}


def _vuln(m: VulnerabilityMatch) -> dict[str, Any]:
    return {"id": m.advisory_id, "aliases": list(m.aliases), "package": m.package_name,
            "purl": m.package_purl, "version": m.installed_version,
            "severity": m.severity.name.lower(), "fixed_versions": list(m.fixed_versions)}


def compare(old: Subject, new: Subject, result: Comparison) -> dict[str, Any]:
    vulns = None
    if result.introduced is not None and result.fixed is not None:
        vulns = {"introduced": [_vuln(m) for m in result.introduced],
                 "fixed": [_vuln(m) for m in result.fixed]}
    return {
        "schema": "ringfence.compare/1",
        "images": [{"name": s.name, "digest": s.digest, "stored": s.stored}
                   for s in (old, new)],
        "packages": {"added": [_package(p) for p in result.added],
                     "removed": [_package(p) for p in result.removed],
                     "changed": [{"purl": c.purl, "name": c.name, "type": c.type,
                                  "from": c.old, "to": c.new} for c in result.changed]},
        "vulnerabilities": vulns,
        "unknowns": [{"location": u.location, "reason": u.reason, "plugin": u.plugin,
                      "layer": u.layer} for u in result.unknowns],
    }

"""The JSON document of ``ringfence fix`` (schema ``ringfence.fix/1`` in ``schemas.py``)."""

from __future__ import annotations

from typing import Any

from ringfence.respond.remediation import Plan, Upgrade
from ringfence.respond.remediation_base import BaseAdvice, StoredImage
from ringfence.respond.remediation_script import command
from ringfence.respond.subject import Subject


def _stored(s: StoredImage) -> dict[str, Any]:
    return {"digest": s.digest, "refs": list(s.refs), "distro": s.distro,
            "findings": s.findings}


def _upgrade(u: Upgrade) -> dict[str, Any]:
    return {"purl": u.purl, "package": u.name, "type": u.type, "installed": u.installed,
            "ecosystem": u.ecosystem, "advisory_name": u.lookup_name,
            "compared_version": u.matched_version, "target": u.target,
            "cleared": u.cleared, "severity": u.worst.name.lower(),
            "findings": [{"id": m.advisory_id, "aliases": list(m.aliases),
                          "severity": m.severity.name.lower(),
                          "fixed_versions": list(m.fixed_versions)} for m in u.findings],
            "blocking": list(u.blocking), "command": command(u), "location": u.location,
            "layer": u.layer}


def fix(subject: Subject, plan: Plan, base: BaseAdvice | None, store: str | None
        ) -> dict[str, Any]:
    return {
        "schema": "ringfence.fix/1", "store": store,
        "image": {"name": subject.name, "digest": subject.digest, "refs": list(subject.refs),
                  "stored": subject.stored},
        "findings": plan.findings, "cleared": plan.cleared,
        "upgrades": [_upgrade(u) for u in plan.upgrades],
        "base": None if base is None else {
            "image": _stored(base.base) if base.base else None,
            "candidates": [_stored(c) for c in base.candidates]},
        "unknowns": [{"location": u.location, "reason": u.reason, "plugin": u.plugin,
                      "layer": u.layer} for u in plan.unknowns],
    }

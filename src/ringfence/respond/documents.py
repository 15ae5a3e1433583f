"""The JSON documents of ``inventory`` and ``affected`` (schemas in ``ringfence/schemas.py``)."""

from __future__ import annotations

from typing import Any

from ringfence.respond.affected import AffectedAnswer
from ringfence.store.record import ImageRecord


def image_summary(record: ImageRecord) -> dict[str, Any]:
    return {"digest": record.digest, "kind": record.kind, "refs": list(record.refs),
            "added_at": record.added_at, "packages": record.package_count,
            "distro": _distro(record), "scanned_with": record.scanned_with}


def _distro(record: ImageRecord) -> str | None:
    if not record.distro:
        return None
    return " ".join(str(x) for x in (record.distro.get("id"), record.distro.get("version_id"))
                    if x)


def inventory_list(store: str, records: list[ImageRecord]) -> dict[str, Any]:
    return {"schema": "ringfence.inventory-list/1", "store": store,
            "images": [image_summary(r) for r in records]}


def inventory_show(store: str, record: ImageRecord) -> dict[str, Any]:
    findings: dict[int, list[dict[str, Any]]] = {}
    for f in record.findings:
        findings.setdefault(f.ord, []).append(
            {"id": f.advisory_id, "aliases": list(f.aliases), "severity": f.severity.lower(),
             "fixed_versions": list(f.fixed), "status": f.status})
    return {
        "schema": "ringfence.inventory-show/1", "store": store,
        "image": {**image_summary(record), "packages": len(record.packages)},
        "os": record.os, "architecture": record.architecture,
        "config_digest": record.config_digest,
        "layers": [{"digest": la.digest, "diff_id": la.diff_id, "size": la.size}
                   for la in record.layers],
        "packages": [{"purl": p.purl, "name": p.name, "version": p.version, "type": p.type,
                      "layer": p.layer, "owner": p.owner,
                      "vulnerabilities": findings.get(p.ord, [])} for p in record.packages],
    }


def inventory_add(store: str, added: list[tuple[ImageRecord, bool]]) -> dict[str, Any]:
    return {"schema": "ringfence.inventory-add/1", "store": store,
            "added": [{"ref": r.ref, "digest": r.digest, "new": new,
                       "packages": len(r.packages), "vulnerabilities": len(r.findings),
                       "matched": r.scanned_with is not None} for r, new in added]}


def affected(store: str, answer: AffectedAnswer) -> dict[str, Any]:
    return {
        "schema": "ringfence.affected/1", "store": store, "query": answer.query,
        "kind": answer.kind, "advisories": list(answer.advisory_ids),
        "images": len({r.digest for r in answer.rows}),
        "affected": [{"digest": r.digest, "refs": list(r.refs), "purl": r.purl,
                      "package": r.package, "version": r.version, "layer": r.layer,
                      "advisory": r.advisory_id, "aliases": list(r.aliases),
                      "severity": r.severity.lower() if r.severity else None,
                      "fixed_versions": list(r.fixed_versions), "status": r.status}
                     for r in answer.rows],
        "unknowns": [{"location": u.location, "reason": u.reason, "plugin": u.plugin,
                      "layer": u.layer} for u in answer.unknowns],
    }

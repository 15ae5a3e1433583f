"""The versioned JSON document of a depth report; every renderer (table, SARIF, HTML)
reads this one document (report/ imports only model, so it never sees threats/)."""

from __future__ import annotations

from typing import Any, Final

from ringfence import __version__
from ringfence.threats.model import Chain, DepthReport, RingResult, State, WorkloadDepth

# /2: ring state "partial" (undecided: some controls not evaluated), and per ring cell the
# counts "controls" (n), "holding" (k), "evaluated", "label" ("partial k/n") and "why" (the
# distinct reasons its unverified controls were not evaluated)
SCHEMA: Final = "ringfence.depth/2"
STATES: Final = tuple(str(s) for s in State)
UNDECIDED: Final = (State.PARTIAL, State.NOT_EVALUATED)  # what --strict refuses


def _ring(r: RingResult) -> dict[str, Any]:
    return {"ring": r.ring, "state": str(r.state), "label": r.label,
            "controls": r.controls, "holding": r.holding, "evaluated": r.evaluated,
            "reason": r.reason, "held": list(r.held), "failed": list(r.failed),
            "unverified": list(r.unverified), "why": list(r.why)}


def _chain(c: Chain) -> dict[str, Any]:
    return {"id": c.id, "title": c.title, "outcome": c.outcome, "status": c.status,
            "steps": [{"label": s.label, "state": s.state, "evidence": list(s.evidence)}
                      for s in c.steps]}


def _workload(w: WorkloadDepth) -> dict[str, Any]:
    return {
        "ref": w.ref, "namespace": w.namespace, "location": w.location,
        "images": list(w.images),
        "threats": [{"threat": t.threat, "depth": t.depth,
                     "undecided": [r.ring for r in t.rings if r.state in UNDECIDED],
                     "rings": [_ring(r) for r in t.rings]} for t in w.threats],
        "chains": [_chain(c) for c in w.chains],
        "findings": [{"rule_id": f.rule_id, "severity": f.severity.name.lower(),
                      "message": f.message, "location": f.location} for f in w.findings],
    }


def depth_document(report: DepthReport) -> dict[str, Any]:
    used = {f.rule_id for w in report.workloads for f in w.findings}
    return {
        "schema": SCHEMA,
        "tool": {"name": "ringfence", "version": __version__},
        "catalog_version": report.catalog_version,
        "threats": [{"id": i, "name": n, "techniques": list(t)} for i, n, t in report.threats],
        "rings": ["image", "host", "platform"],
        "sources": [{"input": k, "status": v} for k, v in report.sources],
        "workloads": [_workload(w) for w in report.workloads],
        "rules": [{"id": r.id, "title": r.title, "severity": r.severity.name.lower(),
                   "ring": r.ring, "remediation": r.remediation, "threats": list(r.threats),
                   "references": list(r.references)}
                  for r in report.rules if r.id in used],
        "summary": {"workloads": len(report.workloads),
                    "cells": {s: sum(1 for w in report.workloads for t in w.threats
                                     for r in t.rings if str(r.state) == s) for s in STATES},
                    "not_evaluated_cells": report.not_evaluated(),
                    "partial_cells": report.partial(),
                    # --strict: a ring cell that is partial or not evaluated is undecided
                    "undecided_cells": report.partial() + report.not_evaluated(),
                    "open_chains": sum(1 for w in report.workloads for c in w.chains
                                       if c.status == "open")},
        "unknowns": [u.to_dict() for u in report.unknowns],
    }

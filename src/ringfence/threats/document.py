"""The versioned JSON document of a depth report; every renderer (table, SARIF, HTML)
reads this one document (report/ imports only model, so it never sees threats/)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from ringfence import __version__
from ringfence.threats.model import Chain, DepthReport, RingResult, State, WorkloadDepth

# /2: ring state "partial" (undecided: some controls not evaluated), and per ring cell the
# counts "controls" (n), "holding" (k), "evaluated", "label" ("partial k/n") and "why" (the
# distinct reasons its unverified controls were not evaluated); "notes" (top level: shared by
# every workload; per workload: the rest)
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


def notes(w: WorkloadDepth) -> tuple[str, ...]:
    """``ring: reason`` for each reason a control of ``w`` was not evaluated, once."""
    return tuple(dict.fromkeys(f"{r.ring}: {why}" for t in w.threats for r in t.rings
                               if r.state in UNDECIDED for why in r.why or (r.reason,)))


def shared_notes(workloads: Sequence[WorkloadDepth]) -> tuple[str, ...]:
    """The notes every workload has (more than one workload): said once, for all."""
    per = [notes(w) for w in workloads]
    if len(per) < 2:
        return ()
    common = set(per[0]).intersection(*per[1:])
    return tuple(n for n in per[0] if n in common)


def _workload(w: WorkloadDepth, shared: tuple[str, ...]) -> dict[str, Any]:
    return {
        "ref": w.ref, "namespace": w.namespace, "location": w.location,
        "images": list(w.images),
        "notes": [n for n in notes(w) if n not in shared],
        "threats": [{"threat": t.threat, "depth": t.depth,
                     "undecided": [r.ring for r in t.rings if r.state in UNDECIDED],
                     "rings": [_ring(r) for r in t.rings]} for t in w.threats],
        "chains": [_chain(c) for c in w.chains],
        "findings": [f.to_dict() for f in w.findings],
    }


def depth_document(report: DepthReport) -> dict[str, Any]:
    used = {f.rule_id for w in report.workloads for f in w.findings}
    shared = shared_notes(report.workloads)
    return {
        "schema": SCHEMA,
        "tool": {"name": "ringfence", "version": __version__},
        "catalog_version": report.catalog_version,
        "threats": [{"id": i, "name": n, "techniques": list(t)} for i, n, t in report.threats],
        "rings": ["image", "host", "platform"],
        "sources": [{"input": k, "status": v} for k, v in report.sources],
        # why rings are partial or not evaluated: for every workload here, the rest under
        # each workload ("notes"); each note once
        "notes": list(shared),
        "workloads": [_workload(w, shared) for w in report.workloads],
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

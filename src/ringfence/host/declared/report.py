"""The ``ringfence.host-declared/1`` document: a host against its declared state."""

from __future__ import annotations

from typing import Any

from ringfence import __version__
from ringfence.checks.engine import run_checks
from ringfence.host.declared.model import NOT_EVALUATED, DeclaredState
from ringfence.host.declared.rules import DECLARED_CHECKS
from ringfence.model.unknown import Unknown

SCHEMA = "ringfence.host-declared/1"


def declared_document(state: DeclaredState, kind: str, root: str, live: bool
                      ) -> dict[str, Any]:
    run = run_checks(DECLARED_CHECKS, state, state.source)
    unknowns = [Unknown(i.location, f"{i.name}: {i.reason}", i.source)
                for i in state.items if i.status == NOT_EVALUATED]
    unknowns += run.unknowns
    counts: dict[str, int] = {}
    for item in state.items:
        counts[item.status] = counts.get(item.status, 0) + 1
    return {
        "schema": SCHEMA,
        "tool": {"name": "ringfence", "version": __version__},
        "target": {"kind": "host", "name": root, "live": live},
        "declared": {"kind": kind, "source": state.source},
        "items": [i.to_dict() for i in state.items],
        "counts": counts,
        "evaluated": list(run.evaluated),
        "findings": [f.to_dict() for f in run.findings],
        "unknowns": [u.to_dict() for u in unknowns],
    }

"""The ``ringfence.host-drift/1`` document: drift of a host against its signed baseline."""

from __future__ import annotations

from typing import Any

from ringfence import __version__
from ringfence.checks.engine import run_checks
from ringfence.host.baseline.drift import HostDrift
from ringfence.host.baseline.model import HostSnapshot
from ringfence.host.baseline.rules import HOST_DRIFT_CHECKS
from ringfence.model.unknown import Unknown

SCHEMA = "ringfence.host-drift/1"
PLUGIN = "host-baseline"


def drift_document(drift: HostDrift, baseline: HostSnapshot, created: str,
                   current: HostSnapshot, root: str) -> dict[str, Any]:
    run = run_checks(HOST_DRIFT_CHECKS, drift, root)
    unknowns = [Unknown(path, reason, PLUGIN) for path, reason in drift.problems]
    unknowns += list(run.unknowns)
    if drift.live_mismatch:
        unknowns.append(Unknown(root, "the baseline and this check differ in whether /proc and "
                                "/sys were read (live host vs mounted root): live values "
                                "(effective sysctls, loaded modules, /proc/cmdline) not "
                                "compared", PLUGIN))
    counts = {kind: sum(1 for c in drift.changes if c.change == kind)
              for kind in ("added", "removed", "changed")}
    return {
        "schema": SCHEMA,
        "tool": {"name": "ringfence", "version": __version__},
        "target": {"kind": "host", "name": root, "live": current.live},
        "baseline": {"created": created, "identity": dict(baseline.identity),
                     "live": baseline.live, "facts": len(baseline.facts),
                     "files": len(baseline.files)},
        "changes": [c.to_dict() for c in drift.changes],
        "counts": counts,
        "findings": [f.to_dict() for f in run.findings],
        "unknowns": [u.to_dict() for u in unknowns],
    }

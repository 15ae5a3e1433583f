"""The host ring's drift against a signed host baseline (HOST-101..112), as
``ringfence host baseline check`` reports it, for the depth report (``scan --host-baseline``).
"""

from __future__ import annotations

from typing import Final

from ringfence.checks.engine import CheckRun, run_checks
from ringfence.errors import InputError
from ringfence.host.baseline.drift import HostDrift
from ringfence.model.unknown import Unknown
from ringfence.rings.report import RingReport, not_evaluated

NO_BASELINE: Final = "no host baseline given (--host-baseline)"
PLUGIN: Final = "host-baseline"


def host_drift_ring(baseline: bytes | None, public_key: bytes, subject: str,
                    root: str | None) -> RingReport[HostDrift]:
    """``baseline`` None: not evaluated. A baseline that does not verify, or was taken of
    another host, is an InputError (the gate cannot say the host is what it was)."""
    if baseline is None:
        return not_evaluated("host", "", NO_BASELINE)
    if root is None:
        raise InputError(subject, "a host baseline is checked against a host: give --host "
                         "or --host-root")
    from ringfence.host.baseline import document
    from ringfence.host.baseline.coverage import undecided
    from ringfence.host.baseline.drift import compare
    from ringfence.host.baseline.rules import HOST_DRIFT_CHECKS
    from ringfence.host.baseline.snapshot import take_snapshot

    old, _ = document.verify(baseline, public_key, subject)
    current = take_snapshot(root)
    why = document.same_host(old, current)
    if why is not None:
        raise InputError(subject, f"taken of another host: {why}")
    drift = compare(old, current)
    run = run_checks(HOST_DRIFT_CHECKS, drift, f"host:{root}")
    absent = undecided(drift, old, current)
    unknowns = (*run.unknowns, *(Unknown(p, r, PLUGIN) for p, r in drift.problems))
    merged = CheckRun(run.findings, tuple(r for r in run.evaluated if r not in absent),
                      unknowns)
    return RingReport("host", f"{root} against {subject}", drift, merged, absent=absent,
                      unknowns=unknowns)

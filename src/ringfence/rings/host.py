"""The host ring: facts under a host root (the machine itself, or a mounted root) and every
HOST check, as ``ringfence host`` reports them."""

from __future__ import annotations

import os
from typing import Final

from ringfence.checks.engine import CheckRun, run_checks
from ringfence.host.model import HostFacts
from ringfence.rings.report import RingReport, not_evaluated

NO_HOST: Final = "no host access (--host or --host-root not given)"


def host_ring(root: str | None, *, live: bool | None = None) -> RingReport[HostFacts]:
    """``root`` None: not evaluated (no host access)."""
    if root is None:
        return not_evaluated("host", "", NO_HOST)
    if not os.path.isdir(root) or not os.access(root, os.R_OK | os.X_OK):
        return not_evaluated("host", root, f"host root {root} cannot be read")
    from ringfence.host.gather import gather_host_facts
    from ringfence.host.rules import HOST_CHECKS
    from ringfence.host.summary import host_document

    facts = gather_host_facts(root, live=live)
    run = run_checks(HOST_CHECKS, facts, f"host:{facts.root}")
    merged = CheckRun(run.findings, run.evaluated, (*facts.unknowns, *run.unknowns))
    return RingReport("host", root, facts, merged,
                      absent_default=f"the facts it needs could not be read under host "
                                     f"root {root}",
                      unknowns=merged.unknowns,
                      document=host_document(facts, HOST_CHECKS, run))

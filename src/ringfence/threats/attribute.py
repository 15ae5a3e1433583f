"""Findings of cluster-wide checks attributed to the workloads they concern, and control
statuses of one workload built from a CheckRun (and across its images).

A finding belongs to the workloads it names (``Kind/ns/name`` or ``ns/name[Kind]``), else to
the workloads of the namespace it names, else to the workloads running as the service
account it names; anything else (control plane, a User's grant, a service account no workload
uses) concerns every workload: it is never dropped, so it can only lower a depth. RBAC
findings are the exception: the platform ring knows whom they concern, so each goes to the
workloads running as one of its subjects (or in one of their groups) and, for a grant to
enter running containers, to the workloads it lets one enter; to no other."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from ringfence.checks.engine import CheckRun
from ringfence.model.finding import Finding
from ringfence.threats.model import ControlStatus, State


@dataclass(frozen=True, slots=True)
class WorkloadKey:
    """What identifies a workload in messages."""

    ref: str  # PodView.ref, e.g. Deployment/default/web
    kind: str
    name: str
    namespace: str
    service_account: str

    def names(self) -> tuple[str, ...]:
        return (self.ref, f"{self.namespace}/{self.name}[{self.kind}]")


def _mentions(text: str, name: str) -> bool:
    # the substring test first: most (finding, workload) pairs end there, without a regex
    return name in text and _bounded(name).search(text) is not None


@functools.lru_cache(maxsize=65536)
def _bounded(name: str) -> re.Pattern[str]:
    """``name`` as a whole word of a message (not part of a longer name or path)."""
    return re.compile(rf"(?<![\w./-]){re.escape(name)}(?![\w./\[-])")


def owners(finding: Finding, keys: Sequence[WorkloadKey]) -> tuple[str, ...]:
    named = [k.ref for k in keys if any(_mentions(finding.message, n) for n in k.names())]
    if named:
        return tuple(named)
    ns = re.match(r"namespace (\S+) ", finding.message)
    space = ns.group(1) if ns else finding.location
    in_ns = [k.ref for k in keys if k.namespace == space]
    if in_ns:
        return tuple(in_ns)
    sa = re.match(r"ServiceAccount ([^/\s]+)/(\S+) ", finding.message)
    if sa:
        users = [k.ref for k in keys
                 if (k.namespace, k.service_account) == (sa.group(1), sa.group(2))]
        if users:
            return tuple(users)
    return tuple(k.ref for k in keys)


def attribute(findings: Iterable[Finding], keys: Sequence[WorkloadKey],
              charged: Mapping[Finding, tuple[str, ...]] | None = None,
              ) -> dict[str, tuple[Finding, ...]]:
    """``charged``: findings whose workloads the domain knows exactly (RBAC findings: the
    workloads running as the subject); they go to those only, possibly none."""
    out: dict[str, list[Finding]] = {k.ref: [] for k in keys}
    fixed = charged or {}
    for f in findings:
        for ref in fixed[f] if f in fixed else owners(f, keys):
            out[ref].append(f)
    return {ref: tuple(fs) for ref, fs in out.items()}


def statuses(rule_ids: Iterable[str], run: CheckRun | None, failed_here: Iterable[str],
             not_run: str, absent: Mapping[str, str] | None = None,
             absent_default: str = "the facts this rule needs are not in the input",
             ) -> dict[str, ControlStatus]:
    """Statuses of ``rule_ids`` for one workload. ``run`` None: the whole domain was not
    run (``not_run`` says why); a rule the run did not evaluate gets ``absent[rule]`` or a
    generic reason; ``failed_here``: rules with a finding attributed to this workload."""
    failed = set(failed_here)
    evaluated = set(run.evaluated) if run is not None else set()
    broken = {u.plugin: u.reason for u in run.unknowns} if run is not None else {}
    out: dict[str, ControlStatus] = {}
    for rid in rule_ids:
        if run is None:
            out[rid] = ControlStatus(State.NOT_EVALUATED, not_run)
        elif rid in broken:
            out[rid] = ControlStatus(State.NOT_EVALUATED, broken[rid])
        elif rid not in evaluated:
            why = (absent or {}).get(rid, absent_default)
            out[rid] = ControlStatus(State.NOT_EVALUATED, why)
        else:
            out[rid] = ControlStatus(State.FAILS if rid in failed else State.HOLDS)
    return out


def across_images(per_image: Sequence[Mapping[str, ControlStatus]],
                  ids: Sequence[str]) -> dict[str, ControlStatus]:
    """A control of a workload with several images fails when it fails on one image, holds
    when it holds on every image, and is otherwise not evaluated (with the images'
    reasons)."""
    out: dict[str, ControlStatus] = {}
    for cid in ids:
        got = [m.get(cid, ControlStatus(State.NOT_EVALUATED, "not run")) for m in per_image]
        if not got:
            out[cid] = ControlStatus(State.NOT_EVALUATED, "the workload names no image")
        elif any(s.state is State.FAILS for s in got):
            out[cid] = ControlStatus(State.FAILS, "; ".join(s.reason for s in got
                                                            if s.state is State.FAILS))
        elif all(s.state is State.HOLDS for s in got):
            out[cid] = ControlStatus(State.HOLDS)
        else:
            reasons = dict.fromkeys(s.reason for s in got if s.state is State.NOT_EVALUATED)
            out[cid] = ControlStatus(State.NOT_EVALUATED, "; ".join(reasons))
    return out

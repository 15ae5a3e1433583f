"""The runtime ring (``--runtime --live``): the live state of the containers running on
this host. Running containers are matched to pod containers by the names CRI runtimes give
them (``k8s_<container>_<pod>…`` for dockershim/cri-dockerd, the container name for
containerd and CRI-O) and the RT checks run over the matched ones only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from ringfence.checks.engine import CheckRun, run_checks
from ringfence.k8s.podview import PodView
from ringfence.model.unknown import Unknown
from ringfence.rings.report import RingReport, not_evaluated
from ringfence.runtime.facts import RuntimeFacts
from ringfence.runtime.live import LiveContainer, gather_live
from ringfence.runtime.rules import RT_CHECKS

NO_RUNTIME: Final = "no runtime state (--runtime --live not given)"


@dataclass(frozen=True, slots=True)
class RuntimeView:
    live: tuple[LiveContainer, ...]
    unknowns: tuple[Unknown, ...] = ()

    def matching(self, pod: PodView) -> tuple[LiveContainer, ...]:
        names = {c.name for c in pod.containers}
        return tuple(c for c in self.live if c.declared is not None
                     and (c.declared.name in names
                          or any(c.declared.name.startswith(f"k8s_{n}_") for n in names)))

    def run_for(self, pod: PodView) -> tuple[CheckRun | None, str]:
        mine = self.matching(pod)
        if not mine:
            return None, (f"no running container of {pod.ref} found on this host "
                          f"({len(self.live)} containers running)")
        specs = tuple(c.declared for c in mine if c.declared is not None)
        return run_checks(RT_CHECKS, RuntimeFacts(specs, mine), pod.ref), ""


def gather_runtime() -> RuntimeView:
    live, unknowns = gather_live()
    return RuntimeView(live, unknowns)


def runtime_ring(live: bool) -> RingReport[RuntimeView]:
    """The live containers of this host (``live`` False: not evaluated). The checks run
    per workload (:meth:`RuntimeView.run_for`), so ``run`` stays None here."""
    if not live:
        return not_evaluated("runtime", "", NO_RUNTIME)
    view = gather_runtime()
    return RingReport("runtime", "live /proc", view, None, unknowns=view.unknowns)


def workload_run(ring: RingReport[RuntimeView], pod: PodView) -> tuple[CheckRun | None, str]:
    """The RT checks over ``pod``'s running containers, or None and why not."""
    if ring.facts is None:
        return None, ring.reason
    return ring.facts.run_for(pod)

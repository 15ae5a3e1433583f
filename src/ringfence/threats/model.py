"""Depth results as frozen values: per workload and threat, each ring holds, fails, is
partial (some of its controls were not evaluated: undecided), is not evaluated (with the
reason) or has no control; depth counts the rings that hold, and only those."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from ringfence.model.finding import Finding, Rule
from ringfence.model.unknown import Unknown


class State(enum.StrEnum):
    HOLDS = "holds"
    FAILS = "fails"
    PARTIAL = "partial"  # some controls hold, the others were not evaluated: undecided
    NOT_EVALUATED = "not-evaluated"
    NO_CONTROL = "no-control"  # the ring has no control for this threat


@dataclass(frozen=True, slots=True)
class ControlStatus:
    """One control (a rule id or an extra like "vulnerabilities") for one workload."""

    state: State
    reason: str = ""  # why not evaluated, or what failed


@dataclass(frozen=True, slots=True)
class RingResult:
    """One (threat, ring) cell. ``controls`` counts the ring's control groups for the threat
    (a group of alternatives is one), ``holding`` those that hold, ``evaluated`` those that
    hold or fail: "partial 3/5" is ``holding``/``controls``."""

    ring: str
    state: State
    reason: str  # not evaluated / partial: why; fails: the failing controls; holds: ""
    held: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()
    unverified: tuple[str, ...] = ()  # controls of the ring that were not evaluated
    controls: int = 0
    holding: int = 0
    evaluated: int = 0
    why: tuple[str, ...] = ()  # the distinct reasons its unverified controls were not evaluated

    @property
    def label(self) -> str:
        """``partial 3/5`` for a partial ring, else the state in words."""
        if self.state is State.PARTIAL:
            return f"partial {self.holding}/{self.controls}"
        return str(self.state).replace("-", " ")


@dataclass(frozen=True, slots=True)
class ThreatDepth:
    threat: str
    rings: tuple[RingResult, ...]

    @property
    def depth(self) -> int:
        return sum(1 for r in self.rings if r.state is State.HOLDS)

    @property
    def not_evaluated(self) -> tuple[str, ...]:
        return tuple(r.ring for r in self.rings if r.state is State.NOT_EVALUATED)

    @property
    def partial(self) -> tuple[str, ...]:
        return tuple(r.ring for r in self.rings if r.state is State.PARTIAL)

    def ring(self, name: str) -> RingResult:
        return next(r for r in self.rings if r.ring == name)


@dataclass(frozen=True, slots=True)
class ChainStepResult:
    label: str
    state: str  # "open" | "closed" | "unknown"
    evidence: tuple[str, ...]  # the signals that made the step open (or unknown)


@dataclass(frozen=True, slots=True)
class Chain:
    id: str
    title: str
    outcome: str
    status: str  # "open": every step open; "possible": the rest not evaluated
    steps: tuple[ChainStepResult, ...]


@dataclass(frozen=True, slots=True)
class WorkloadDepth:
    ref: str
    namespace: str
    location: str
    images: tuple[str, ...]
    threats: tuple[ThreatDepth, ...]
    chains: tuple[Chain, ...]
    findings: tuple[Finding, ...]  # attributed to this workload (every ring)

    def threat(self, threat_id: str) -> ThreatDepth:
        return next(t for t in self.threats if t.threat == threat_id)

    def depths(self) -> dict[str, int]:
        return {t.threat: t.depth for t in self.threats}


@dataclass(frozen=True, slots=True)
class DepthReport:
    catalog_version: int
    threats: tuple[tuple[str, str, tuple[str, ...]], ...]  # (id, name, techniques)
    workloads: tuple[WorkloadDepth, ...]
    rules: tuple[Rule, ...]
    sources: tuple[tuple[str, str], ...]  # (ring or input, what was read / why not)
    unknowns: tuple[Unknown, ...] = ()

    def not_evaluated(self) -> int:
        """How many (workload, threat, ring) cells were not evaluated."""
        return sum(len(t.not_evaluated) for w in self.workloads for t in w.threats)

    def partial(self) -> int:
        """How many (workload, threat, ring) cells are partial (undecided)."""
        return sum(len(t.partial) for w in self.workloads for t in w.threats)

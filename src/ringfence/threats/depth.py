"""Depth of one workload: combine its control statuses per threat and ring (catalogue
policy), never counting a control that was not evaluated as holding."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ringfence.model.finding import Rule
from ringfence.threats.catalog import RINGS, Catalog, Threat, groups
from ringfence.threats.model import ControlStatus, RingResult, State, ThreatDepth

NOT_RUN = ControlStatus(State.NOT_EVALUATED, "not run")


def group_state(group: tuple[str, ...], statuses: Mapping[str, ControlStatus]) -> State:
    """A group holds when one evaluated member holds, fails when every evaluated member
    fails, and is not evaluated when no member was."""
    states = {statuses.get(c, NOT_RUN).state for c in group}
    if State.HOLDS in states:
        return State.HOLDS
    return State.FAILS if State.FAILS in states else State.NOT_EVALUATED


def ring_result(threat: Threat, ring: str, rules: Sequence[Rule],
                statuses: Mapping[str, ControlStatus]) -> RingResult:
    grouped = groups(threat, ring, rules)
    if not grouped:
        return RingResult(ring, State.NO_CONTROL, "no control of this ring for the threat")
    states = [(g, group_state(g, statuses)) for g in grouped]
    held = tuple(c for g, s in states if s is State.HOLDS for c in g
                 if statuses.get(c, NOT_RUN).state is State.HOLDS)
    failed = tuple(c for g, s in states if s is State.FAILS for c in g
                   if statuses.get(c, NOT_RUN).state is State.FAILS)
    unverified = tuple(c for g in grouped for c in g
                       if statuses.get(c, NOT_RUN).state is State.NOT_EVALUATED)
    if threat.rings[ring].combine == "any":
        state = (State.HOLDS if held else State.FAILS if failed else State.NOT_EVALUATED)
    else:
        state = (State.FAILS if failed else State.HOLDS if held else State.NOT_EVALUATED)
    missing = [c for c in threat.rings[ring].required
               if statuses.get(c, NOT_RUN).state is State.NOT_EVALUATED]
    if state is State.HOLDS and missing:
        reasons = "; ".join(statuses.get(c, NOT_RUN).reason for c in missing)
        return RingResult(ring, State.NOT_EVALUATED, f"required control {', '.join(missing)} "
                          f"not evaluated: {reasons}", held, failed, unverified)
    return RingResult(ring, state, _reason(state, failed, unverified, grouped, statuses),
                      held, failed, unverified)


def _reason(state: State, failed: tuple[str, ...], unverified: tuple[str, ...],
            grouped: tuple[tuple[str, ...], ...],
            statuses: Mapping[str, ControlStatus]) -> str:
    if state is State.FAILS:
        return "failed: " + ", ".join(failed)
    if state is State.NOT_EVALUATED:
        reasons = dict.fromkeys(statuses.get(c, NOT_RUN).reason for g in grouped for c in g)
        return "; ".join(r for r in reasons if r) or "not evaluated"
    total = sum(len(g) for g in grouped)
    if unverified:
        return f"{total - len(unverified)} of {total} controls evaluated"
    return ""


def threat_depths(catalog: Catalog, rules: Sequence[Rule],
                  statuses: Mapping[str, ControlStatus]) -> tuple[ThreatDepth, ...]:
    return tuple(ThreatDepth(t.id, tuple(ring_result(t, ring, rules, statuses)
                                         for ring in RINGS))
                 for t in catalog.threats)

"""Depth of one workload: combine its control statuses per threat and ring (catalogue
policy). A verdict is given only when it is decided: a ring holds when every control
(group) that applies was evaluated and holds ("any": when one holds), fails when one fails
("any": when every one was evaluated and fails); otherwise it is partial (some evaluated)
or not evaluated, and neither counts toward depth. A control that was not evaluated is never
counted as holding."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ringfence.model.finding import Rule
from ringfence.threats.catalog import RINGS, Catalog, Threat, groups
from ringfence.threats.model import ControlStatus, RingResult, State, ThreatDepth

NOT_RUN = ControlStatus(State.NOT_EVALUATED, "not run")


def _state(statuses: Mapping[str, ControlStatus], control: str) -> State:
    return statuses.get(control, NOT_RUN).state


def group_state(group: tuple[str, ...], statuses: Mapping[str, ControlStatus]) -> State:
    """A group of alternatives holds when one member holds, fails when every member was
    evaluated and fails, and is otherwise not evaluated (an unevaluated member may hold)."""
    states = {_state(statuses, c) for c in group}
    if State.HOLDS in states:
        return State.HOLDS
    return State.FAILS if states == {State.FAILS} else State.NOT_EVALUATED


def combine(mode: str, states: Sequence[State]) -> State:
    """The ring's state from its groups' states (``mode`` "all" or "any")."""
    held = sum(1 for s in states if s is State.HOLDS)
    failed = sum(1 for s in states if s is State.FAILS)
    if mode == "any":
        if held:
            return State.HOLDS
        if failed == len(states):
            return State.FAILS
    else:
        if failed:
            return State.FAILS
        if held == len(states):
            return State.HOLDS
    return State.PARTIAL if held or failed else State.NOT_EVALUATED


def ring_result(threat: Threat, ring: str, rules: Sequence[Rule],
                statuses: Mapping[str, ControlStatus]) -> RingResult:
    grouped = groups(threat, ring, rules)
    if not grouped:
        return RingResult(ring, State.NO_CONTROL, "no control of this ring for the threat")
    states = [(g, group_state(g, statuses)) for g in grouped]
    held = tuple(c for g, s in states if s is State.HOLDS for c in g
                 if _state(statuses, c) is State.HOLDS)
    failed = tuple(c for g, s in states if s is State.FAILS for c in g
                   if _state(statuses, c) is State.FAILS)
    unverified = tuple(c for g in grouped for c in g
                       if _state(statuses, c) is State.NOT_EVALUATED)
    holding = sum(1 for _, s in states if s is State.HOLDS)
    evaluated = sum(1 for _, s in states if s is not State.NOT_EVALUATED)
    why = tuple(dict.fromkeys(r for c in unverified
                              for r in statuses.get(c, NOT_RUN).reason.split("; ") if r))
    state = combine(threat.rings[ring].combine, [s for _, s in states])
    missing = [c for c in threat.rings[ring].required
               if _state(statuses, c) is State.NOT_EVALUATED]
    if state in (State.HOLDS, State.PARTIAL) and missing:
        reasons = _reasons(missing, statuses)
        return RingResult(ring, State.NOT_EVALUATED, f"required control {', '.join(missing)} "
                          f"not evaluated: {reasons}", held, failed, unverified,
                          len(grouped), holding, evaluated, why)
    return RingResult(ring, state, _reason(state, failed, unverified, grouped, statuses),
                      held, failed, unverified, len(grouped), holding, evaluated, why)


def _reasons(controls: Sequence[str], statuses: Mapping[str, ControlStatus]) -> str:
    reasons = dict.fromkeys(statuses.get(c, NOT_RUN).reason for c in controls)
    return "; ".join(r for r in reasons if r) or "not evaluated"


def _reason(state: State, failed: tuple[str, ...], unverified: tuple[str, ...],
            grouped: tuple[tuple[str, ...], ...],
            statuses: Mapping[str, ControlStatus]) -> str:
    if state is State.FAILS:
        return "failed: " + ", ".join(failed)
    if state is State.NOT_EVALUATED:
        return _reasons([c for g in grouped for c in g], statuses)
    if state is State.PARTIAL:
        return (f"not evaluated: {', '.join(unverified)} "
                f"({_reasons(unverified, statuses)})")
    return ""


def threat_depths(catalog: Catalog, rules: Sequence[Rule],
                  statuses: Mapping[str, ControlStatus]) -> tuple[ThreatDepth, ...]:
    return tuple(ThreatDepth(t.id, tuple(ring_result(t, ring, rules, statuses)
                                         for ring in RINGS))
                 for t in catalog.threats)

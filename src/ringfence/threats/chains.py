"""Cross-ring chains of one workload: a chain is open when every step has a failed signal."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ringfence.threats.catalog import ChainSpec, ChainStep
from ringfence.threats.model import Chain, ChainStepResult, ControlStatus, State

FACT = "fact:"


def signal_state(signal: str, statuses: Mapping[str, ControlStatus],
                 facts: Mapping[str, bool | None]) -> State:
    if signal.startswith(FACT):
        value = facts.get(signal.removeprefix(FACT))
        return State.NOT_EVALUATED if value is None else State.FAILS if value else State.HOLDS
    status = statuses.get(signal)
    return status.state if status is not None else State.NOT_EVALUATED


def step_result(step: ChainStep, statuses: Mapping[str, ControlStatus],
                facts: Mapping[str, bool | None]) -> ChainStepResult:
    states = {s: signal_state(s, statuses, facts) for s in step.signals}
    failed = tuple(s for s, st in states.items() if st is State.FAILS)
    if failed:
        return ChainStepResult(step.label, "open", failed)
    unknown = tuple(s for s, st in states.items() if st is State.NOT_EVALUATED)
    return ChainStepResult(step.label, "unknown" if unknown else "closed", unknown)


def find_chains(specs: Sequence[ChainSpec], statuses: Mapping[str, ControlStatus],
                facts: Mapping[str, bool | None]) -> tuple[Chain, ...]:
    out = []
    for spec in specs:
        steps = tuple(step_result(s, statuses, facts) for s in spec.steps)
        kinds = {s.state for s in steps}
        if "closed" in kinds:
            continue
        status = "open" if kinds == {"open"} else "possible"
        if status == "possible" and not any(s.state == "open" for s in steps):
            continue  # nothing known to be open: not worth a reader's attention
        out.append(Chain(spec.id, spec.title, spec.outcome, status, steps))
    return tuple(out)

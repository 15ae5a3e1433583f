"""A run's results seen per control of a framework (``mapping.FRAMEWORKS``).

Each rule in the run's scope (the rules of the rings it ran) is ``fail`` when it has a
finding, ``pass`` when it was evaluated without one, else ``not-evaluated`` (its input was
absent, or its check could not run). A control is:

- ``fail`` when one of its in-scope rules fails;
- ``not-evaluated`` when none fails but one was not evaluated: a control is never reported
  as holding on a part of its evidence;
- ``pass`` when every in-scope rule mapped to it was evaluated and none fails.

Controls that no in-scope rule maps to (e.g. host hardening in a platform-only run) are
left out of the view and counted as ``out_of_scope``. The score is the share of the
view's controls that pass (not-evaluated ones count against it), in percent.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final

from ringfence.compliance.mapping import FRAMEWORKS, MAPPINGS

STATUSES: Final = ("pass", "fail", "not-evaluated")


@dataclass(frozen=True, slots=True)
class ControlResult:
    id: str
    title: str
    status: str
    rules: tuple[tuple[str, str], ...]  # (rule id, its status)


@dataclass(frozen=True, slots=True)
class ComplianceView:
    framework: str
    title: str
    controls: tuple[ControlResult, ...]
    out_of_scope: int

    def count(self, status: str) -> int:
        return sum(1 for c in self.controls if c.status == status)

    @property
    def score(self) -> float:
        """Percent of the view's controls that pass (0.0 for an empty view)."""
        if not self.controls:
            return 0.0
        return round(100.0 * self.count("pass") / len(self.controls), 1)

    def to_dict(self) -> dict[str, Any]:
        return {
            "framework": self.framework, "title": self.title, "score": self.score,
            "counts": {s: self.count(s) for s in STATUSES},
            "out_of_scope": self.out_of_scope,
            "controls": [{"id": c.id, "title": c.title, "status": c.status,
                          "rules": [{"rule": r, "status": s} for r, s in c.rules]}
                         for c in self.controls],
        }


def rule_status(rule_id: str, evaluated: set[str], failed: set[str]) -> str:
    if rule_id in failed:
        return "fail"
    return "pass" if rule_id in evaluated else "not-evaluated"


def compliance_view(framework: str, scope: Iterable[str], evaluated: Iterable[str],
                    failed: Iterable[str]) -> ComplianceView:
    """The view of ``framework`` over the rules in ``scope``; ``evaluated`` and ``failed``
    are rule ids of the run (a failed rule is evaluated). KeyError for an unknown
    framework."""
    fw = FRAMEWORKS[framework]
    done, bad = set(evaluated), set(failed)
    by_control: dict[str, list[str]] = {}
    for rule_id in dict.fromkeys(scope):
        mapped = MAPPINGS.get(rule_id)
        for control in mapped.controls(framework) if mapped is not None else ():
            by_control.setdefault(control, []).append(rule_id)
    controls: list[ControlResult] = []
    for control, title in fw.controls.items():
        rules = by_control.get(control)
        if not rules:
            continue
        statuses = tuple((r, rule_status(r, done, bad)) for r in sorted(rules))
        found = {s for _, s in statuses}
        status = "fail" if "fail" in found else (
            "not-evaluated" if "not-evaluated" in found else "pass")
        controls.append(ControlResult(control, title, status, statuses))
    return ComplianceView(fw.id, fw.title, tuple(controls),
                          len(fw.controls) - len(controls))

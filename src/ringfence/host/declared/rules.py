"""HOST-110: the host is what its Ansible playbook declares (a task that would change
something in check mode is drift from the declared configuration)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Final

from ringfence.checks.rule import Check, Violation
from ringfence.host.declared.model import IN_STATE, WOULD_CHANGE, DeclaredState
from ringfence.model.finding import Rule, Severity

REFS: Final = ("NIST SP 800-53 CM-2", "NIST SP 800-53 CM-6", "CIS Controls v8 4.1")


def _would_change(source: str) -> Callable[[DeclaredState], Iterator[Violation]]:
    def check(state: DeclaredState) -> Iterator[Violation]:
        for item in state.of(source, WOULD_CHANGE):
            what = ", ".join(item.files) or "the host"
            yield Violation(f"{item.host}: task {item.name!r} ({item.action}) would change "
                            f"{what}", item.location)
    return check


def _evaluated(source: str) -> Callable[[DeclaredState], bool]:
    """Held only when some item was evaluated: all tasks skipped in check mode is not
    'in state'."""
    def applies(state: DeclaredState) -> bool:
        return bool(state.of(source, WOULD_CHANGE) or state.of(source, IN_STATE))
    return applies


DECLARED_CHECKS: Final[tuple[Check[DeclaredState], ...]] = (
    Check(Rule("HOST-110", "the host is as its Ansible playbook declares", Severity.MEDIUM, "host",
               "Apply the playbook (ansible-playbook without --check), or change the playbook "
               "when the host's state is the intended one.",
               ("persistence-drift",), REFS), _would_change("ansible"), _evaluated("ansible")),
)

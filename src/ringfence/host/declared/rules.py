"""HOST-110/111: the host is what its Ansible playbook / cloud-init user-data declares (an
item that would change something is drift from the declared configuration)."""

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
            if source == "ansible":
                what = ", ".join(item.files) or "the host"
                yield Violation(f"{item.host}: task {item.name!r} ({item.action}) would "
                                f"change {what}", item.location)
            else:
                yield Violation(f"{item.host}: {item.name} differs from the user-data: "
                                f"{item.reason}", item.location)
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
    Check(Rule("HOST-111", "the host is as its cloud-init user-data declares", Severity.MEDIUM,
               "host", "Re-provision from the user-data, or correct the drifted file, user or "
               "setting (and find out who changed it).", ("persistence-drift",), REFS),
          _would_change("cloud-init"), _evaluated("cloud-init")),
)

"""Results of comparing a host with its declared state, one per declared item (an Ansible
task on one host, a cloud-init ``write_files`` entry or user)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

WOULD_CHANGE, IN_STATE, NOT_EVALUATED, SKIPPED = (
    "would change", "in state", "not evaluated", "skipped")


@dataclass(frozen=True, slots=True)
class DeclaredItem:
    source: str  # ansible | cloud-init
    name: str  # the task's name, or what the user-data declares
    location: str  # playbook.yml:LINE, or user-data key
    action: str  # the module (ansible.builtin.copy) or cloud-init key (write_files)
    host: str
    status: str  # WOULD_CHANGE | IN_STATE | NOT_EVALUATED | SKIPPED
    files: tuple[str, ...] = ()  # paths the change concerns, when known
    diff: str = ""  # unified diff (bounded), when the source gave one
    reason: str = ""  # why not evaluated / skipped

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "name": self.name, "location": self.location,
                "action": self.action, "host": self.host, "status": self.status,
                "files": list(self.files), "diff": self.diff, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class DeclaredState:
    """Every declared item's result; ``source`` is what was compared (the playbook path)."""

    source: str
    items: tuple[DeclaredItem, ...]

    def of(self, source: str, status: str) -> tuple[DeclaredItem, ...]:
        return tuple(i for i in self.items if i.source == source and i.status == status)

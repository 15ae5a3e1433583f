"""Partial failure as data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True, order=True)
class Unknown:
    """Something we looked at and could not analyse, and why."""

    location: str
    reason: str
    plugin: str
    layer: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"location": self.location, "reason": self.reason, "plugin": self.plugin,
                "layer": self.layer}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Unknown:
        return cls(d["location"], d["reason"], d["plugin"], d.get("layer"))

"""Rule metadata and the findings checks produce (kept separate, as SARIF does)."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Severity(enum.IntEnum):
    UNKNOWN = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            return cls.UNKNOWN


@dataclass(frozen=True, slots=True)
class Rule:
    """Static metadata of one control. Ids are never reused."""

    id: str
    title: str
    severity: Severity
    ring: str
    remediation: str
    threats: tuple[str, ...] = ()
    references: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Finding:
    """One violation of a rule at a location."""

    rule_id: str
    message: str
    location: str
    severity: Severity

    def to_dict(self) -> dict[str, str]:
        """The one JSON shape of a finding, shared by every command's report."""
        return {"rule": self.rule_id, "severity": self.severity.name.lower(),
                "message": self.message, "location": self.location}

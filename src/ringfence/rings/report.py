"""What every ring orchestrator returns."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Generic, TypeVar

from ringfence.checks.engine import CheckRun
from ringfence.model.finding import Finding
from ringfence.model.unknown import Unknown

F = TypeVar("F")

_NONE: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class RingReport(Generic[F]):
    """One ring's audit of one subject.

    ``run`` None: the ring was not evaluated at all and ``reason`` says why. Otherwise a
    rule the run did not evaluate was not evaluated because of ``absent[rule]``, else
    ``absent_default``. ``unknowns``: everything the ring could not establish (the run's
    broken checks included); ``document``: the ring's own report document, when it has one.
    """

    ring: str  # "image" | "host" | "runtime" | "platform"
    subject: str  # what was audited (a host root, an image reference, "manifests", ...)
    facts: F | None
    run: CheckRun | None
    reason: str = ""
    absent: Mapping[str, str] = field(default_factory=lambda: _NONE)
    absent_default: str = "the facts this rule needs are not in the input"
    unknowns: tuple[Unknown, ...] = ()
    document: dict[str, Any] | None = None

    @property
    def evaluated(self) -> bool:
        return self.run is not None

    @property
    def findings(self) -> tuple[Finding, ...]:
        return self.run.findings if self.run is not None else ()


def not_evaluated(ring: str, subject: str, reason: str) -> RingReport[Any]:
    return RingReport(ring, subject, None, None, reason)

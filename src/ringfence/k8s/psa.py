"""Pod Security Admission policy selection: levels, policy versions and the namespace labels
that choose them, parsed as the admission controller parses them
(``k8s.io/pod-security-admission/api``: ``ParseLevel``, ``ParseVersion``,
``PolicyToEvaluate``).

A version is the minor number of ``v1.<minor>`` or ``None`` for ``latest``; what ``latest``
and versions newer than the policy resolve to is a fact of the control table
(``ringfence.k8s.pss_table.MAX_VERSION``), not of this module.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

LEVELS: Final = ("privileged", "baseline", "restricted")
LEVEL_RANK: Final = {level: i for i, level in enumerate(LEVELS)}
ENFORCE_LABEL: Final = "pod-security.kubernetes.io/enforce"
ENFORCE_VERSION_LABEL: Final = "pod-security.kubernetes.io/enforce-version"
LATEST: Final = "latest"
# api.ParseVersion: "latest" or v1.<minor> without a leading zero
_VERSION: Final = re.compile(r"v1\.(0|[1-9][0-9]{0,8})")
# the level and version PSA falls back to when a label cannot be parsed (fail closed)
_FALLBACK_LEVEL: Final = "restricted"


def parse_level(text: str) -> str:
    """``privileged``, ``baseline`` or ``restricted``; ValueError otherwise."""
    if text not in LEVELS:
        raise ValueError(f"{text!r}: must be one of {', '.join(LEVELS)}")
    return text


def parse_version(text: str) -> int | None:
    """The minor of ``v1.<minor>``, or None for ``latest``; ValueError otherwise."""
    if text == LATEST:
        return None
    match = _VERSION.fullmatch(text)
    if match is None:
        raise ValueError(f'{text!r}: must be "latest" or "v1.x"')
    return int(match.group(1))


def version_text(version: int | None) -> str:
    return LATEST if version is None else f"v1.{version}"


@dataclass(frozen=True, slots=True)
class PssPolicy:
    """The level and version one pod is evaluated at, and where they came from."""

    level: str = "restricted"
    version: int | None = None  # None: latest
    source: str = "default"

    def __str__(self) -> str:
        return f"{self.level}:{version_text(self.version)}"


@dataclass(frozen=True, slots=True)
class PssSelection:
    """What the user asked for (``--pss-level``/``--pss-version``, an admission policy);
    a field left None is taken from the pod's Namespace labels, else the default
    (restricted at latest)."""

    level: str | None = None
    version: str | None = None  # "latest" or "v1.N", already validated

    def __post_init__(self) -> None:
        if self.level is not None:
            parse_level(self.level)
        if self.version is not None:
            parse_version(self.version)

    def resolve(self, labels: Mapping[str, str] | None) -> tuple[PssPolicy, tuple[str, ...]]:
        """The policy for a pod whose Namespace carries ``labels`` (None: the Namespace is
        not in the input), and the label problems PSA would report. An unparsable level
        label falls back to restricted and an unparsable version to latest, as PSA does."""
        problems: list[str] = []
        labels = labels or {}
        level, version = "restricted", None
        sources: list[str] = []
        if self.level is not None:
            level = self.level
            sources.append("selected level")
        elif ENFORCE_LABEL in labels:
            sources.append("namespace label")
            try:
                level = parse_level(labels[ENFORCE_LABEL])
            except ValueError as exc:
                level = _FALLBACK_LEVEL
                problems.append(f"{ENFORCE_LABEL}: {exc}")
        if self.version is not None:
            version = parse_version(self.version)
            sources.append("selected version")
        elif ENFORCE_VERSION_LABEL in labels:
            sources.append("namespace label")
            try:
                version = parse_version(labels[ENFORCE_VERSION_LABEL])
            except ValueError as exc:
                problems.append(f"{ENFORCE_VERSION_LABEL}: {exc}")
        source = ", ".join(dict.fromkeys(sources)) or "default"
        return PssPolicy(level, version, source), tuple(problems)


DEFAULT_SELECTION: Final = PssSelection()

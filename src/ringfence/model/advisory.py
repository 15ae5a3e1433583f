"""Advisories as the vulnerability database stores them, and matches against packages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ringfence.model.finding import Severity

# Status of a package with respect to an advisory (after matching).
FIXED, UNFIXED, WILL_NOT_FIX, NOT_AFFECTED = "fixed", "unfixed", "will-not-fix", "not-affected"


@dataclass(frozen=True, slots=True)
class Event:
    """One OSV range event: ``introduced``, ``fixed``, ``last_affected`` or ``limit``."""

    kind: str
    version: str


@dataclass(frozen=True, slots=True)
class AffectedRange:
    """``type`` is OSV's ECOSYSTEM / SEMVER / GIT; events in the order given."""

    type: str
    events: tuple[Event, ...]


@dataclass(frozen=True, slots=True)
class Affected:
    """What one advisory says about one package in one ecosystem.

    ``ecosystem`` is OSV's spelling (``PyPI``, ``npm``, ``Go``, ``crates.io``, ``Maven``,
    ``RubyGems``, ``Debian:12``, ``Alpine:v3.18``, ``AlmaLinux:9`` …); ``package`` is the
    normalised name (PEP 503 for PyPI, lower case for npm, ``group:artifact`` for Maven,
    the *source* package for distributions). ``status`` is set by distribution feeds
    (``unfixed``, ``will-not-fix`` for Debian ``<no-dsa>``, ``not-affected``); empty when
    the ranges decide.
    """

    advisory_id: str
    ecosystem: str
    package: str
    ranges: tuple[AffectedRange, ...] = ()
    versions: tuple[str, ...] = ()
    status: str = ""
    severity: str | None = None  # ecosystem/database-specific label, e.g. "HIGH"


@dataclass(frozen=True, slots=True)
class Advisory:
    id: str
    source: str  # data source name, e.g. "osv:PyPI", "debian-tracker", "alpine-secdb"
    aliases: tuple[str, ...] = ()
    summary: str = ""
    severity: Severity = Severity.UNKNOWN
    cvss_vector: str | None = None
    cvss_score: float | None = None
    published: str | None = None
    modified: str | None = None
    withdrawn: str | None = None
    references: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class VulnerabilityMatch:
    """One advisory (with every alias merged) that applies to one installed package."""

    advisory_id: str
    aliases: tuple[str, ...]
    package_purl: str
    package_name: str
    installed_version: str
    fixed_versions: tuple[str, ...]
    status: str
    severity: Severity
    cvss_score: float | None
    cvss_vector: str | None
    data_source: str
    matched_by: str  # e.g. "deb source package glibc in Debian:12"
    location: str = ""
    layer: str | None = None
    summary: str = ""
    suppressed_by: str | None = None  # VEX / ignore-file reason when suppressed

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.advisory_id, "aliases": list(self.aliases), "purl": self.package_purl,
            "package": self.package_name, "installed_version": self.installed_version,
            "fixed_versions": list(self.fixed_versions), "status": self.status,
            "severity": self.severity.name.lower(), "cvss_score": self.cvss_score,
            "cvss_vector": self.cvss_vector, "data_source": self.data_source,
            "matched_by": self.matched_by, "location": self.location, "layer": self.layer,
            "summary": self.summary, "suppressed_by": self.suppressed_by,
        }

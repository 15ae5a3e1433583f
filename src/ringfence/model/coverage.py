"""Which package sets of an image the vulnerability database could, and could not, check.

"0 vulnerabilities" is only true for packages whose ecosystem (or distribution release) the
database holds advisories for and can compare versions in. Every image report carries this
value (``coverage``): the sets that were checked, with what the database holds for them,
and the sets that were not, with why. Under ``--strict`` each uncovered set counts as an
unknown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# why a set was not checked
NO_ADVISORIES = "no advisories"  # the database holds none for the ecosystem / release
NO_FEED = "no feed"  # no advisory feed is mapped to these packages at all
NO_VERSION_SCHEME = "no version scheme"  # advisories exist but versions cannot be compared


@dataclass(frozen=True, slots=True, order=True)
class PackageSet:
    """Packages of one ecosystem as the matcher names it (``PyPI``, ``Debian:12``; for a set
    with no feed, ``<purl type> packages``), and what the database holds for it."""

    ecosystem: str
    packages: int
    advisories: int = 0  # records the database holds for the ecosystem
    newest_modified: str | None = None  # newest modification time among them
    reason: str = ""  # empty when checked; else NO_ADVISORIES / NO_FEED / NO_VERSION_SCHEME
    os_packages: bool = False  # the image's distribution packages

    def describe(self) -> str:
        """``no advisories for Debian:13 (88 packages)``."""
        plural = "" if self.packages == 1 else "s"
        return f"{self.reason or 'checked'} for {self.ecosystem} ({self.packages} package{plural})"

    def to_dict(self) -> dict[str, Any]:
        return {"ecosystem": self.ecosystem, "packages": self.packages,
                "advisories": self.advisories, "newest_modified": self.newest_modified,
                "reason": self.reason, "os_packages": self.os_packages}


@dataclass(frozen=True, slots=True)
class Coverage:
    checked: tuple[PackageSet, ...] = ()
    uncovered: tuple[PackageSet, ...] = ()

    @property
    def os_gap(self) -> bool:
        """An OS package set was not checked (``--fail-on`` cannot be decided)."""
        return any(s.os_packages for s in self.uncovered)

    def line(self) -> str:
        """The one line a table prints: empty when every set was checked."""
        if not self.uncovered:
            return ""
        return "not checked for vulnerabilities: " + "; ".join(
            s.describe() for s in self.uncovered)

    def to_dict(self) -> dict[str, Any]:
        return {"checked": [s.to_dict() for s in self.checked],
                "uncovered": [s.to_dict() for s in self.uncovered]}

"""OSV ecosystem name -> version comparison of its scheme (one explicit table)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from . import apk, cargo, dpkg, gem, golang, maven, pep440, rpm, semver

Compare = Callable[[str, str], int]
# Packagist (Composer) and Pub versions are semver-like: compared with npm semver rules;
# Hex (Elixir) uses SemVer 2.0 proper: the cargo module. Documented approximations.
_BY_BASE: Final[dict[str, Compare]] = {
    "Debian": dpkg.compare, "Ubuntu": dpkg.compare,
    "Alpine": apk.compare,
    "AlmaLinux": rpm.compare, "Rocky Linux": rpm.compare, "Red Hat": rpm.compare,
    "openSUSE": rpm.compare, "SUSE": rpm.compare, "Mageia": rpm.compare,
    "PyPI": pep440.compare, "npm": semver.compare, "Go": golang.compare,
    "crates.io": cargo.compare, "Maven": maven.compare, "RubyGems": gem.compare,
    "Packagist": semver.compare, "Pub": semver.compare, "Hex": cargo.compare,
}


def compare_for(ecosystem: str) -> Compare:
    """The comparison for an OSV ecosystem ("Debian:12", "Alpine:v3.18", "PyPI"...).

    Raises KeyError for an ecosystem without a known scheme."""
    base = ecosystem.split(":", 1)[0]
    if base not in _BY_BASE:
        raise KeyError(ecosystem)
    return _BY_BASE[base]

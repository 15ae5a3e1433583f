"""OSV ecosystem name -> version comparison of its scheme (one explicit table)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from types import ModuleType
from typing import Any, Final

from . import apk, cargo, dpkg, gem, golang, maven, nuget, pep440, rpm, semver
from .errors import InvalidVersion

Compare = Callable[[str, str], int]
_CACHE = 1 << 17  # versions seen in one scan + the advisories they meet
# Refused by every scheme: no real version comes near, and Python refuses to read a number of
# more than 4300 digits (a ValueError, not an InvalidVersion, deep in a scheme's parser).
MAX_LENGTH: Final = 4096


def _bounded(module: ModuleType, v: str) -> str:
    if len(v) > MAX_LENGTH:
        raise InvalidVersion(module.SCHEME, v[:64] + "...", f"longer than {MAX_LENGTH} characters")
    return v


def _by_cached_key(module: ModuleType) -> Compare:
    """Compare through an LRU-cached ``key``: matching meets the same installed and
    advisory versions thousands of times, and parsing dominates otherwise."""
    def bounded_key(v: str) -> Any:
        return module.key(_bounded(module, v))

    key: Callable[[str], Any] = functools.lru_cache(maxsize=_CACHE)(bounded_key)

    @functools.wraps(module.compare)  # keeps the scheme's module and name visible
    def compare(a: str, b: str) -> int:
        if a == b:
            key(a)  # still raise InvalidVersion for an unparseable version
            return 0
        ka, kb = key(a), key(b)
        return int((ka > kb) - (ka < kb))

    compare.key = key  # type: ignore[attr-defined]  # lets callers build sets of keys
    return compare


def _by_cached_pairs(module: ModuleType) -> Compare:
    """Schemes whose keys are comparison wrappers (apk, Maven, RubyGems): cache pairs."""
    def compare(a: str, b: str) -> int:
        return int(module.compare(_bounded(module, a), _bounded(module, b)))

    cached: Compare = functools.lru_cache(maxsize=_CACHE)(functools.wraps(module.compare)(compare))
    return cached


_DPKG, _RPM, _PEP440, _SEMVER = (_by_cached_key(m) for m in (dpkg, rpm, pep440, semver))
_GO, _CARGO, _NUGET = _by_cached_key(golang), _by_cached_key(cargo), _by_cached_key(nuget)
_APK, _MAVEN, _GEM = (_by_cached_pairs(m) for m in (apk, maven, gem))
# Packagist (Composer) and Pub versions are semver-like: compared with npm semver rules;
# Hex (Elixir) uses SemVer 2.0 proper: the cargo module. Documented approximations.
_BY_BASE: Final[dict[str, Compare]] = {
    "Debian": _DPKG, "Ubuntu": _DPKG,
    "Alpine": _APK,
    "AlmaLinux": _RPM, "Rocky Linux": _RPM, "Red Hat": _RPM,
    "openSUSE": _RPM, "SUSE": _RPM, "Mageia": _RPM,
    "PyPI": _PEP440, "npm": _SEMVER, "Go": _GO,
    "crates.io": _CARGO, "Maven": _MAVEN, "RubyGems": _GEM,
    "Packagist": _SEMVER, "Pub": _SEMVER, "Hex": _CARGO, "NuGet": _NUGET,
}
# Mapped to feeds but without a scheme (an explicit "no version scheme" Unknown, counted in
# the coverage section): CRAN, Hackage, SwiftURL.


def compare_for(ecosystem: str) -> Compare:
    """The comparison for an OSV ecosystem ("Debian:12", "Alpine:v3.18", "PyPI"...).

    Raises KeyError for an ecosystem without a known scheme."""
    base = ecosystem.split(":", 1)[0]
    if base not in _BY_BASE:
        raise KeyError(ecosystem)
    return _BY_BASE[base]

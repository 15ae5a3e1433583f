"""Package-name normalisation, applied once at import and again by matchers at lookup.

The rule per ecosystem (OSV spelling; the part before ``:`` decides for release-qualified
ecosystems such as ``Debian:12`` or ``Alpine:v3.18``):

* ``PyPI``: PEP 503 (lower case, runs of ``-``, ``_``, ``.`` become one ``-``).
* ``npm``, ``Packagist``, ``NuGet``, ``Hex``, ``Pub``: lower case (their registries treat names
  case-insensitively).
* ``RubyGems``, ``crates.io``, ``Hackage``, ``CRAN``: as-is (case-sensitive registries).
* ``Maven``: ``group:artifact`` as-is; ``Go``: module path as-is.
* Distributions (Debian, Ubuntu, Alpine, AlmaLinux, Rocky Linux, Red Hat, SUSE …): as-is
  (source/origin package names are already canonical).
"""

from __future__ import annotations

import re
from typing import Final

_PEP503: Final = re.compile(r"[-_.]+")
LOWER_CASE: Final = frozenset({"npm", "Packagist", "NuGet", "Hex", "Pub"})


def base_ecosystem(ecosystem: str) -> str:
    """``Debian:12`` -> ``Debian``; ``PyPI`` -> ``PyPI``."""
    return ecosystem.split(":", 1)[0]


def normalize(ecosystem: str, name: str) -> str:
    """The stored form of ``name`` in ``ecosystem`` (see the module docstring)."""
    base = base_ecosystem(ecosystem)
    name = name.strip()
    if base == "PyPI":
        return _PEP503.sub("-", name).lower()
    if base in LOWER_CASE:
        return name.lower()
    return name

"""Version ranges in ``affected`` queries: purl-spec's ``vers``
(https://github.com/package-url/purl-spec/blob/main/VERSION-RANGE-SPEC.rst).

A query ``PURL@vers:SCHEME/CONSTRAINTS`` (``pkg:pypi/requests@vers:pypi/>=2.0|<2.31``)
names every stored copy of the package whose version is in the range. ``SCHEME`` must be
the purl's type; versions are compared with the scheme matching uses for that ecosystem
(``vulndb/versions``), so a range means here what an advisory's range means to a scan.

Constraints: ``*`` (every version) alone, or ``|``-separated ``COMPARATOR VERSION`` with
comparators ``=`` (the default), ``!=``, ``<``, ``<=``, ``>``, ``>=``; versions may be
percent-encoded. Evaluation is the spec's: an ``=`` that matches is in; a ``!=`` that
matches is out; the remaining range constraints, sorted by version, must alternate
lower/upper bounds as the spec requires (``>=1|>=2`` is refused, not guessed at) and
the version is in when it lies below a leading upper bound, above a trailing lower bound
or between a lower bound and the upper bound after it.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from functools import cmp_to_key
from typing import Final
from urllib.parse import unquote

from ringfence.errors import InputError
from ringfence.vulndb.versions.errors import InvalidVersion
from ringfence.vulndb.versions.registry import compare_for

Compare = Callable[[str, str], int]
MARK: Final = "@vers:"
# vers scheme (a purl type) -> the ecosystem whose comparison it uses
SCHEMES: Final = {"pypi": "PyPI", "npm": "npm", "deb": "Debian", "apk": "Alpine",
                  "rpm": "Red Hat", "gem": "RubyGems", "cargo": "crates.io", "golang": "Go",
                  "maven": "Maven", "nuget": "NuGet", "composer": "Packagist"}
_COMPARATORS: Final = ("<=", ">=", "!=", "<", ">", "=")


@dataclass(frozen=True, slots=True)
class Constraint:
    comparator: str
    version: str


@dataclass(frozen=True, slots=True)
class VersionRange:
    scheme: str
    constraints: tuple[Constraint, ...]  # empty: ``*``
    compare: Compare

    def contains(self, version: str) -> bool:
        """``version`` is in the range; raises InvalidVersion when the scheme cannot
        parse it."""
        self.compare(version, version)
        if not self.constraints:
            return True
        cmp = self.compare
        for c in self.constraints:
            if c.comparator == "=" and cmp(version, c.version) == 0:
                return True
            if c.comparator == "!=" and cmp(version, c.version) == 0:
                return False
        bounds = [c for c in self.constraints if c.comparator not in ("=", "!=")]
        if not bounds:
            return False
        first, last = bounds[0], bounds[-1]
        if first.comparator in ("<", "<=") and _holds(version, first, cmp):
            return True
        if last.comparator in (">", ">=") and _holds(version, last, cmp):
            return True
        return any(lo.comparator in (">", ">=") and hi.comparator in ("<", "<=")
                   and _holds(version, lo, cmp) and _holds(version, hi, cmp)
                   for lo, hi in itertools.pairwise(bounds))


def _holds(version: str, c: Constraint, cmp: Compare) -> bool:
    r = cmp(version, c.version)
    return {"<": r < 0, "<=": r <= 0, ">": r > 0, ">=": r >= 0}[c.comparator]


def split(query: str) -> tuple[str, str | None]:
    """``PURL@vers:…`` -> (``PURL``, ``vers:…``); other queries unchanged, None."""
    head, sep, tail = query.partition(MARK)
    return (head, "vers:" + tail) if sep else (query, None)


def parse(text: str, purl_type: str) -> VersionRange:
    """A ``vers:`` range for packages of ``purl_type``; InputError when malformed."""
    def bad(why: str) -> InputError:
        return InputError(text, f"not a version range: {why}",
                          hint="vers:TYPE/CONSTRAINT|CONSTRAINT…, e.g. vers:pypi/>=2.0|<2.31")

    body = text[len("vers:"):] if text.startswith("vers:") else None
    if body is None or "/" not in body:
        raise bad("expected vers:SCHEME/CONSTRAINTS")
    scheme, _, spec = body.partition("/")
    scheme = scheme.lower()
    if scheme != purl_type:
        raise bad(f"the range's scheme {scheme!r} is not the package's type {purl_type!r}")
    if scheme not in SCHEMES:
        raise bad(f"no version scheme for {scheme!r} (known: {', '.join(sorted(SCHEMES))})")
    compare = compare_for(SCHEMES[scheme])
    spec = "".join(spec.split())
    if spec == "*":
        return VersionRange(scheme, (), compare)
    constraints: list[Constraint] = []
    for part in spec.split("|"):
        op = next((c for c in _COMPARATORS if part.startswith(c)), "=")
        version = unquote(part[len(op):] if part.startswith(op) else part)
        if not version or version == "*":
            raise bad(f"constraint {part!r} has no version ('*' stands alone)")
        try:
            compare(version, version)
        except InvalidVersion as exc:
            raise bad(f"{version!r}: {exc}") from exc
        constraints.append(Constraint(op, version))
    constraints.sort(key=cmp_to_key(lambda a, b: compare(a.version, b.version)))
    for a, b in itertools.pairwise(constraints):
        if compare(a.version, b.version) == 0:
            raise bad(f"version {b.version!r} is constrained twice")
    bounds = [c for c in constraints if c.comparator not in ("=", "!=")]
    for a, b in itertools.pairwise(bounds):
        if (a.comparator in (">", ">=")) == (b.comparator in (">", ">=")):
            raise bad(f"{a.comparator}{a.version} then {b.comparator}{b.version}: range "
                      "constraints must alternate lower and upper bounds")
    return VersionRange(scheme, tuple(constraints), compare)

"""Semantic Versioning 2.0.0 precedence, shared by the cargo and Go schemes."""

from __future__ import annotations

import re
from typing import Final

from .errors import InvalidVersion

_NUM: Final = r"0|[1-9][0-9]*"
_ID: Final = rf"(?:{_NUM}|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*)"
PATTERN: Final = re.compile(
    rf"({_NUM})\.({_NUM})\.({_NUM})(?:-({_ID}(?:\.{_ID})*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?"
)
Ident = tuple[int, int, str]
Key = tuple[int, int, int, int, tuple[Ident, ...]]


def key_of(scheme: str, original: str, text: str) -> Key:
    """Precedence key: build metadata ignored, a release after its prereleases, numeric
    identifiers numerically and below alphanumeric ones, longer prerelease wins a tie."""
    m = PATTERN.fullmatch(text)
    if m is None:
        raise InvalidVersion(scheme, original, "not MAJOR.MINOR.PATCH[-PRE][+BUILD]")
    major, minor, patch = int(m[1]), int(m[2]), int(m[3])
    if m[4] is None:
        return major, minor, patch, 1, ()
    ids = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in m[4].split("."))
    return major, minor, patch, 0, ids

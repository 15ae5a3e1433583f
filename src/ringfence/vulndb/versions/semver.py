"""npm versions, as node-semver 7 compares them (``semver.compare(a, b)``, strict mode).

``[v]MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]``: numeric parts without leading zeros and at
most Number.MAX_SAFE_INTEGER; a release sorts after its prereleases; prerelease identifiers
compare numerically when both are digits (as JavaScript numbers), else numeric < text, else
by code unit; a longer prerelease wins on an equal prefix; build metadata is ignored.
"""

from __future__ import annotations

import re
from typing import Final

from .errors import InvalidVersion

SCHEME: Final = "npm semver"
MAX_LENGTH: Final = 256
MAX_SAFE_INTEGER: Final = 2**53 - 1
# String.prototype.trim(): ECMAScript WhiteSpace and LineTerminator code points.
_JS_SPACE: Final = ("\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
                    "\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff")
_NUM: Final = r"0|[1-9][0-9]*"
_PRE_ID: Final = rf"(?:{_NUM}|[0-9]*[a-zA-Z-][a-zA-Z0-9-]*)"
_FULL: Final = re.compile(
    rf"v?({_NUM})\.({_NUM})\.({_NUM})"
    rf"(?:-({_PRE_ID}(?:\.{_PRE_ID})*))?"
    r"(?:\+([a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)*))?"
)

Ident = tuple[int, float, str]
Key = tuple[int, int, int, int, tuple[Ident, ...]]


def _ident(part: str) -> Ident:
    # compareIdentifiers: both /^[0-9]+$/ -> compared as JS numbers (+a), so digits
    # beyond 2**53 compare as doubles, exactly as float() rounds them.
    if part.isascii() and part.isdigit():
        return 0, float(part), ""
    return 1, 0.0, part


def parse(v: str) -> tuple[int, int, int, tuple[str, ...], tuple[str, ...]]:
    if len(v) > MAX_LENGTH:
        raise InvalidVersion(SCHEME, v, f"longer than {MAX_LENGTH} characters")
    m = _FULL.fullmatch(v.strip(_JS_SPACE))
    if m is None:
        raise InvalidVersion(SCHEME, v, "not MAJOR.MINOR.PATCH[-PRE][+BUILD]")
    nums = [int(m[i]) for i in (1, 2, 3)]
    if any(n > MAX_SAFE_INTEGER for n in nums):
        raise InvalidVersion(SCHEME, v, "number above Number.MAX_SAFE_INTEGER")
    pre = tuple(m[4].split(".")) if m[4] else ()
    build = tuple(m[5].split(".")) if m[5] else ()
    return nums[0], nums[1], nums[2], pre, build


def key(v: str) -> Key:
    major, minor, patch, pre, _build = parse(v)
    if not pre:
        return major, minor, patch, 1, ()
    return major, minor, patch, 0, tuple(_ident(p) for p in pre)


def compare(a: str, b: str) -> int:
    ka, kb = key(a), key(b)
    return (ka > kb) - (ka < kb)

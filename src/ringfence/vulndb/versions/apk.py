"""Alpine apk versions, following apk-tools' src/version.c (2.x token rules).

``digits{.digits}{letter}{_suffix{digits}}{~hash}{-rN}``: numbers compare numerically (a
component after ``.`` with a leading zero compares as a fraction, as apk does), a letter
after the numbers, pre-release suffixes alpha < beta < pre < rc sort before the bare version
and post suffixes cvs < svn < git < hg < p after it, then the ``-rN`` revision. Tested with
the vectors of apk-tools' test/version.data.
"""

from __future__ import annotations

from functools import cmp_to_key
from typing import Any, Final

from .errors import InvalidVersion

SCHEME: Final = "apk"
_PRE: Final = ("alpha", "beta", "pre", "rc")
_POST: Final = ("cvs", "svn", "git", "hg", "p")
# token types in apk-tools order
INVALID, DIGIT_OR_ZERO, DIGIT, LETTER, SUFFIX, SUFFIX_NO, REVISION_NO, END = range(-1, 7)


def _next_type(t: int, s: str, i: int) -> tuple[int, int]:
    if i >= len(s):
        return END, i
    c = s[i]
    if t in (DIGIT, DIGIT_OR_ZERO) and c.islower():
        n = LETTER
    elif t == LETTER and c.isdigit():
        n = DIGIT
    elif t == SUFFIX and c.isdigit():
        n = SUFFIX_NO
    else:
        n = {".": DIGIT_OR_ZERO, "_": SUFFIX}.get(c, INVALID)
        if c == "-" and s[i + 1:i + 2] == "r":
            n, i = REVISION_NO, i + 1
        i += 1
    allowed = {(DIGIT_OR_ZERO, DIGIT), (SUFFIX, SUFFIX_NO), (DIGIT, LETTER)}
    if n < t and (n, t) not in allowed:
        n = INVALID
    return n, i


def _token(t: int, s: str, i: int) -> tuple[int, int, int]:
    """(value, next type, next index) of the token of type t at s[i:]."""
    if i >= len(s):
        return 0, END, i
    j, v, nt = i, 0, INVALID
    if t == DIGIT_OR_ZERO and s[i] == "0":
        while j < len(s) and s[j] == "0":
            j += 1
        v, nt = i - j, DIGIT
    elif t in (DIGIT, DIGIT_OR_ZERO, SUFFIX_NO, REVISION_NO):
        while j < len(s) and s[j].isdigit():
            j += 1
        v = int(s[i:j] or 0)
    elif t == LETTER:
        v, j = ord(s[i]), i + 1
    elif t == SUFFIX:
        pre = next((k for k, p in enumerate(_PRE) if s.startswith(p, i)), None)
        post = next((k for k, p in enumerate(_POST) if s.startswith(p, i)), None)
        if pre is not None:
            v, j, nt = pre - len(_PRE), i + len(_PRE[pre]), SUFFIX_NO
        elif post is not None:
            v, j, nt = post, i + len(_POST[post]), SUFFIX_NO
        else:
            return -1, INVALID, i
    else:
        return -1, INVALID, i
    if j >= len(s):
        return v, END, j
    if nt != INVALID:
        return v, nt, j
    nt, j = _next_type(t, s, j)
    return v, nt, j


def validate(v: str) -> None:
    """Reject what apk cannot compare at all; like apk-tools' compare, a malformed tail
    ("1.11-20-r0" occurs in the secdb) is compared up to the bad token."""
    if not v or not v.isascii() or not v[0].isdigit():
        raise InvalidVersion(SCHEME, v, "empty, not ASCII or not starting with a digit")


def compare(a: str, b: str) -> int:
    validate(a)
    validate(b)
    at = bt = DIGIT
    ai = bi = av = bv = 0
    while at == bt and at not in (END, INVALID) and av == bv:
        av, at2, ai = _token(at, a, ai)
        bv, bt2, bi = _token(bt, b, bi)
        at, bt = at2, bt2
    if av != bv:
        return -1 if av < bv else 1
    if at == bt:
        return 0
    if at == SUFFIX and _token(at, a, ai)[0] < 0:
        return -1
    if bt == SUFFIX and _token(bt, b, bi)[0] < 0:
        return 1
    return -1 if at > bt else 1 if bt > at else 0


def key(v: str) -> Any:
    validate(v)
    return cmp_to_key(compare)(v)

"""RPM versions, as rpm compares them (rpmio/rpmvercmp.c, lib/rpmver.c).

``[epoch:]version[-release]``: the epoch is the leading digits before ``:`` (missing -> 0),
the release follows the last ``-``. rpmvercmp splits a string into alphabetic and numeric
segments, ignores other separators, and orders per position: ``~`` < end of string < ``^`` <
letters < numbers. Deviation: a missing release compares as the empty release (rpmverCmp
would treat it as matching any release, which is no total order).
"""

from __future__ import annotations

from typing import Final

from .errors import InvalidVersion

SCHEME: Final = "rpm"
_TILDE, _END, _CARET, _ALPHA, _NUM = range(5)
Token = tuple[int, int, str]
Key = tuple[tuple[Token, ...], tuple[Token, ...], tuple[Token, ...]]


def _run(s: str, i: int, digits: bool) -> int:
    while i < len(s) and s[i].isascii() and (s[i].isdigit() if digits else s[i].isalpha()):
        i += 1
    return i


def tokens(s: str) -> tuple[Token, ...]:
    """rpmvercmp as a sort key (one token per segment, closed by the end token)."""
    out: list[Token] = []
    i = 0
    while i < len(s):
        c = s[i]
        if c == "~" or c == "^":
            out.append((_TILDE if c == "~" else _CARET, 0, ""))
            i += 1
        elif c.isascii() and c.isdigit():
            j = _run(s, i, True)
            out.append((_NUM, int(s[i:j]), ""))
            i = j
        elif c.isascii() and c.isalpha():
            j = _run(s, i, False)
            out.append((_ALPHA, 0, s[i:j]))
            i = j
        else:
            i += 1
    out.append((_END, 0, ""))
    return tuple(out)


def parse(v: str) -> tuple[str, str, str]:
    """(epoch, version, release) split as rpm's parseEVR does."""
    if not v or not v.isprintable() or any(c.isspace() for c in v):
        raise InvalidVersion(SCHEME, v, "empty, or contains spaces or control characters")
    i = 0
    while i < len(v) and v[i].isascii() and v[i].isdigit():
        i += 1
    epoch, rest = ("0" if i == 0 else v[:i], v[i + 1:]) if v[i:i + 1] == ":" else ("0", v)
    version, dash, release = rest.rpartition("-")
    if not dash:
        version, release = rest, ""
    if not version:
        raise InvalidVersion(SCHEME, v, "version is empty")
    return epoch, version, release


def key(v: str) -> Key:
    epoch, version, release = parse(v)
    return tokens(epoch), tokens(version), tokens(release)


def compare(a: str, b: str) -> int:
    ka, kb = key(a), key(b)
    return (ka > kb) - (ka < kb)

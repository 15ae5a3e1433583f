"""Debian package versions, as dpkg compares them (lib/dpkg/version.c, parsehelp.c).

``[epoch:]upstream[-revision]``. Syntax errors of dpkg's ``parseversion`` raise
InvalidVersion; what dpkg only warns about (upstream not starting with a digit, odd
characters) is accepted and compared, as ``dpkg --compare-versions`` does. Deviation:
non-ASCII and control characters are rejected (dpkg compares their bytes as signed chars).
"""

from __future__ import annotations

from typing import Final

from .errors import InvalidVersion

SCHEME: Final = "dpkg"
INT_MAX: Final = 2**31 - 1
Key = tuple[int, tuple[int, ...], tuple[int, ...]]


def _order(c: str) -> int:
    if c.isascii() and c.isalpha():
        return ord(c)
    if c == "~":
        return -1
    return ord(c) + 256


def _tokens(s: str) -> tuple[int, ...]:
    """verrevcmp as a sort key: each non-digit run as char orders closed by 0, then its
    number; a final 0 stands for the endless (empty, 0) padding dpkg compares against."""
    out: list[int] = []
    i, n = 0, len(s)
    while True:
        while i < n and not ("0" <= s[i] <= "9"):
            out.append(_order(s[i]))
            i += 1
        out.append(0)
        j = i
        while j < n and "0" <= s[j] <= "9":
            j += 1
        out.append(int(s[i:j] or "0"))
        i = j
        if i >= n:
            break
    out.append(0)
    return tuple(out)


def _fail(v: str, reason: str) -> InvalidVersion:
    return InvalidVersion(SCHEME, v, reason)


def _epoch(v: str, s: str) -> tuple[int, str]:
    head, sep, rest = s.partition(":")
    if not sep:
        return 0, s
    digits = head[1:] if head[:1] in "+-" else head
    if not head or (head[:1] in "+-" and not digits):
        raise _fail(v, "epoch in version is empty")
    if not digits.isdigit() or not digits.isascii():
        raise _fail(v, "epoch in version is not number")
    epoch = int(head)
    if epoch < 0:
        raise _fail(v, "epoch in version is negative")
    if epoch > INT_MAX:
        raise _fail(v, "epoch in version is too big")
    if not rest:
        raise _fail(v, "nothing after colon in version number")
    return epoch, rest


def parse(v: str) -> tuple[int, str, str]:
    """(epoch, upstream, revision), or InvalidVersion where dpkg reports an error."""
    if not v:
        raise _fail(v, "version string is empty")
    if not v.isascii() or any(ord(c) < 32 and c not in " \t\n\v\f\r" for c in v):
        raise _fail(v, "non-ASCII or control character")
    s = v.lstrip(" \t")
    end = len(s)
    for i, c in enumerate(s):
        if c.isspace():
            end = i
            break
    if s[end:].strip():
        raise _fail(v, "version string has embedded spaces")
    s = s[:end]
    epoch, s = _epoch(v, s)
    upstream, hyphen, revision = s.rpartition("-")
    if not hyphen:
        upstream, revision = s, ""
    elif not revision:
        raise _fail(v, "revision number is empty")
    if not upstream:
        raise _fail(v, "version number is empty")
    return epoch, upstream, revision


def key(v: str) -> Key:
    epoch, upstream, revision = parse(v)
    return epoch, _tokens(upstream), _tokens(revision)


def compare(a: str, b: str) -> int:
    ka, kb = key(a), key(b)
    return (ka > kb) - (ka < kb)

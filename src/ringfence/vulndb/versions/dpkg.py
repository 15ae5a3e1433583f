"""Debian package versions, as dpkg compares them (lib/dpkg/version.c, parsehelp.c).

``[epoch:]upstream[-revision]``. What ``dpkg --validate-version`` (dpkg 1.21) refuses raises
InvalidVersion with dpkg's own reason: its syntax errors and also what ``--compare-versions``
only warns about and still compares (an upstream version not starting with a digit, such as
``1:a``; a character other than letters, digits and ``.+~-:`` in it, or ``.+~`` in the
revision): Debian policy forbids those, so a package or advisory carrying one is an Unknown,
not an order dpkg itself calls bad syntax. Non-ASCII and control characters are among them.
"""

from __future__ import annotations

import re
import string
from typing import Final

from .errors import InvalidVersion

SCHEME: Final = "dpkg"
INT_MAX: Final = 2**31 - 1
_BLANK: Final = " \t"  # c_isblank: the only white space parseversion trims or stops at
_UP_TO_BLANK: Final = re.compile(f"[^{_BLANK}]*")
_STRTOL: Final = re.compile("([+-]?)(0*)([0-9]*)")  # sign, leading zeros, the number
_ALNUM: Final = string.ascii_letters + string.digits
_UPSTREAM_CHARS: Final = _ALNUM + ".-+~:"  # what parseversion allows in the upstream version
_REVISION_CHARS: Final = _ALNUM + ".+~"  # ... and in the revision
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


def _epoch(v: str, head: str) -> int:
    """The epoch before the first colon, read as strtol(3) reads it."""
    number = _STRTOL.match(head)
    assert number is not None  # the pattern matches the empty string
    sign, zeros, significant = number.groups()
    if not zeros and not significant:
        raise _fail(v, "epoch in version is empty")
    if number.end() != len(head):
        raise _fail(v, "epoch in version is not number")
    if sign == "-" and significant:
        raise _fail(v, "epoch in version is negative")
    if len(significant) > len(str(INT_MAX)):  # before int(): Python reads no 5,000 digits
        raise _fail(v, "epoch in version is too big")
    epoch = int("0" + significant)
    if epoch > INT_MAX:
        raise _fail(v, "epoch in version is too big")
    return epoch


def parse(v: str) -> tuple[int, str, str]:
    """(epoch, upstream, revision), or InvalidVersion where `dpkg --validate-version` refuses
    the string: dpkg's errors, then its warnings, in dpkg's order (parseversion)."""
    s = v.lstrip(_BLANK)
    if not s:
        raise _fail(v, "version string is empty")
    body = _UP_TO_BLANK.match(s)[0]  # type: ignore[index]  # matches the empty string
    if s[len(body):].lstrip(_BLANK):
        raise _fail(v, "version string has embedded spaces")
    head, colon, rest = s.partition(":")
    epoch = 0
    if colon:
        epoch = _epoch(v, head)
        if not rest:
            raise _fail(v, "nothing after colon in version number")
        body = body[len(head) + 1:]
    upstream, hyphen, revision = body.rpartition("-")
    if not hyphen:
        upstream, revision = revision, ""
    elif not revision:
        raise _fail(v, "revision number is empty")
    if not upstream:
        raise _fail(v, "version number is empty")
    if upstream[0] not in string.digits:
        raise _fail(v, "version number does not start with digit")
    # what strip leaves is empty unless some character is not one of those allowed
    if upstream.strip(_UPSTREAM_CHARS):
        raise _fail(v, "invalid character in version number")
    if revision.strip(_REVISION_CHARS):
        raise _fail(v, "invalid character in revision number")
    return epoch, upstream, revision


def key(v: str) -> Key:
    epoch, upstream, revision = parse(v)
    return epoch, _tokens(upstream), _tokens(revision)


def compare(a: str, b: str) -> int:
    ka, kb = key(a), key(b)
    return (ka > kb) - (ka < kb)

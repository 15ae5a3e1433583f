"""Maven versions, as Maven 3.8.7's ComparableVersion compares them.

Which Maven: advisory ranges for Maven (GHSA, OSV) are written against Maven's own ordering
(the pom reference's version order specification, i.e. ComparableVersion), and the versions
they bound are Maven Central release spellings (``N.N.N``, ``-SNAPSHOT``, ``.Final``,
``-rc1``, ``.RELEASE``, ``-sp1``, ``-1``) on which Maven 3.8 and 3.9 answer alike. Where the
releases moved (MNG-6964: every item of a sub-list decides against nothing; MNG-7644 and
MNG-7714: qualifiers after zeros and ``sp`` in 3.9's parser), ringfence follows 3.8.7, the
ComparableVersion Debian ships (libmaven3-core-java): the one its tests run as an oracle on
raw strings, so every answer here is checked against the real thing, not a reading of it.

The string (lower-cased) splits at ``.``, ``-`` and digit/letter changes; ``-`` and a
digit/letter change open a sub-list, and so does a qualifier that follows items of the
current list (``1.0.0.x`` = ``1-x``). Trailing null items (0, "", "ga", "final", "release",
empty lists) are dropped per list. Qualifiers order alpha < beta < milestone < rc = cr <
snapshot < "" = ga = final = release < sp, then any other qualifier alphabetically; ``a1``/
``b1``/``m1`` mean alpha/beta/milestone. A number beats a qualifier and a sub-list; a sub-list
beats a qualifier; against nothing, a sub-list is decided by its first item that is not null.
Refused (InvalidVersion), where Maven orders them: an empty or blank string (no release),
non-ASCII text (Java's Unicode digit and case tables are not Python's) and a run of ten or
more zeros that is not trailing (see _LONG_DIGITS).
"""

from __future__ import annotations

from functools import cmp_to_key
from typing import Any, Final

from .errors import InvalidVersion

SCHEME: Final = "Maven"
_QUALIFIERS: Final = ("alpha", "beta", "milestone", "rc", "snapshot", "", "sp")
_ALIASES: Final = {"ga": "", "final": "", "release": "", "cr": "rc"}
_RELEASE: Final = str(_QUALIFIERS.index(""))
_SEPARATORS: Final = ".-"
# ComparableVersion types a number by its digits without leading zeros (int up to 9, long up
# to 18, then BigInteger) and orders the types before the values; it strips no zero from a
# run of zeros only, so "0000000000" is a long 0 that beats every int ("1.0000000000.1" >
# "1.5"): an artefact no release means, refused (an Unknown) rather than followed, unless
# dropped as a trailing zero ("1.0000000000" = "1" there too).
_LONG_DIGITS: Final = 10


class _Zeros(int):
    """0, spelled with _LONG_DIGITS or more zeros."""
Item = int | str | list[Any]


def _qualifier(value: str) -> str:
    if value in _QUALIFIERS:
        return str(_QUALIFIERS.index(value))
    return f"{len(_QUALIFIERS)}-{value}"


def _string(text: str, followed_by_digit: bool) -> str:
    if followed_by_digit and len(text) == 1:
        text = {"a": "alpha", "b": "beta", "m": "milestone"}.get(text, text)
    return _ALIASES.get(text, text)


def _normalize(items: list[Item]) -> None:
    for i in range(len(items) - 1, -1, -1):
        if items[i] == 0 or items[i] == "" or items[i] == []:
            del items[i]
        elif not isinstance(items[i], list):
            break


def parse(v: str) -> list[Item]:
    if not v.strip():
        raise InvalidVersion(SCHEME, v, "empty")
    if not v.isascii():
        raise InvalidVersion(SCHEME, v, "not ASCII")
    s = v.lower()
    root: list[Item] = []
    lists, cur, start, digit = [root], root, 0, False

    def item(end: int, next_is_digit: bool) -> Item:
        t = s[start:end]
        if not digit:
            return _string(t, next_is_digit)
        return _Zeros() if len(t) >= _LONG_DIGITS and t.count("0") == len(t) else int(t)

    def sub_list() -> list[Item]:
        new: list[Item] = []
        cur.append(new)
        lists.append(new)
        return new

    for i, c in enumerate(s):
        if c in _SEPARATORS:
            cur.append(item(i, False) if i > start else 0)
            start = i + 1
            if c == "-":
                cur = sub_list()
        elif c.isdigit():
            if not digit and i > start:
                if cur:  # a qualifier after items of this list opens its own sub-list
                    cur = sub_list()
                cur.append(item(i, True))
                start = i
                cur = sub_list()
            digit = True
        else:
            if digit and i > start:
                cur.append(item(i, False))
                start = i
                cur = sub_list()
            digit = False
    if len(s) > start:
        if not digit and cur:
            cur = sub_list()
        cur.append(item(len(s), False))
    for lst in reversed(lists):
        _normalize(lst)
    if any(isinstance(i, _Zeros) for lst in lists for i in lst):
        raise InvalidVersion(SCHEME, v, "ten or more zeros in a row before another item: "
                                        "Maven orders them above every number")
    return root


def _cmp(a: Item | None, b: Item | None) -> int:
    if a is None:
        return -_cmp(b, None) if b is not None else 0
    if isinstance(a, int):
        if b is None or isinstance(b, int):
            rb = 0 if b is None else b
            return (a > rb) - (a < rb)
        return 1
    if isinstance(a, str):
        if b is None or isinstance(b, str):
            qa, qb = _qualifier(a), _RELEASE if b is None else _qualifier(b)
            return (qa > qb) - (qa < qb)
        return -1
    if b is None:
        return next((c for c in (_cmp(x, None) for x in a) if c), 0)
    if isinstance(b, int):
        return -1
    if isinstance(b, str):
        return 1
    for i in range(max(len(a), len(b))):
        c = _cmp(a[i] if i < len(a) else None, b[i] if i < len(b) else None)
        if c:
            return c
    return 0


def compare(a: str, b: str) -> int:
    return _cmp(parse(a), parse(b))


def key(v: str) -> Any:
    parse(v)
    return cmp_to_key(compare)(v)

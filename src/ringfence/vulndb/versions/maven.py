"""Maven versions, as Maven 3's ComparableVersion compares them.

The string (lower-cased) splits at ``.``, ``-`` and digit/letter changes; ``-`` and a
digit/letter change open a sub-list. Trailing null items (0, "", "ga", "final", empty lists)
are dropped per list. Qualifiers order alpha < beta < milestone < rc = cr < snapshot < "" =
ga = final < sp, then any other qualifier alphabetically; ``a1``/``b1``/``m1`` mean alpha/beta/
milestone. A number beats a qualifier and a sub-list; a sub-list beats a qualifier.
"""

from __future__ import annotations

from functools import cmp_to_key
from typing import Any, Final

from .errors import InvalidVersion

SCHEME: Final = "Maven"
_QUALIFIERS: Final = ("alpha", "beta", "milestone", "rc", "snapshot", "", "sp")
_ALIASES: Final = {"ga": "", "final": "", "release": "", "cr": "rc"}
_RELEASE: Final = str(_QUALIFIERS.index(""))
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
    s = v.lower()
    root: list[Item] = []
    lists, cur, start, digit = [root], root, 0, False

    def item(end: int, next_is_digit: bool) -> Item:
        t = s[start:end]
        return int(t) if digit else _string(t, next_is_digit)

    for i, c in enumerate(s):
        if c in ".-":
            cur.append(item(i, False) if i > start else 0)
            start = i + 1
            if c == "-":
                new: list[Item] = []
                cur.append(new)
                cur = new
                lists.append(cur)
        elif c.isascii() and c.isdigit():
            if not digit and i > start:
                cur.append(item(i, True))
                start = i
                cur.append(new := [])
                cur = new
                lists.append(cur)
            digit = True
        else:
            if digit and i > start:
                cur.append(item(i, False))
                start = i
                cur.append(new := [])
                cur = new
                lists.append(cur)
            digit = False
    if len(s) > start:
        cur.append(item(len(s), False))
    for lst in reversed(lists):
        _normalize(lst)
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
        return _cmp(a[0], None) if a else 0
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

"""RubyGems versions, as Gem::Version#<=> compares them (rubygems/version.rb).

Valid: digits, then ``.``-separated alphanumerics, optionally ``-pre`` (read as
``.pre.``). Segments are digit runs (numbers) and letter runs (strings); trailing zeros of
the numeric part and of the part from the first string on are dropped
(``canonical_segments``); missing segments count as 0; a string sorts below a number.
"""

from __future__ import annotations

import re
from functools import cmp_to_key
from typing import Any, Final

from .errors import InvalidVersion

SCHEME: Final = "RubyGems"
_VALID: Final = re.compile(
    r"\s*([0-9]+(?:\.[0-9a-zA-Z]+)*(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?)?\s*")
Segment = int | str


def segments(v: str) -> list[Segment]:
    m = _VALID.fullmatch(v)
    if m is None:
        raise InvalidVersion(SCHEME, v, "malformed version number string")
    text = (m[1] or "0").replace("-", ".pre.")
    segs: list[Segment] = [int(s) if s.isdigit() else s
                           for s in re.findall(r"[0-9]+|[a-zA-Z]+", text)]
    first_str = next((i for i, s in enumerate(segs) if isinstance(s, str)), len(segs))
    out: list[Segment] = []
    for part in (segs[:first_str], segs[first_str:]):
        while part and part[-1] == 0:
            part = part[:-1]
        out.extend(part)
    return out


def _cmp_seg(a: Segment, b: Segment) -> int:
    if isinstance(a, str) and isinstance(b, int):
        return -1
    if isinstance(a, int) and isinstance(b, str):
        return 1
    return (a > b) - (a < b)  # type: ignore[operator]


def compare(a: str, b: str) -> int:
    sa, sb = segments(a), segments(b)
    for i in range(max(len(sa), len(sb))):
        c = _cmp_seg(sa[i] if i < len(sa) else 0, sb[i] if i < len(sb) else 0)
        if c:
            return c
    return 0


def key(v: str) -> Any:
    segments(v)
    return cmp_to_key(compare)(v)

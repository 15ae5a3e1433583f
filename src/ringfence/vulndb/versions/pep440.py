"""PEP 440 versions (Python packages), ordered as ``packaging.version.Version`` orders them.

The grammar is PEP 440's Appendix B regular expression (as packaging uses it); the sort key
follows the specification: epoch, release without trailing zeros, then dev-only < a < b <
rc < final, post releases after, dev releases before, and a local label after its public
version (string segments before numeric ones).
"""

from __future__ import annotations

import re
from typing import Final

from .errors import InvalidVersion

SCHEME: Final = "PEP 440"

_PATTERN: Final = re.compile(
    r"""
    \s*v?
    (?a:
        (?:(?P<epoch>[0-9]+)!)?
        (?P<release>[0-9]+(?:\.[0-9]+)*)
        (?P<pre>[._-]?(?P<pre_l>alpha|a|beta|b|preview|pre|c|rc)[._-]?(?P<pre_n>[0-9]+)?)?
        (?P<post>(?:-(?P<post_n1>[0-9]+))|(?:[._-]?(?P<post_l>post|rev|r)[._-]?(?P<post_n2>[0-9]+)?))?
        (?P<dev>[._-]?(?P<dev_l>dev)[._-]?(?P<dev_n>[0-9]+)?)?
    )
    (?a:\+(?P<local>[a-z0-9]+(?:[._-][a-z0-9]+)*))?
    \s*
    """,
    re.VERBOSE | re.IGNORECASE,
)
_PRE_RANK: Final = {"a": 0, "alpha": 0, "b": 1, "beta": 1,
                    "c": 2, "rc": 2, "pre": 2, "preview": 2}
_DEV_ONLY: Final = -1
_FINAL: Final = 3

LocalKey = tuple[tuple[int, int, str], ...]
Key = tuple[int, tuple[int, ...], tuple[int, int, int, int, int, int], int, LocalKey]


def _num(text: str | None) -> int:
    return int(text) if text else 0


def _local(text: str | None) -> tuple[int, LocalKey]:
    if text is None:
        return 0, ()
    parts = re.split(r"[._-]", text)
    return 1, tuple((1, int(p), "") if p.isdigit() else (0, 0, p.lower()) for p in parts)


def key(v: str) -> Key:
    m = _PATTERN.fullmatch(v)
    if m is None:
        raise InvalidVersion(SCHEME, v, "does not match the PEP 440 grammar")
    release = tuple(int(p) for p in m["release"].split("."))
    while release and release[-1] == 0:
        release = release[:-1]
    has_post = m["post"] is not None
    if m["pre_l"]:
        pre = (_PRE_RANK[m["pre_l"].lower()], _num(m["pre_n"]))
    elif m["dev"] is not None and not has_post:
        pre = (_DEV_ONLY, 0)
    else:
        pre = (_FINAL, 0)
    post = (1, _num(m["post_n1"] or m["post_n2"])) if has_post else (0, 0)
    dev = (0, _num(m["dev_n"])) if m["dev"] is not None else (1, 0)
    has_local, local = _local(m["local"])
    return _num(m["epoch"]), release, (*pre, *post, *dev), has_local, local


def compare(a: str, b: str) -> int:
    ka, kb = key(a), key(b)
    return (ka > kb) - (ka < kb)

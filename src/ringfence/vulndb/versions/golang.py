"""Go module versions (golang.org/x/mod/semver): ``vMAJOR[.MINOR[.PATCH]][-PRE][+BUILD]``.

The ``v`` is optional here because OSV's Go ranges omit it. ``v1`` and ``v1.2`` are
shorthands for ``v1.0.0`` and ``v1.2.0`` (as semver.Compare treats them; prerelease or build
then not allowed). Pseudo-versions (``v0.0.0-20191109021931-daa7c04131f5``,
``v1.2.4-0.2019...``) are ordinary prereleases and sort as Go sorts them; ``+incompatible`` is
build metadata and ignored, as by the go command.
"""

from __future__ import annotations

import re
from typing import Final

from ._semver2 import Key, key_of
from .errors import InvalidVersion

SCHEME: Final = "Go module"
_SHORT: Final = re.compile(r"(0|[1-9][0-9]*)(?:\.(0|[1-9][0-9]*))?")


def key(v: str) -> Key:
    text = v[1:] if v.startswith("v") else v
    short = _SHORT.fullmatch(text)
    if short is not None:
        text = f"{short[1]}.{short[2] or 0}.0"
    elif not text:
        raise InvalidVersion(SCHEME, v, "empty")
    return key_of(SCHEME, v, text)


def compare(a: str, b: str) -> int:
    ka, kb = key(a), key(b)
    return (ka > kb) - (ka < kb)

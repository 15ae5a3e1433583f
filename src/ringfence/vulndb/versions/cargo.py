"""crates.io versions: Semantic Versioning 2.0.0 (as OSV's SEMVER ranges use it).

Deviation from the Rust `semver` crate: its Ord also orders build metadata; SemVer 2.0
precedence (and OSV) ignore it, so ``1.0.0+a == 1.0.0+b`` here.
"""

from __future__ import annotations

from typing import Final

from ._semver2 import Key, key_of

SCHEME: Final = "cargo semver"


def key(v: str) -> Key:
    return key_of(SCHEME, v, v)


def compare(a: str, b: str) -> int:
    ka, kb = key(a), key(b)
    return (ka > kb) - (ka < kb)

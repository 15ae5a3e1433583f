"""Byte literals searched with Hyperscan, where its wheel installs (x86-64).

One place for what every literal search needs: the lazy import (1.3 ms, paid by the first
search, not by every start-up), the database of escaped literals, and a scratch per thread
(a Hyperscan scratch cannot be shared between threads; the database can). Users: the
secret scanner's keyword prefilter (``secretscan/prefilter.py``, caseless, every
occurrence) and the ELF excerpt's marker search (``catalog/elfread.py``, exact, the first
occurrence of each). Each keeps a ``bytes.find`` path for machines without the wheel,
tested to give the same offsets.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Sequence
from typing import Any


@functools.cache
def hyperscan() -> Any | None:
    """The ``hyperscan`` module, or None where its wheel is not installed."""
    try:
        import hyperscan as hs
    except ImportError:  # pragma: no cover - exercised only where the wheel is missing
        return None
    return hs


class LiteralDatabase:
    """A block-mode database of ``literals``; a match reports (literal index, end offset).

    ``first_only``: one match per literal per scan; literals match in order of their end,
    so the one reported is the first occurrence. Otherwise every (overlapping) occurrence
    is reported. Raises RuntimeError where Hyperscan is not installed."""

    def __init__(self, literals: Sequence[bytes], *, caseless: bool = False,
                 first_only: bool = False) -> None:
        hs = hyperscan()
        if hs is None:
            raise RuntimeError("the hyperscan wheel is not installed")
        flag = (hs.HS_FLAG_CASELESS if caseless else 0) | \
            (hs.HS_FLAG_SINGLEMATCH if first_only else 0)
        self._db = hs.Database(mode=hs.HS_MODE_BLOCK)
        self._db.compile(expressions=[b"".join(b"\\x%02x" % c for c in k) for k in literals],
                         ids=list(range(len(literals))), elements=len(literals),
                         flags=[flag] * len(literals))
        self._new_scratch = hs.Scratch
        self._local = threading.local()

    def scan(self, data: bytes, on_match: Callable[[int, int, int, int, Any], Any],
             context: Any) -> None:
        """Call ``on_match(literal index, start, end, flags, context)`` per match."""
        if not data:
            return
        scratch = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = self._local.scratch = self._new_scratch(self._db)
        self._db.scan(data, match_event_handler=on_match, context=context, scratch=scratch)

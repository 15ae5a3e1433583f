"""A unified diff of a host file against its declared content, bounded: ``difflib`` is
quadratic on some inputs (interleaved repeated lines: ~0.4 s at 5,000 lines, ~110 s at
50,000), and both sides may come from a hostile host."""

from __future__ import annotations

import difflib
from typing import Final

MAX_DIFFED_LINES: Final = 5_000


def unified(before: str, after: str, path: str) -> str:
    """``path (host)`` against ``path (declared)``; past MAX_DIFFED_LINES lines on either
    side, a line saying the content differs and how long each side is."""
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    if max(len(old), len(new)) > MAX_DIFFED_LINES:
        return (f"content of {path} differs ({len(old)} lines on the host, {len(new)} "
                f"declared; not diffed past {MAX_DIFFED_LINES} lines)\n")
    return "".join(difflib.unified_diff(old, new, f"{path} (host)", f"{path} (declared)"))

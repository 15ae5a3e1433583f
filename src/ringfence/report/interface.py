"""The renderer interface: one ScanResult in, one document out (text or bytes)."""

from __future__ import annotations

from typing import Protocol

from ringfence.model.result import ScanResult


class Renderer(Protocol):
    """Turns a result into a document. Pure: no printing, no files."""

    def render(self, result: ScanResult) -> str: ...

"""Layer analyzers: per-layer facts gathered in the same single pass as the catalogers.

A domain (secrets, image-config, drift) supplies an analyzer: a cheap ``wants`` for file
content, a fresh per-layer ``state`` that observes every entry (metadata always, content
when wanted) and returns JSON-able facts (cached with the layer), and ``merge`` that turns
the facts of all layers plus the squashed view into the domain's value for the image.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from ringfence.layers.walk import Entry


class AnalyzerState(Protocol):
    """Optionally also ``link(path, target) -> bool``: a wanted hardlink whose target's data
    the walk did not keep (it keeps none of files only analyzers wanted when every state
    has ``link``); True when the state accounted for it from what it saw of ``target``,
    else the state is shown the data after a second read (``layers/collect.py``)."""

    def observe(self, entry: Entry) -> None: ...

    def facts(self) -> Any: ...


class LayerAnalyzer(Protocol):
    name: str
    version: str  # part of the layer cache key

    def wants(self, path: str, size: int) -> bool: ...

    def new_state(self) -> AnalyzerState: ...

    def merge(self, layers: Sequence[tuple[str, Any]], view: SquashView) -> Any: ...


class SquashView:
    """Which path of which layer is still visible in the final filesystem.

    Built from each layer's non-directory paths, directories, whiteouts and opaque
    directories (OCI image spec "Representing Changes"): a path of layer *i* is hidden
    when a later layer has an entry at the same path, replaces an ancestor directory with
    a non-directory, whites out the path or an ancestor, or marks an ancestor opaque.
    """

    def __init__(self, layers: Sequence[tuple[frozenset[str], frozenset[str], frozenset[str],
                                              frozenset[str]]]) -> None:
        # per layer: (files, dirs, whiteouts, opaque_dirs)
        self._layers = list(layers)

    def __len__(self) -> int:
        return len(self._layers)

    def hidden_by(self, layer_index: int, path: str) -> bool:
        """Whether layer ``layer_index`` alone hides ``path`` of any layer below it."""
        files, dirs, whiteouts, opaque = self._layers[layer_index]
        if path in files or path in dirs or path in whiteouts:
            return True
        parent = path
        while parent not in ("", "/"):
            parent = parent.rsplit("/", 1)[0] or "/"
            if parent in whiteouts or parent in opaque or parent in files:
                return True
        return "/" in opaque

    def visible(self, path: str, layer_index: int) -> bool:
        return not any(self.hidden_by(j, path) for j in range(layer_index + 1,
                                                                len(self._layers)))

    def deleted_by(self, path: str, layer_index: int) -> int | None:
        """Index of the first later layer that hides ``path``, or None when visible."""
        for j in range(layer_index + 1, len(self._layers)):
            if self.hidden_by(j, path):
                return j
        return None

    @classmethod
    def of(cls, results: Sequence[Any]) -> SquashView:
        """The view of layer results (anything with ``files``, ``dirs``, ``whiteouts`` and
        ``opaque_dirs``)."""
        return cls([(frozenset(r.files), frozenset(r.dirs), frozenset(r.whiteouts),
                     frozenset(r.opaque_dirs)) for r in results])

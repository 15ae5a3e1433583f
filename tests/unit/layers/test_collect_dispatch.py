"""LayerCatalog dispatch: a file only an analyzer wanted is observed by the analyzers and
never offered to the catalogers (none wants it); a file a cataloger wants still is, even
when an analyzer wants it too."""

from __future__ import annotations

from typing import Any

from ringfence.catalog.interface import Parsed
from ringfence.layers.collect import LayerCatalog
from ringfence.layers.walk import REG, Entry


class _Cataloger:
    name, version = "fake", "1"

    def __init__(self) -> None:
        self.wanted: list[str] = []
        self.parsed: list[str] = []

    def wants(self, path: str, size: int) -> bool:
        self.wanted.append(path)
        return path.endswith(".pkg")

    def parse(self, path: str, data: bytes) -> Parsed:
        self.parsed.append(path)
        return Parsed(())


class _State:
    def __init__(self) -> None:
        self.seen: list[tuple[str, bytes | None]] = []

    def observe(self, entry: Entry) -> None:
        self.seen.append((entry.path, entry.data))

    def facts(self) -> Any:
        return [p for p, _ in self.seen]


class _Analyzer:
    name, version = "texts", "1"

    def __init__(self) -> None:
        self.state = _State()

    def wants(self, path: str, size: int) -> bool:
        return path.endswith((".txt", ".pkg"))

    def new_state(self) -> _State:
        return self.state

    def merge(self, layers: Any, view: Any) -> Any:
        return None


def test_analyzer_only_files_are_not_offered_to_catalogers() -> None:
    cat, analyzer = _Cataloger(), _Analyzer()
    lc = LayerCatalog("sha256:x", (cat,), (analyzer,))  # type: ignore[arg-type]
    for path in ("/a/notes.txt", "/a/db.pkg", "/a/other.bin"):
        wanted = lc.wants(path, 3)
        lc.add(Entry(path, REG, 3, 0o644, 0, 0, data=b"abc" if wanted else None,
                     wanted=wanted))
    assert cat.parsed == ["/a/db.pkg"]
    assert cat.wanted.count("/a/notes.txt") == 1  # asked once by the walk, never on offer
    assert [p for p, d in analyzer.state.seen if d is not None] == ["/a/notes.txt",
                                                                    "/a/db.pkg"]
    # without the analyzer, notes.txt is not read at all
    alone = LayerCatalog("sha256:x", (_Cataloger(),))  # type: ignore[arg-type]
    assert not alone.wants("/a/notes.txt", 3) and alone.wants("/a/db.pkg", 3)

"""Offer every file of one layer to every cataloger; collect records and unknowns."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ringfence.catalog import distro, elfread
from ringfence.catalog.interface import Cataloger, CatalogError
from ringfence.layers.analyzer import AnalyzerState, LayerAnalyzer
from ringfence.layers.result import FileRecord, LayerResult
from ringfence.layers.walk import (
    DIR,
    HARDLINK,
    OPAQUE,
    REG,
    SYMLINK,
    TOO_LARGE,
    UNREADABLE,
    WHITEOUT,
    Entry,
)
from ringfence.model.inventory import Distro
from ringfence.model.unknown import Unknown


class LayerCatalog:
    """Accumulates one layer's results as entries stream past (single pass)."""

    def __init__(self, diff_id: str, catalogers: tuple[Cataloger, ...],
                 analyzers: tuple[LayerAnalyzer, ...] = (), keep_paths: bool = True) -> None:
        self.diff_id = diff_id
        self.catalogers = catalogers
        self.records: list[FileRecord] = []
        self.distros: list[tuple[str, Distro]] = []
        self.whiteouts: list[str] = []
        self.opaque: list[str] = []
        self.touched: list[str] = []
        self.unknowns: list[Unknown] = []
        self.entries = 0
        # wanted hardlinks whose target's data was not at hand in this pass: target -> link
        # paths; per link path, the analyzer states still to be shown its content
        self.pending_links: dict[str, list[str]] = {}
        self._link_states: dict[str, tuple[AnalyzerState, ...]] = {}
        # catalogers that recognise files by content (``magic``) do not make the walk read
        # every candidate: the walk reads its first bytes and asks :meth:`matches`
        # catalogers that say which path endings (or parts) they can want are asked only
        # about paths with one (``Cataloger`` docs): one ``str.endswith`` instead of a call
        # each, for the files nobody wants (most of them; the 100,000-file layer of
        # bench/sbom.py's many-files image: 0.25 -> 0.09 s CPU)
        by_path = [c for c in catalogers if not _magic(c)]
        gated = [c for c in by_path if _suffixes(c) or _parts(c)]
        self._gated = tuple(c.wants for c in gated)
        self._suffixes = tuple(sorted({s for c in gated for s in _suffixes(c)}))
        self._parts = tuple(sorted({s for c in gated for s in _parts(c)}))
        self._predicates = tuple(c.wants for c in by_path if c not in gated)
        self._sniffers = tuple(c.wants for c in catalogers if _magic(c))
        self._magics = tuple({m for c in catalogers for m in _magic(c)})
        self._analyzer_predicates = tuple(a.wants for a in analyzers)
        # paths only an analyzer wanted: not offered to the catalogers (none of them would
        # take it; on bookworm-py the secrets analyzer reads 6,600 such files)
        self._analyzer_only: set[str] = set()
        self.analyzers = analyzers
        self._states = tuple(a.new_state() for a in analyzers)
        # content digests some analyzer asked the walk for (optional ``digests`` attribute)
        self.digests: tuple[str, ...] = tuple(sorted(
            {d for a in analyzers for d in getattr(a, "digests", ())}))
        # every path (the squashed view of layers needs them); a lone root filesystem
        # without analyzers does not (``dir:/`` of a host has a million files)
        self.keep_paths = keep_paths or bool(analyzers)
        # excerpts lacking bytes a parser asked for (elfread.Missing): path -> what to read
        # again; resolved by :meth:`second_reads`, else an Unknown in :meth:`result`
        self._short: dict[str, _Short] = {}
        self._fetched: dict[str, set[tuple[int, int]]] = {}  # asked in earlier rounds
        self._rounds: dict[str, int] = {}
        self.files: list[str] = []
        self.dirs: list[str] = []
        self.links: list[tuple[str, str]] = []

    def wants(self, path: str, size: int) -> bool:
        """Called for every regular file of every layer: keep it a flat loop."""
        if distro.wants(path):
            return True
        if path.endswith(self._suffixes) or self._has_part(path):
            for wants in self._gated:  # a flat loop beats any(genexpr) here
                if wants(path, size):
                    return True
        for wants in self._predicates:
            if wants(path, size):
                return True
        for wants in self._analyzer_predicates:
            if wants(path, size):
                self._analyzer_only.add(path)
                return True
        return False

    def _has_part(self, path: str) -> bool:
        for part in self._parts:  # noqa: SIM110 (flat loop: called for every file)
            if part in path:
                return True
        return False

    def candidate(self, path: str, size: int) -> bool:
        """A file nobody wants by path that a content cataloger may recognise."""
        for wants in self._sniffers:  # noqa: SIM110 (flat loop: called for every file)
            if wants(path, size):
                return True
        return False

    def matches(self, head: bytes) -> bool:
        return head.startswith(self._magics)

    def excerpt(self, head: bytes, chunks: Iterable[bytes], size: int) -> bytes:
        """The bounded excerpt of a matched file. Every content cataloger reads ELF (Go,
        cargo-auditable), so this is the ELF excerpt: ``catalog/elfread.py``."""
        return elfread.excerpt(head, chunks, size)

    def add(self, entry: Entry) -> None:
        self.entries += 1
        for state in self._states:
            state.observe(entry)
        if not self.keep_paths:
            pass
        elif entry.kind == DIR:
            self.dirs.append(entry.path)
        elif entry.kind not in (WHITEOUT, OPAQUE):
            self.files.append(entry.path)
            if entry.kind == SYMLINK and entry.link:
                self.links.append((entry.path, entry.link))
        if entry.kind == WHITEOUT:
            self.whiteouts.append(entry.path)
            return
        if entry.kind == OPAQUE:
            self.opaque.append(entry.path)
            return
        if entry.kind == DIR or not entry.wanted:
            return
        self.touched.append(entry.path)
        if entry.kind == TOO_LARGE:
            self.unknowns.append(Unknown(entry.path, f"file of {entry.size} bytes exceeds the "
                                         "per-file read cap", "walk", self.diff_id))
            return
        if entry.kind == UNREADABLE:
            self.unknowns.append(Unknown(entry.path, "file could not be read", "walk",
                                         self.diff_id))
            return
        if entry.kind == HARDLINK and entry.data is None and entry.link:
            # states that account for the link from what they saw of its target (optional
            # ``link``) need no second read; the others, and the catalogers, do
            target = entry.link
            states = tuple(s for s in self._states
                           if not (hasattr(s, "link") and s.link(entry.path, target)))
            if states or entry.path not in self._analyzer_only:
                self.pending_links.setdefault(target, []).append(entry.path)
                self._link_states[entry.path] = states
            return
        if entry.kind not in (REG, HARDLINK) or entry.data is None:
            return
        if entry.path in self._analyzer_only:
            return  # the analyzers observed it above; no cataloger wants it
        self.offer(entry.path, entry.size, entry.data)

    def retain(self, path: str) -> bool:
        """Whether a later hardlink to this wanted file may need its data here: not when
        only analyzers wanted it (they answer for links from what they saw: ``link``)."""
        return path not in self._analyzer_only or not all(
            hasattr(s, "link") for s in self._states)

    def offer_link(self, path: str, target: Entry) -> None:
        """The second read's answer for the pending hardlink ``path``: its target's data."""
        if target.data is None:
            return
        for state in self._link_states.get(path, ()):
            state.observe(Entry(path, HARDLINK, target.size, target.mode, target.uid,
                                target.gid, target.path, target.data, True))
        self.offer(path, target.size, target.data)

    def offer(self, path: str, size: int, data: bytes) -> None:
        if distro.wants(path):
            d = distro.parse(path, data)
            if d is not None:
                self.distros.append((path, d))
        self._offer_to(path, size, data, self.catalogers)

    def _offer_to(self, path: str, size: int, data: bytes,
                  catalogers: Iterable[Cataloger]) -> None:
        for cat in catalogers:
            if not cat.wants(path, size):
                continue
            magic = _magic(cat)
            if magic and not data.startswith(magic):
                continue
            try:
                parsed = cat.parse(path, data)
            except elfread.Missing as exc:
                self._missing(path, size, cat, exc)
                continue
            except CatalogError as exc:
                self.unknowns.append(Unknown(path, str(exc), cat.name, self.diff_id))
                continue
            except Exception as exc:  # a parser bug must not lose the whole scan
                self.unknowns.append(Unknown(path, f"parser failed: {type(exc).__name__}: "
                                             f"{exc}", cat.name, self.diff_id))
                continue
            self.unknowns.extend(Unknown(path, p, cat.name, self.diff_id)
                                 for p in parsed.problems)
            if parsed.packages or parsed.evidence:
                self.records.append(FileRecord(path, cat.name, parsed.packages,
                                               parsed.evidence))

    def _missing(self, path: str, size: int, cat: Cataloger, exc: elfread.Missing) -> None:
        # a new excerpt keeps every range asked so far: a later level needs the earlier
        short = self._short.get(path)
        ranges = (set(exc.ranges) | self._fetched.get(path, set())
                  | (short.ranges if short else set()))
        refused = elfread.second_read_refusal(size, ranges)
        rounds = self._rounds.get(path, 0)
        if refused is None and rounds >= elfread.MAX_ROUNDS:
            refused = f"still missing after {rounds} second reads"
        if refused is not None:
            self.unknowns.append(Unknown(path, f"{exc}: {refused}", cat.name, self.diff_id))
            return
        short = self._short.setdefault(path, _Short(size))
        short.ranges = ranges
        short.asked.append((cat, exc))

    def second_reads(self, fetch: Callable[[Refill], dict[str, bytes]]) -> None:
        """Read again what excerpts lacked: ``fetch`` streams the files named by the
        :class:`Refill` it is given (a Sniff) and returns path -> the new excerpt, with
        the asked ranges kept; the catalogers that asked parse it again. At most
        ``elfread.MAX_ROUNDS`` rounds (a pointer chain has two levels; the first pass keeps
        what lies ahead of the pointers); what stays missing is an Unknown."""
        for _ in range(elfread.MAX_ROUNDS):
            if not self._short:
                return
            short, self._short = self._short, {}
            refill = Refill({p: (s.size, tuple(sorted(s.ranges))) for p, s in short.items()})
            got = fetch(refill)
            for path, want in short.items():
                self._rounds[path] = self._rounds.get(path, 0) + 1
                self._fetched[path] = want.ranges
                data = got.get(path)
                if data is None:
                    self._give_up(path, want, "the file could not be read again")
                else:
                    self._offer_to(path, want.size, data, [c for c, _e in want.asked])

    def _give_up(self, path: str, short: _Short, why: str) -> None:
        self.unknowns.extend(Unknown(path, f"{exc}: {why}", cat.name, self.diff_id)
                             for cat, exc in short.asked)

    def result(self) -> LayerResult:
        for path, short in self._short.items():  # asked for, never read again
            self._give_up(path, short, "no second read of this source")
        self._short = {}
        return LayerResult(
            diff_id=self.diff_id,
            records=tuple(sorted(self.records, key=lambda r: (r.path, r.cataloger))),
            distros=tuple(sorted(self.distros, key=lambda x: x[0])),
            whiteouts=tuple(self.whiteouts),
            opaque_dirs=tuple(self.opaque),
            touched=tuple(self.touched),
            unknowns=tuple(self.unknowns),
            entries=self.entries,
            files=tuple(self.files),
            dirs=tuple(self.dirs),
            facts=tuple((a.name, s.facts()) for a, s in zip(self.analyzers, self._states,
                                                              strict=True)),
            links=tuple(self.links),
        )


class _Short:
    """What the catalogers asked of one file's excerpt: ranges, and who asked (and why)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.ranges: set[tuple[int, int]] = set()
        self.asked: list[tuple[Cataloger, elfread.Missing]] = []


class Refill:
    """The Sniff of a second read: the walk offers it only the files of ``wanted`` (path ->
    (size, ranges)) and it rebuilds each one's excerpt from this read alone (its parts
    come from one read of one file) with the asked ranges added. ``candidate`` and
    ``excerpt`` are called in turn for the same file (``layers/walk.py``, ``rootfs.py``)."""

    def __init__(self, wanted: dict[str, tuple[int, tuple[tuple[int, int], ...]]]) -> None:
        self.wanted = wanted
        self._current: tuple[tuple[int, int], ...] = ()

    def candidate(self, path: str, size: int) -> bool:
        want = self.wanted.get(path)
        self._current = want[1] if want is not None and want[0] == size else ()
        return bool(self._current)

    def matches(self, head: bytes) -> bool:
        return head.startswith(elfread.ELF_MAGIC)

    def excerpt(self, head: bytes, chunks: Iterable[bytes], size: int) -> bytes:
        return elfread.excerpt(head, chunks, size, self._current)


def _suffixes(cat: Cataloger) -> tuple[str, ...]:
    """The path endings outside which ``cat.wants`` is false (optional attribute)."""
    return tuple(getattr(cat, "path_suffixes", ()))


def _parts(cat: Cataloger) -> tuple[str, ...]:
    """Path parts outside which (and outside ``_suffixes``) ``cat.wants`` is false."""
    return tuple(getattr(cat, "path_parts", ()))


def _magic(cat: Cataloger) -> tuple[bytes, ...]:
    """The leading bytes a content cataloger recognises (optional ``magic`` attribute)."""
    return tuple(getattr(cat, "magic", ()))


def catalog_entries(diff_id: str, entries: Iterable[Entry],
                    catalogers: tuple[Cataloger, ...]) -> LayerResult:
    lc = LayerCatalog(diff_id, catalogers)
    for e in entries:
        lc.add(e)
    return lc.result()

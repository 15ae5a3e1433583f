"""Build the DB from inputs: detect formats, write a NEW file, rename it into place.

Atomicity: the new DB is written to a temporary file in the target's directory and
``os.replace``-d over the target at the end, so readers see the old file or the new one, never
a half-built one; a killed import leaves only a stray ``.db.sqlite.*.tmp`` behind.

Merge rule: a source is identified by its name (``osv:PyPI``, ``debian:DSA-list``,
``alpine-secdb:v3.10/main``, ``debian-tracker`` …). An import writes every source read from its
inputs and copies, unchanged, every source of the existing DB whose name it did not read; so
re-importing ``PyPI.zip`` replaces ``osv:PyPI`` and keeps everything else. Within one import, a
later input with the same source name replaces an earlier one (listed in ``replaced``).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ringfence.errors import InputError
from ringfence.inputs import read_regular
from ringfence.vulndb.importers import alpine, debian, nodejs_wg, osv, redhat_csaf
from ringfence.vulndb.importers.record import Record, Skip, SourceData
from ringfence.vulndb.store import MIGRATABLE, SCHEMA_VERSION, VulnStore
from ringfence.vulndb.writer import StoreWriter

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class SourceReport:
    name: str
    kind: str
    origin: str
    records: int
    withdrawn: tuple[str, ...]
    skipped: tuple[str, ...]
    ecosystems: dict[str, int]


@dataclass(frozen=True, slots=True)
class ImportReport:
    db_path: str
    sources: tuple[SourceReport, ...]
    kept: tuple[str, ...]  # sources copied unchanged from the previous DB
    replaced: tuple[str, ...]  # origins superseded by a later input of the same source name
    unsupported: tuple[str, ...]  # files found under a directory that are no known feed format
    seconds: float
    fetched: tuple[str, ...] = ()  # ``db update``: per source, downloaded / resumed / not modified


def import_paths(paths: Sequence[Path], db_path: Path,
                 progress: Progress | None = None) -> ImportReport:
    """Import every supported file under ``paths`` into ``db_path`` (atomically)."""
    started = time.monotonic()
    unsupported: list[str] = []
    data: list[SourceData] = []
    files = [(f, p) for p in paths for f in _files(p)]
    for done, (file, root) in enumerate(files, 1):
        if progress is not None:
            progress(file.name, done, len(files))
        data.extend(read_file(file, root, unsupported))
    data.extend(_join_parts(data))
    return write(db_path, [d for d in data if not d.kind.endswith("-part")], started,
                 tuple(unsupported))


def update(db_path: Path, base_url: str | None = None, sources: Sequence[str] = (),
           progress: Progress | None = None) -> ImportReport:
    """Download the official feeds (or a mirror's) and import them; see ``vulndb.feeds``."""
    from ringfence.vulndb.feeds import update as run_update  # httpx only when updating

    return run_update(db_path, base_url, sources, progress)


def write(db_path: Path, data: Sequence[SourceData], started: float,
          unsupported: tuple[str, ...] = (), fetched_at: str | None = None) -> ImportReport:
    """Write ``data`` plus the kept sources of the current DB into a new file, then rename."""
    by_name: dict[str, SourceData] = {}
    replaced: list[str] = []
    for d in data:
        if d.name in by_name:
            replaced.append(by_name[d.name].origin)
        by_name[d.name] = d
    old_names, old_version = _existing_sources(db_path)
    db_path.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale(db_path)
    tmp = db_path.parent / f".{db_path.name}.{os.getpid()}.tmp"
    writer = StoreWriter(tmp)
    try:
        reports = [_report(d, writer.add(d, fetched_at)) for d in by_name.values()]
        kept = (writer.copy_from(db_path, old_names - by_name.keys(), old_version)
                if old_names else ())
        writer.finish()
        os.replace(tmp, db_path)
    except BaseException:
        writer.abort()
        tmp.unlink(missing_ok=True)
        raise
    return ImportReport(str(db_path), tuple(reports), kept, tuple(replaced), unsupported,
                        round(time.monotonic() - started, 3))


def _remove_stale(db_path: Path) -> None:
    """Delete temporary files left by killed imports (their process no longer exists)."""
    for tmp in db_path.parent.glob(f".{db_path.name}.*.tmp"):
        pid = tmp.name.removesuffix(".tmp").rsplit(".", 1)[-1]
        if pid.isdigit() and not _alive(int(pid)):
            tmp.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _existing_sources(db_path: Path) -> tuple[set[str], int]:
    """The source names of the DB at ``db_path`` and its schema version (a version this
    import can migrate; a foreign file is refused, never overwritten)."""
    if not db_path.exists():
        return set(), SCHEMA_VERSION
    with VulnStore.open(db_path, accept=MIGRATABLE) as store:
        return {s.name for s in store.sources()}, store.version


def _report(d: SourceData, ecosystems: dict[str, int]) -> SourceReport:
    return SourceReport(d.name, d.kind, d.origin, sum(1 for r in d.records
                                                      if not r.advisory.withdrawn),
                        d.withdrawn_ids, tuple(str(s) for s in d.skipped), ecosystems)


def _files(path: Path) -> Iterable[Path]:
    if not path.exists():
        raise InputError(str(path), "no such file or directory")
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.is_file())
    return [path]


MAX_FEED_BYTES = 4 << 30  # the largest feed (all of OSV in one zip) is about 1 GiB


def read_file(path: Path, root: Path, unsupported: list[str]) -> list[SourceData]:
    """The sources in one file found under ``root`` (the path the user named); an unknown
    format is an error only when the file itself was named."""
    explicit = path == root
    raw = read_regular(path, MAX_FEED_BYTES, str(path))
    if path.suffix == ".zip":
        return [osv.import_osv(path)]
    if path.name.endswith((".tar.gz", ".tgz")):
        return [nodejs_wg.import_tarball(raw, str(path))]
    if path.suffix in (".json", ".yaml", ".yml"):
        return _structured(path, root, raw, unsupported)
    if debian.HEADER_START.match(raw[:64]):
        text = raw.decode("utf-8", errors="replace")
        return [debian.import_list(text, f"debian:{path.name}", str(path))]
    return _unsupported(path, explicit, unsupported, "not a known advisory format")


def _structured(path: Path, root: Path, raw: bytes,
                unsupported: list[str]) -> list[SourceData]:
    explicit = path == root
    if path.suffix != ".json":
        return [alpine.import_secdb(alpine.load(raw, str(path)), str(path))]
    try:
        doc: Any = json.loads(raw)
    except ValueError as exc:
        if explicit:
            raise InputError(str(path), f"malformed JSON: {exc}") from exc
        unsupported.append(f"{path}: malformed JSON: {exc}")
        return []
    if alpine.is_secdb(doc):
        return [alpine.import_secdb(doc, str(path))]
    if debian.is_tracker_json(doc):
        name = "debian-tracker" if explicit else f"debian-tracker:{path.stem}"
        return [debian.import_tracker(doc, name, str(path))]
    if redhat_csaf.is_csaf(doc):
        return [_explicit_ok(redhat_csaf.import_document(doc, str(path)), explicit)]
    if nodejs_wg.is_npm_record(doc):
        return [_explicit_ok(nodejs_wg.import_record(doc, str(path)), explicit)]
    if isinstance(doc, dict) and isinstance(doc.get("id"), str) and "modified" in doc:
        part = _osv_part(path, root, doc)
        if explicit and part.skipped:
            raise InputError(str(path), f"not an OSV record: {part.skipped[0].reason}")
        return [part]
    return _unsupported(path, explicit, unsupported, "JSON of no known advisory format")


def _unsupported(path: Path, explicit: bool, unsupported: list[str],
                 why: str) -> list[SourceData]:
    if explicit:
        raise InputError(str(path), why,
                         hint="supported: OSV zip/dir/json, Debian DSA/DLA list and tracker "
                              "JSON, Alpine secdb yaml/json, Red Hat CSAF/VEX json, Node.js "
                              "security-wg tar.gz/json")
    unsupported.append(f"{path}: {why}")
    return []


def _osv_part(path: Path, root: Path, doc: dict[str, Any]) -> SourceData:
    """One OSV JSON file. Files under one named directory are joined into one source named
    after it (``osv:ghsa``); naming a directory of directories makes one source per
    first-level subdirectory (``advisories/`` -> ``osv:osv-samples``)."""
    rel = path.relative_to(root).parts if path != root else ()
    group = root / rel[0] if len(rel) > 1 else path.parent
    try:
        records: tuple[Record, ...] = (osv.parse_record(doc),)
        skipped: tuple[Skip, ...] = ()
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        records, skipped = (), (Skip(str(path), f"{type(exc).__name__}: {exc}"),)
    return SourceData(f"osv:{group.name}", "osv-part", str(group), records, skipped)


def _explicit_ok(part: SourceData, explicit: bool) -> SourceData:
    """A file the user named that yields nothing but skips is an error, not a silent 0."""
    if explicit and part.skipped and not part.records:
        raise InputError(part.origin, part.skipped[0].reason)
    return part


def _join_parts(data: list[SourceData]) -> list[SourceData]:
    """One source per name from the single-record files read (``<kind>-part``): OSV files
    of one directory, Red Hat CSAF documents, Node.js security-wg records."""
    joined: dict[str, list[SourceData]] = {}
    for d in data:
        if d.kind.endswith("-part"):
            joined.setdefault(d.name, []).append(d)
    return [SourceData(name, parts[0].kind.removesuffix("-part"),
                       parts[0].origin if parts[0].kind == "osv-part"
                       else str(Path(parts[0].origin).parent),
                       tuple(r for p in parts for r in p.records),
                       tuple(s for p in parts for s in p.skipped))
            for name, parts in joined.items()]

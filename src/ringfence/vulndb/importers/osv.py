"""OSV importer: a zip per ecosystem (``all.zip``), a directory of JSON records or one record.

Kept per record: ``id``, ``aliases``, ``summary``, ``published``/``modified``/``withdrawn``,
reference URLs, every ``severity[]`` vector (top level, else per affected entry) and
``database_specific.severity``; per ``affected[]`` entry: ``package`` (ecosystem, name
normalised with :func:`ringfence.vulndb.names.normalize`, purl), every range with its events in
order (GIT ranges are kept but matchers ignore them), ``versions`` and the
``ecosystem_specific``/``database_specific`` severity label. An entry without ``package``
(CPython's GIT-only records) is stored under the empty ecosystem, so it counts but never matches.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Final

from ringfence.errors import InputError
from ringfence.model.advisory import Advisory, Affected, AffectedRange, Event
from ringfence.model.finding import Severity
from ringfence.vulndb.importers.record import Record, Skip, SourceData
from ringfence.vulndb.names import normalize

EVENT_KINDS: Final = ("introduced", "fixed", "last_affected", "limit")
VECTOR_PREFERENCE: Final = ("CVSS_V3", "CVSS_V4", "CVSS_V2")
_SEVERITY_WORDS: Final = {"MODERATE": "MEDIUM", "IMPORTANT": "HIGH"}


def import_osv(path: Path, name: str | None = None) -> SourceData:
    """Read a zip, a directory or one JSON file of OSV records."""
    records: list[Record] = []
    skipped: list[Skip] = []
    if path.is_file() and path.suffix == ".json":
        records.append(_parse_file(path))
    else:
        for where, data in _members(path):
            try:
                records.append(parse_record(json.loads(data)))
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                skipped.append(Skip(where, f"{type(exc).__name__}: {exc}"))
    return SourceData(name or f"osv:{path.stem if path.is_file() else path.name}", "osv",
                      str(path), tuple(records), tuple(skipped))


def _parse_file(path: Path) -> Record:
    try:
        return parse_record(json.loads(path.read_bytes()))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InputError(str(path), f"not an OSV record: {exc}") from exc


def _members(path: Path) -> Iterator[tuple[str, bytes]]:
    if path.is_dir():
        for file in sorted(path.rglob("*.json")):
            yield str(file), file.read_bytes()
        return
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                if not info.is_dir() and info.filename.endswith(".json"):
                    yield f"{path}:{info.filename}", _read_member(path, archive, info)
    except zipfile.BadZipFile as exc:
        raise InputError(str(path), f"not a zip archive: {exc}") from exc


def _read_member(path: Path, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    try:
        return archive.read(info)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(f"{path}:{info.filename}", f"unreadable zip member: {exc}") from exc


def parse_record(doc: dict[str, Any]) -> Record:
    """One OSV JSON object -> Record (raises KeyError/TypeError/ValueError when malformed)."""
    adv_id = doc["id"]
    if not isinstance(adv_id, str) or not adv_id:
        raise ValueError("missing id")
    entries = doc.get("affected") or []
    affected = tuple(_affected(adv_id, e) for e in entries)
    severities = _severities(doc.get("severity")) or tuple(
        s for e in entries for s in _severities(e.get("severity")))
    label = _label(doc.get("database_specific"))
    labels = [a.severity for a in affected if a.severity]
    advisory = Advisory(
        id=adv_id, source="osv", aliases=tuple(str(a) for a in doc.get("aliases") or ()),
        summary=str(doc.get("summary") or str(doc.get("details") or "").split("\n", 1)[0]),
        severity=Severity.parse(label or (max(labels, key=_rank) if labels else "")),
        cvss_vector=pick_vector(severities), published=doc.get("published"),
        modified=doc.get("modified"), withdrawn=doc.get("withdrawn"),
        references=tuple(str(r["url"]) for r in doc.get("references") or () if "url" in r))
    purls = tuple((e.get("package") or {}).get("purl") for e in entries)
    return Record(advisory, affected, severities, purls)


def _affected(adv_id: str, entry: dict[str, Any]) -> Affected:
    package = entry.get("package") or {}
    ecosystem = str(package.get("ecosystem") or "")
    name = normalize(ecosystem, str(package.get("name") or ""))
    ranges = tuple(_range(r) for r in entry.get("ranges") or ())
    versions = tuple(str(v) for v in entry.get("versions") or ())
    label = _label(entry.get("ecosystem_specific")) or _label(entry.get("database_specific"))
    return Affected(adv_id, ecosystem, name, ranges, versions, "", label)


def _range(raw: dict[str, Any]) -> AffectedRange:
    events = []
    for event in raw["events"]:
        for kind in EVENT_KINDS:
            if kind in event:
                events.append(Event(kind, str(event[kind])))
    return AffectedRange(str(raw["type"]), tuple(events))


def _severities(raw: Any) -> tuple[tuple[str, str], ...]:
    return tuple((str(s["type"]), str(s["score"])) for s in raw or () if "score" in s)


def pick_vector(severities: tuple[tuple[str, str], ...]) -> str | None:
    """The CVSS vector matchers score: v3 first, then v4, then v2."""
    for kind in VECTOR_PREFERENCE:
        for typ, score in severities:
            if typ == kind:
                return score
    return None


def _label(specific: Any) -> str | None:
    if not isinstance(specific, dict):
        return None
    value = specific.get("severity")
    if not isinstance(value, str) or not value.strip():
        return None
    word = value.strip().upper()
    return _SEVERITY_WORDS.get(word, word)


def _rank(label: str) -> int:
    return int(Severity.parse(label))

"""Debian security tracker: ``data/DSA/list`` / ``data/DLA/list`` text and the tracker JSON.

Both are keyed by *source* package and stored under ``Debian:<major>`` (``CODENAMES``).
Mapping to :class:`Affected`:

* a fixed version ``V`` -> an ECOSYSTEM range ``introduced 0, fixed V``;
* ``<not-affected>`` (list) or tracker ``resolved`` with fixed version ``0`` -> ``not-affected``;
* ``<unfixed>`` (list), tracker ``open`` and ``undetermined`` -> ``unfixed`` (undetermined is
  not known to be safe, so it is reported rather than hidden);
* ``<no-dsa>``, ``<ignored>``, ``<postponed>`` (list) or tracker ``open`` with a ``nodsa``
  note -> ``will-not-fix``; ``<end-of-life>`` / urgency ``end-of-life`` -> ``will-not-fix``
  (no fix will be published for that release).

Tracker urgency (``low``, ``medium``, ``high``, ``unimportant``; trailing ``*`` dropped) is kept
as the per-package severity label. List advisories are ``DSA-…``/``DLA-…`` with the CVEs as
aliases; tracker advisories are the CVE ids themselves.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Final

from ringfence.model.advisory import (
    NOT_AFFECTED,
    UNFIXED,
    WILL_NOT_FIX,
    Advisory,
    Affected,
    AffectedRange,
    Event,
)
from ringfence.vulndb.importers.record import Record, Skip, SourceData

CODENAMES: Final = {
    "woody": "3.0", "sarge": "3.1", "etch": "4.0", "lenny": "5.0", "squeeze": "6.0",
    "wheezy": "7", "jessie": "8", "stretch": "9", "buster": "10", "bullseye": "11",
    "bookworm": "12", "trixie": "13", "forky": "14", "sid": "sid",
}
LIST_STATUS: Final = {"<not-affected>": NOT_AFFECTED, "<unfixed>": UNFIXED,
                      "<no-dsa>": WILL_NOT_FIX, "<ignored>": WILL_NOT_FIX,
                      "<postponed>": WILL_NOT_FIX, "<end-of-life>": WILL_NOT_FIX}
_HEADER: Final = re.compile(r"^\[(\d{1,2} \w{3} \d{4})\] ([A-Z]+-[\d-]+)\s+(.*)$")
_RELEASE: Final = re.compile(r"^\s+\[([a-z-]+)\] - (\S+)\s+(\S+)")
HEADER_START: Final = re.compile(rb"^\[\d{1,2} \w{3} \d{4}\] D[SL]A-")


def ecosystem(codename: str) -> str | None:
    """``bookworm`` -> ``Debian:12``; None for a suite we do not know."""
    major = CODENAMES.get(codename)
    return None if major is None else f"Debian:{major}"


def fixed_range(version: str) -> tuple[AffectedRange, ...]:
    return (AffectedRange("ECOSYSTEM", (Event("introduced", "0"), Event("fixed", version))),)


def import_list(text: str, name: str, origin: str) -> SourceData:
    """Parse a DSA/DLA list; a line we cannot read is a listed skip."""
    records: list[Record] = []
    skipped: list[Skip] = []
    block: list[tuple[int, str]] = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith("[") and block:
            _close(block, origin, records, skipped)
            block = []
        if line.strip():
            block.append((number, line))
    if block:
        _close(block, origin, records, skipped)
    return SourceData(name, "debian-list", origin, tuple(records), tuple(skipped))


def _close(block: list[tuple[int, str]], origin: str, records: list[Record],
           skipped: list[Skip]) -> None:
    number, header = block[0]
    match = _HEADER.match(header)
    if match is None:
        skipped.append(Skip(f"{origin}:{number}", f"not an advisory header: {header[:80]!r}"))
        return
    date, adv_id, title = match.groups()
    aliases: list[str] = []
    affected: list[Affected] = []
    for lineno, line in block[1:]:
        stripped = line.strip()
        if stripped.startswith("{"):
            aliases.extend(stripped.strip("{}").split())
        elif (rel := _RELEASE.match(line)) is not None:
            item = _release(adv_id, *rel.groups())
            if item is None:
                skipped.append(Skip(f"{origin}:{lineno}", f"unknown suite in {stripped!r}"))
            else:
                affected.append(item)
    published = datetime.strptime(date, "%d %b %Y").strftime("%Y-%m-%dT00:00:00Z")
    advisory = Advisory(adv_id, "debian", tuple(aliases), summary=title.strip(),
                        published=published, modified=published)
    records.append(Record(advisory, tuple(affected)))


def _release(adv_id: str, suite: str, package: str, version: str) -> Affected | None:
    eco = ecosystem(suite)
    if eco is None:
        return None
    status = LIST_STATUS.get(version)
    if status is not None:
        return Affected(adv_id, eco, package, status=status)
    return Affected(adv_id, eco, package, fixed_range(version))


def is_tracker_json(doc: Any) -> bool:
    """``{srcpkg: {CVE: {"releases": …}}}`` (checked on the first package)."""
    if not isinstance(doc, dict) or not doc:
        return False
    first = next(iter(doc.values()))
    return isinstance(first, dict) and all(
        isinstance(v, dict) and "releases" in v for v in list(first.values())[:3])


def import_tracker(doc: dict[str, Any], name: str, origin: str) -> SourceData:
    """Parse the tracker JSON: one advisory per CVE, one Affected per package and release."""
    by_cve: dict[str, list[Affected]] = {}
    descriptions: dict[str, str] = {}
    skipped: list[Skip] = []
    for package, cves in doc.items():
        for cve, entry in (cves or {}).items():
            try:
                for codename, rel in (entry["releases"] or {}).items():
                    item = _tracker_affected(cve, package, codename, rel)
                    if item is not None:
                        by_cve.setdefault(cve, []).append(item)
                descriptions.setdefault(cve, str(entry.get("description") or ""))
            except (KeyError, TypeError, AttributeError) as exc:
                skipped.append(Skip(f"{origin}:{package}/{cve}", f"{type(exc).__name__}: {exc}"))
    records = tuple(Record(Advisory(cve, "debian-tracker", summary=descriptions.get(cve, "")),
                           tuple(by_cve.get(cve, ()))) for cve in sorted(descriptions))
    return SourceData(name, "debian-tracker", origin, records, tuple(skipped))


def _tracker_affected(cve: str, package: str, codename: str,
                      rel: dict[str, Any]) -> Affected | None:
    eco = ecosystem(codename)
    if eco is None:
        return None
    urgency = str(rel.get("urgency") or "").rstrip("*") or None
    status, fixed = rel["status"], str(rel.get("fixed_version") or "")
    if status == "resolved" and fixed == "0":
        return Affected(cve, eco, package, status=NOT_AFFECTED, severity=urgency)
    if status == "resolved" and fixed:
        return Affected(cve, eco, package, fixed_range(fixed), severity=urgency)
    if "nodsa" in rel or urgency == "end-of-life":
        return Affected(cve, eco, package, status=WILL_NOT_FIX, severity=urgency)
    return Affected(cve, eco, package, status=UNFIXED, severity=urgency)

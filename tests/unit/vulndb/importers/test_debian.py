"""Debian DSA/DLA lists and tracker JSON (real files; counts from PROVENANCE.md)."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

from ringfence.model.advisory import NOT_AFFECTED, UNFIXED, WILL_NOT_FIX
from ringfence.vulndb.importers.debian import import_list, import_tracker

TRACKER = Path("advisories/debian-security-tracker")


def _list(data_dir: Path, name: str):  # type: ignore[no-untyped-def]
    path = data_dir / TRACKER / name
    return import_list(path.read_text(), f"debian:{name}", str(path))


def test_dsa_list(data_dir: Path) -> None:
    data = _list(data_dir, "DSA-list")
    assert len(data.records) == 5406 and data.skipped == ()  # PROVENANCE: 5406 advisories
    ids = [r.advisory.id for r in data.records]
    assert ids[0] == "DSA-5380-1" and ids[-1] == "DSA-135"  # newest first, oldest DSA-135
    assert data.newest_record("2026-01-01T00:00:00Z") == "2023-03-29T00:00:00Z"
    first = data.records[0]
    assert first.advisory.aliases == ("CVE-2023-1393",)
    (aff,) = first.affected
    assert (aff.ecosystem, aff.package) == ("Debian:11", "xorg-server")
    assert [(e.kind, e.version) for e in aff.ranges[0].events] == [
        ("introduced", "0"), ("fixed", "2:1.20.11-1+deb11u6")]
    statuses = Counter(a.status for r in data.records for a in r.affected)
    text = (data_dir / TRACKER / "DSA-list").read_text()

    def release_lines(marker: str) -> int:  # NOTE: lines mention markers too; not counted
        return len(re.findall(rf"^\s+\[[a-z]+\] - \S+\s+{marker}", text, re.MULTILINE))

    assert statuses[NOT_AFFECTED] == release_lines("<not-affected>") == 55
    assert statuses[UNFIXED] == release_lines("<unfixed>") == 3
    assert statuses[WILL_NOT_FIX] == release_lines("<end-of-life>") + release_lines("<no-dsa>")


def test_dla_list(data_dir: Path) -> None:
    data = _list(data_dir, "DLA-list")
    assert len(data.records) == 3534 and data.skipped == ()  # PROVENANCE: 3534 advisories
    assert data.records[0].advisory.id == "DLA-3380-1"
    assert data.records[-1].advisory.id == "DLA-0001-1"
    suites = {a.ecosystem for r in data.records for a in r.affected}
    assert suites == {"Debian:6.0", "Debian:7", "Debian:8", "Debian:9", "Debian:10"}


def test_unknown_suite_and_header_are_listed() -> None:
    text = ("[01 Jan 2020] DSA-1-1 pkg - security update\n\t{CVE-1}\n"
            "\t[hamm] - pkg 1.0\n\t[bookworm] - pkg <no-dsa>\n"
            "[garbage] header\n")
    data = import_list(text, "t", "mem")
    (rec,) = data.records
    assert [(a.ecosystem, a.status) for a in rec.affected] == [("Debian:12", WILL_NOT_FIX)]
    assert [s.where for s in data.skipped] == ["mem:3", "mem:5"]


def test_tracker_json_vunnel(data_dir: Path) -> None:
    path = data_dir / TRACKER / "json-samples" / "vunnel-debian.json"
    doc = json.loads(path.read_text())
    data = import_tracker(doc, "debian-tracker", str(path))
    cves = {c for pkg in doc.values() for c in pkg}
    assert {r.advisory.id for r in data.records} == cves and data.skipped == ()
    by = {(a.advisory_id, a.ecosystem, a.package): a for r in data.records for a in r.affected}
    for pkg, entries in doc.items():
        for cve, entry in entries.items():
            for codename, rel in (entry["releases"] or {}).items():
                got = by[(cve, _eco(codename), pkg)]
                if rel["status"] == "resolved" and rel.get("fixed_version") == "0":
                    assert got.status == NOT_AFFECTED
                elif rel["status"] == "resolved":
                    assert got.ranges[0].events[1].version == rel["fixed_version"]
                elif "nodsa" in rel:
                    assert got.status == WILL_NOT_FIX
                else:
                    assert got.status in (UNFIXED, WILL_NOT_FIX)


def test_tracker_json_osv_mock(data_dir: Path) -> None:
    path = data_dir / TRACKER / "json-samples" / "osv.dev-debian_security_tracker_mock.json"
    data = import_tracker(json.loads(path.read_text()), "debian-tracker", str(path))
    statuses = Counter(a.status for r in data.records for a in r.affected)
    assert len(data.records) == 3 and statuses[UNFIXED] == 3 and statuses[NOT_AFFECTED] == 5


def _eco(codename: str) -> str:
    from ringfence.vulndb.importers.debian import ecosystem

    eco = ecosystem(codename)
    assert eco is not None
    return eco

"""VulnStore: schema, lookups, per-source metadata, refusal of foreign files."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from ringfence.errors import InputError
from ringfence.model.advisory import Advisory, Affected, AffectedRange, Event
from ringfence.model.finding import Severity
from ringfence.vulndb.importers.record import Record, Skip, SourceData
from ringfence.vulndb.names import normalize
from ringfence.vulndb.store import SCHEMA_VERSION, VulnStore, age_days, default_path
from ringfence.vulndb.writer import StoreWriter

RANGE = AffectedRange("ECOSYSTEM", (Event("introduced", "0"), Event("fixed", "2.20.0")))


def _record(adv_id: str, eco: str, pkg: str, *, withdrawn: str | None = None,
            modified: str = "2024-01-02T00:00:00Z") -> Record:
    adv = Advisory(adv_id, "osv:test", aliases=("CVE-2018-18074",), summary="s",
                   severity=Severity.HIGH,
                   cvss_vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
                   modified=modified, withdrawn=withdrawn, references=("https://x",))
    aff = Affected(adv_id, eco, normalize(eco, pkg), (RANGE,), ("2.19.1",), "", "HIGH")
    return Record(adv, (aff,), (("CVSS_V3", adv.cvss_vector or ""),), ("pkg:pypi/requests",))


def _build(path: Path, *sources: SourceData) -> None:
    writer = StoreWriter(path)
    for s in sources:
        writer.add(s, fetched_at="2024-02-01T00:00:00Z")
    writer.finish()


def _osv(*records: Record) -> SourceData:
    return SourceData("osv:test", "osv", "/in/test.zip", records, (Skip("bad.json", "not JSON"),))


def test_roundtrip(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite"
    _build(db, _osv(_record("PYSEC-1", "PyPI", "Requests"),
                    _record("PYSEC-1", "PyPI", "Requests"),  # duplicate id: merged
                    _record("PYSEC-2", "PyPI", "Flask_Login", modified="2025-05-05T00:00:00Z"),
                    _record("PYSEC-3", "PyPI", "requests", withdrawn="2024-03-01T00:00:00Z")))
    with VulnStore.open(db) as store:
        got = store.affected("PyPI", "requests")
        assert [a.advisory_id for a in got] == ["PYSEC-1"]  # withdrawn PYSEC-3 never matches
        assert got[0].ranges == (RANGE,) and got[0].versions == ("2.19.1",)
        assert got[0].severity == "HIGH"
        assert [a.advisory_id for a in store.affected("PyPI", "flask-login")] == ["PYSEC-2"]
        assert store.affected("PyPI", "Flask_Login") == ()  # callers pass normalised names
        adv = store.advisory("PYSEC-1")
        assert adv is not None and adv.aliases == ("CVE-2018-18074",)
        assert adv.severity is Severity.HIGH and adv.source == "osv:test"
        withdrawn = store.advisory("PYSEC-3")
        assert withdrawn is not None and withdrawn.withdrawn == "2024-03-01T00:00:00Z"
        assert store.advisory("nope") is None
        assert store.ecosystems() == {"PyPI": 2}
        (src,) = store.sources()
        assert (src.records, src.withdrawn, src.skipped) == (2, 1, 1)
        assert src.withdrawn_ids == ("PYSEC-3",) and src.skipped_list == ("bad.json: not JSON",)
        assert src.newest_record == "2025-05-05T00:00:00Z"
        info = store.info()
        assert info.schema_version == SCHEMA_VERSION and info.newest_record == src.newest_record
        assert info.age_days is not None and info.age_days > 0


def test_same_id_in_two_sources_picks_by_ecosystem(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite"
    deb = SourceData("debian-tracker", "debian-tracker", "x", (_record("CVE-1", "Debian:12", "a"),))
    alp = SourceData("alpine-secdb/v3.10/main", "alpine-secdb", "y",
                     (_record("CVE-1", "Alpine:v3.10", "a"),))
    _build(db, deb, alp)
    with VulnStore.open(db) as store:
        assert store.advisory("CVE-1", "Debian:12").source == "debian-tracker"  # type: ignore[union-attr]
        alpine = store.advisory("CVE-1", "Alpine:v3.10")
        assert alpine is not None and alpine.source == "alpine-secdb/v3.10/main"


def test_copy_from_keeps_other_sources(tmp_path: Path) -> None:
    old = tmp_path / "old.sqlite"
    _build(old, _osv(_record("PYSEC-1", "PyPI", "a")),
           SourceData("other", "osv", "z", (_record("GO-1", "Go", "example.com/m"),)))
    new = tmp_path / "new.sqlite"
    writer = StoreWriter(new)
    writer.add(_osv(_record("PYSEC-9", "PyPI", "b")))
    assert writer.copy_from(old, ["other"]) == ("other",)
    writer.finish()
    with VulnStore.open(new) as store:
        assert store.ecosystems() == {"Go": 1, "PyPI": 1}
        assert store.affected("PyPI", "a") == () and len(store.affected("PyPI", "b")) == 1
        assert [a.advisory_id for a in store.affected("Go", "example.com/m")] == ["GO-1"]


def test_open_refuses_missing_foreign_and_old(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"missing\.sqlite"):
        VulnStore.open(tmp_path / "missing.sqlite")
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"not sqlite at all" * 100)
    with pytest.raises(InputError, match=r"junk\.sqlite"):
        VulnStore.open(junk)
    old = tmp_path / "old.sqlite"
    _build(old, _osv(_record("PYSEC-1", "PyPI", "a")))
    with sqlite3.connect(old) as conn:
        conn.execute("UPDATE meta SET value='0' WHERE key='schema_version'")
    with pytest.raises(InputError, match="schema_version 0"):
        VulnStore.open(old)


def test_default_path_and_age(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_path() == tmp_path / "ringfence" / "db.sqlite"
    assert age_days(None) is None and age_days("garbage") is None


@pytest.mark.parametrize(("eco", "name", "want"), [
    ("PyPI", "Flask_Login", "flask-login"), ("PyPI", "zope.interface", "zope-interface"),
    ("npm", "@Babel/Core", "@babel/core"), ("Maven", "org.Apache:Log4j", "org.Apache:Log4j"),
    ("Go", "github.com/BurntSushi/toml", "github.com/BurntSushi/toml"),
    ("Debian:12", "Linux", "Linux"), ("crates.io", "Serde", "Serde"),
])
def test_normalize(eco: str, name: str, want: str) -> None:
    assert normalize(eco, name) == want

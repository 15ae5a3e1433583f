"""The vulnerability DB's alias table (schema 3, issue 13): ``ids_for`` answers an alias
by an indexed lookup, the same as the version-2 LIKE scan did -- for the id itself, a GHSA
that lists a CVE, and hostile names (LIKE wildcards, escapes, quotes, case variants); a
version-2 file is still read, and an import over it rebuilds the table for the sources it
keeps."""

from __future__ import annotations

import json
import random
import sqlite3
from pathlib import Path

import pytest

from ringfence.errors import InputError
from ringfence.model.advisory import Advisory, Affected, AffectedRange, Event
from ringfence.model.finding import Severity
from ringfence.vulndb.build import write
from ringfence.vulndb.importers.record import Record, SourceData
from ringfence.vulndb.store import SCHEMA_VERSION, VulnStore

FIX = AffectedRange("ECOSYSTEM", (Event("introduced", "0"), Event("fixed", "9.0")))


def _rec(adv_id: str, eco: str, pkg: str, aliases: tuple[str, ...] = ()) -> Record:
    adv = Advisory(adv_id, "t", aliases=aliases, summary="s", severity=Severity.HIGH,
                   modified="2026-01-01T00:00:00Z")
    return Record(adv, (Affected(adv_id, eco, pkg, (FIX,)),), ())


OSV = SourceData("osv:PyPI", "osv", "x", (
    _rec("GHSA-j8r2-6x86-q33q", "PyPI", "requests", ("CVE-2018-18074", "PYSEC-2018-28")),
    _rec("PYSEC-2018-28", "PyPI", "requests", ("CVE-2018-18074", "GHSA-j8r2-6x86-q33q")),
    _rec("GHSA-aaaa-bbbb-cccc", "PyPI", "urllib3", ("CVE-2019-0001",)),
))
DEB = SourceData("debian-tracker", "debian-tracker", "y", (
    _rec("CVE-2018-18074", "Debian:12", "requests"),
    _rec("DSA-5000-1", "Debian:12", "openssl", ("CVE-2019-0001", "CVE-2019-0002")),
))


def _db(path: Path, *sources: SourceData) -> Path:
    write(path, sources, 0.0)
    return path


def _downgrade(db: Path) -> None:
    """What schema 2 wrote: no alias table."""
    with sqlite3.connect(db) as conn:
        conn.execute("DROP TABLE advisory_aliases")
        conn.execute("UPDATE meta SET value='2' WHERE key='schema_version'")


def _scan(db: Path, name: str) -> tuple[str, ...]:
    """The answer by brute force: every advisory row and affected row of the file."""
    with sqlite3.connect(db) as conn:
        out = {i for i, al in conn.execute("SELECT id, aliases FROM advisories")
               if i == name or name in json.loads(al)}
        out.update(r[0] for r in conn.execute("SELECT advisory_id FROM affected"
                                              " WHERE advisory_id=?", (name,)))
    return tuple(sorted(out))


def test_an_alias_answers_every_record_that_is_or_lists_it(tmp_path: Path) -> None:
    db = _db(tmp_path / "db.sqlite", OSV, DEB)
    with VulnStore.open(db) as store:
        assert store.version == SCHEMA_VERSION == 3
        # a CVE: the Debian record of that id, and the GHSA and PYSEC that list it
        assert store.ids_for("CVE-2018-18074") == (
            "CVE-2018-18074", "GHSA-j8r2-6x86-q33q", "PYSEC-2018-28")
        # a GHSA asked by its id: itself and the PYSEC that lists it as an alias
        assert store.ids_for("GHSA-j8r2-6x86-q33q") == (
            "GHSA-j8r2-6x86-q33q", "PYSEC-2018-28")
        # an alias no record is named by (only listed): still answered
        assert store.ids_for("CVE-2019-0001") == ("DSA-5000-1", "GHSA-aaaa-bbbb-cccc")
        assert store.ids_for("CVE-2019-0002") == ("DSA-5000-1",)
        # exact: no case folding, no prefix, no wildcard
        for miss in ("cve-2018-18074", "CVE-2018-1807", "CVE-2018-18074 ", "CVE-2018-%",
                     "CVE-2018-1807_", "", "%", "_"):
            assert store.ids_for(miss) == (), miss
        # asking by the alias names the same packages as asking by the ids it stands for
        ids = store.ids_for("CVE-2019-0001")
        assert store.packages_for(ids) == (("Debian:12", "openssl"), ("PyPI", "urllib3"))


def test_the_table_agrees_with_the_version_2_scan_on_hostile_names(tmp_path: Path) -> None:
    rng = random.Random(13)  # noqa: S311 - reproducible test data
    alphabet = 'AC-_%\\"\'x/ é\u0000'
    names = ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 6)))
             for _ in range(60)]
    records = tuple(_rec(f"ADV-{i}", "PyPI", f"p{i}",
                         tuple(sorted(set(rng.sample(names, rng.randint(0, 4))))))
                    for i in range(120))
    db = _db(tmp_path / "db.sqlite", SourceData("osv:x", "osv", "x", records))
    asked = [*names, *(n.lower() for n in names), *(n + "%" for n in names),
             "ADV-1", "ADV-%", "ADV-1_", "nothing"]
    with VulnStore.open(db) as store:
        table = {n: store.ids_for(n) for n in asked}
    assert sum(1 for v in table.values() if v) > 40  # the names are used
    _downgrade(db)
    with VulnStore.open(db) as store:
        assert store.version == 2
        scanned = {n: store.ids_for(n) for n in asked}
    assert table == scanned
    assert all(table[n] == _scan(db, n) for n in asked)


def test_a_version_2_database_is_read_and_an_import_adds_the_table(tmp_path: Path) -> None:
    db = _db(tmp_path / "db.sqlite", OSV, DEB)
    _downgrade(db)
    with VulnStore.open(db) as store:  # read as it is: the scan answers
        assert store.version == 2
        assert store.ids_for("CVE-2018-18074") == (
            "CVE-2018-18074", "GHSA-j8r2-6x86-q33q", "PYSEC-2018-28")
    with sqlite3.connect(db) as conn:  # a hostile row in the kept source: not JSON
        conn.execute("UPDATE advisories SET aliases='[\"CVE-2019-0001\"' "
                     "WHERE id='GHSA-aaaa-bbbb-cccc'")
    newer = SourceData("debian-tracker", "debian-tracker", "z", (
        _rec("CVE-2018-18074", "Debian:12", "requests"),
        _rec("DSA-5001-1", "Debian:12", "curl", ("CVE-2019-0003",)),))
    report = write(db, [newer], 0.0)
    assert report.kept == ("osv:PyPI",)
    with VulnStore.open(db) as store:
        assert store.version == 3
        # the kept source's aliases are in the table, and the new source's
        assert store.ids_for("CVE-2018-18074") == (
            "CVE-2018-18074", "GHSA-j8r2-6x86-q33q", "PYSEC-2018-28")
        assert store.ids_for("CVE-2019-0003") == ("DSA-5001-1",)
        # the unreadable alias list names nothing (the id still answers for itself)
        assert store.ids_for("CVE-2019-0001") == ()
        assert store.ids_for("GHSA-aaaa-bbbb-cccc") == ("GHSA-aaaa-bbbb-cccc",)
    with sqlite3.connect(db) as conn:
        plan = " ".join(str(r) for r in conn.execute(
            "EXPLAIN QUERY PLAN SELECT id FROM advisory_aliases WHERE alias=?", ("x",)))
    assert "SEARCH" in plan and "SCAN" not in plan


def test_other_versions_are_still_refused(tmp_path: Path) -> None:
    db = _db(tmp_path / "db.sqlite", DEB)
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE meta SET value='4' WHERE key='schema_version'")
    with pytest.raises(InputError, match="schema_version 4, expected 3"):
        VulnStore.open(db)

"""The inventory store (issue 13) with SQLite and a real PostgreSQL: the same tests,
parametrised over both dialects. ``affected`` is checked against ``ringfence image`` run
from scratch on each fixture image; bad input (an unreachable store, a newer schema, a
digest that does not match its content) is exit 3 with nothing written."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from ringfence.cli.main import main
from ringfence.respond.affected import by_advisory
from ringfence.schemas import schema_for
from ringfence.store.db import InventoryStore, StoreError
from ringfence.store.record import ImageRecord, StoredPackage
from ringfence.store.schema import MIGRATIONS, SCHEMA_VERSION
from ringfence.vulndb.build import import_paths
from ringfence.vulndb.store import VulnStore
from tests.integration.postgres_support import create_database, postgres_server

SOURCES = ("osv/PyPI.zip", "nodejs-security-wg.tar.gz", "debian-security-tracker/DSA-list",
           "debian-security-tracker/DLA-list")
IMAGES = {"bookworm-min": "oci:{d}/bookworm-min.oci",
          "bookworm-py": "oci-archive:{d}/bookworm-py.oci.tar",
          "bullseye-big": "oci-archive:{d}/bullseye-big.oci.tar"}


@pytest.fixture(scope="module")
def vulndb(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("vulndb") / "db.sqlite"
    import_paths([data_dir / "advisories" / s for s in SOURCES], db)
    return db


@pytest.fixture(scope="module")
def pg_socket() -> Iterator[str]:
    with postgres_server() as sock:
        yield sock


_COUNT = [0]


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.sqlite'}"
    _COUNT[0] += 1
    return create_database(request.getfixturevalue("pg_socket"), f"t{_COUNT[0]}")


@pytest.fixture(scope="module")
def scratch(images_dir: Path, vulndb: Path, tmp_path_factory: pytest.TempPathFactory
            ) -> dict[str, dict[str, Any]]:
    """``ringfence image -f json`` of each fixture image, from scratch."""
    out = {}
    tmp = tmp_path_factory.mktemp("scratch")
    for name, ref in IMAGES.items():
        path = tmp / f"{name}.json"
        code = main(["image", ref.format(d=images_dir), "--db", str(vulndb), "--no-cache",
                     "--scanners", "vuln", "-q", "-f", "json", "-o", str(path)])
        assert code == 0, name
        out[name] = json.loads(path.read_text())
    return out


def _run(argv: list[str], tmp: Path, capsys: pytest.CaptureFixture[str]
         ) -> tuple[int, dict[str, Any] | None, str]:
    out = tmp / "out.json"
    out.unlink(missing_ok=True)
    code = main([*argv, "-q", "-f", "json", "-o", str(out)])
    err = capsys.readouterr().err
    doc = json.loads(out.read_text()) if out.exists() else None
    if doc is not None:  # every document validates against its published schema
        schema = schema_for(doc)
        assert schema is not None
        jsonschema.Draft202012Validator(schema).validate(doc)
    return code, doc, err


def _images(url: str) -> list[str]:
    with InventoryStore.open(url) as store:
        return [r.digest for r in store.images()]


def test_affected_agrees_with_scanning_each_image(
        store_url: str, images_dir: Path, vulndb: Path, scratch: dict[str, dict[str, Any]],
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    refs = [ref.format(d=images_dir) for ref in IMAGES.values()]
    code, doc, _ = _run(["inventory", "add", *refs, "--store", store_url, "--db", str(vulndb),
                         "--no-cache"], tmp_path, capsys)
    assert code == 0 and doc is not None
    assert [a["digest"] for a in doc["added"]] == [d["target"]["digest"]
                                                   for d in scratch.values()]
    # expected: every (image, package, advisory) of the from-scratch scans, by each name
    expected: dict[str, set[tuple[str, str, str]]] = {}
    for d in scratch.values():
        for v in d["vulnerabilities"]:
            for name in {v["id"], *v["aliases"]}:
                expected.setdefault(name, set()).add((d["target"]["digest"], v["purl"], v["id"]))
    assert len({v["id"] for d in scratch.values() for v in d["vulnerabilities"]}) >= 50
    with InventoryStore.open(store_url) as store, VulnStore.open(vulndb) as vulns:
        for name in sorted(expected):
            if not vulns.ids_for(name):
                continue  # an alias no record is named by nor lists (nothing to ask by)
            answer = by_advisory(store, vulns, name)
            got = {(r.digest, r.purl, r.advisory_id or "") for r in answer.rows}
            assert got == expected[name], name
    # one through the CLI: digest, refs, package, version, layer and fixed version
    v = scratch["bookworm-py"]["vulnerabilities"][0]
    code, doc, _ = _run(["affected", v["id"], "--store", store_url, "--db", str(vulndb)],
                        tmp_path, capsys)
    assert code == 0 and doc is not None
    row = next(r for r in doc["affected"] if r["purl"] == v["purl"])
    assert row["digest"] == scratch["bookworm-py"]["target"]["digest"]
    assert row["refs"] == [refs[1]] and row["version"] == v["installed_version"]
    assert row["layer"] == v["layer"] and row["fixed_versions"] == v["fixed_versions"]
    # --fail-on gates on the answer's severities
    code, _, _ = _run(["affected", v["id"], "--store", store_url, "--db", str(vulndb),
                       "--fail-on", "unknown"], tmp_path, capsys)
    assert code == 1


def test_an_advisory_no_stored_image_carries_and_an_unknown_id(
        store_url: str, images_dir: Path, vulndb: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    ref = IMAGES["bookworm-min"].format(d=images_dir)
    assert _run(["inventory", "add", ref, "--store", store_url, "--db", str(vulndb),
                 "--no-cache"], tmp_path, capsys)[0] == 0
    with VulnStore.open(vulndb) as vulns:  # a PyPI advisory: bookworm-min has no Python
        assert vulns.ids_for("PYSEC-2022-42986")
    code, doc, _ = _run(["affected", "PYSEC-2022-42986", "--store", store_url, "--db",
                         str(vulndb), "--fail-on", "low"], tmp_path, capsys)
    assert code == 0 and doc is not None and doc["affected"] == [] and doc["images"] == 0
    (digest,) = _images(store_url)  # bookworm-min: no stored vulnerability to gate on
    assert _run(["inventory", "show", digest, "--store", store_url, "--fail-on", "unknown"],
                tmp_path, capsys)[0] == 0
    code, doc, err = _run(["affected", "CVE-1999-99999999", "--store", store_url, "--db",
                           str(vulndb)], tmp_path, capsys)
    assert code == 3 and doc is None and "no advisory with this id or alias" in err


def test_same_digest_twice_is_one_record_with_two_refs(
        store_url: str, images_dir: Path, vulndb: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    oci = f"oci:{images_dir}/bookworm-py.oci"
    archive = f"oci-archive:{images_dir}/bookworm-py.oci.tar"
    code, doc, _ = _run(["inventory", "add", oci, "--store", store_url, "--db", str(vulndb),
                         "--no-cache"], tmp_path, capsys)
    assert code == 0 and doc is not None and doc["added"][0]["new"] is True
    assert all(_statistics(store_url, ("images", "packages", "package_index")).values())
    code, doc, _ = _run(["inventory", "add", archive, "--store", store_url, "--no-cache",
                         "--db", str(vulndb)], tmp_path, capsys)
    assert code == 0 and doc is not None and doc["added"][0]["new"] is False
    digest = doc["added"][0]["digest"]
    code, doc, _ = _run(["inventory", "list", "--store", store_url], tmp_path, capsys)
    assert code == 0 and doc is not None
    # refs are listed by time added, then name (the two adds may fall in one second)
    assert [(i["digest"], sorted(i["refs"])) for i in doc["images"]] == [
        (digest, sorted([oci, archive]))]
    code, doc, _ = _run(["inventory", "show", digest, "--store", store_url], tmp_path, capsys)
    assert code == 0 and doc is not None
    pkgs = {p["purl"]: p for p in doc["packages"]}
    certifi = pkgs["pkg:pypi/certifi@2018.4.16"]
    assert certifi["layer"] and {v["id"] for v in certifi["vulnerabilities"]} >= {
        "CVE-2022-23491"}
    assert len(doc["layers"]) >= 2 and doc["image"]["distro"] == "debian 12"
    # show gates on the stored vulnerabilities (bookworm-py has some)
    assert _run(["inventory", "show", digest, "--store", store_url, "--fail-on", "unknown"],
                tmp_path, capsys)[0] == 1
    # by purl: with and without the version; another version finds nothing
    for query, n in (("pkg:pypi/certifi", 1), ("pkg:pypi/certifi@2018.4.16", 1),
                     ("pkg:pypi/certifi@2018.4.17", 0)):
        code, doc, _ = _run(["affected", query, "--store", store_url], tmp_path, capsys)
        assert code == 0 and doc is not None and doc["images"] == n, query
    code, doc, _ = _run(["affected", "pkg:pypi/certifi", "--store", store_url,
                         "--fail-on", "unknown"], tmp_path, capsys)
    assert code == 1
    code, _, err = _run(["affected", "pkg:", "--store", store_url], tmp_path, capsys)
    assert code == 3 and "not a package URL" in err
    # rm forgets the image with every ref; a second rm is an error
    assert main(["inventory", "rm", digest, "--store", store_url]) == 0
    assert _images(store_url) == []
    assert main(["inventory", "rm", digest, "--store", store_url]) == 3
    assert main(["inventory", "show", digest, "--store", store_url]) == 3


def test_image_store_records_what_it_scanned(
        store_url: str, images_dir: Path, vulndb: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    ref = IMAGES["bookworm-min"].format(d=images_dir)
    code, doc, _ = _run(["image", ref, "--db", str(vulndb), "--no-cache", "--store",
                         store_url, "--scanners", "vuln"], tmp_path, capsys)
    assert code == 0 and doc is not None
    with InventoryStore.open(store_url) as store:
        record = store.image(doc["target"]["digest"])
        assert record is not None and record.refs == (ref,)
        assert len(record.packages) == len(doc["packages"])
        assert record.scanned_with == doc["db"]["built_at"]


def test_sbom_is_keyed_by_its_digest_and_a_pinned_mismatch_is_refused(
        store_url: str, images_dir: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    import hashlib

    sbom = tmp_path / "bom.json"
    assert main(["sbom", IMAGES["bookworm-min"].format(d=images_dir), "--no-cache", "-q",
                 "-f", "cyclonedx", "-o", str(sbom)]) == 0
    digest = "sha256:" + hashlib.sha256(sbom.read_bytes()).hexdigest()
    wrong = "sha256:" + "0" * 64
    code, doc, err = _run(["inventory", "add", f"sbom:{sbom}@{wrong}", "--store", store_url,
                           "--db", str(tmp_path / "none.sqlite")], tmp_path, capsys)
    assert code == 3 and doc is None and "does not match the pinned" in err
    assert _images(store_url) == []
    code, doc, _ = _run(["inventory", "add", f"sbom:{sbom}@{digest}", "--store", store_url,
                         "--db", str(tmp_path / "none.sqlite")], tmp_path, capsys)
    # an explicit --db that does not exist is an error, not an inventory-only record
    assert code == 3 and _images(store_url) == []
    code, doc, _ = _run(["inventory", "add", f"sbom:{sbom}@{digest}", "--store", store_url],
                        tmp_path, capsys)
    assert code == 0 and doc is not None
    assert doc["added"][0]["digest"] == digest and doc["added"][0]["packages"] > 50


def test_a_tampered_image_records_nothing_not_even_the_good_one(
        store_url: str, images_dir: Path, vulndb: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.oci"
    shutil.copytree(images_dir / "bookworm-min.oci", bad)
    index = json.loads((bad / "index.json").read_text())
    manifest = bad / "blobs" / "sha256" / index["manifests"][0]["digest"].split(":")[1]
    body = json.loads(manifest.read_text())
    body.setdefault("annotations", {})["x"] = "y"  # content no longer matches its digest
    manifest.write_text(json.dumps(body))
    good = IMAGES["bookworm-min"].format(d=images_dir)
    code, doc, err = _run(["inventory", "add", good, f"oci:{bad}", "--store", store_url,
                           "--no-cache", "--db", str(vulndb)], tmp_path, capsys)
    assert code == 3 and doc is None and "digest" in err.lower()
    assert _images(store_url) == []


def test_a_failing_write_leaves_nothing_half_written(
        store_url: str, images_dir: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    ref = IMAGES["bookworm-min"].format(d=images_dir)
    assert _run(["inventory", "add", ref, "--store", store_url, "--no-cache", "--db",
                 str(tmp_path / "none.sqlite")], tmp_path, capsys)[0] == 3
    assert main(["inventory", "add", ref, "--store", store_url, "--no-cache", "-q"]) == 0
    with InventoryStore.open(store_url) as store:
        (digest,) = [r.digest for r in store.images()]
        record = store.image(digest)
        assert record is not None
        broken = replace(record, digest="sha256:" + "1" * 64, ref="x",
                         packages=(*record.packages, record.packages[0]))  # ord twice
        fine = replace(record, digest="sha256:" + "2" * 64, ref="y")
        with pytest.raises(StoreError):
            store.add(fine, broken)
        assert [r.digest for r in store.images()] == [digest]  # not even `fine`
        again = store.image(digest)
        assert again is not None and again.packages == record.packages


def test_newer_schema_and_foreign_database_are_refused(
        store_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with InventoryStore.open(store_url) as store:
        assert store.schema_version() == SCHEMA_VERSION
    _set_version(store_url, str(SCHEMA_VERSION + 1))
    code, doc, err = _run(["inventory", "list", "--store", store_url], tmp_path, capsys)
    assert code == 3 and doc is None and "newer than this ringfence" in err
    assert _get_version(store_url) == str(SCHEMA_VERSION + 1)  # left untouched
    _set_version(store_url, "banana")
    code, _, err = _run(["inventory", "list", "--store", store_url], tmp_path, capsys)
    assert code == 3 and "not a ringfence inventory store" in err


def test_opening_a_new_store_from_many_processes_at_once_migrates_it_once(
        store_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """`fleet --workers N --store` opens a new store from N workers at the same moment:
    each reads "no schema yet", then all migrate. The first must migrate and the others
    find its version (before the fix, SQLite raised "table meta already exists" in all but
    one, and fleet failed those images). A barrier after the version read forces the race."""
    racers = 4
    barrier = threading.Barrier(racers, timeout=30)
    read_version = InventoryStore._version

    def version_then_wait(self: InventoryStore) -> int:
        found = read_version(self)
        barrier.wait()
        return found

    monkeypatch.setattr(InventoryStore, "_version", version_then_wait)
    errors: list[BaseException] = []

    def open_once() -> None:
        try:
            InventoryStore.open(store_url).close()
        except BaseException as exc:  # recorded, the assertion below names it
            errors.append(exc)

    threads = [threading.Thread(target=open_once) for _ in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    monkeypatch.undo()
    with InventoryStore.open(store_url) as store:
        assert store.schema_version() == SCHEMA_VERSION
    assert _sql(store_url, "SELECT count(*) FROM meta WHERE key='schema_version'", ()) == [(1,)]


def test_every_version_has_a_migration() -> None:
    assert sorted(MIGRATIONS) == list(range(SCHEMA_VERSION))


def _set_version(url: str, value: str) -> None:
    _sql(url, "UPDATE meta SET value=? WHERE key='schema_version'", (value,))


def _get_version(url: str) -> str:
    return str(_sql(url, "SELECT value FROM meta WHERE key='schema_version'", ())[0][0])


def _sql(url: str, sql: str, params: tuple[str, ...]) -> list[tuple[Any, ...]]:
    if url.startswith("sqlite:///"):
        conn = sqlite3.connect(url[len("sqlite:///"):])
        try:
            rows = list(conn.execute(sql, params).fetchall())
            conn.commit()
            return rows
        finally:
            conn.close()
    import psycopg

    with psycopg.connect(url) as conn:
        cur = conn.execute(sql.replace("?", "%s"), params)
        return list(cur.fetchall()) if sql.startswith("SELECT") else []


def test_a_store_that_does_not_answer(tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    sock = tmp_path / "nosock"
    sock.mkdir()
    for url in (f"postgresql:///nope?host={sock}&user=rf",
                "postgresql://rf:secret@127.0.0.1:1/nope"):
        code, doc, err = _run(["inventory", "list", "--store", url], tmp_path, capsys)
        assert code == 3 and doc is None and "cannot connect to the inventory store" in err
        assert "secret" not in err
    not_db = tmp_path / "not.sqlite"
    not_db.write_bytes(b"this is not SQLite" * 100)
    code, _, err = _run(["inventory", "list", "--store", f"sqlite:///{not_db}"], tmp_path,
                        capsys)
    assert code == 3 and "cannot open the inventory store" in err
    code, _, err = _run(["inventory", "list", "--store", "mysql://x"], tmp_path, capsys)
    assert code == 2 and "unsupported store URL" in err


def test_default_store_and_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("RINGFENCE_STORE", raising=False)
    code, doc, _ = _run(["inventory", "list"], tmp_path, capsys)
    assert code == 0 and doc is not None
    assert doc["store"] == str(tmp_path / "xdg" / "ringfence" / "inventory.sqlite")
    monkeypatch.setenv("RINGFENCE_STORE", f"sqlite:///{tmp_path / 'env.sqlite'}")
    code, doc, _ = _run(["inventory", "list"], tmp_path, capsys)
    assert code == 0 and doc is not None and doc["store"] == str(tmp_path / "env.sqlite")
    assert os.path.isfile(tmp_path / "env.sqlite")


def _wide_image(digest: str, ref: str, count: int) -> ImageRecord:
    """An image of ``count`` PyPI packages named p0, p1, … (one identity each)."""
    packages = tuple(StoredPackage(
        i, f"pkg:pypi/p{i}@1.0", f"pkg:pypi/p{i}", f"p{i}", "1.0", "python", "sha256:l", None,
        {"name": f"p{i}", "version": "1.0", "type": "python"},
        identities=(("PyPI", f"p{i}"),)) for i in range(count))
    return ImageRecord(digest, "sbom", ref, None, packages=packages)


def test_index_lookups_of_more_identities_than_sqlite_takes_in_one_statement(
        store_url: str) -> None:
    # SQLite refuses an expression tree deeper than 1,000: one OR term per identity must
    # be split into statements; a package named in two chunks is still one row
    wide = _wide_image("sha256:" + "a" * 64, "wide:1", 1_300)
    other = _wide_image("sha256:" + "b" * 64, "other:1", 3)
    asked = [("PyPI", f"p{i}") for i in range(1_250)] + [("PyPI", "absent")]
    with InventoryStore.open(store_url) as store:
        store.add(wide, other)
        store.add(replace(wide, ref="wide:2"))
        got = store.carrying(asked)
        carriers = store.carriers(asked)
    assert [(image.digest, [p.ord for p in held]) for image, held in got] == [
        (wide.digest, list(range(1_250))), (other.digest, [0, 1, 2])]
    assert got[0][0].refs == ("wide:1", "wide:2")
    assert [(c.digest, c.ord) for c in carriers] == [
        (wide.digest, i) for i in range(1_250)] + [(other.digest, i) for i in range(3)]
    assert {c.refs for c in carriers} == {("wide:1", "wide:2"), ("other:1",)}


def test_optimize_leaves_statistics_for_the_planner(store_url: str) -> None:
    tables = ("images", "refs", "packages", "package_index", "findings")
    with InventoryStore.open(store_url) as store:
        store.add(*(_wide_image("sha256:" + c * 64, f"wide:{c}", 300) for c in "abc"))
        before = _statistics(store_url, tables)
        store.optimize()
        after = _statistics(store_url, tables)
        assert len(store.carrying([("PyPI", "p7")])) == 3  # the connection still answers
    assert not any(before.values())
    assert all(after[t] for t in ("images", "refs", "packages", "package_index")), after


def _statistics(url: str, tables: tuple[str, ...]) -> dict[str, bool]:
    """Per table: has it planner statistics (SQLite's sqlite_stat1; PostgreSQL: a manual
    ANALYZE and a manual VACUUM, which sets the visibility map)?"""
    if url.startswith("sqlite:///"):
        with sqlite3.connect(url[len("sqlite:///"):]) as conn:
            if not conn.execute("SELECT 1 FROM sqlite_master WHERE name='sqlite_stat1'"
                                ).fetchall():
                return dict.fromkeys(tables, False)
            named = {r[0] for r in conn.execute("SELECT tbl FROM sqlite_stat1")}
        return {t: t in named for t in tables}
    import psycopg

    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT relname, analyze_count > 0 AND vacuum_count > 0 "
                            "FROM pg_stat_user_tables").fetchall()
    done = dict(rows)
    return {t: bool(done.get(t)) for t in tables}

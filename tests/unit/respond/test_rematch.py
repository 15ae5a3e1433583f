"""Re-match after a vulnerability-DB change (issue 13, scope 2), on synthetic advisories and
an SBOM built here: only the packages the changed advisories name are re-matched, and the
change set (new / resolved / severity) is stored, listed by ``changes`` and gated by
``--fail-on`` on NEW findings only."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from ringfence.cli.main import main
from ringfence.schemas import schema_for
from ringfence.store.db import InventoryStore
from ringfence.store.schema import MIGRATIONS, SCHEMA_VERSION
from tests.unit.vulndb.importers.test_update import mirror  # noqa: F401 - a fixture


def _osv(ident: str, name: str, fixed: str, severity: str = "HIGH") -> dict[str, Any]:
    return {"id": ident, "modified": "2026-11-01T00:00:00Z",
            "database_specific": {"severity": severity},
            "affected": [{"package": {"ecosystem": "npm", "name": name},
                          "ranges": [{"type": "SEMVER",
                                      "events": [{"introduced": "0"}, {"fixed": fixed}]}]}]}


def _feed(tmp: Path, *docs: dict[str, Any]) -> Path:
    feed = tmp / "feed"
    if feed.exists():
        for old in feed.iterdir():
            old.unlink()
    feed.mkdir(exist_ok=True)
    for doc in docs:
        (feed / f"{doc['id']}.json").write_text(json.dumps(doc))
    return feed


def _sbom(tmp: Path, name: str, packages: dict[str, str]) -> Path:
    path = tmp / f"{name}.cdx.json"
    path.write_text(json.dumps({
        "bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
        "metadata": {"component": {"type": "application", "name": name}},
        "components": [{"type": "library", "name": n, "version": v,
                        "purl": f"pkg:npm/{n}@{v}", "bom-ref": f"{n}@{v}"}
                       for n, v in packages.items()]}))
    return path


def _run(argv: list[str], tmp: Path, capsys: pytest.CaptureFixture[str]
         ) -> tuple[int, dict[str, Any] | None, str]:
    out = tmp / "out.json"
    out.unlink(missing_ok=True)
    code = main([*argv, "-q", "-f", "json", "-o", str(out)])
    err = capsys.readouterr().err
    doc = json.loads(out.read_text()) if out.exists() else None
    if doc is not None:
        schema = schema_for(doc)
        assert schema is not None, doc.get("schema")
        jsonschema.Draft202012Validator(schema).validate(doc)
    return code, doc, err


def _changes(doc: dict[str, Any]) -> set[tuple[str, str, str, str | None, str | None]]:
    return {(c["change"], c["package"], c["advisory"], c["severity"], c["old_severity"])
            for c in doc["changes"]}


def test_only_touched_packages_are_rematched_and_the_change_set_is_stored(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db, store = tmp_path / "db.sqlite", f"sqlite:///{tmp_path / 'store.sqlite'}"
    a = _osv("GHSA-aaaa-aaaa-aaaa", "left-pad", "1.3.0")
    b = _osv("GHSA-bbbb-bbbb-bbbb", "lodash", "4.17.21", "MEDIUM")
    assert main(["db", "import", str(_feed(tmp_path, a, b)), "--db", str(db)]) == 0
    one = _sbom(tmp_path, "one", {"left-pad": "1.2.0", "lodash": "4.17.0", "minimist": "1.2.0"})
    two = _sbom(tmp_path, "two", {"minimist": "1.2.0", "express": "4.0.0"})
    code, doc, _ = _run(["inventory", "add", f"sbom:{one}", f"sbom:{two}", "--store", store,
                         "--db", str(db)], tmp_path, capsys)
    assert code == 0 and doc is not None
    assert [x["vulnerabilities"] for x in doc["added"]] == [2, 0]
    # the update: a fixed earlier (resolved), b re-rated, c new on minimist, express untouched
    a2 = {**_osv(a["id"], "left-pad", "1.1.0"), "modified": a["modified"]}  # same modified
    b2 = _osv(b["id"], "lodash", "4.17.21", "CRITICAL")
    c = _osv("GHSA-cccc-cccc-cccc", "minimist", "1.2.6", "LOW")
    code, doc, err = _run(["db", "import", str(_feed(tmp_path, a2, b2, c)), "--db", str(db),
                           "--store", store], tmp_path, capsys)
    assert code == 0 and doc is not None, err
    assert doc["schema"] == "ringfence.rematch/1"
    assert doc["advisories_changed"] == 3 and doc["whole"] == []
    # left-pad, lodash, minimist in one, minimist in two -- never express
    assert (doc["images"], doc["packages"]) == (2, 4)
    want = {("resolved", "pkg:npm/left-pad@1.2.0", a["id"], "high", "high"),
            ("severity", "pkg:npm/lodash@4.17.0", b["id"], "critical", "medium"),
            ("new", "pkg:npm/minimist@1.2.0", c["id"], "low", None)}
    assert _changes(doc) == want and len(doc["changes"]) == 4  # minimist is in both
    new = [x for x in doc["changes"] if x["change"] == "new"]
    assert sorted(x["refs"][0] for x in new) == [f"sbom:{one}", f"sbom:{two}"]
    # `changes` lists the same; the gate reads NEW findings only (low), not the critical re-rating
    code, listed, _ = _run(["changes", "--store", store], tmp_path, capsys)
    assert code == 0 and listed is not None and _changes(listed) == _changes(doc)
    assert _run(["changes", "--store", store, "--fail-on", "low"], tmp_path, capsys)[0] == 1
    assert _run(["changes", "--store", store, "--fail-on", "medium"], tmp_path, capsys)[0] == 0
    # the stored findings now reflect the new DB: the same import again changes nothing
    code, again, _ = _run(["db", "import", str(_feed(tmp_path, a2, b2, c)), "--db", str(db),
                           "--store", store], tmp_path, capsys)
    assert code == 0 and again is not None
    assert (again["advisories_changed"], again["packages"], again["changes"]) == (0, 0, [])
    # an advisory removed: its findings are resolved (what it named comes from the old DB)
    code, gone, _ = _run(["db", "import", str(_feed(tmp_path, a2, b2)), "--db", str(db),
                          "--store", store], tmp_path, capsys)
    assert code == 0 and gone is not None
    assert {(x["change"], x["advisory"]) for x in gone["changes"]} == {("resolved", c["id"])}
    assert len(gone["changes"]) == 2  # minimist in both images


def _stored_once(tmp: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Path, str]:
    """A store with one change set holding one NEW high finding."""
    db, store = tmp / "db.sqlite", f"sqlite:///{tmp / 'store.sqlite'}"
    assert main(["db", "import", str(_feed(tmp, _osv("GHSA-zzzz-zzzz-zzzz", "qs", "0.1.0"))),
                 "--db", str(db)]) == 0
    sbom = _sbom(tmp, "q", {"left-pad": "1.2.0"})
    assert _run(["inventory", "add", f"sbom:{sbom}", "--store", store, "--db", str(db)],
                tmp, capsys)[0] == 0
    code, doc, _ = _run(["db", "import", str(_feed(tmp, _osv("GHSA-aaaa-aaaa-aaaa",
                                                              "left-pad", "1.3.0"))),
                         "--db", str(db), "--store", store], tmp, capsys)
    assert code == 0 and doc is not None and len(doc["changes"]) == 1
    return db, store


class _Receiver:
    """A loopback HTTP server that records what is POSTed to it."""

    def __init__(self, status: int = 200) -> None:
        import http.server
        import threading

        received: list[dict[str, Any]] = []
        self.received = received

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                size = int(self.headers.get("Content-Length", "0"))
                received.append({"type": self.headers.get("Content-Type"),
                                 "body": json.loads(self.rfile.read(size))})
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


def test_notify_posts_the_document_and_an_undelivered_one_is_exit_3(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, store = _stored_once(tmp_path, capsys)
    ok, refusing = _Receiver(), _Receiver(status=500)
    try:
        code, doc, _ = _run(["changes", "--store", store, "--notify", ok.url], tmp_path, capsys)
        assert code == 0 and doc is not None
        assert ok.received == [{"type": "application/json", "body": doc}]
        assert doc["changes"][0]["change"] == "new"
        code, _, err = _run(["changes", "--store", store, "--notify", refusing.url],
                            tmp_path, capsys)
        assert code == 3 and "HTTP 500" in err and len(refusing.received) == 1
    finally:
        ok.stop()
        refusing.stop()
    import socket

    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}/hook"
    code, _, err = _run(["changes", "--store", store, "--notify", closed], tmp_path, capsys)
    assert code == 3 and "not delivered" in err
    secret = closed.replace("http://", "http://bot:s3cret@") + "?token=t0ken"
    code, _, err = _run(["changes", "--store", store, "--notify", secret], tmp_path, capsys)
    assert code == 3 and "not delivered" in err
    assert "s3cret" not in err and "t0ken" not in err  # webhook secrets never echoed
    assert _run(["changes", "--store", store, "--notify", "file:///etc/passwd"],
                tmp_path, capsys)[0] == 3


def test_since_filters_and_an_unparsable_since_is_exit_3(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, store = _stored_once(tmp_path, capsys)
    for since, count in (("1h", 1), ("2000-01-01", 1), ("0500-01-01", 1),
                         ("2999-01-01T00:00:00Z", 0),
                         ("2999-01-01T00:00:00+05:00", 0)):
        code, doc, _ = _run(["changes", "--store", store, "--since", since], tmp_path, capsys)
        assert code == 0 and doc is not None and len(doc["changes"]) == count, since
    for bad in ("yesterday", "", "12x", "2026-13-01", "999999w", "9999-12-31T23:59:59-05:00"):
        code, doc, err = _run(["changes", "--store", store, "--since", bad], tmp_path, capsys)
        assert code == 3 and doc is None and "--since" in err, bad


def test_a_store_of_a_newer_schema_is_refused_before_anything_is_imported(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db, store = _stored_once(tmp_path, capsys)
    before = db.read_bytes()
    path = tmp_path / "store.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE meta SET value=? WHERE key='schema_version'",
                     (str(SCHEMA_VERSION + 1),))
    code, doc, err = _run(["db", "import", str(_feed(tmp_path, _osv("GHSA-cccc-cccc-cccc",
                                                                     "qs", "1.0.0"))),
                           "--db", str(db), "--store", store], tmp_path, capsys)
    assert code == 3 and doc is None and "newer" in err
    assert db.read_bytes() == before  # the DB was not replaced
    assert _run(["changes", "--store", store], tmp_path, capsys)[0] == 3


def test_report_options_without_a_store_are_a_usage_error(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RINGFENCE_STORE", raising=False)
    feed = _feed(tmp_path, _osv("GHSA-aaaa-aaaa-aaaa", "left-pad", "1.3.0"))
    assert main(["db", "import", str(feed), "--db", str(tmp_path / "db.sqlite"),
                 "--fail-on", "high"]) == 2
    assert not (tmp_path / "db.sqlite").exists()
    # RINGFENCE_STORE names the store as --store does
    monkeypatch.setenv("RINGFENCE_STORE", f"sqlite:///{tmp_path / 'env.sqlite'}")
    assert main(["db", "import", str(feed), "--db", str(tmp_path / "db.sqlite"), "-q",
                 "-f", "json", "-o", str(tmp_path / "r.json")]) == 0
    assert json.loads((tmp_path / "r.json").read_text())["store"] == str(tmp_path /
                                                                        "env.sqlite")


def test_v1_store_migrates_to_v2_keeping_its_records(tmp_path: Path) -> None:
    from ringfence.store.schema import ID_COLUMN

    path = tmp_path / "v1.sqlite"
    with sqlite3.connect(path) as conn:  # exactly what version 1 created
        for statement in MIGRATIONS[0]:
            conn.execute(statement.format(id=ID_COLUMN["sqlite"]))
        conn.executemany("INSERT INTO meta (key, value) VALUES (?, ?)",
                         [("schema_version", "1"), ("created_at", "2026-11-01T00:00:00Z")])
        conn.execute("INSERT INTO images (digest, kind, added_at) VALUES "
                     "('sha256:aa', 'sbom', '2026-11-01T00:00:00Z')")
    assert SCHEMA_VERSION >= 2
    with InventoryStore.open(f"sqlite:///{path}") as store:  # v1 -> v2 (-> later ones)
        assert store.schema_version() == SCHEMA_VERSION
        assert [r.digest for r in store.images()] == ["sha256:aa"]
    with sqlite3.connect(path) as conn:
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    assert {"change_sets_created", "changes_image"} <= names


def test_tables_name_each_change(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db, store = _stored_once(tmp_path, capsys)
    b = _osv("GHSA-bbbb-bbbb-bbbb", "left-pad", "9.0.0", "LOW")
    assert main(["db", "import", str(_feed(tmp_path, b)), "--db", str(db), "--store", store,
                 "-f", "table"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("re-matched 1 package(s) in 1 image(s) (0 whole) for 2 changed")
    assert "resolved  high      GHSA-aaaa-aaaa-aaaa" in out
    assert "2 change(s): 1 new, 1 resolved, 0 severity" in out
    assert main(["changes", "--store", store, "-f", "table"]) == 0
    out = capsys.readouterr().out
    assert "GHSA-aaaa-aaaa-aaaa" in out and "pkg:npm/left-pad@1.2.0" in out
    assert "3 change(s): 2 new, 1 resolved, 0 severity" in out


def test_a_failed_rematch_writes_no_half_change_set(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    db, store = _stored_once(tmp_path, capsys)
    with InventoryStore.open(store) as opened:
        before = opened.image(opened.images()[0].digest)
    real = InventoryStore._many

    def failing(self: InventoryStore, cur: Any, sql: str, rows: Any) -> None:
        if sql.startswith("INSERT INTO changes"):  # after findings were replaced
            raise sqlite3.OperationalError("disk I/O error (injected)")
        real(self, cur, sql, rows)

    monkeypatch.setattr(InventoryStore, "_many", failing)
    b = _osv("GHSA-bbbb-bbbb-bbbb", "left-pad", "9.0.0", "LOW")
    code, doc, err = _run(["db", "import", str(_feed(tmp_path, b)), "--db", str(db),
                           "--store", store], tmp_path, capsys)
    assert code == 3 and doc is None and "injected" in err
    monkeypatch.undo()
    with InventoryStore.open(store) as opened:
        assert opened.image(before.digest) == before  # findings and DB stamp as they were
        assert opened._rows("SELECT COUNT(*) FROM change_sets") == [(1,)]
    # the DB was replaced, the store not: the next re-match takes the image whole
    code, doc, _ = _run(["db", "import", str(_feed(tmp_path, b)), "--db", str(db),
                         "--store", store], tmp_path, capsys)
    assert code == 0 and doc is not None and len(doc["whole"]) == 1
    assert {(c["change"], c["advisory"]) for c in doc["changes"]} == {
        ("new", "GHSA-bbbb-bbbb-bbbb"), ("resolved", "GHSA-aaaa-aaaa-aaaa")}


def test_an_image_added_during_a_rematch_keeps_its_stamp(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from ringfence.store import changes as change_sets

    db, store = _stored_once(tmp_path, capsys)
    late = _sbom(tmp_path, "late", {"left-pad": "1.0.0"})
    code, added, _ = _run(["inventory", "add", f"sbom:{late}", "--store", store, "--db",
                           str(db)], tmp_path, capsys)
    assert code == 0 and added is not None
    digest = added["added"][0]["digest"]
    real = change_sets.matched_with

    def before_it_came(opened: InventoryStore) -> dict[str, str | None]:
        return {d: s for d, s in real(opened).items() if d != digest}

    monkeypatch.setattr(change_sets, "matched_with", before_it_came)
    a = _osv("GHSA-aaaa-aaaa-aaaa", "left-pad", "1.3.0")  # as it was
    b = _osv("GHSA-bbbb-bbbb-bbbb", "lodash", "1.0.0")  # touches neither image
    code, doc, _ = _run(["db", "import", str(_feed(tmp_path, a, b)), "--db", str(db),
                         "--store", store], tmp_path, capsys)
    assert code == 0 and doc is not None and doc["packages"] == 0
    monkeypatch.undo()
    with InventoryStore.open(store) as opened:
        stamps = change_sets.matched_with(opened)
    assert len(set(stamps.values())) == 2  # the late image still names the DB it was matched with
    code, doc, _ = _run(["db", "import", str(_feed(tmp_path, a, b)), "--db", str(db),
                         "--store", store], tmp_path, capsys)
    assert code == 0 and doc is not None and doc["whole"] == [digest]


def test_db_update_with_a_store_rematches_like_a_fresh_record(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        mirror: tuple[str, Any]) -> None:  # noqa: F811 - the fixture imported above
    """``db update --store`` (from a loopback mirror of crates.io) lists as new exactly what a
    fresh record of the same SBOM with the updated DB finds."""
    base, _ = mirror
    db, store = tmp_path / "db.sqlite", f"sqlite:///{tmp_path / 'store.sqlite'}"
    assert main(["db", "import", str(_feed(tmp_path, _osv("GHSA-aaaa-aaaa-aaaa", "left-pad",
                                                          "1.3.0"))), "--db", str(db)]) == 0
    bom = tmp_path / "cargo.cdx.json"
    bom.write_text(json.dumps({
        "bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
        "components": [{"type": "library", "name": n, "version": v, "purl": f"pkg:cargo/{n}@{v}",
                        "bom-ref": n} for n, v in (("smallvec", "0.6.5"), ("rand", "0.8.5"))]}))
    assert _run(["inventory", "add", f"sbom:{bom}", "--store", store, "--db", str(db)],
                tmp_path, capsys)[0] == 0
    code, doc, err = _run(["db", "update", "--url-base", base, "--source", "osv:crates.io",
                           "--db", str(db), "--store", store], tmp_path, capsys)
    assert code == 0 and doc is not None, err
    fresh = f"sqlite:///{tmp_path / 'fresh.sqlite'}"
    code, added, _ = _run(["inventory", "add", f"sbom:{bom}", "--store", fresh, "--db", str(db)],
                          tmp_path, capsys)
    assert code == 0 and added is not None
    code, shown, _ = _run(["inventory", "show", added["added"][0]["digest"], "--store", fresh],
                          tmp_path, capsys)
    assert code == 0 and shown is not None
    want = {(p["purl"], v["id"], v["severity"]) for p in shown["packages"]
            for v in p["vulnerabilities"]}
    assert len([x for x in want if x[0] == "pkg:cargo/smallvec@0.6.5"]) >= 2
    assert {(c["package"], c["advisory"], c["severity"]) for c in doc["changes"]} == want
    assert {c["change"] for c in doc["changes"]} == {"new"}


def test_the_gate_does_not_pass_on_a_missing_store_or_without_a_rematch(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = f"sqlite:///{tmp_path / 'typo.sqlite'}"
    code, doc, err = _run(["changes", "--store", missing, "--fail-on", "critical"], tmp_path,
                          capsys)
    assert code == 3 and doc is None and "no inventory store here" in err
    assert not (tmp_path / "typo.sqlite").exists()
    _, store = _stored_once(tmp_path, capsys)  # one re-match, one new high finding
    assert _run(["changes", "--store", store, "--fail-on", "critical"], tmp_path, capsys)[0] == 0
    # a window no re-match ran in: listed (exit 0), but a gate on it cannot pass
    later = ["changes", "--store", store, "--since", "2999-01-01"]
    code, doc, err = _run(later, tmp_path, capsys)
    assert code == 0 and doc is not None and doc["change_sets"] == 0
    code, doc, err = _run([*later, "--fail-on", "critical"], tmp_path, capsys)
    assert code == 3 and "no re-match recorded since 2999-01-01T00:00:00Z" in err

"""The security-response story (issue 13, scope 2), with SQLite and a real PostgreSQL:
import an older slice of the advisory data the tests carry (records held out by their
modification date), record the three fixture images, import the rest with ``--store``.
The change set must list exactly the difference between ``ringfence image`` from scratch
with the full DB and with the older slice -- new, resolved and re-rated findings, per image.
Then a crafted modification of two PyPI records (one re-rated, one fixed before the
installed version) is checked the same way against a from-scratch scan with the crafted DB;
``changes`` lists it and ``--notify`` delivers it to a loopback server.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import zipfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from ringfence.cli.main import main
from ringfence.schemas import schema_for
from ringfence.vulndb.build import import_paths
from tests.integration.postgres_support import create_database, postgres_server
from tests.integration.test_store import IMAGES, SOURCES

CUTOFF = "2026-01-01"  # OSV records modified from then on are held out
LIST_CUTOFF = "2022-10-01"  # DSA/DLA entries issued from then on (the lists end in 2023)
_DATED = re.compile(r"^\[(\d{2} \w{3} \d{4})\] ")
Finding = tuple[str, str, str]  # (image digest, package purl, advisory id)


def _older_osv(src: Path, dst: Path) -> int:
    held = 0
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for name in zin.namelist():
            body = zin.read(name)
            if json.loads(body).get("modified", "") >= CUTOFF:
                held += 1
                continue
            zout.writestr(name, body)
    return held


def _older_list(src: Path, dst: Path) -> int:
    """A DSA/DLA list without the entries issued from LIST_CUTOFF on (an entry: a dated line
    and its indented lines)."""
    out: list[str] = []
    keep, held = True, 0
    for line in src.read_text().splitlines(keepends=True):
        m = _DATED.match(line)
        if m:
            issued = datetime.strptime(m[1], "%d %b %Y").strftime("%Y-%m-%d")
            keep = issued < LIST_CUTOFF
            held += not keep
        if keep:
            out.append(line)
    dst.write_text("".join(out))
    return held


@pytest.fixture(scope="module")
def feeds(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Path]]:
    """The full inputs and the older slice (same file names, so the same source names)."""
    root = tmp_path_factory.mktemp("older")
    full = [data_dir / "advisories" / s for s in SOURCES]
    older: list[Path] = []
    held = 0
    for path in full:
        (root / path.parent.name).mkdir(exist_ok=True)
        dst = root / path.parent.name / path.name
        if path.suffix == ".zip":
            held += _older_osv(path, dst)
        elif path.name.endswith("-list"):
            held += _older_list(path, dst)
        else:
            shutil.copy(path, dst)
        older.append(dst)
    assert held > 1000  # a real slice, not a no-op
    return {"full": full, "older": older}


@pytest.fixture(scope="module")
def dbs(feeds: dict[str, list[Path]], tmp_path_factory: pytest.TempPathFactory
        ) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("dbs")
    out = {}
    for name in ("older", "full"):
        out[name] = root / f"{name}.sqlite"
        import_paths(feeds[name], out[name])
    return out


def _scan(ref: str, db: Path, tmp: Path) -> dict[str, Any]:
    path = tmp / "scan.json"
    code = main(["image", ref, "--db", str(db), "--no-cache", "--scanners", "vuln", "-q",
                 "-f", "json", "-o", str(path)])
    assert code == 0, ref
    return json.loads(path.read_text())


def _findings(doc: dict[str, Any]) -> dict[Finding, str]:
    digest = doc["target"]["digest"]
    return {(digest, v["purl"], v["id"]): v["severity"] for v in doc["vulnerabilities"]}


@pytest.fixture(scope="module")
def scratch(images_dir: Path, dbs: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
            ) -> dict[str, dict[str, dict[str, Any]]]:
    """``ringfence image`` from scratch of every fixture image with each DB."""
    tmp = tmp_path_factory.mktemp("scratch")
    return {db: {name: _scan(ref.format(d=images_dir), path, tmp)
                 for name, ref in IMAGES.items()} for db, path in dbs.items()}


@pytest.fixture(scope="module")
def pg_socket() -> Iterator[str]:
    with postgres_server() as sock:
        yield sock


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.sqlite'}"
    return create_database(request.getfixturevalue("pg_socket"), "story")


def _run(argv: list[str], tmp: Path) -> tuple[int, dict[str, Any] | None]:
    out = tmp / "out.json"
    out.unlink(missing_ok=True)
    code = main([*argv, "-q", "-f", "json", "-o", str(out)])
    doc = json.loads(out.read_text()) if out.exists() else None
    if doc is not None:
        schema = schema_for(doc)
        assert schema is not None
        jsonschema.Draft202012Validator(schema).validate(doc)
    return code, doc


def _expected(before: dict[Finding, str], after: dict[Finding, str]
              ) -> set[tuple[str, str, str, str, str | None]]:
    """(change, image, package, advisory, severity / old->new) of the scan difference."""
    out = {("new", *k, after[k]) for k in after.keys() - before.keys()}
    out |= {("resolved", *k, before[k]) for k in before.keys() - after.keys()}
    out |= {("severity", *k, f"{before[k]}->{after[k]}") for k in before.keys() & after.keys()
            if before[k] != after[k]}
    return out


def _got(doc: dict[str, Any]) -> set[tuple[str, str, str, str, str | None]]:
    return {(c["change"], c["image"], c["package"], c["advisory"],
             f"{c['old_severity']}->{c['severity']}" if c["change"] == "severity"
             else c["severity"]) for c in doc["changes"]}


def _all(scans: dict[str, dict[str, Any]]) -> dict[Finding, str]:
    return {k: v for doc in scans.values() for k, v in _findings(doc).items()}


def _crafted(full_zip: Path, dst: Path, pick: dict[str, set[str]]) -> None:
    """PyPI.zip with the records of ``pick["fix"]`` fixed at 0.0.1 (before any installed
    version) and those of ``pick["rate"]`` re-rated (their vectors dropped, labelled LOW
    or CRITICAL, whichever differs)."""
    with zipfile.ZipFile(full_zip) as zin, zipfile.ZipFile(dst, "w") as zout:
        for name in zin.namelist():
            doc = json.loads(zin.read(name))
            ids = {doc["id"], *doc.get("aliases", ())}
            if ids & pick["fix"]:
                for entry in doc.get("affected", ()):
                    entry.pop("versions", None)
                    entry["ranges"] = [{"type": "ECOSYSTEM", "events": [
                        {"introduced": "0"}, {"fixed": "0.0.1"}]}]
            if ids & pick["rate"]:
                doc.pop("severity", None)
                for entry in doc.get("affected", ()):
                    entry.pop("severity", None)
                    entry.pop("ecosystem_specific", None)
                    entry.pop("database_specific", None)
                doc["database_specific"] = {"severity": next(iter(pick["label"]))}
            zout.writestr(name, json.dumps(doc))


def test_changes_are_exactly_what_the_new_records_add(
        store_url: str, images_dir: Path, feeds: dict[str, list[Path]], dbs: dict[str, Path],
        scratch: dict[str, dict[str, dict[str, Any]]], tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite"
    shutil.copy(dbs["older"], db)
    refs = [ref.format(d=images_dir) for ref in IMAGES.values()]
    code, added = _run(["inventory", "add", *refs, "--store", store_url, "--db", str(db),
                        "--no-cache"], tmp_path)
    assert code == 0 and added is not None
    code, doc = _run(["db", "import", *map(str, feeds["full"]), "--db", str(db),
                      "--store", store_url], tmp_path)
    assert code == 0 and doc is not None
    want = _expected(_all(scratch["older"]), _all(scratch["full"]))
    assert len([w for w in want if w[0] == "new"]) >= 10  # the slice hides real findings
    assert _got(doc) == want
    assert doc["whole"] == [] and doc["advisories_changed"] > 1000
    # only what the changed advisories name was re-matched, not every stored package
    total = sum(len(d["packages"]) for d in scratch["full"].values())
    assert 0 < doc["packages"] < total
    # `changes` lists it with each image's refs; --fail-on gates on the new findings
    code, listed = _run(["changes", "--store", store_url], tmp_path)
    assert code == 0 and listed is not None and _got(listed) == want
    by_digest = {a["digest"]: a["ref"] for a in added["added"]}
    assert all(c["refs"] == [by_digest[c["image"]]] for c in listed["changes"])
    worst = max((w[4] for w in want if w[0] == "new"),
                key=["unknown", "low", "medium", "high", "critical"].index)
    assert _run(["changes", "--store", store_url, "--fail-on", worst], tmp_path)[0] == 1

    # a crafted modification: one finding of bookworm-py resolved, another re-rated
    py = _findings(scratch["full"]["bookworm-py"])
    others = {k[2] for name, d in scratch["full"].items() if name != "bookworm-py"
              for k in _findings(d)}
    pypi = sorted(k for k in py if k[1].startswith("pkg:pypi/") and k[2] not in others)
    assert len(pypi) >= 2
    vulns = {(v["purl"], v["id"]): v for v in scratch["full"]["bookworm-py"]["vulnerabilities"]}
    fix = vulns[(pypi[0][1], pypi[0][2])]
    fix_ids = {fix["id"], *fix["aliases"]}
    # another package's finding, sharing no id with the fixed one
    rate_key = next(k for k in pypi if k[1] != pypi[0][1]
                    and not {k[2], *vulns[(k[1], k[2])]["aliases"]} & fix_ids)
    rate = vulns[(rate_key[1], rate_key[2])]
    label = "LOW" if rate["severity"] != "low" else "CRITICAL"
    crafted = tmp_path / "crafted" / "PyPI.zip"
    crafted.parent.mkdir()
    _crafted(feeds["full"][0], crafted, {"fix": fix_ids,
                                         "rate": {rate["id"], *rate["aliases"]},
                                         "label": {label}})
    code, doc = _run(["db", "import", str(crafted), "--db", str(db), "--store", store_url],
                     tmp_path)
    assert code == 0 and doc is not None
    after = _findings(_scan(IMAGES["bookworm-py"].format(d=images_dir), db, tmp_path))
    want = _expected(py, after)
    assert ("resolved", *pypi[0], fix["severity"]) in want
    assert ("severity", *rate_key, f"{rate['severity']}->{label.lower()}") in want
    assert _got(doc) == want and doc["advisories_changed"] >= 2
    assert doc["packages"] >= 2 and doc["images"] == 1  # the two packages of bookworm-py
    # the nightly job: changes since the crafted import, POSTed to a receiver
    from tests.unit.respond.test_rematch import _Receiver

    receiver = _Receiver()
    try:
        code, listed = _run(["changes", "--store", store_url, "--since", doc["at"],
                             "--notify", receiver.url], tmp_path)
    finally:
        receiver.stop()
    assert code == 0 and listed is not None and _got(listed) == want
    assert [r["body"] for r in receiver.received] == [listed]


def test_the_slice_is_held_out_by_date(feeds: dict[str, list[Path]]) -> None:
    """The older slice only lacks records: none of it is newer than the cutoff."""
    with zipfile.ZipFile(feeds["older"][0]) as z:
        assert all(json.load(io.BytesIO(z.read(n))).get("modified", "") < CUTOFF
                   for n in z.namelist())

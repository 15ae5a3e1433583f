"""``ringfence compare`` (issue 13, scope 5) on SBOMs and advisories built here: packages
added, removed and changed (copies of one package paired by version), vulnerabilities
introduced and fixed against one database, the 80-column table (hostile names made
printable), without a database, from the store by digest, and --fail-on."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from packageurl import PackageURL

from ringfence.cli.main import main
from ringfence.schemas import schema_for


def _sbom(tmp: Path, name: str, components: list[tuple[str, str, str, str]]) -> Path:
    """components: (purl type, name, version, location)."""
    path = tmp / f"{name}.cdx.json"
    path.write_text(json.dumps({
        "bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
        "metadata": {"component": {"type": "application", "name": name}},
        "components": [{"type": "library", "name": n, "version": v,
                        "purl": PackageURL(type=t, name=n, version=v).to_string(),
                        "bom-ref": f"{i}", "properties": [
                            {"name": "syft:location:0:path", "value": loc}]}
                       for i, (t, n, v, loc) in enumerate(components)]}))
    return path


def _db(tmp: Path) -> Path:
    feed = tmp / "feed"
    feed.mkdir()
    for ident, name, fixed, sev in (("GHSA-aaaa-aaaa-aaaa", "lodash", "4.17.21", "CRITICAL"),
                                    ("GHSA-bbbb-bbbb-bbbb", "minimist", "1.2.6", "LOW"),
                                    ("GHSA-cccc-cccc-cccc", "express", "4.19.0", "HIGH")):
        (feed / f"{ident}.json").write_text(json.dumps({
            "id": ident, "modified": "2026-11-01T00:00:00Z",
            "database_specific": {"severity": sev},
            "affected": [{"package": {"ecosystem": "npm", "name": name}, "ranges": [
                {"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": fixed}]}]}]}))
    db = tmp / "db.sqlite"
    assert main(["db", "import", str(feed), "--db", str(db)]) == 0
    return db


def _json(argv: list[str], tmp: Path) -> tuple[int, dict[str, Any]]:
    out = tmp / "out.json"
    out.unlink(missing_ok=True)
    code = main([*argv, "-q", "-f", "json", "-o", str(out)])
    doc = json.loads(out.read_text()) if out.exists() else {}
    if doc:
        schema = schema_for(doc)
        assert schema is not None
        jsonschema.Draft202012Validator(schema).validate(doc)
    return code, doc


HOSTILE = "evil\x1b[2J\rname"


def _pair(tmp: Path) -> tuple[Path, Path]:
    old = _sbom(tmp, "old", [("npm", "lodash", "4.17.21", "/a/lodash"),
                             ("npm", "minimist", "1.2.0", "/a/minimist"),
                             ("npm", "left-pad", "1.0.0", "/a/left-pad"),
                             ("npm", "ms", "2.0.0", "/a/ms"), ("npm", "ms", "2.1.0", "/b/ms")])
    new = _sbom(tmp, "new", [("npm", "lodash", "4.17.0", "/a/lodash"),
                             ("npm", "minimist", "1.2.6", "/a/minimist"),
                             ("npm", "express", "4.0.0", "/a/express"),
                             ("npm", HOSTILE, "1.0.0", "/a/evil"),
                             ("npm", "ms", "2.1.0", "/a/ms"), ("npm", "ms", "2.1.3", "/b/ms")])
    return old, new


def test_compare_packages_and_vulnerabilities(tmp_path: Path) -> None:
    db = _db(tmp_path)
    old, new = _pair(tmp_path)
    code, doc = _json(["compare", f"sbom:{old}", f"sbom:{new}", "--db", str(db)], tmp_path)
    assert code == 0
    pk = doc["packages"]
    assert sorted(p["name"] for p in pk["added"]) == sorted(["express", HOSTILE])
    assert [p["name"] for p in pk["removed"]] == ["left-pad"]
    # ms 2.1.0 is in both (cancels); 2.0.0 -> 2.1.3 is the change
    assert sorted((c["name"], c["from"], c["to"]) for c in pk["changed"]) == [
        ("lodash", "4.17.21", "4.17.0"), ("minimist", "1.2.0", "1.2.6"), ("ms", "2.0.0", "2.1.3")]
    vu = doc["vulnerabilities"]
    assert sorted(v["id"] for v in vu["introduced"]) == ["GHSA-aaaa-aaaa-aaaa",
                                                         "GHSA-cccc-cccc-cccc"]
    assert [v["id"] for v in vu["fixed"]] == ["GHSA-bbbb-bbbb-bbbb"]
    assert _json(["compare", f"sbom:{old}", f"sbom:{new}", "--db", str(db), "--fail-on",
                  "critical"], tmp_path)[0] == 1
    # the other way round: what was introduced is fixed
    code, back = _json(["compare", f"sbom:{new}", f"sbom:{old}", "--db", str(db),
                        "--fail-on", "low"], tmp_path)
    assert code == 1  # GHSA-bbbb (low) is introduced going back
    assert [v["id"] for v in back["vulnerabilities"]["introduced"]] == ["GHSA-bbbb-bbbb-bbbb"]


def test_compare_table_is_80_columns_and_printable(tmp_path: Path) -> None:
    db = _db(tmp_path)
    old, new = _pair(tmp_path)
    out = tmp_path / "cmp.txt"
    assert main(["compare", f"sbom:{old}", f"sbom:{new}", "--db", str(db), "-q", "-f",
                 "table", "-o", str(out)]) == 0
    text = out.read_text()
    assert max(len(x) for x in text.splitlines()) <= 80
    assert "\x1b" not in text and "\r" not in text
    assert "packages: 2 added, 1 removed, 3 changed" in text
    assert "vulnerabilities: 2 introduced, 1 fixed" in text


def test_compare_without_a_database_and_from_the_store(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("XDG_DATA_HOME", "XDG_CACHE_HOME"):  # no default database
        monkeypatch.setenv(var, str(tmp_path / var))
    old, new = _pair(tmp_path)
    store = f"sqlite:///{tmp_path / 'store.sqlite'}"
    code, added = _json(["inventory", "add", f"sbom:{old}", f"sbom:{new}", "--store", store],
                        tmp_path)
    assert code == 0
    a, b = (x["digest"] for x in added["added"])
    code, doc = _json(["compare", a, b, "--store", store, "--db",
                       str(tmp_path / "none.sqlite")], tmp_path)
    assert code == 3  # a --db that is not there is an error, not "no vulnerabilities"
    code, doc = _json(["compare", a, f"sbom:{new}", "--store", store, "--strict"], tmp_path)
    assert code == 4  # no default database: vulnerabilities not compared, an unknown
    assert doc["vulnerabilities"] is None and doc["images"][0]["stored"] is True
    assert len(doc["packages"]["changed"]) == 3
    assert _json(["compare", "sha256:" + "1" * 64, a, "--store", store], tmp_path)[0] == 3

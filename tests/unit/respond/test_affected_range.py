"""``affected PURL@vers:TYPE/RANGE`` (issue 13, scope 3): purl-spec's vers ranges compared
with the schemes matching uses (not as strings), the spec's evaluation (``=``, ``!=``,
disjoint intervals, ``*``), malformed ranges refused (exit 3) and stored versions the
scheme cannot parse reported as Unknowns (exit 4 under --strict), on a store of SBOMs
built here."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from packageurl import PackageURL

from ringfence.cli.main import main
from ringfence.errors import InputError
from ringfence.respond.affected_range import parse, split
from ringfence.schemas import schema_for


@pytest.mark.parametrize(("vers", "inside", "outside"), [
    ("vers:pypi/>=2.0|<2.31", ["2.0", "2.19.1", "2.30.99"], ["1.9", "2.31.0", "2.0rc1"]),
    # in string order "1.10" < "1.9": the range would hold nothing
    ("vers:pypi/>=1.9|<1.10", ["1.9", "1.9.5"], ["1.10", "1.8", "1.10.0"]),
    ("vers:npm/<1.0.0|>=2.0.0", ["0.9.0", "2.1.0", "10.0.0"], ["1.0.0", "1.5.0"]),
    ("vers:npm/>1.0.0|<=1.2.0|>=3.0.0", ["1.0.1", "1.2.0", "3.0.0"], ["1.0.0", "2.0.0"]),
    ("vers:pypi/!=2.1.0|>=2.0.0", ["2.0.0", "2.2.0"], ["2.1.0", "2.1", "1.0"]),
    ("vers:pypi/1.0|=2.0", ["1.0", "1.0.0", "2.0"], ["1.5"]),
    ("vers:deb/>=1:1.0~rc1|<1:1.0", ["1:1.0~rc1", "1:1.0~rc2"], ["1:1.0", "1.5", "1:0.9"]),
    ("vers:npm/*", ["0.0.1", "99.0.0"], []),
    ("vers:npm/>=1.0.0-rc.1%2Bb1", ["1.0.0-rc.1", "1.0.0"], ["0.9.0", "1.0.0-beta"]),
])
def test_range_membership(vers: str, inside: list[str], outside: list[str]) -> None:
    rng = parse(vers, vers.split(":", 1)[1].split("/", 1)[0])
    assert [v for v in inside if not rng.contains(v)] == []
    assert [v for v in outside if rng.contains(v)] == []


@pytest.mark.parametrize(("vers", "purl_type", "why"), [
    ("vers:npm/>=1.0.0", "pypi", "is not the package's type"),
    ("vers:cran/>=1.0", "cran", "no version scheme"),
    ("vers:pypi/>=1.0|>=2.0", "pypi", "alternate"),
    ("vers:pypi/<1.0|<2.0", "pypi", "alternate"),
    ("vers:pypi/>=1.0|<1.0.0", "pypi", "constrained twice"),
    ("vers:pypi/>=", "pypi", "has no version"),
    ("vers:pypi/>=1.0|*", "pypi", "has no version"),
    ("vers:pypi/>=not a version!", "pypi", "not a version range"),
    ("vers:pypi", "pypi", "SCHEME/CONSTRAINTS"),
])
def test_malformed_ranges_are_refused(vers: str, purl_type: str, why: str) -> None:
    with pytest.raises(InputError, match=why):
        parse(vers, purl_type)


def test_split() -> None:
    assert split("pkg:pypi/requests@vers:pypi/>=2") == ("pkg:pypi/requests", "vers:pypi/>=2")
    assert split("pkg:pypi/requests@2.0") == ("pkg:pypi/requests@2.0", None)


def _sbom(tmp: Path, name: str, version: str) -> Path:
    path = tmp / f"{name}.cdx.json"
    purl = PackageURL(type="pypi", name="requests", version=version).to_string()
    path.write_text(json.dumps({
        "bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
        "metadata": {"component": {"type": "application", "name": name}},
        "components": [{"type": "library", "name": "requests", "version": version,
                        "purl": purl, "bom-ref": "r"},
                       {"type": "library", "name": "six", "version": "1.0.0",
                        "purl": "pkg:pypi/six@1.0.0", "bom-ref": "s"}]}))
    return path


def _affected(argv: list[str], tmp: Path) -> tuple[int, dict[str, Any]]:
    out = tmp / "out.json"
    out.unlink(missing_ok=True)
    code = main(["affected", *argv, "-q", "-f", "json", "-o", str(out)])
    doc = json.loads(out.read_text()) if out.exists() else {}
    if doc:
        schema = schema_for(doc)
        assert schema is not None
        jsonschema.Draft202012Validator(schema).validate(doc)
    return code, doc


def test_affected_by_purl_range_through_the_store(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'store.sqlite'}"
    versions = {"old": "1.9", "mid": "2.19.1", "new": "2.31.0", "odd": "2.x-custom"}
    sboms = {k: _sbom(tmp_path, k, v) for k, v in versions.items()}
    assert main(["inventory", "add", *(f"sbom:{p}" for p in sboms.values()), "--store",
                 store, "-q", "-f", "json", "-o", str(tmp_path / "add.json")]) == 0
    digests = {d["ref"].split("/")[-1].split(".")[0]: d["digest"]
               for d in json.loads((tmp_path / "add.json").read_text())["added"]}
    code, doc = _affected(["pkg:pypi/requests@vers:pypi/>=2.0|<2.31", "--store", store],
                          tmp_path)
    assert code == 0
    assert {r["digest"] for r in doc["affected"]} == {digests["mid"]}
    assert doc["images"] == 1
    assert [u["reason"] for u in doc["unknowns"]] == [
        f"pkg:pypi/requests@2.x-custom: not compared with vers:pypi/>=2.0|<2.31: "
        f"{doc['unknowns'][0]['reason'].split(': ', 2)[2]}"]
    assert _affected(["pkg:pypi/requests@vers:pypi/>=2.0|<2.31", "--store", store,
                      "--strict"], tmp_path)[0] == 4
    code, doc = _affected(["pkg:pypi/requests@vers:pypi/<2.0|>=2.31", "--store", store],
                          tmp_path)
    assert {r["digest"] for r in doc["affected"]} == {digests["old"], digests["new"]}
    code, doc = _affected(["pkg:pypi/requests", "--store", store], tmp_path)
    assert code == 0 and len({r["digest"] for r in doc["affected"]}) == 4
    code, doc = _affected(["pkg:pypi/requests@2.19.1", "--store", store], tmp_path)
    assert {r["digest"] for r in doc["affected"]} == {digests["mid"]}
    assert _affected(["pkg:pypi/requests@vers:npm/>=2.0", "--store", store], tmp_path)[0] == 3
    assert _affected(["pkg:pypi/requests@vers:pypi/>=2|>=3", "--store", store],
                     tmp_path)[0] == 3

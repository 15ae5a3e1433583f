"""``ringfence fix`` (issue 13, scope 4) on synthetic advisories and SBOMs built here: the
smallest version clearing *every* advisory (not the largest first fix, not in string
order), "no fix" where ranges leave none, the plan's order, the script's commands (run
against stand-in package managers that log their argv, hostile names included), base-image
advice from stored layer prefixes, and bad input."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from ringfence.cli.main import main
from ringfence.model.advisory import Affected, AffectedRange, Event
from ringfence.respond.remediation import smallest_clearing
from ringfence.respond.remediation_base import advise
from ringfence.schemas import schema_for
from ringfence.store.db import InventoryStore
from ringfence.store.record import ImageRecord, StoredFinding, StoredLayer
from ringfence.vulndb.versions.registry import compare_for

SEMVER = compare_for("npm")
DPKG = compare_for("Debian:12")


def _aff(ident: str, *ranges: list[tuple[str, str]], status: str = "") -> Affected:
    return Affected(ident, "npm", "x", tuple(
        AffectedRange("SEMVER", tuple(Event(k, v) for k, v in r)) for r in ranges),
        status=status)


def test_smallest_version_clearing_every_advisory_not_the_largest_first_fix() -> None:
    # A is fixed in 1.5.0; B is fixed in 1.3.0 but re-introduced in 1.4.0 until 1.6.0:
    # the largest first fix (1.5.0) is still vulnerable to B
    a = _aff("A", [("introduced", "0"), ("fixed", "1.5.0")])
    b = _aff("B", [("introduced", "0"), ("fixed", "1.3.0")],
             [("introduced", "1.4.0"), ("fixed", "1.6.0")])
    assert smallest_clearing("1.0.0", [a, b], SEMVER) == ("1.6.0", ())
    assert smallest_clearing("1.0.0", [a], SEMVER) == ("1.5.0", ())


def test_candidates_are_ordered_by_the_scheme_not_as_strings() -> None:
    # in string order 1.10.0 < 1.9.0; the scheme puts 1.9.0 first and it clears both
    a = _aff("A", [("introduced", "0"), ("fixed", "1.9.0")],
             [("introduced", "1.9.5"), ("fixed", "1.10.0")])
    b = _aff("B", [("introduced", "0"), ("fixed", "1.9.0")])
    assert smallest_clearing("1.0.0", [a, b], SEMVER) == ("1.9.0", ())
    # dpkg: an epoch and a tilde; 1:1.0 is above every 0:… and 2.0~rc1 below 2.0
    c = Affected("C", "Debian:12", "x", (AffectedRange("ECOSYSTEM", (
        Event("introduced", "0"), Event("fixed", "2.0~rc1"))),))
    d = Affected("D", "Debian:12", "x", (AffectedRange("ECOSYSTEM", (
        Event("introduced", "0"), Event("fixed", "2.0"))),))
    assert smallest_clearing("1.5-1", [c, d], DPKG) == ("2.0", ())
    assert smallest_clearing("1.5-1", [c], DPKG) == ("2.0~rc1", ())


def test_no_fix_when_ranges_leave_none() -> None:
    fixed = _aff("A", [("introduced", "0"), ("fixed", "2.0.0")])
    last = _aff("B", [("introduced", "0"), ("last_affected", "3.0.0")])
    assert smallest_clearing("1.0.0", [fixed, last], SEMVER) == (None, ("B",))
    unfixed = _aff("C", status="unfixed")
    assert smallest_clearing("1.0.0", [fixed, unfixed], SEMVER) == (None, ("C",))
    # a fix below the installed version is no candidate; a limit ends a range
    old = _aff("D", [("introduced", "0"), ("fixed", "0.5.0")], [("introduced", "0.9.0")])
    assert smallest_clearing("1.0.0", [old], SEMVER) == (None, ("D",))
    limited = _aff("E", [("introduced", "0"), ("limit", "4.0.0")])
    assert smallest_clearing("1.0.0", [limited], SEMVER) == ("4.0.0", ())


# -- through the CLI ---------------------------------------------------------------------

def _osv(ident: str, eco: str, name: str, events: list[dict[str, str]],
         severity: str = "HIGH") -> dict[str, Any]:
    return {"id": ident, "modified": "2026-11-01T00:00:00Z",
            "database_specific": {"severity": severity},
            "affected": [{"package": {"ecosystem": eco, "name": name},
                          "ranges": [{"type": "ECOSYSTEM", "events": events}]}]}


def _db(tmp: Path, *docs: dict[str, Any]) -> Path:
    feed = tmp / "feed"
    feed.mkdir()
    for doc in docs:
        (feed / f"{doc['id']}.json").write_text(json.dumps(doc))
    db = tmp / "db.sqlite"
    assert main(["db", "import", str(feed), "--db", str(db)]) == 0
    return db


def _sbom(tmp: Path, name: str, components: list[tuple[str, str, str]]) -> Path:
    """components: (purl type, name, version)."""
    from packageurl import PackageURL

    path = tmp / f"{name}.cdx.json"
    path.write_text(json.dumps({
        "bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
        "metadata": {"component": {"type": "application", "name": name}},
        "components": [{"type": "library", "name": n, "version": v,
                        "purl": PackageURL(type=t, name=n, version=v).to_string(),
                        "bom-ref": f"{t}/{n}@{v}"} for t, n, v in components]}))
    return path


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


HOSTILE = "$(touch pwned)"


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))  # no default store
    monkeypatch.delenv("RINGFENCE_STORE", raising=False)
    db = _db(tmp_path,
             _osv("GHSA-1111-1111-1111", "PyPI", "requests",
                  [{"introduced": "0"}, {"fixed": "2.20.0"}], "MEDIUM"),
             _osv("GHSA-2222-2222-2222", "PyPI", "requests",
                  [{"introduced": "0"}, {"fixed": "2.31.0"}], "HIGH"),
             _osv("GHSA-3333-3333-3333", "PyPI", "requests",
                  [{"introduced": "2.0.0"}, {"fixed": "2.26.0"}], "LOW"),
             _osv("GHSA-4444-4444-4444", "npm", "lodash",
                  [{"introduced": "0"}, {"fixed": "4.17.21"}], "CRITICAL"),
             _osv("GHSA-5555-5555-5555", "npm", "left-pad",
                  [{"introduced": "0"}, {"last_affected": "1.3.0"}], "HIGH"),
             _osv("GHSA-6666-6666-6666", "npm", HOSTILE,
                  [{"introduced": "0"}, {"fixed": "2.0.0"}], "LOW"))
    sbom = _sbom(tmp_path, "app", [("pypi", "requests", "2.19.1"), ("npm", "lodash", "4.17.0"),
                                   ("npm", "left-pad", "1.2.0"), ("npm", HOSTILE, "1.0.0"),
                                   ("npm", "minimist", "1.2.0")])
    return db, sbom


def test_fix_plan_json_ordered_by_findings_cleared(world: tuple[Path, Path],
                                                    tmp_path: Path) -> None:
    db, sbom = world
    code, doc = _json(["fix", f"sbom:{sbom}", "--db", str(db)], tmp_path)
    assert code == 0
    plan = [(u["package"], u["installed"], u["target"], u["cleared"]) for u in doc["upgrades"]]
    assert plan == [("requests", "2.19.1", "2.31.0", 3), ("lodash", "4.17.0", "4.17.21", 1),
                    (HOSTILE, "1.0.0", "2.0.0", 1), ("left-pad", "1.2.0", None, 0)]
    assert doc["findings"] == 6 and doc["cleared"] == 5
    assert doc["upgrades"][-1]["blocking"] == ["GHSA-5555-5555-5555"]
    assert doc["base"] is None  # no store named, none by default
    code, _ = _json(["fix", f"sbom:{sbom}", "--db", str(db), "--fail-on", "critical"],
                    tmp_path)
    assert code == 1


def test_fix_script_runs_the_ecosystems_commands_and_quotes_hostile_names(
        world: tuple[Path, Path], tmp_path: Path) -> None:
    db, sbom = world
    out = tmp_path / "fix.sh"
    assert main(["fix", f"sbom:{sbom}", "--db", str(db), "-q", "-f", "script",
                 "-o", str(out)]) == 0
    text = out.read_text()
    assert "# no fix: pkg:npm/left-pad@1.2.0" in text
    assert "# skipped" in text and "touch" in text  # named in a comment, not run
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "argv.log"
    for tool in ("pip", "npm", "apt-get", "apk", "dnf"):
        fake = bin_dir / tool
        fake.write_text(f'#!/bin/sh\nprintf "%s\\n" "{tool} $*" >> {log}\n')
        fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    work = tmp_path / "run"
    work.mkdir()
    subprocess.run(["sh", str(out)], cwd=work, check=True,
                   env={**os.environ, "PATH": f"{bin_dir}:/usr/bin:/bin"})
    assert log.read_text().splitlines() == ["pip install requests==2.31.0",
                                            "npm install lodash@4.17.21"]
    assert not (work / "pwned").exists() and not (tmp_path / "pwned").exists()


def test_fix_table_fits_80_columns(world: tuple[Path, Path], tmp_path: Path) -> None:
    db, sbom = world
    out = tmp_path / "fix.txt"
    assert main(["fix", f"sbom:{sbom}", "--db", str(db), "-q", "-f", "table",
                 "-o", str(out)]) == 0
    lines = out.read_text().splitlines()
    assert max(len(x) for x in lines) <= 80
    assert any("no version clears GHSA-5555-5555-5555" in x for x in lines)


def test_fix_bad_input_is_exit_3(world: tuple[Path, Path], tmp_path: Path) -> None:
    db, sbom = world
    store = f"sqlite:///{tmp_path / 'store.sqlite'}"
    missing = "sha256:" + "0" * 64
    assert _json(["fix", missing, "--db", str(db), "--store", store], tmp_path)[0] == 3
    assert _json(["fix", f"sbom:{sbom}", "--db", str(tmp_path / "nope.sqlite")],
                 tmp_path)[0] == 3
    assert _json(["fix", f"sbom:{sbom}", "--db", str(db), "--store",
                  "postgresql:///x?host=/nonexistent&connect_timeout=1"], tmp_path)[0] == 3


def test_fix_of_a_stored_image_by_digest(world: tuple[Path, Path], tmp_path: Path) -> None:
    db, sbom = world
    store = f"sqlite:///{tmp_path / 'store.sqlite'}"
    code, added = _json(["inventory", "add", f"sbom:{sbom}", "--store", store, "--db",
                         str(db)], tmp_path)
    assert code == 0
    digest = added["added"][0]["digest"]
    code, doc = _json(["fix", digest, "--db", str(db), "--store", store], tmp_path)
    assert code == 0 and doc["image"]["stored"] is True
    assert [(u["package"], u["target"]) for u in doc["upgrades"]][:2] == [
        ("requests", "2.31.0"), ("lodash", "4.17.21")]
    assert doc["base"] == {"image": None, "candidates": []}  # an SBOM has no layers


# -- base-image advice ---------------------------------------------------------------------

def _image(n: int, layers: list[str], distro: str, findings: int) -> ImageRecord:
    return ImageRecord(
        digest=f"sha256:{n:064x}", kind="image", ref=f"example/{n}:latest",
        distro={"id": distro, "version_id": "1"},
        layers=tuple(StoredLayer(f"sha256:{x * 64}", f"sha256:{x * 64}", 1) for x in layers),
        findings=tuple(StoredFinding(0, f"CVE-2026-{i:04}", (), "HIGH", (), "fixed")
                       for i in range(findings)))


def test_base_is_the_longest_stored_layer_prefix_and_candidates_have_fewer_findings(
        tmp_path: Path) -> None:
    with InventoryStore.open(f"sqlite:///{tmp_path / 'store.sqlite'}") as store:
        store.add(_image(1, ["a"], "debian", 9),            # the root of the base
                  _image(2, ["a", "b"], "debian", 7),       # the base (longest prefix)
                  _image(3, ["a", "b", "c"], "debian", 8),  # the image itself
                  _image(4, ["d"], "debian", 3),            # an alternative
                  _image(5, ["e", "f"], "debian", 7),       # not fewer than the base
                  _image(6, ["g"], "alpine", 0),            # another distro
                  _image(7, ["a", "b", "x"], "debian", 1),  # a sibling on the same base
                  _image(8, ["a", "b", "c", "y"], "debian", 0))  # built on the image
        advice = advise(store, tuple(f"sha256:{x * 64}" for x in "abc"), f"sha256:{3:064x}")
        assert advice.base is not None and advice.base.digest == f"sha256:{2:064x}"
        assert advice.base.findings == 7
        assert [c.digest for c in advice.candidates] == [f"sha256:{4:064x}"]
        # nothing below it: no base; an image is not its own base
        assert advise(store, ("sha256:" + "z" * 64,), None).base is None
        assert advise(store, (f"sha256:{'a' * 64}",), f"sha256:{1:064x}").base is None


# -- the commands of each ecosystem ------------------------------------------------------

def _up(ptype: str, name: str, target: str | None, *, lookup: str | None = None,
        installed: str = "1.0-1", matched: str | None = None) -> Any:
    from ringfence.respond.remediation import Upgrade

    return Upgrade(f"pkg:{ptype}/{name}@{installed}", name, ptype, installed, "X",
                   lookup or name, matched or installed, target, (), ("CVE-1",))


def test_ecosystem_commands_are_validated_and_quoted() -> None:
    from ringfence.respond.remediation_script import command

    assert command(_up("deb", "libssl3", "3.0.15-1~deb12u1", lookup="openssl")).startswith(
        "apt-get install --only-upgrade 'libssl3=3.0.15-1~deb12u1'")
    # a binNMU (binary version apart from its source's): not pinned to the source version
    assert command(_up("deb", "libfoo1", "2.0-1", lookup="foo", installed="1.0-1+b1",
                       matched="1.0-1")).startswith(
        "apt-get install --only-upgrade libfoo1  # source foo fixed in 2.0-1")
    assert command(_up("rpm", "openssl-libs", "1:3.0.7-27.el9")).startswith(
        "dnf upgrade-minimal openssl-libs-1:3.0.7-27.el9")
    assert command(_up("rpm", "bash", "5.1.8-9.el9")).startswith(
        "dnf upgrade-minimal bash-5.1.8-9.el9")
    assert command(_up("apk", "musl", "1.2.4-r3")).startswith("apk add musl=1.2.4-r3")
    assert command(_up("golang", "golang.org/x/net", "0.23.0")).startswith(
        "go get golang.org/x/net@v0.23.0")
    assert command(_up("cargo", "hyper", "0.14.10")).startswith(
        "cargo update -p hyper --precise 0.14.10")
    assert command(_up("maven", "x", "2.17.1", lookup="org.apache.logging.log4j:log4j-core")
                   ).startswith("# maven: set the version of org.apache.logging.log4j:")
    assert command(_up("pypi", "x", "2.0", lookup="foo")).startswith("pip install foo==2.0")
    assert command(_up("npm", "x", "1.0.0", lookup="@scope/pkg")).startswith(
        "npm install @scope/pkg@1.0.0")
    assert command(_up("npm", "x", None, lookup="y")).startswith("# no fix: ")
    assert command(_up("hackage", "x", "1.0")).startswith("# pkg:hackage/x@1.0-1 ")
    # hostile names and versions never reach a command; comments stay on one line
    for bad in (_up("deb", "a;reboot", "1.0"), _up("deb", "ok", "1.0;reboot"),
                _up("rpm", "x", "1.0-1 && reboot"), _up("pypi", "x", "1.0", lookup="-e/x"),
                _up("npm", "x", "1.0.0", lookup="x\nreboot"),
                _up("apk", "x", "$(reboot)"), _up("golang", "m", "1.0.0 `reboot`")):
        line = command(bad)
        assert line.startswith("# skipped "), line
        assert "\n" not in line


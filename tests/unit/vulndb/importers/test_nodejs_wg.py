"""Node.js security-wg importer: the real tarball in tests/data/advisories (provenance in
tests/data/PROVENANCE.md: nodejs/security-wg @ f1288d0d6723, MIT), node-semver ranges to
OSV events, and hostile tarballs (bombs, garbage) refused with exit-3 errors, not tracebacks.
"""

from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

import pytest

from ringfence.errors import InputError
from ringfence.model.advisory import Event
from ringfence.vulndb.importers import nodejs_wg
from ringfence.vulndb.importers.nodejs_wg import RangeError, parse_range
from ringfence.vulndb.matchers.ranges import evaluate
from ringfence.vulndb.versions.registry import compare_for

NPM = compare_for("npm")


def _events(text: str) -> list[list[tuple[str, str]]]:
    ranges, _ = parse_range(text)
    return [[(e.kind, e.version) for e in r.events] for r in ranges]


def test_real_tarball(data_dir: Path) -> None:
    raw = (data_dir / "advisories/nodejs-security-wg.tar.gz").read_bytes()
    src = nodejs_wg.import_tarball(raw, "wg.tar.gz")
    assert src.name == "nodejs-security-wg" and len(src.records) == 467
    # core and deps records describe Node.js itself: listed skips with the reason
    assert len(src.skipped) == 177
    assert all("not an npm package" in s.reason for s in src.skipped)
    by_id = {r.advisory.id: r for r in src.records}
    rec = by_id["NSWG-ECO-516"]
    (aff,) = rec.affected
    assert (aff.ecosystem, aff.package) == ("npm", "lodash")
    assert [(e.kind, e.version) for e in aff.ranges[0].events] == [
        ("introduced", "4.17.15"), ("fixed", "4.17.19")]
    assert rec.advisory.modified is not None and rec.advisory.modified.endswith("T00:00:00Z")


@pytest.mark.parametrize(("text", "want"), [
    ("<1.6.5 || < 2.1.7 > 2.0.0", [[("introduced", "0"), ("fixed", "1.6.5")],
                                  [("introduced", "2.0.1-0"), ("fixed", "2.1.7")]]),
    (">=2.2.6 <2.47.0 || >2.51.0 <=2.67.0", [[("introduced", "2.2.6"), ("fixed", "2.47.0")],
                                            [("introduced", "2.51.1-0"),
                                             ("last_affected", "2.67.0")]]),
    ("2.0.x || 2.1.x", [[("introduced", "2.0.0"), ("fixed", "2.1.0-0")],
                        [("introduced", "2.1.0"), ("fixed", "2.2.0-0")]]),
    ("~0.8.0-pre", [[("introduced", "0.8.0-pre"), ("fixed", "0.9.0-0")]]),
    ("^0.2.3", [[("introduced", "0.2.3"), ("fixed", "0.3.0-0")]]),
    ("^0.0.3", [[("introduced", "0.0.3"), ("fixed", "0.0.4-0")]]),
    ("*", [[("introduced", "0")]]),
    (">1.2.3-beta", [[("introduced", "1.2.3-beta.0")]]),
])
def test_ranges(text: str, want: list[list[tuple[str, str]]]) -> None:
    assert _events(text) == want


def test_exclusive_lower_bound_is_exact_for_semver() -> None:
    # ">2.0.0 <2.1.7": 2.0.0 itself is not affected, 2.0.1-alpha (above it) is
    ranges, _ = parse_range("> 2.0.0 < 2.1.7")
    from ringfence.model.advisory import Affected

    aff = Affected("X", "npm", "p", ranges)
    assert not evaluate(aff, "2.0.0", NPM).affected
    assert evaluate(aff, "2.0.1-alpha", NPM).affected
    assert evaluate(aff, "2.1.6", NPM).affected and not evaluate(aff, "2.1.7", NPM).affected


def test_exact_versions_and_untranslatable_ranges() -> None:
    assert parse_range("2.1.4 || =3.0.0") == ((), ("2.1.4", "3.0.0"))
    for bad in ("1.0.0 - 2.0.0", ">=1.0.0 >=1.1.0", "<1 <2", "banana", ">=1.0.0 2.0.0",
                "x" * 2000):
        with pytest.raises(RangeError):
            parse_range(bad)
    assert parse_range("")[0][0].events == (Event("introduced", "0"),)  # node: "" is "*"


def _tar(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def test_hostile_tarballs(monkeypatch: pytest.MonkeyPatch) -> None:
    good = json.dumps({"id": 1, "module_name": "a", "vulnerable_versions": "<1.0.0",
                       "updated_at": "2020-01-01"}).encode()
    src = nodejs_wg.import_tarball(_tar({
        "x/vuln/npm/1.json": good,
        "x/vuln/npm/2.json": b"{not json",
        "x/vuln/npm/3.json": json.dumps({"id": 3, "module_name": "b",
                                         "vulnerable_versions": "1.0.0 - 2.0.0"}).encode(),
        "x/vuln/npm/index.json": b"{}",
        "x/README.md": b"hi"}), "t.tar.gz")
    assert [r.advisory.id for r in src.records] == ["NSWG-ECO-1"]
    assert sorted(s.where for s in src.skipped) == ["t.tar.gz:x/vuln/npm/2.json",
                                                   "t.tar.gz:x/vuln/npm/3.json"]
    with pytest.raises(InputError, match="not a readable"):
        nodejs_wg.import_tarball(b"\x1f\x8b\x08garbage", "g.tar.gz")
    with pytest.raises(InputError, match="no vuln/npm"):
        nodejs_wg.import_tarball(_tar({"README": b"x"}), "empty.tar.gz")
    # a bomb: a small gzip of a large tar stops at the cap
    monkeypatch.setattr(nodejs_wg, "MAX_UNPACKED", 1 << 20)
    bomb = _tar({"x/vuln/npm/big.bin": b"\0" * (4 << 20)})
    assert len(bomb) < 64 << 10
    with pytest.raises(InputError, match="unpacks to more than"):
        nodejs_wg.import_tarball(bomb, "bomb.tar.gz")
    monkeypatch.setattr(nodejs_wg, "MAX_UNPACKED", 256 << 20)
    monkeypatch.setattr(nodejs_wg, "MAX_MEMBER", 10)
    src = nodejs_wg.import_tarball(_tar({"x/vuln/npm/1.json": good}), "t.tar.gz")
    assert src.records == () and "over 10" in src.skipped[0].reason

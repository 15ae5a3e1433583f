"""OSV importer against the real per-ecosystem zips (counts from PROVENANCE.md)."""

from __future__ import annotations

import io
import json
import zipfile
from collections import Counter
from pathlib import Path

import pytest

from ringfence.errors import InputError
from ringfence.model.finding import Severity
from ringfence.vulndb.importers.osv import import_osv, parse_record, pick_vector
from ringfence.vulndb.importers.record import SourceData

# PROVENANCE.md section 1: records by affected[].package.ecosystem, and withdrawn counts.
PROVENANCE = {
    "AlmaLinux": ({"AlmaLinux:10": 675, "AlmaLinux:8": 3277, "AlmaLinux:9": 1826}, 5680, 0),
    "Bitnami": ({"Bitnami": 7444}, 7444, 0),
    "CRAN": ({"CRAN": 14}, 14, 0),
    "crates.io": ({"crates.io": 1206}, 1206, 13),
    "Go": ({"Go": 4291}, 4291, 17),
    "Hackage": ({"GHC": 3, "Hackage": 32}, 35, 0),
    "PSF-CPython": ({"": 132}, 132, 0),  # "(none)" in PROVENANCE: GIT-only records
    "PyPI": ({"PyPI": 7080}, 7080, 269),
}


def _per_ecosystem(data: SourceData, *, live_only: bool) -> Counter[str]:
    counts: Counter[str] = Counter()
    for rec in data.records:
        if not (live_only and rec.advisory.withdrawn):
            counts.update({a.ecosystem for a in rec.affected})
    return counts


@pytest.mark.parametrize("name", sorted(PROVENANCE))
def test_real_zip_counts(data_dir: Path, name: str) -> None:
    ecosystems, total, withdrawn = PROVENANCE[name]
    data = import_osv(data_dir / "advisories" / "osv" / f"{name}.zip")
    assert data.name == f"osv:{name}" and data.skipped == ()
    assert len(data.records) == total
    assert _per_ecosystem(data, live_only=False) == ecosystems
    assert len(data.withdrawn_ids) == withdrawn
    live = _per_ecosystem(data, live_only=True)
    assert sum(live.values()) == sum(ecosystems.values()) - withdrawn


def test_pypi_fields(data_dir: Path) -> None:
    data = import_osv(data_dir / "advisories" / "osv" / "PyPI.zip")
    by_id = {r.advisory.id: r for r in data.records}
    # Package names are stored PEP 503-normalised.
    names = {a.package for r in data.records for a in r.affected}
    assert all(n == n.lower() and "_" not in n and "." not in n for n in names)
    ranges = [rg for r in data.records for a in r.affected for rg in a.ranges]
    kinds = {e.kind for rg in ranges for e in rg.events}
    assert {"introduced", "fixed"} <= kinds and {rg.type for rg in ranges} <= {
        "ECOSYSTEM", "SEMVER", "GIT"}
    with_vectors = [r for r in by_id.values() if r.severities]
    assert with_vectors and all(r.advisory.cvss_vector for r in with_vectors
                                if any(t.startswith("CVSS") for t, _ in r.severities))
    assert data.newest_record("2026-11-28T00:00:00Z") == "2026-07-23T14:34:38.042882Z"


def test_go_and_crates_fields(data_dir: Path) -> None:
    go = import_osv(data_dir / "advisories" / "osv" / "Go.zip")
    assert any("/" in a.package for r in go.records for a in r.affected)  # module paths kept
    assert go.newest_record("2026-11-28T00:00:00Z") is None  # zero timestamps only
    crates = import_osv(data_dir / "advisories" / "osv" / "crates.io.zip")
    assert any(a.versions or a.ranges for r in crates.records for a in r.affected)


def test_synthetic_record_every_field() -> None:
    doc = {
        "id": "GHSA-x", "modified": "2024-01-01T00:00:00Z", "aliases": ["CVE-1", "PYSEC-1"],
        "summary": "s", "withdrawn": None,
        "severity": [{"type": "CVSS_V2", "score": "AV:N/AC:L/Au:N/C:P/I:P/A:P"},
                     {"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
        "database_specific": {"severity": "MODERATE"},
        "affected": [{
            "package": {"ecosystem": "PyPI", "name": "Foo_Bar", "purl": "pkg:pypi/foo-bar"},
            "ranges": [{"type": "ECOSYSTEM", "events": [
                {"introduced": "1.0"}, {"fixed": "1.2"}, {"introduced": "2.0"},
                {"last_affected": "2.1"}]},
                {"type": "SEMVER", "events": [{"introduced": "0"}, {"limit": "3.0.0"}]},
                {"type": "GIT", "repo": "r", "events": [{"introduced": "abc"}]}],
            "versions": ["1.0", "1.1"], "ecosystem_specific": {"severity": "high"}}],
        "references": [{"type": "WEB", "url": "https://e"}]}
    rec = parse_record(doc)
    (aff,) = rec.affected
    assert aff.package == "foo-bar" and aff.severity == "HIGH" and aff.versions == ("1.0", "1.1")
    assert [(r.type, [(e.kind, e.version) for e in r.events]) for r in aff.ranges] == [
        ("ECOSYSTEM", [("introduced", "1.0"), ("fixed", "1.2"), ("introduced", "2.0"),
                       ("last_affected", "2.1")]),
        ("SEMVER", [("introduced", "0"), ("limit", "3.0.0")]),
        ("GIT", [("introduced", "abc")])]
    assert rec.advisory.severity is Severity.MEDIUM  # MODERATE
    assert rec.advisory.cvss_vector == "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
    assert rec.advisory.aliases == ("CVE-1", "PYSEC-1") and rec.purls == ("pkg:pypi/foo-bar",)
    assert pick_vector((("CVSS_V4", "CVSS:4.0/x"),)) == "CVSS:4.0/x"


def test_malformed_members_are_listed_skips(tmp_path: Path) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("GOOD.json", json.dumps({"id": "OK-1", "affected": []}))
        archive.writestr("BROKEN.json", b"{not json")
        archive.writestr("NOID.json", json.dumps({"affected": []}))
    path = tmp_path / "x.zip"
    path.write_bytes(buf.getvalue())
    data = import_osv(path)
    assert [r.advisory.id for r in data.records] == ["OK-1"]
    assert sorted(s.where.rsplit(":", 1)[1] for s in data.skipped) == ["BROKEN.json", "NOID.json"]


def test_not_a_zip_and_bad_single_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"PK no")
    with pytest.raises(InputError, match=r"bad\.zip"):
        import_osv(bad)
    single = tmp_path / "one.json"
    single.write_bytes(b"[1,2")
    with pytest.raises(InputError, match=r"one\.json"):
        import_osv(single)

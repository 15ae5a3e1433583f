"""Red Hat CSAF advisories and VEX documents: the real samples of tests/data/advisories/redhat
(provenance in tests/data/PROVENANCE.md: anchore/vunnel and quay/claircore test data, Red Hat
security data CC-BY-4.0), imported and matched against RHEL packages built here.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ringfence.catalog import purls
from ringfence.model.advisory import NOT_AFFECTED, UNFIXED, WILL_NOT_FIX
from ringfence.model.inventory import Distro, Inventory
from ringfence.model.package import Location, Package
from ringfence.vulndb.build import import_paths
from ringfence.vulndb.importers.redhat_csaf import import_document, is_csaf
from ringfence.vulndb.match import match_all
from ringfence.vulndb.store import VulnStore

RH = "advisories/redhat"


def _load(data_dir: Path, rel: str) -> dict:  # type: ignore[type-arg]
    doc: dict = json.loads((data_dir / RH / rel).read_text())  # type: ignore[type-arg]
    return doc


def test_vex_document_main_stream_only(data_dir: Path) -> None:
    src = import_document(_load(data_dir, "vex/cve-2023-38545.json"), "x")
    (rec,) = src.records
    assert rec.advisory.id == "CVE-2023-38545" and rec.advisory.modified
    by_key = {(a.ecosystem, a.package): a for a in rec.affected}
    curl = by_key[("Red Hat:9", "curl")]
    # RHEL 9 main stream fix (RHSA-2023:5763); the 9.0 EUS build 7.76.1-14.el9_0.9 is not
    # main stream and is left out
    assert [(e.kind, e.version) for e in curl.ranges[0].events] == [
        ("introduced", "0"), ("fixed", "7.76.1-23.el9_2.4")]
    assert by_key[("Red Hat:8", "curl")].status == NOT_AFFECTED
    # layered products (Satellite's puppet-agent, JBCS curl) are not RHEL packages
    assert not any("puppet" in a.package or a.package.startswith("jbcs") for a in rec.affected)
    assert all(e.version != "7.76.1-14.el9_0.9" for a in rec.affected for r in a.ranges
               for e in r.events)


def test_security_advisory_is_one_record_with_cve_aliases(data_dir: Path) -> None:
    src = import_document(_load(data_dir, "csaf-advisories/2024/rhsa-2024_6163.json"), "x")
    (rec,) = src.records
    assert rec.advisory.id == "RHSA-2024:6163" and rec.advisory.aliases == ("CVE-2024-8088",)
    assert rec.affected and all(a.ecosystem.startswith("Red Hat:") for a in rec.affected)


def test_deleted_marker_is_withdrawn(data_dir: Path) -> None:
    doc = _load(data_dir, "csaf-claircore/cve-1999-0001-deleted.json")
    assert is_csaf(doc)
    (rec,) = import_document(doc, "x").records
    assert rec.advisory.id == "CVE-2023-0118" and rec.advisory.withdrawn


def test_known_affected_and_no_fix_planned() -> None:
    doc = {
        "document": {"category": "csaf_vex", "tracking": {"id": "CVE-2099-1",
                                                          "current_release_date": "2099-01-01"}},
        "product_tree": {
            "branches": [{"category": "vendor", "name": "Red Hat", "branches": [
                {"category": "product_family", "branches": [{
                    "category": "product_name", "product": {
                        "product_id": "red_hat_enterprise_linux_9",
                        "product_identification_helper": {
                            "cpe": "cpe:/o:redhat:enterprise_linux:9"}}}]}]}],
            "relationships": [
                {"product_reference": n, "relates_to_product_reference":
                 "red_hat_enterprise_linux_9",
                 "full_product_name": {"product_id": f"red_hat_enterprise_linux_9:{n}"}}
                for n in ("openssl", "zlib")]},
        "vulnerabilities": [{
            "cve": "CVE-2099-1",
            "product_status": {"known_affected": ["red_hat_enterprise_linux_9:openssl",
                                                  "red_hat_enterprise_linux_9:zlib"]},
            "remediations": [{"category": "no_fix_planned",
                              "product_ids": ["red_hat_enterprise_linux_9:zlib"]}]}]}
    (rec,) = import_document(doc, "x").records
    assert {(a.package, a.status) for a in rec.affected} == {("openssl", UNFIXED),
                                                             ("zlib", WILL_NOT_FIX)}


@pytest.mark.parametrize("junk", [{"document": {"category": "csaf_vex"}, "vulnerabilities": 5},
                                  {"document": {"category": "csaf_vex", "tracking": []},
                                   "product_tree": "x", "vulnerabilities": [{}]}])
def test_hostile_documents_are_skips(junk: dict) -> None:  # type: ignore[type-arg]
    src = import_document(junk, "j.json")
    assert src.records == () or all(not r.affected for r in src.records)
    assert src.skipped or src.records


def _rpm(name: str, evr: str) -> Package:
    return Package(name, evr, "rpm", purls.make("rpm", name, evr, "redhat"), "rpm",
                   locations=(Location("/var/lib/rpm/rpmdb.sqlite"),))


def test_rhel_image_matches_red_hat_data(data_dir: Path, tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite"
    report = import_paths([data_dir / RH], db)
    assert {s.name for s in report.sources} == {"redhat-csaf"}
    inv = Inventory((_rpm("curl", "7.76.1-23.el9_2.2"), _rpm("libcurl", "7.76.1-23.el9_2.4"),
                     _rpm("bash", "5.1.8-6.el9")), Distro("rhel", "9.2", id_like=("fedora",)))
    with VulnStore.open(db) as store:
        out = match_all(inv, store)
        held = store.coverage()
    found = {(m.package_name, m.advisory_id) for m in out.matches}
    assert ("curl", "CVE-2023-38545") in found  # below the fix
    assert not any(name == "libcurl" and adv == "CVE-2023-38545" for name, adv in found)
    assert held["Red Hat:9"][0] >= 5
    assert [s.ecosystem for s in out.coverage.checked] == ["Red Hat:9"]
    assert out.coverage.uncovered == ()

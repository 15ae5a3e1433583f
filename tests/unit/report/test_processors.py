"""VEX (real Ubuntu OpenVEX), ignore file, --ignore-unfixed, --severity, --fail-on."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from ringfence.errors import InputError
from ringfence.model.advisory import FIXED, UNFIXED, VulnerabilityMatch
from ringfence.model.finding import Severity
from ringfence.model.inventory import Distro
from ringfence.report.processors import (
    Filters,
    apply_filters,
    apply_vex,
    load_ignore_file,
    load_vex,
    parse_severities,
    policy_failed,
    vex_purl_matches,
)

JAMMY = Distro("ubuntu", "22.04", "jammy", ("debian",), "Ubuntu 22.04.4 LTS")


def _match(purl: str, ident: str = "CVE-2023-38545", severity: Severity = Severity.CRITICAL,
           status: str = FIXED, aliases: tuple[str, ...] = ()) -> VulnerabilityMatch:
    name = purl.split("/")[-1].split("@")[0]
    return VulnerabilityMatch(ident, aliases, purl, name, purl.split("@")[1].split("?")[0],
                              ("9.9",) if status == FIXED else (), status, severity, 9.8, None,
                              "test", "test")


def test_real_ubuntu_vex_fixed_and_not_affected_suppress_affected_does_not(
        data_dir: Path) -> None:
    statements = load_vex(data_dir / "advisories/vex/ubuntu/CVE-2023-38545.json")
    assert [s.status for s in statements] == ["fixed", "affected", "not_affected"]
    # our dpkg purls on Ubuntu 22.04 carry distro=ubuntu-22.04; the VEX says distro=jammy
    fixed = _match("pkg:deb/ubuntu/libcurl3-gnutls@7.81.0-1ubuntu1.24?arch=amd64"
                   "&distro=ubuntu-22.04")
    older = _match("pkg:deb/ubuntu/libcurl3-gnutls@7.81.0-1ubuntu1.13?arch=amd64"
                   "&distro=ubuntu-22.04")
    other_cve = _match(fixed.package_purl, ident="CVE-2023-38546")
    xenial = Distro("ubuntu", "16.04", "xenial")
    affected = _match("pkg:deb/ubuntu/curl@7.47.0-1ubuntu2.19?arch=amd64&distro=ubuntu-16.04")
    out = apply_vex([fixed, older, other_cve], statements, JAMMY)
    assert out[0].suppressed_by is not None and out[0].suppressed_by.startswith("VEX fixed")
    assert out[1].suppressed_by is None  # 1ubuntu1.13 is not the listed fixed version
    assert out[2].suppressed_by is None  # another CVE
    assert apply_vex([affected], statements, xenial)[0].suppressed_by is None
    trusty = _match("pkg:deb/ubuntu/curl@7.35.0-1ubuntu2.20+esm19?arch=amd64")
    (nota,) = apply_vex([trusty], statements, Distro("ubuntu", "14.04", "trusty"))
    assert nota.suppressed_by is not None
    assert nota.suppressed_by.startswith("VEX not_affected: vulnerable_code_not_present; "
                                         "This package (for the given release)")


def test_vex_matches_aliases_and_ids_by_name() -> None:
    doc = {"@context": "https://openvex.dev/ns/v0.2.0", "statements": [
        {"vulnerability": {"name": "CVE-2018-18074"}, "status": "not_affected",
         "justification": "vulnerable_code_not_in_execute_path",
         "products": [{"@id": "pkg:pypi/requests@2.19.1"}]}]}
    m = _match("pkg:pypi/requests@2.19.1", ident="PYSEC-2018-28", aliases=("CVE-2018-18074",))
    path = Path(__file__)  # not read: statements are built from the dict below
    from ringfence.report.processors import _statement

    stmt = _statement(doc["statements"][0], str(path))
    assert apply_vex([m], [stmt])[0].suppressed_by == (
        "VEX not_affected: vulnerable_code_not_in_execute_path")


@pytest.mark.parametrize(("statement", "package", "distro", "expected"), [
    ("pkg:pypi/requests@2.19.1", "pkg:pypi/requests@2.19.1", None, True),
    ("pkg:pypi/requests", "pkg:pypi/requests@2.19.1", None, True),  # no version: any
    ("pkg:pypi/requests@2.19.1", "pkg:pypi/requests@2.20.0", None, False),
    ("pkg:pypi/requests@2.19.1", "pkg:pypi/urllib3@2.19.1", None, False),
    # no qualifiers in the statement: ours are ignored
    ("pkg:deb/debian/curl@7.88.1-10", "pkg:deb/debian/curl@7.88.1-10?arch=amd64&distro=debian-12",
     None, True),
    # qualifiers in the statement must agree
    ("pkg:deb/debian/curl@7.88.1-10?arch=arm64",
     "pkg:deb/debian/curl@7.88.1-10?arch=amd64&distro=debian-12", None, False),
    ("pkg:deb/ubuntu/curl@1?arch=source&distro=jammy",
     "pkg:deb/ubuntu/curl@1?arch=amd64&distro=ubuntu-22.04", JAMMY, True),
    ("pkg:deb/ubuntu/curl@1?arch=source&distro=focal",
     "pkg:deb/ubuntu/curl@1?arch=amd64&distro=ubuntu-22.04", JAMMY, False),
])
def test_vex_purl_rules(statement: str, package: str, distro: Distro | None,
                        expected: bool) -> None:
    assert vex_purl_matches(statement, package, distro) is expected


def test_not_openvex_is_an_input_error(tmp_path: Path) -> None:
    bad = tmp_path / "x.json"
    bad.write_text(json.dumps({"document": {"category": "csaf_vex"}}))
    with pytest.raises(InputError, match="not an OpenVEX document"):
        load_vex(bad)


def test_ignore_file_yaml_expiry_and_reasons(tmp_path: Path) -> None:
    f = tmp_path / "ignore.yaml"
    f.write_text("ignore:\n"
                 "  - id: CVE-2018-18074\n    reason: internal network only\n"
                 "    expires: 2030-01-31\n"
                 "  - id: GHSA-x84v-xcm2-53pg\n    reason: old waiver\n    expires: 2020-01-01\n"
                 "  - id: PYSEC-2019-132\n    reason: no expiry\n")
    rules = load_ignore_file(f)
    assert [(r.id, r.expires) for r in rules] == [
        ("CVE-2018-18074", date(2030, 1, 31)), ("GHSA-x84v-xcm2-53pg", date(2020, 1, 1)),
        ("PYSEC-2019-132", None)]
    a = _match("pkg:pypi/requests@2.19.1", ident="PYSEC-2018-28", aliases=("CVE-2018-18074",))
    b = _match("pkg:pypi/requests@2.19.1", ident="GHSA-x84v-xcm2-53pg")
    c = _match("pkg:pypi/urllib3@1.24.1", ident="PYSEC-2019-132")
    out, notes = apply_filters([a, b, c], Filters(ignores=rules, ignore_source=str(f),
                                                   today=date(2026, 1, 1)), None)
    assert out[0].suppressed_by == "ignore file until 2030-01-31: internal network only"
    assert out[1].suppressed_by is None  # expired: not applied ...
    assert [n.reason for n in notes] == [  # ... and reported
        "ignore entry GHSA-x84v-xcm2-53pg expired on 2020-01-01; not applied (old waiver)"]
    assert out[2].suppressed_by == "ignore file: no expiry"
    # the last day counts
    out, notes = apply_filters([a], Filters(ignores=rules, today=date(2030, 1, 31)), None)
    assert out[0].suppressed_by is not None
    out, _ = apply_filters([a], Filters(ignores=rules, today=date(2030, 2, 1)), None)
    assert out[0].suppressed_by is None


def test_ignore_file_json_and_errors(tmp_path: Path) -> None:
    f = tmp_path / "ignore.json"
    f.write_text(json.dumps([{"id": "CVE-1", "reason": "r", "expires": "2031-02-03"}]))
    assert load_ignore_file(f)[0].expires == date(2031, 2, 3)
    f.write_text(json.dumps([{"id": "CVE-1", "expires": "soon"}]))
    with pytest.raises(InputError, match="expires is not a date"):
        load_ignore_file(f)
    f.write_text(json.dumps({"ignore": [{"reason": "no id"}]}))
    with pytest.raises(InputError, match="without an id"):
        load_ignore_file(f)


def test_unfixed_and_severity_filters_and_fail_on() -> None:
    crit = _match("pkg:pypi/a@1", ident="A", severity=Severity.CRITICAL, status=UNFIXED)
    med = _match("pkg:pypi/b@1", ident="B", severity=Severity.MEDIUM)
    low = _match("pkg:pypi/c@1", ident="C", severity=Severity.LOW)
    out, _ = apply_filters([crit, med, low], Filters(ignore_unfixed=True), None)
    assert [m.advisory_id for m in out] == ["B", "C"]
    levels = parse_severities("medium, CRITICAL")
    out, _ = apply_filters([crit, med, low], Filters(severities=levels), None)
    assert [m.advisory_id for m in out] == ["A", "B"]
    with pytest.raises(ValueError, match="unknown severity"):
        parse_severities("HIGH,URGENT")
    assert policy_failed([med, low], Severity.MEDIUM)
    assert not policy_failed([med, low], Severity.HIGH)
    from dataclasses import replace

    assert not policy_failed([replace(crit, suppressed_by="VEX fixed")], Severity.LOW)

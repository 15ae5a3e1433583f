"""CVSS scoring through the `cvss` library: known base scores, invalid vectors, real data."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from ringfence.model.finding import Severity
from ringfence.vulndb.cvss import best, evaluate


@pytest.mark.parametrize(("vector", "score", "severity"), [
    # NVD: CVE-2018-18074 (requests), CVSS 3.0 base 9.8 CRITICAL
    ("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8, Severity.CRITICAL),
    # the typical reflected XSS vector: 6.1 MEDIUM in FIRST's v3.1 calculator
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1, Severity.MEDIUM),
    # CVSS v2 AV:N/AC:L/Au:N/C:P/I:P/A:P = 7.5, NVD v2 "High"
    ("AV:N/AC:L/Au:N/C:P/I:P/A:P", 7.5, Severity.HIGH),
    # v2 has no Critical on NVD's scale: 10.0 is High
    ("AV:N/AC:L/Au:N/C:C/I:C/A:C", 10.0, Severity.HIGH),
    # FIRST CVSS v4.0 calculator: 9.3 Critical
    ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 9.3, Severity.CRITICAL),
    ("CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N", 1.8, Severity.LOW),
])
def test_known_base_scores(vector: str, score: float, severity: Severity) -> None:
    got = evaluate(vector)
    assert (got.score, got.severity, got.reason) == (score, severity, None)


@pytest.mark.parametrize(("vector", "reason"), [
    ("CVSS:3.1/AV:Q/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 'Unknown value "Q"'),
    ("CVSS:3.1/AV:N", "Missing mandatory"),
    ("CVSS:9.9/AV:N", "unsupported CVSS version"),
    ("not a vector", "invalid CVSS 2.0 vector"),
])
def test_invalid_vectors_give_none_and_a_reason(vector: str, reason: str) -> None:
    got = evaluate(vector)
    assert got.score is None and got.severity is Severity.UNKNOWN
    assert got.reason is not None and reason in got.reason


def test_best_prefers_the_newest_valid_version() -> None:
    v2, v31, bad4 = ("AV:N/AC:L/Au:N/C:P/I:P/A:P",
                     "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", "CVSS:4.0/AV:X")
    chosen = best((v2, bad4, v31))
    assert chosen is not None and chosen.vector == v31
    assert best((bad4,)) is None


def test_every_vector_in_the_real_pypi_data_scores(data_dir: Path) -> None:
    """All 3924 CVSS v3 and 814 v4 vectors of the PyPA snapshot are valid and in range."""
    counts = {"CVSS_V3": 0, "CVSS_V4": 0}
    with zipfile.ZipFile(data_dir / "advisories/osv/PyPI.zip") as z:
        for name in z.namelist():
            for sev in json.loads(z.read(name)).get("severity") or []:
                got = evaluate(sev["score"])
                assert got.reason is None, (name, sev["score"], got.reason)
                assert got.score is not None and 0.0 <= got.score <= 10.0
                counts[sev["type"]] += 1
    assert counts == {"CVSS_V3": 3924, "CVSS_V4": 814}

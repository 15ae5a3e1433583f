"""Hostile content for the secret scanner: every rule is linear-time on 1 MiB inputs built
from the rule table, every right boundary is honest (at the limit found, one more not), and
the per-text budgets (bytes, candidate matches, secrets) are reported, never silent.

Work done is asserted without a clock too: every pattern has a finite maximum match width
(bounded repetition only, from the ``re`` parser), and on each 1 MiB hostile input the
scanner invokes the regex engine only through anchored ``match`` calls, at most once per
keyword occurrence (counted through a wrapper around each compiled pattern).

Why a subprocess with a timeout and not a step count or a stopwatch: Python's ``re`` does
not expose its backtracking steps, and a wall-clock assertion is flaky on shared CI cores.
A super-linear pattern on 1 MiB does not take "a bit longer" — the old private-key rule took
1.3 s at 16 KiB, 5.8 s at 32 KiB and an estimated hour and a half at 1 MiB — so a generous
timeout (20 s per 1 MiB input, each finishes in well under a second) separates a linear
pattern from a catastrophic one without depending on machine speed.  A hang is killed and
fails the test instead of hanging the suite.
"""

from __future__ import annotations

import base64
import json
import random
import re
import re._constants
import re._parser
import string
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from ringfence.secretscan.analyzer import SecretsAnalyzer
from ringfence.secretscan.checks import SecretFacts
from ringfence.secretscan.config import scan_config, scan_config_bounded
from ringfence.secretscan.model import SecretsReport
from ringfence.secretscan.prefilter import KeywordIndex
from ringfence.secretscan.rules import JWT_PART_MAX, PEM_BODY_MAX, SECRET_RULES
from ringfence.secretscan.scanner import MAX_SCAN_BYTES, scan_bounded, scan_text
from tests.unit.secretscan import adversarial
from tests.unit.secretscan.generate import (
    ALNUM,
    UPPER_B32,
    aws_key_id,
    aws_secret,
    chars,
    github,
    gitlab,
)

ROOT = Path(__file__).resolve().parents[3]
SECONDS_PER_MIB = 20
RULE_IDS = [r.rule.id for r in SECRET_RULES]


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_rule_is_linear_on_hostile_input(rule_id: str) -> None:
    rule = next(r for r in SECRET_RULES if r.rule.id == rule_id)
    names = [name for name, _ in adversarial.inputs(rule, size=64)]
    assert len(names) >= 16
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "tests.unit.secretscan.adversarial", rule_id],
            cwd=ROOT, capture_output=True, text=True,
            timeout=SECONDS_PER_MIB * len(names))
    except subprocess.TimeoutExpired as exc:
        done = (exc.stdout or b"").decode() if isinstance(exc.stdout, bytes) else exc.stdout
        pytest.fail(f"{rule_id}: scanning 1 MiB hostile inputs did not finish "
                    f"(done before the hang: {done!r})")
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["input"] for r in rows] == names
    assert all(r["bytes"] >= adversarial.MIB for r in rows)
    # what the 1 MiB of filler alone cannot be: a pile of secrets from nothing
    for r in rows:
        if "+" in r["input"] and not r["input"].startswith("lead+body"):
            assert r["matches"] <= 1, r


def test_every_rule_gets_every_kind_of_hostile_input() -> None:
    for rule in SECRET_RULES:
        lead, body = adversarial.lead_and_body(rule)
        assert body and any(k in lead.lower() + body.lower() for k in rule.keywords)
        names = {n for n, _ in adversarial.inputs(rule, size=64)}
        assert {"lead+newlines", "lead+spaces", "lead+class", "repeated-partial",
                "keyword+newlines"} <= names


class _Counting:
    """A compiled pattern that counts anchored runs and refuses any other use."""

    def __init__(self, pattern: re.Pattern[bytes]) -> None:
        self.pattern = pattern
        self.calls = 0

    def match(self, data: bytes, pos: int = 0, endpos: int = sys.maxsize) -> Any:
        self.calls += 1
        return self.pattern.match(data, pos, endpos)

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the scanner used pattern.{name}: only anchored runs are bounded")


def _keyword_occurrences(data: bytes) -> int:
    # the plain engine (tested against the definition in test_prefilter.py)
    index = KeywordIndex(sorted({k for r in SECRET_RULES for k in r.keywords}), "find")
    return sum(len(v) for v in index.find(data).values())


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_pattern_repetition_is_bounded(rule_id: str) -> None:
    rule = next(r for r in SECRET_RULES if r.rule.id == rule_id)
    low, high = re._parser.parse(rule.pattern.pattern).getwidth()
    assert 0 < low <= high < re._constants.MAXREPEAT, "an unbounded * or + in the pattern"
    assert high < 100_000


@pytest.mark.parametrize("rule_id", RULE_IDS)
def test_work_is_one_anchored_run_per_keyword_occurrence(rule_id: str) -> None:
    rule = next(r for r in SECRET_RULES if r.rule.id == rule_id)
    for name, data in adversarial.inputs(rule):
        counting = [replace(r, pattern=_Counting(r.pattern)) for r in SECRET_RULES]
        outcome = scan_bounded(data, counting, max_bytes=len(data))  # type: ignore[arg-type]
        calls = sum(r.pattern.calls for r in counting)  # type: ignore[attr-defined]
        occurrences = _keyword_occurrences(data)
        assert calls == outcome.attempts <= occurrences, name
        if name.startswith(("lead+", "keyword+")) and name.endswith(
                ("newlines", "crlf", "spaces", "tabs")):
            # 1 MiB of filler after one lead: the lead's keywords only, not a run per byte
            assert occurrences <= 4 and calls <= occurrences, (name, calls)


# --- boundaries: (rule, what, text at the limit: found, one character more: not found) ----

def _rng() -> random.Random:
    return random.Random(42)  # noqa: S311 - test data


def _pem(body_len: int) -> str:
    """An RSA-framed PEM whose body (base64 lines and newlines) is ``body_len`` long."""
    raw = base64.b64encode(_rng().randbytes(body_len)).decode()
    lines, left = [], body_len
    for i in range(0, len(raw), 64):
        if left <= 0:
            break
        line = raw[i:i + min(64, left - 1)]
        lines.append(line + "\n")
        left -= len(line) + 1
    body = "".join(lines)
    assert len(body) == body_len
    return f"-----BEGIN RSA PRIVATE KEY-----\n{body}-----END RSA PRIVATE KEY-----\n"


def _jwt(sig_len: int) -> str:
    def b64(doc: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(doc).encode()).decode().rstrip("=")
    return (b64({"alg": "HS256", "typ": "JWT"}) + "." + b64({"sub": "1234567890"}) + "."
            + chars(ALNUM + "-_", sig_len, 8))


def _slack(third: int, digits: int = 12) -> str:
    return "xoxb-" + chars(string.digits, digits, 6) + "-" + chars(ALNUM, third, 7)


def _gcp(n: int) -> str:
    return ('{"type": "service_account", "private_key_id": "'
            + chars("0123456789abcdef", n, 9) + '"}')


def _hook(last: int, team: int = 8) -> str:
    return ("https://hooks.slack.com/services/T" + chars(UPPER_B32, team, 1) + "/B"
            + chars(UPPER_B32, 10, 2) + "/" + chars(ALNUM, last, 3))


BOUNDARIES: list[tuple[str, str, str, str]] = [
    ("IMG-101", "access key id 16 / 17", "id=AKIA" + chars(UPPER_B32, 16) + "\n",
     "id=AKIA" + chars(UPPER_B32, 17) + "\n"),
    ("IMG-102", "secret 40 / 41", f"aws_secret_access_key = {aws_secret()}\n",
     f"aws_secret_access_key = {aws_secret()}Q\n"),
    ("IMG-103", "key id 40 / 41 hex", _gcp(40), _gcp(41)),
    ("IMG-104", "ghp 36 / 37", github() + "\n", github() + "Z\n"),
    ("IMG-104", "fine-grained 59 / 60", "github_pat_" + chars(ALNUM, 22) + "_"
     + chars(ALNUM, 59, 5), "github_pat_" + chars(ALNUM, 22) + "_" + chars(ALNUM, 60, 5)),
    ("IMG-105", "glpat 20 / 21", gitlab() + "\n", gitlab() + "Z\n"),
    ("IMG-106", "last part 72 / 73", _slack(72), _slack(73)),
    ("IMG-106", "first number 13 / 14 digits", _slack(24, 13), _slack(24, 14)),
    ("IMG-107", "webhook secret 24 / 25", _hook(24), _hook(25)),
    ("IMG-107", "team id 12 / 13", _hook(24, 12), _hook(24, 13)),
    ("IMG-108", f"PEM body {PEM_BODY_MAX} / {PEM_BODY_MAX + 1}", _pem(PEM_BODY_MAX),
     _pem(PEM_BODY_MAX + 1)),
    ("IMG-109", f"signature {JWT_PART_MAX} / {JWT_PART_MAX + 1}", _jwt(JWT_PART_MAX),
     _jwt(JWT_PART_MAX + 1)),
    ("IMG-109", "three parts / four", _jwt(43), _jwt(43) + "." + chars(ALNUM, 20)),
    ("IMG-110", "value 128 / 129", "password=" + chars(ALNUM, 128, 18) + "\n",
     "password=" + chars(ALNUM, 129, 18) + "\n"),
]


def test_every_rule_has_a_too_long_near_miss() -> None:
    # every rule has a right boundary (a fixed length, a bound or a closing delimiter)
    assert {b[0] for b in BOUNDARIES} == set(RULE_IDS)


@pytest.mark.parametrize(("rule_id", "at_limit", "too_long"),
                         [pytest.param(r, a, b, id=f"{r}-{w}") for r, w, a, b in BOUNDARIES])
def test_boundary_is_honest(rule_id: str, at_limit: str, too_long: str) -> None:
    assert rule_id in {h.rule_id for h in scan_text(at_limit)}, "not found at the limit"
    assert rule_id not in {h.rule_id for h in scan_text(too_long)}, "found when too long"


def test_pem_blank_lines_and_headers_still_found() -> None:
    body = base64.encodebytes(_rng().randbytes(600)).decode()
    armoured = ("-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n"
                "DEK-Info: AES-128-CBC,0123456789ABCDEF0123456789ABCDEF\n\n\n" + body
                + "-----END RSA PRIVATE KEY-----\n")
    assert [h.rule_id for h in scan_text(armoured)] == ["IMG-108"]
    crlf = armoured.replace("\n", "\r\n")
    assert [h.rule_id for h in scan_text(crlf)] == ["IMG-108"]


# --- budgets -----------------------------------------------------------------------------

def test_bytes_budget_scans_the_prefix_and_says_so() -> None:
    early, late = f"a={aws_key_id()}\n", f"b={github()}\n"
    data = (early + "x" * 5000 + "\n" + late).encode()
    outcome = scan_bounded(data, max_bytes=1000)
    assert [m.rule_id for m in outcome.matches] == ["IMG-101"]
    assert outcome.truncated == f"scanned the first 1000 of {len(data)} bytes"
    whole = scan_bounded(data)
    assert [m.rule_id for m in whole.matches] == ["IMG-101", "IMG-104"]
    assert whole.truncated is None and len(data) < MAX_SCAN_BYTES


def test_candidate_and_secret_budgets_are_reported() -> None:
    many = "".join(f"k{i}={github(seed=i)}\n" for i in range(30)).encode()
    capped = scan_bounded(many, max_matches=10)
    assert len(capped.matches) == 10 and capped.truncated == "stopped after 10 secrets"
    assert [m.line for m in capped.matches] == sorted(m.line for m in capped.matches)
    noise = b"password=aaaaaaaaaaaaaaaa\n" * 50  # candidates, all rejected (low entropy)
    stopped = scan_bounded(noise, max_candidates=20)
    assert stopped.matches == ()
    assert stopped.truncated is not None and "after 20 candidate matches" in stopped.truncated
    assert scan_bounded(noise).truncated is None


def test_analyzer_reports_a_truncated_file_as_unknown(tmp_path: Path) -> None:
    from ringfence.scan import ScanOptions, scan_image
    from tests.imagebuilder import Layer, Member, build_oci

    head, tail = f"t={gitlab()}\n".encode(), f"u={github()}\n".encode()
    layers = [Layer([Member("app/big.log", head + b"x" * 3000 + b"\n" + tail),
                     Member("app/small.env", tail)])]
    img = build_oci(tmp_path / "img", layers)
    analyzer = SecretsAnalyzer(max_bytes=10_000, scan_bytes=1000)
    result = scan_image(f"oci:{img}", ScanOptions(analyzers=(analyzer,)))
    report = result.analysis("secrets")
    assert isinstance(report, SecretsReport) and result.image is not None
    assert sorted((h.location, h.rule_id) for h in report.hits) == [
        ("/app/big.log", "IMG-105"), ("/app/small.env", "IMG-104")]
    [unknown] = report.unknowns()
    assert unknown.location == "/app/big.log" and unknown.plugin == "secrets"
    assert unknown.reason.startswith("secret scan truncated: scanned the first 1000 of")
    assert unknown.layer == result.image.layers[0].diff_id
    assert SecretFacts(report).unknowns() == (unknown,)


def test_config_field_over_budget_is_an_unknown() -> None:
    huge = "x" * (MAX_SCAN_BYTES + 10)
    config = {"config": {"Env": [f"BIG={huge}", f"GH={github()}"]}, "history": []}
    hits, unknowns = scan_config_bounded(config)
    assert [h.location for h in hits] == ["Env[GH]"] == [h.location for h in
                                                          scan_config(config)]
    assert [(u.location, u.plugin) for u in unknowns] == [("Env[BIG]", "secrets")]
    assert SecretFacts(None, hits, unknowns).unknowns() == unknowns

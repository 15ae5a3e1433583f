"""Every secret rule fires on generated real-format examples and stays quiet on near misses;
the prefilter, line numbers and redaction."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from ringfence.secretscan import scanner
from ringfence.secretscan.rules import SECRET_RULES
from ringfence.secretscan.scanner import entropy, keywords_in, redact, scan_text
from tests.unit.secretscan.generate import NEAR_MISSES, POSITIVES, aws_key_id, github

CASES = [pytest.param(rule_id, gen, id=f"{rule_id}-{i}")
         for rule_id, gens in POSITIVES.items() for i, gen in enumerate(gens)]


def test_every_rule_has_generated_examples() -> None:
    assert sorted(POSITIVES) == sorted(r.rule.id for r in SECRET_RULES)


@pytest.mark.parametrize(("rule_id", "gen"), CASES)
def test_rule_fires_once_and_redacts(rule_id: str, gen: Callable[[], str]) -> None:
    text = "# config\n\n" + gen()
    hits = scan_text(text)
    assert [h.rule_id for h in hits] == [rule_id], hits
    hit = hits[0]
    assert hit.line >= 3
    assert hit.fingerprint.startswith(rule_id + ":")
    # redaction: nothing longer than the 4-character prefix of the secret survives
    prefix, _, rest = hit.redacted.partition("…")
    assert len(prefix) <= 4 and rest.endswith(" chars)")
    for token in text.replace('"', " ").replace("=", " ").split():
        if len(token) > 8:
            assert token not in hit.redacted


@pytest.mark.parametrize(("rule_id", "text"), [pytest.param(r, t, id=n)
                                               for n, r, t in NEAR_MISSES])
def test_near_miss_is_quiet(rule_id: str, text: str) -> None:
    assert rule_id not in {h.rule_id for h in scan_text(text)}


def test_line_numbers_and_several_secrets() -> None:
    text = f"a\nkey={aws_key_id()}\n\n\ntok={github()}\n"
    assert [(h.rule_id, h.line) for h in scan_text(text)] == [("IMG-101", 2), ("IMG-104", 5)]


def test_generic_rule_does_not_repeat_a_specific_match() -> None:
    assert [h.rule_id for h in scan_text(f"GITHUB_TOKEN={github()}\n")] == ["IMG-104"]


def test_prefilter_skips_regexes_without_keywords() -> None:
    assert scanner.scan_bounded(b"nothing to see here\n" * 1000).attempts == 0
    assert keywords_in(b"plain text") == frozenset()
    assert keywords_in(b"My GitHub ghp_ and PASSWORD") == {b"ghp_", b"passw"}
    # one regex run per keyword occurrence: two "ghp_", no other keyword
    assert scanner.scan_bounded(b"ghp_ x " * 2 + b"y" * 5000).attempts == 2


def test_redact_and_entropy() -> None:
    assert redact(b"abcdefghijklmnopqrst") == "abcd…(20 chars)"
    assert redact(b"abcdefghij") == "ab…(10 chars)"
    assert redact(b"abc") == "…(3 chars)"
    assert entropy(b"aaaa") == 0.0 and entropy(b"abcd") == 2.0

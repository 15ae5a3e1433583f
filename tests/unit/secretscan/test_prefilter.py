"""The keyword search and the anchored rule runs it drives.

The scanner runs a rule's pattern only at occurrences of its keywords, so it is exactly as
good as two facts tested here: the keyword engines find every occurrence (overlapping,
any ASCII case), and every match a pattern can make starts at one of its keywords. Then
the fast scanner is compared with the plain one (each pattern's ``finditer`` over the
whole text) on generated secrets, near misses, hostile inputs and random mixtures of
them, for each engine, and from several threads at once (a Hyperscan scratch space is
per thread).
"""

from __future__ import annotations

import platform
import random
import re
import threading
from collections.abc import Sequence

import pytest

from ringfence.secretscan import scanner
from ringfence.secretscan.prefilter import KeywordIndex, available_engines
from ringfence.secretscan.rules import SECRET_RULES, SecretRule
from ringfence.secretscan.scanner import GENERIC_ID, ScanOutcome, _accept, scan_bounded
from tests.unit.secretscan import adversarial
from tests.unit.secretscan.generate import NEAR_MISSES, POSITIVES

KEYWORDS = tuple(sorted({k for r in SECRET_RULES for k in r.keywords}))


def _occurrences(data: bytes, keywords: Sequence[bytes]) -> dict[bytes, list[int]]:
    """Every position where a keyword starts (a look-ahead finds overlapping ones)."""
    low = data.lower()
    out = {k: [m.start() for m in re.finditer(b"(?=" + re.escape(k) + b")", low)]
           for k in keywords}
    return {k: v for k, v in out.items() if v}


def _reference(data: bytes, rules: Sequence[SecretRule] = SECRET_RULES) -> list[tuple]:
    """What the scanner did before the keyword index: each pattern's ``finditer`` over the
    whole text, specific rules first, overlapping spans dropped."""
    low = data.lower()
    selected = sorted((r for r in rules if any(k in low for k in r.keywords)),
                      key=lambda r: r.rule.id == GENERIC_ID)
    spans: list[tuple[int, int]] = []
    out = []
    for rule in selected:
        if rule.context is not None and rule.context not in data:
            continue
        for m in rule.pattern.finditer(data):
            start, end = m.span("secret")
            if not _accept(rule, m.group("secret")) or any(s < end and start < e
                                                           for s, e in spans):
                continue
            spans.append((start, end))
            out.append((data.count(b"\n", 0, m.start()) + 1, rule.rule.id,
                        scanner.fingerprint(rule.rule.id, m.group("secret"))))
    return sorted(out)


def _got(outcome: ScanOutcome) -> list[tuple]:
    return sorted((m.line, m.rule_id, m.fingerprint) for m in outcome.matches)


def _corpus() -> list[bytes]:
    texts = [g().encode() for gens in POSITIVES.values() for g in gens]
    texts += [t.encode() for _, _, t in NEAR_MISSES]
    for rule in SECRET_RULES:
        texts += [data for _, data in adversarial.inputs(rule, size=300)]
    rng = random.Random(7)  # noqa: S311 - test data
    pieces = [*texts, b"\n", b" ", b"=", b'"', b"AKIA", b"asiakia", b"TOKEN", b"eyJ",
              b"-----BEGIN ", b"https://", b"api_key", b"passwd"]
    for _ in range(300):  # mixtures: secrets next to, inside and around each other
        texts.append(b"".join(rng.choice(pieces)[: rng.randint(1, 400)]
                              for _ in range(rng.randint(2, 8))))
    return texts


CORPUS = _corpus()


@pytest.mark.parametrize("engine", available_engines())
def test_engine_finds_every_overlapping_occurrence_in_any_case(engine: str) -> None:
    index = KeywordIndex(KEYWORDS, engine)
    rng = random.Random(3)  # noqa: S311 - test data
    tricky = [b"asiakia", b"AsIaKiA", b"tokentoken", b"TOKENTOKEN", b"-----BEGIN -----begin ",
              b"eyjeyJEYJ", b"api_keyapikey", b"PASSWPASSW", b"ghp_gho_", b"\0\xff" * 10, b""]
    for data in tricky + CORPUS[:200] + [bytes(rng.randrange(256) for _ in range(500))
                                         for _ in range(20)]:
        assert index.find(data) == _occurrences(data, KEYWORDS), data[:80]


def test_hyperscan_is_the_engine_where_its_wheel_installs() -> None:
    # pyproject requires hyperscan on x86-64: there the fast engine must be the one used
    if platform.machine().lower() in ("x86_64", "amd64"):
        assert "hyperscan" in available_engines()
        assert scanner._index(scanner._ALL_KEYWORDS).engine == "hyperscan"
    assert "find" in available_engines()


def test_keywords_must_be_lowercase() -> None:
    with pytest.raises(ValueError, match="lowercase"):
        KeywordIndex((b"AKIA",))
    with pytest.raises(ValueError, match="unknown"):
        KeywordIndex((b"akia",), "grep")


def test_every_match_starts_at_a_keyword() -> None:
    # the invariant the anchored runs rely on, on everything each pattern can match here
    checked = 0
    for data in CORPUS:
        occ = _occurrences(data, KEYWORDS)
        for rule in SECRET_RULES:
            starts = {p for k in rule.keywords for p in occ.get(k, ())}
            for m in re.finditer(rule.pattern, data):
                assert m.start() in starts, (rule.rule.id, data[m.start():m.start() + 40])
                checked += 1
    assert checked > 100


@pytest.mark.parametrize("engine", available_engines())
def test_scanner_finds_what_finditer_finds(engine: str,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    index = KeywordIndex(scanner._ALL_KEYWORDS, engine)
    monkeypatch.setattr(scanner, "_index", lambda _keywords: index)
    found = 0
    for data in CORPUS:
        want = _reference(data)
        assert _got(scan_bounded(data)) == want, data[:120]
        found += len(want)
    assert found > 50


def test_scanner_is_thread_safe() -> None:
    texts = CORPUS[:150]
    want = [_reference(t) for t in texts]
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(3):
                assert [_got(scan_bounded(t)) for t in texts] == want
        except BaseException as exc:  # handed to the test thread
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_custom_rule_sets_use_their_own_keywords() -> None:
    only_jwt = [r for r in SECRET_RULES if r.rule.id == "IMG-109"]
    text = POSITIVES["IMG-109"][0]().encode() + b"\n" + POSITIVES["IMG-104"][0]().encode()
    assert [m.rule_id for m in scan_bounded(text, only_jwt).matches] == ["IMG-109"]
    assert [m.rule_id for m in scan_bounded(text).matches] == ["IMG-109", "IMG-104"]

"""Find secrets in bytes: one keyword search, then each rule's pattern at its keywords only.

Every match leaves this module redacted (a short prefix and the length) with a fingerprint
(rule id and a truncated SHA-256 of the secret) that an allow-list can name exactly; the
secret itself is never returned.

Work per text is bounded twice: only the first ``max_bytes`` are scanned, and the rules stop
after ``MAX_CANDIDATES`` pattern matches (accepted or rejected) or ``MAX_MATCHES`` accepted
secrets.  Hitting a budget is never silent: :func:`scan_bounded` says why the scan was
truncated, and the analyzer turns that into an Unknown ("secret scan truncated").
"""

from __future__ import annotations

import functools
import hashlib
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from ringfence.secretscan.prefilter import KeywordIndex
from ringfence.secretscan.rules import SECRET_RULES, SecretRule

GENERIC_ID: Final = "IMG-110"
MAX_MATCHES: Final = 100  # per scanned text: a generated file must not flood the report
MAX_CANDIDATES: Final = 10_000  # pattern matches examined per text, accepted or not
MAX_SCAN_BYTES: Final = 1 << 20  # bytes of one text the rules run over
_ALL_KEYWORDS: Final = tuple(sorted({k for r in SECRET_RULES for k in r.keywords}))


@dataclass(frozen=True, slots=True)
class SecretMatch:
    """One secret found in a text: rule, 1-based line, redacted value, fingerprint."""

    rule_id: str
    line: int
    redacted: str
    fingerprint: str


def entropy(value: bytes) -> float:
    """Shannon entropy in bits per character."""
    if not value:
        return 0.0
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in Counter(value).values())


def redact(secret: bytes) -> str:
    """A short prefix and the length only: enough to find it, never enough to use it."""
    keep = 4 if len(secret) >= 16 else 2 if len(secret) >= 8 else 0
    prefix = secret[:keep].decode("ascii", "replace")
    return f"{prefix}…({len(secret)} chars)"


def fingerprint(rule_id: str, secret: bytes) -> str:
    return f"{rule_id}:{hashlib.sha256(secret).hexdigest()[:16]}"


def keywords_in(data: bytes) -> frozenset[bytes]:
    """The keywords (of every rule) that occur in ``data``, ignoring case."""
    return frozenset(_index(_ALL_KEYWORDS).find(data))


@functools.lru_cache(maxsize=16)
def _index(keywords: tuple[bytes, ...]) -> KeywordIndex:
    return KeywordIndex(keywords)


@dataclass(frozen=True, slots=True)
class ScanOutcome:
    """The secrets found, and why the scan stopped early (None: it read everything).
    ``attempts``: how many times a rule's pattern was run (once per keyword occurrence
    outside an earlier match of that rule, at most): the work done, for tests."""

    matches: tuple[SecretMatch, ...]
    truncated: str | None = None
    attempts: int = 0


def scan_bounded(data: bytes, rules: Sequence[SecretRule] = SECRET_RULES, *,
                 max_bytes: int = MAX_SCAN_BYTES, max_candidates: int = MAX_CANDIDATES,
                 max_matches: int = MAX_MATCHES) -> ScanOutcome:
    """Scan the first ``max_bytes`` of ``data`` within the match budgets.

    One keyword search (:mod:`ringfence.secretscan.prefilter`) finds every occurrence of
    every rule's keywords; a rule's pattern then runs anchored (``match``) at each of its
    occurrences in order, skipping those inside its previous match.  Every pattern starts
    at one of its keywords (rules.py), so this finds exactly what ``finditer`` over the
    whole text finds (tests compare both), with one regex invocation per occurrence
    instead of one attempt per byte.
    """
    truncated: str | None = None
    if len(data) > max_bytes:
        truncated = f"scanned the first {max_bytes} of {len(data)} bytes"
        data = data[:max_bytes]
    keywords = _ALL_KEYWORDS if rules is SECRET_RULES else tuple(
        sorted({k for r in rules for k in r.keywords}))
    found = _index(keywords).find(data)
    if not found:
        return ScanOutcome((), truncated)
    # specific rules first: a generic match over the same span adds nothing
    selected = sorted((r for r in rules if any(k in found for k in r.keywords)),
                      key=lambda r: r.rule.id == GENERIC_ID)
    spans: list[tuple[int, int]] = []
    out: list[SecretMatch] = []
    candidates = attempts = 0
    for rule in selected:
        if rule.context is not None and rule.context not in data:
            continue
        starts = [found[k] for k in rule.keywords if k in found]
        positions = starts[0] if len(starts) == 1 else sorted({p for s in starts for p in s})
        cursor = 0
        for pos in positions:
            if pos < cursor:
                continue  # inside this rule's previous match (finditer does not overlap)
            attempts += 1
            m = rule.pattern.match(data, pos)
            if m is None:
                continue
            cursor = max(m.end(), pos + 1)
            candidates += 1
            if candidates > max_candidates:
                truncated = truncated or (f"stopped after {max_candidates} candidate matches "
                                          f"(at byte {m.start()})")
                return ScanOutcome(_ordered(out), truncated, attempts)
            start, end = m.span("secret")
            secret = m.group("secret")
            if not _accept(rule, secret) or any(s < end and start < e for s, e in spans):
                continue
            spans.append((start, end))
            out.append(SecretMatch(rule.rule.id, data.count(b"\n", 0, m.start()) + 1,
                                   redact(secret), fingerprint(rule.rule.id, secret)))
            if len(out) >= max_matches:
                truncated = truncated or f"stopped after {max_matches} secrets"
                return ScanOutcome(_ordered(out), truncated, attempts)
    return ScanOutcome(_ordered(out), truncated, attempts)


def _ordered(matches: list[SecretMatch]) -> tuple[SecretMatch, ...]:
    return tuple(sorted(matches, key=lambda s: (s.line, s.rule_id)))


def scan(data: bytes, rules: Sequence[SecretRule] = SECRET_RULES) -> list[SecretMatch]:
    """The secrets of :func:`scan_bounded` (callers that need the truncation use that)."""
    return list(scan_bounded(data, rules).matches)


def _accept(rule: SecretRule, secret: bytes) -> bool:
    if entropy(secret.replace(b"\n", b"").replace(b"\r", b"")) < rule.min_entropy:
        return False
    return rule.validate is None or rule.validate(secret)


def scan_text(text: str, rules: Sequence[SecretRule] = SECRET_RULES) -> list[SecretMatch]:
    return scan(text.encode("utf-8", "surrogateescape"), rules)

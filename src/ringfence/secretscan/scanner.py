"""Find secrets in bytes: one combined keyword search first, then only the rules it selects.

Every match leaves this module redacted (a short prefix and the length) with a fingerprint
(rule id and a truncated SHA-256 of the secret) that an allow-list can name exactly; the
secret itself is never returned.

Work per text is bounded twice: only the first ``max_bytes`` are scanned, and the rules stop
after ``MAX_CANDIDATES`` pattern matches (accepted or rejected) or ``MAX_MATCHES`` accepted
secrets.  Hitting a budget is never silent: :func:`scan_bounded` says why the scan was
truncated, and the analyzer turns that into an Unknown ("secret scan truncated").
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from ringfence.secretscan.rules import SECRET_RULES, SecretRule

GENERIC_ID: Final = "IMG-110"
MAX_MATCHES: Final = 100  # per scanned text: a generated file must not flood the report
MAX_CANDIDATES: Final = 10_000  # pattern matches examined per text, accepted or not
MAX_SCAN_BYTES: Final = 1 << 20  # bytes of one text the rules run over
_ALL_KEYWORDS: Final = tuple(sorted({k for r in SECRET_RULES for k in r.keywords}))
_PREFILTER: Final = re.compile(b"|".join(re.escape(k) for k in _ALL_KEYWORDS))


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
    """The prefilter: one combined search decides whether any rule needs to run at all."""
    low = data.lower()
    if _PREFILTER.search(low) is None:
        return frozenset()
    return frozenset(k for k in _ALL_KEYWORDS if k in low)


@dataclass(frozen=True, slots=True)
class ScanOutcome:
    """The secrets found, and why the scan stopped early (None: it read everything)."""

    matches: tuple[SecretMatch, ...]
    truncated: str | None = None


def scan_bounded(data: bytes, rules: Sequence[SecretRule] = SECRET_RULES, *,
                 max_bytes: int = MAX_SCAN_BYTES, max_candidates: int = MAX_CANDIDATES,
                 max_matches: int = MAX_MATCHES) -> ScanOutcome:
    """Scan the first ``max_bytes`` of ``data`` within the match budgets."""
    truncated: str | None = None
    if len(data) > max_bytes:
        truncated = f"scanned the first {max_bytes} of {len(data)} bytes"
        data = data[:max_bytes]
    found = keywords_in(data)
    if not found:
        return ScanOutcome((), truncated)
    selected = [r for r in rules if not found.isdisjoint(r.keywords)]
    # specific rules first: a generic match over the same span adds nothing
    selected.sort(key=lambda r: r.rule.id == GENERIC_ID)
    spans: list[tuple[int, int]] = []
    out: list[SecretMatch] = []
    candidates = 0
    for rule in selected:
        if rule.context is not None and rule.context not in data:
            continue
        for m in rule.pattern.finditer(data):
            candidates += 1
            if candidates > max_candidates:
                truncated = truncated or (f"stopped after {max_candidates} candidate matches "
                                          f"(at byte {m.start()})")
                return ScanOutcome(_ordered(out), truncated)
            start, end = m.span("secret")
            secret = m.group("secret")
            if not _accept(rule, secret) or any(s < end and start < e for s, e in spans):
                continue
            spans.append((start, end))
            out.append(SecretMatch(rule.rule.id, data.count(b"\n", 0, m.start()) + 1,
                                   redact(secret), fingerprint(rule.rule.id, secret)))
            if len(out) >= max_matches:
                truncated = truncated or f"stopped after {max_matches} secrets"
                return ScanOutcome(_ordered(out), truncated)
    return ScanOutcome(_ordered(out), truncated)


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

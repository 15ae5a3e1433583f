"""Hostile inputs for every secret rule, built at test time from the rule table itself.

For each rule the *lead* is the text of a real example (``generate.POSITIVES``) up to where
its secret starts (``-----BEGIN RSA PRIVATE KEY-----\\n``, ``aws_secret_access_key = ``,
``ghp_``, …); the *body* is that example's secret.  Each input is the lead (or only the
rule's keyword) followed by about 1 MiB of one filler: newlines, CRLFs, spaces, tabs, the
characters of the secret (the rule's character class), the lead again and again, and the
whole match minus its last character again and again (repeated partial matches).  A
backtracking pattern that is super-linear on any of them takes minutes to hours on 1 MiB.

Run as a script (``python -m tests.unit.secretscan.adversarial IMG-108``), it scans every
input of the given rules and prints one JSON line per input: the test runs it in a
subprocess with a timeout, so a hang fails the test without any wall-clock assertion.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator

from ringfence.secretscan.rules import RULES_BY_ID, SecretRule
from ringfence.secretscan.scanner import scan_bounded
from tests.unit.secretscan.generate import POSITIVES

MIB = 1 << 20


def lead_and_body(rule: SecretRule) -> tuple[bytes, bytes]:
    """(text before the secret, the secret) of the rule's first real example."""
    sample = POSITIVES[rule.rule.id][0]().encode()
    m = rule.pattern.search(sample)
    assert m is not None, f"{rule.rule.id}: its own example does not match"
    return sample[:m.start("secret")], m.group("secret")


def _fill(unit: bytes, size: int) -> bytes:
    return (unit * (size // max(1, len(unit)) + 1))[:size]


def inputs(rule: SecretRule, size: int = MIB) -> Iterator[tuple[str, bytes]]:
    """(name, data) pairs: every hostile input for ``rule``, each about ``size`` bytes."""
    lead, body = lead_and_body(rule)
    keyword = rule.keywords[0]
    # the characters the secret is made of, in the rule's class, without its structure
    charset = bytes(sorted(set(body) - {ord("\n"), ord("\r")}))
    partial = lead + body[:-1]
    for name, head in (("lead", lead), ("keyword", keyword)):
        for filler_name, unit in (("newlines", b"\n"), ("crlf", b"\r\n"), ("spaces", b" "),
                                  ("tabs", b"\t"), ("class", charset),
                                  ("class-lines", charset[:60] + b"\n")):
            yield f"{name}+{filler_name}", head + _fill(unit, size)
    yield "lead+body+newlines", lead + body + _fill(b"\n", size)
    yield "lead+body+class", lead + body + _fill(charset, size)
    yield "repeated-lead", _fill(lead, size)
    yield "repeated-keyword", _fill(keyword, size)
    yield "repeated-partial", _fill(partial, size)
    yield "repeated-partial-lines", _fill(partial + b"\n", size)


def run(rule_ids: list[str], size: int = MIB) -> Iterator[dict[str, object]]:
    for rule_id in rule_ids:
        rule = RULES_BY_ID[rule_id]
        for name, data in inputs(rule, size):
            start = time.perf_counter()
            # the whole input, every rule the prefilter selects (the real code path)
            outcome = scan_bounded(data, max_bytes=len(data))
            yield {"rule": rule_id, "input": name, "bytes": len(data),
                   "matches": len(outcome.matches), "truncated": outcome.truncated,
                   "seconds": round(time.perf_counter() - start, 3)}


if __name__ == "__main__":
    for row in run(sys.argv[1:]):
        print(json.dumps(row), flush=True)

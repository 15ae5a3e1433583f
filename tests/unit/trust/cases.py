"""Loader of the trust-policy rule cases: tests/cases/IMG-2NN/{good,bad}/policy.json."""

from __future__ import annotations

from pathlib import Path

from ringfence.trust.lint import PolicyFacts, load_policy_facts


def trust_case(case: Path) -> PolicyFacts:
    return load_policy_facts(case / "policy.json")

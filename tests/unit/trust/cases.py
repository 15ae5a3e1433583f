"""Loader of the trust-policy rule cases: tests/cases/IMG-2NN/{good,bad*}/policy.json.

``${CASE}`` in a policy stands for the case directory's absolute path, so a case can name an
absolute key file it holds (IMG-204's good case: a readable key at an absolute path)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from ringfence.trust.lint import PolicyFacts, load_policy_facts


def trust_case(case: Path) -> PolicyFacts:
    text = (case / "policy.json").read_text()
    if "${CASE}" not in text:
        return load_policy_facts(case / "policy.json")
    with tempfile.TemporaryDirectory(prefix="trustcase") as tmp:
        policy = Path(tmp) / "policy.json"
        policy.write_text(text.replace("${CASE}", str(case.resolve())))
        return load_policy_facts(policy)

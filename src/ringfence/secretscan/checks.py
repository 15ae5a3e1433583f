"""SECRET_CHECKS: one Check per secret rule over the gathered SecretFacts.

Secrets in ``Env`` are reported by the image-config rule for secrets in ENV (IMG-0NN), not
here, so one secret is one finding.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Final

from ringfence.checks.rule import Check, Violation
from ringfence.model.unknown import Unknown
from ringfence.secretscan.model import ENV, FILE, SecretHit, SecretsReport
from ringfence.secretscan.rules import SECRET_RULES, SecretRule


@dataclass(frozen=True, slots=True)
class SecretFacts:
    """File hits of every layer (None: the secrets analyzer did not run) and config hits."""

    files: SecretsReport | None
    config: tuple[SecretHit, ...] = ()
    config_unknowns: tuple[Unknown, ...] = ()  # config fields whose scan was truncated

    def unknowns(self) -> tuple[Unknown, ...]:
        """Files and config fields scanned only in part (a budget was hit): the caller adds
        them to the run's unknowns so a partial secret scan is never reported as clean."""
        files = self.files.unknowns() if self.files is not None else ()
        return (*files, *self.config_unknowns)

    def hits(self) -> Iterator[SecretHit]:
        if self.files is not None:
            yield from self.files.hits
        yield from (h for h in self.config if h.source != ENV)


# the conditions of every secret rule: a hit in a layer file, or in the config (a label or
# a history entry; Env is IMG-0NN's)
CONDITIONS: Final = ("file", "config")


def _check(rule: SecretRule) -> Check[SecretFacts]:
    def func(facts: SecretFacts) -> Iterator[Violation]:
        for hit in facts.hits():
            if hit.rule_id == rule.rule.id:
                yield Violation(hit.describe(rule.rule.title), hit.location,
                                CONDITIONS[0] if hit.source == FILE else CONDITIONS[1])

    applies: Callable[[SecretFacts], bool] = lambda facts: facts.files is not None  # noqa: E731
    return Check(rule.rule, func, applies, CONDITIONS)


SECRET_CHECKS: Final[tuple[Check[SecretFacts], ...]] = tuple(_check(r) for r in SECRET_RULES)

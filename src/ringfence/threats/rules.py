"""Every rule of every ring, from the domains' explicit check tuples (read here, in one
place, so the catalogue can derive which rules control which threat)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from ringfence.checks.rule import Check
from ringfence.host.rules import HOST_CHECKS
from ringfence.imageconfig.rules import IMAGE_CHECKS
from ringfence.k8s.netpol.rules import NETPOL_CHECKS
from ringfence.k8s.rbac.rules import RBAC_CHECKS
from ringfence.k8s.rules.rules import K8S_CHECKS
from ringfence.model.finding import Rule
from ringfence.runtime.rules import RT_CHECKS
from ringfence.seccomp.rules import SECCOMP_CHECKS
from ringfence.secretscan.checks import SECRET_CHECKS
from ringfence.trust.rules import TRUST_CHECKS

DOMAIN_CHECKS: Final[tuple[tuple[str, Sequence[Check[Any]]], ...]] = (
    ("imageconfig", IMAGE_CHECKS),
    ("secrets", SECRET_CHECKS),
    ("trust", TRUST_CHECKS),
    ("host", HOST_CHECKS),
    ("runtime", RT_CHECKS),
    ("seccomp", SECCOMP_CHECKS),
    ("k8s", K8S_CHECKS),
    ("rbac", RBAC_CHECKS),
    ("netpol", NETPOL_CHECKS),
)


def all_rules() -> tuple[Rule, ...]:
    return tuple(c.rule for _, checks in DOMAIN_CHECKS for c in checks)


def domain_rule_ids(domain: str) -> tuple[str, ...]:
    return tuple(c.rule.id for name, checks in DOMAIN_CHECKS if name == domain for c in checks)

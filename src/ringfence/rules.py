"""The one list of rule domains: each domain's explicit tuple of checks, its ring and the
prefix of its rule ids.  The depth report, ``ringfence explain``, the SARIF rule lists and
the tests' good/bad case runner all read this tuple."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from ringfence.checks.rule import Check
from ringfence.host.baseline.rules import HOST_DRIFT_CHECKS
from ringfence.host.declared.rules import DECLARED_CHECKS
from ringfence.host.rules import HOST_CHECKS
from ringfence.imageconfig.rules import IMAGE_CHECKS
from ringfence.k8s.netpol.rules import NETPOL_CHECKS
from ringfence.k8s.rbac.rules import RBAC_CHECKS
from ringfence.k8s.rules.rules import K8S_CHECKS
from ringfence.model.finding import Rule
from ringfence.runtime.rules import RT_CHECKS
from ringfence.seccomp.rules import SECCOMP_CHECKS
from ringfence.secretscan.checks import SECRET_CHECKS
from ringfence.trust.provenance_rules import PROVENANCE_CHECKS
from ringfence.trust.rules import TRUST_CHECKS

HOST_BASELINE: Final = "host baseline"


@dataclass(frozen=True, slots=True)
class Domain:
    name: str
    ring: str  # image | host | platform
    checks: Sequence[Check[Any]]
    id_prefix: str
    in_depth: bool = True  # its rules feed the defense-in-depth report
    # an input the depth report needs for this domain (its rules count only when given)
    depth_input: str = ""


DOMAINS: Final[tuple[Domain, ...]] = (
    Domain("imageconfig", "image", IMAGE_CHECKS, "IMG-0"),
    Domain("secrets", "image", SECRET_CHECKS, "IMG-1"),
    Domain("trust", "image", TRUST_CHECKS, "IMG-20"),
    Domain("provenance", "image", PROVENANCE_CHECKS, "IMG-21", in_depth=False),
    Domain("host", "host", HOST_CHECKS, "HOST-"),
    # drift against a signed host baseline (`host baseline check`): in the depth report only
    # when `scan --host-baseline` gives one (without it the report is as before)
    Domain("hostdrift", "host", HOST_DRIFT_CHECKS, "HOST-1", depth_input=HOST_BASELINE),
    # the host against its declared state (`host declared`): likewise only on request
    Domain("declared", "host", DECLARED_CHECKS, "HOST-11", in_depth=False),
    Domain("runtime", "host", RT_CHECKS, "RT-"),
    Domain("seccomp", "host", SECCOMP_CHECKS, "RT-2"),
    Domain("k8s", "platform", K8S_CHECKS, "K8S-"),
    Domain("rbac", "platform", RBAC_CHECKS, "K8S-2"),
    Domain("netpol", "platform", NETPOL_CHECKS, "K8S-3"),
)


def all_rules() -> tuple[Rule, ...]:
    """Every rule of every domain, in DOMAINS order."""
    return tuple(c.rule for d in DOMAINS for c in d.checks)


def find_rule(rule_id: str) -> tuple[Domain, Rule] | None:
    """The domain and rule of ``rule_id`` (case-insensitive), or None."""
    wanted = rule_id.strip().upper()
    for domain in DOMAINS:
        for check in domain.checks:
            if check.rule.id == wanted:
                return domain, check.rule
    return None

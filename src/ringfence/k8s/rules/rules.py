"""The explicit tuple of every platform check owned here (RBAC K8S-2NN and network
K8S-3NN rules live in their own modules' tuples)."""

from __future__ import annotations

from typing import Final

from ringfence.checks.rule import Check
from ringfence.k8s.facts import K8sFacts
from ringfence.k8s.rules.controlplane import CONTROL_PLANE_CHECKS
from ringfence.k8s.rules.environments import ENVIRONMENT_CHECKS
from ringfence.k8s.rules.pss import NAMESPACE_CHECKS, PSS_CHECKS
from ringfence.k8s.rules.secrets import SECRET_CHECKS
from ringfence.k8s.rules.workload import WORKLOAD_CHECKS

K8S_CHECKS: Final[tuple[Check[K8sFacts], ...]] = (
    *PSS_CHECKS, *NAMESPACE_CHECKS, *WORKLOAD_CHECKS, *SECRET_CHECKS, *ENVIRONMENT_CHECKS,
    *CONTROL_PLANE_CHECKS)

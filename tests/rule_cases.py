"""Every rule of every domain has tests/cases/<RULE-ID>/{good,bad}: the bad case makes the
rule fire and the good case keeps it quiet. Each domain adds one line to DOMAINS: its
explicit tuple of checks and a loader that turns a case directory into that domain's facts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ringfence.checks.rule import Check
from ringfence.host.rules import HOST_CHECKS
from ringfence.imageconfig.rules import IMAGE_CHECKS
from ringfence.k8s.netpol.rules import NETPOL_CHECKS
from ringfence.k8s.netpol.rules import load_facts as netpol_facts
from ringfence.k8s.rbac.rules import RBAC_CHECKS
from ringfence.k8s.rules.rules import K8S_CHECKS
from ringfence.runtime.facts import load_case as runtime_case
from ringfence.runtime.rules import RT_CHECKS
from ringfence.seccomp.rules import SECCOMP_CHECKS
from ringfence.secretscan.checks import SECRET_CHECKS
from ringfence.trust.provenance_rules import PROVENANCE_CHECKS
from ringfence.trust.rules import TRUST_CHECKS
from tests.unit.host.case_loader import load_host_case
from tests.unit.imageconfig.cases import image_case, secret_case
from tests.unit.k8s.cases import k8s_case
from tests.unit.k8s.rbac.cases import rbac_case
from tests.unit.seccomp.cases import seccomp_case
from tests.unit.trust.cases import trust_case
from tests.unit.trust.provenance_cases import provenance_case

CASES = Path(__file__).parent / "cases"

Loader = Callable[[Path], Any]
DOMAINS: list[tuple[str, Sequence[Check[Any]], Loader]] = [
    ("imageconfig", IMAGE_CHECKS, image_case),
    ("secrets", SECRET_CHECKS, secret_case),
    ("k8s", K8S_CHECKS, k8s_case),
    ("netpol", NETPOL_CHECKS, netpol_facts),
    ("rbac", RBAC_CHECKS, rbac_case),
    ("host", HOST_CHECKS, load_host_case),
    ("trust", TRUST_CHECKS, trust_case),
    ("seccomp", SECCOMP_CHECKS, seccomp_case),
    ("runtime", RT_CHECKS, runtime_case),
    ("provenance", PROVENANCE_CHECKS, provenance_case),
]

"""Every rule of every domain has tests/cases/<RULE-ID>/{good,bad}: the bad case makes the
rule fire and the good case keeps it quiet. Each domain of ringfence.rules.DOMAINS has a
loader here that turns a case directory into that domain's facts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ringfence.checks.rule import Check
from ringfence.k8s.netpol.rules import load_facts as netpol_facts
from ringfence.rules import DOMAINS as RULE_DOMAINS
from ringfence.runtime.facts import load_case as runtime_case
from tests.unit.host.case_loader import load_host_case
from tests.unit.host.drift_cases import load_declared_case, load_drift_case
from tests.unit.imageconfig.cases import image_case, secret_case
from tests.unit.k8s.cases import k8s_case
from tests.unit.k8s.rbac.cases import rbac_case
from tests.unit.seccomp.cases import seccomp_case
from tests.unit.trust.cases import trust_case
from tests.unit.trust.provenance_cases import provenance_case

CASES = Path(__file__).parent / "cases"

Loader = Callable[[Path], Any]
# the fixture loader of each rule domain of ringfence.rules.DOMAINS (the one list of domains)
LOADERS: dict[str, Loader] = {
    "imageconfig": image_case, "secrets": secret_case, "k8s": k8s_case,
    "netpol": netpol_facts, "rbac": rbac_case, "host": load_host_case, "trust": trust_case,
    "seccomp": seccomp_case, "runtime": runtime_case, "provenance": provenance_case,
    "hostdrift": load_drift_case, "declared": load_declared_case,
}
DOMAINS: list[tuple[str, Sequence[Check[Any]], Loader]] = [
    (d.name, d.checks, LOADERS[d.name]) for d in RULE_DOMAINS]

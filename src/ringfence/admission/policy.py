"""The admission policy: one YAML or JSON file shared by ``ringfence webhook serve`` and the
CLI commands that evaluate workloads (``load_policy`` + ``evaluate_pod``).

```yaml
pss: {enforce: baseline, audit: restricted}   # privileged | baseline | restricted
                                         # version: latest (default) or v1.N, as PSA's labels
rules: {deny: [K8S-030], warn: [K8S-036]}      # extra single-pod workload rules
registries: [registry.example.com, ghcr.io/acme]   # allow-list (empty: not enforced)
trust:                                   # off unless given
  policy: /etc/containers/policy.json    # containers-policy.json(5), relative to this file
  registries_d: /etc/containers/registries.d
  cache_ttl_seconds: 300
vulnerabilities:                         # off unless given
  max_severity: medium                   # deny a match above this (high, critical)
  reports: /var/lib/ringfence/scans      # `ringfence image -f json` reports, by digest
  unscanned: warn                        # warn | deny when no report is known
exemptions: {namespaces: [kube-system], users: [system:serviceaccount:ci:deployer]}
```
Unknown keys are errors (a typo must not silently switch a control off).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import yaml

from ringfence.admission.scans import ScanIndex, load_scan_index
from ringfence.errors import InputError
from ringfence.inputs import read_regular
from ringfence.k8s.psa import LATEST, parse_version
from ringfence.k8s.rules.pss import PSS_CHECKS
from ringfence.k8s.rules.workload import WORKLOAD_CHECKS
from ringfence.model.finding import Severity
from ringfence.trust.policy import Policy as TrustPolicy
from ringfence.trust.policy import load_policy as load_trust_policy

LEVELS: Final = ("privileged", "baseline", "restricted")
MAX_POLICY_BYTES: Final = 1 << 20
# single-pod rules a policy may name: K8S-032 is driven by ``registries``; K8S-035 needs the
# pod's ServiceAccount object, which an admission request does not carry
RULE_IDS: Final = frozenset(c.rule.id for c in (*PSS_CHECKS, *WORKLOAD_CHECKS)) - {
    "K8S-032", "K8S-035"}
_TOP: Final = ("pss", "rules", "registries", "trust", "vulnerabilities", "exemptions")


@dataclass(frozen=True, slots=True)
class TrustSettings:
    policy: TrustPolicy
    registries_d: str | None = None
    cache_ttl_seconds: float = 300.0


@dataclass(frozen=True, slots=True)
class VulnSettings:
    max_severity: Severity
    scans: ScanIndex
    deny_unscanned: bool = False


@dataclass(frozen=True, slots=True)
class AdmissionPolicy:
    """Parsed once at the boundary; ``audit`` is "" when no audit level is set."""

    enforce: str = "baseline"
    audit: str = ""
    pss_version: str = LATEST  # the Pod Security policy version both levels are checked at
    deny_rules: tuple[str, ...] = ()
    warn_rules: tuple[str, ...] = ()
    registries: tuple[str, ...] = ()
    trust: TrustSettings | None = None
    vulnerabilities: VulnSettings | None = None
    exempt_namespaces: frozenset[str] = frozenset()
    exempt_users: frozenset[str] = frozenset()
    source: str = ""


class _Bad(Exception):
    """A structural problem; becomes an InputError naming the file."""


def load_policy(path: str | Path) -> AdmissionPolicy:
    """Read and parse a policy file (YAML or JSON); relative paths inside it are resolved
    against its directory."""
    p = Path(path)
    data = read_regular(p, MAX_POLICY_BYTES, str(p))  # a FIFO would block the server's start
    return loads_policy(data, str(p), p.resolve().parent)


def loads_policy(data: bytes | str, source: str = "policy",
                 base: Path | None = None) -> AdmissionPolicy:
    try:
        doc = yaml.safe_load(data)
    except yaml.YAMLError as exc:
        raise InputError(source, f"not YAML or JSON: {exc}") from exc
    try:
        return _policy(doc if doc is not None else {}, source, base or Path.cwd())
    except _Bad as exc:
        raise InputError(source, str(exc)) from exc


def _policy(doc: Any, source: str, base: Path) -> AdmissionPolicy:
    top = _obj(doc, "policy", _TOP)
    pss = _obj(top.get("pss") or {}, "pss", ("enforce", "audit", "version"))
    rules = _obj(top.get("rules") or {}, "rules", ("deny", "warn"))
    ex = _obj(top.get("exemptions") or {}, "exemptions", ("namespaces", "users"))
    return AdmissionPolicy(
        enforce=_level(pss.get("enforce", "baseline"), "pss.enforce"),
        audit=_level(pss["audit"], "pss.audit") if pss.get("audit") else "",
        pss_version=_version(pss.get("version", LATEST)),
        deny_rules=_rule_ids(rules.get("deny"), "rules.deny"),
        warn_rules=_rule_ids(rules.get("warn"), "rules.warn"),
        registries=_strings(top.get("registries"), "registries"),
        trust=_trust(top["trust"], base) if top.get("trust") else None,
        vulnerabilities=_vulns(top["vulnerabilities"], base) if top.get(
            "vulnerabilities") else None,
        exempt_namespaces=frozenset(_strings(ex.get("namespaces"), "exemptions.namespaces")),
        exempt_users=frozenset(_strings(ex.get("users"), "exemptions.users")),
        source=source,
    )


def _trust(value: Any, base: Path) -> TrustSettings:
    body = _obj(value, "trust", ("policy", "registries_d", "cache_ttl_seconds"))
    if not isinstance(body.get("policy"), str):
        raise _Bad("trust.policy: the path of a containers-policy.json(5) file is required")
    ttl = body.get("cache_ttl_seconds", 300)
    if not isinstance(ttl, int | float) or isinstance(ttl, bool) or ttl < 0:
        raise _Bad("trust.cache_ttl_seconds: expected a number >= 0")
    reg_d = body.get("registries_d")
    return TrustSettings(load_trust_policy(base / body["policy"]),
                         str(base / reg_d) if isinstance(reg_d, str) else None, float(ttl))


def _vulns(value: Any, base: Path) -> VulnSettings:
    body = _obj(value, "vulnerabilities", ("max_severity", "reports", "unscanned"))
    sev = Severity.parse(str(body.get("max_severity", "")))
    if sev is Severity.UNKNOWN:
        raise _Bad("vulnerabilities.max_severity: one of low, medium, high, critical")
    if not isinstance(body.get("reports"), str):
        raise _Bad("vulnerabilities.reports: a directory of `ringfence image -f json` "
                   "reports is required (the webhook never scans on the request path)")
    unscanned = body.get("unscanned", "warn")
    if unscanned not in ("warn", "deny"):
        raise _Bad("vulnerabilities.unscanned: warn or deny")
    return VulnSettings(sev, load_scan_index(base / body["reports"]), unscanned == "deny")


def _obj(value: Any, where: str, keys: tuple[str, ...]) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _Bad(f"{where}: expected a mapping")
    unknown = sorted(str(k) for k in value if k not in keys)
    if unknown:
        raise _Bad(f"{where}: unknown key {unknown[0]!r} (known: {', '.join(keys)})")
    return value


def _level(value: Any, where: str) -> str:
    if value not in LEVELS:
        raise _Bad(f"{where}: {value!r} is not one of {', '.join(LEVELS)}")
    return str(value)


def _version(value: Any) -> str:
    try:
        parse_version(value if isinstance(value, str) else repr(value))
    except ValueError as exc:
        raise _Bad(f"pss.version: {exc}") from exc
    return str(value)


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise _Bad(f"{where}: expected a list of non-empty strings")
    return tuple(value)


def _rule_ids(value: Any, where: str) -> tuple[str, ...]:
    ids = _strings(value, where)
    unknown = [i for i in ids if i not in RULE_IDS]
    if unknown:
        raise _Bad(f"{where}: {unknown[0]} is not a single-pod workload rule "
                   f"(one of {', '.join(sorted(RULE_IDS))})")
    return ids

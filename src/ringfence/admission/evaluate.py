"""``evaluate_pod(policy, pod) -> Decision``: the admission policy applied to one pod view.

Pod Security Standards and workload rules run through the same checks as ``ringfence k8s``
(one pod as the facts); the registry allow-list is K8S-032; signatures go through the image
ring's verifier (``trust.verify``) behind a TTL cache; the vulnerability threshold reads the
prior scan index by digest. A lookup that fails is an *error* (not a violation): the caller
decides (fail closed or open).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from ringfence.admission.images import TrustChecker, image_digest
from ringfence.admission.policy import AdmissionPolicy, VulnSettings
from ringfence.checks.engine import run_checks
from ringfence.checks.rule import Check
from ringfence.errors import Error
from ringfence.k8s.facts import K8sFacts
from ringfence.k8s.podview import PodView
from ringfence.k8s.psa import PssSelection
from ringfence.k8s.rules.pss import PSS_CHECKS
from ringfence.k8s.rules.workload import WORKLOAD_CHECKS
from ringfence.model.finding import Finding, Severity

TRUST_ID: Final = "trust-policy"  # verdicts of containers-policy.json(5), not a catalogue rule
VULN_ID: Final = "vulnerability-threshold"
REGISTRY_RULE: Final = "K8S-032"
_PSS_IDS: Final = frozenset(c.rule.id for c in PSS_CHECKS)
_BY_ID: Final = {c.rule.id: c for c in (*PSS_CHECKS, *WORKLOAD_CHECKS)}


@dataclass(frozen=True, slots=True)
class Decision:
    """``violations`` deny, ``warnings`` are audit-level, ``errors`` are lookups that could
    not complete; ``exempt`` says why the policy was not applied."""

    violations: tuple[Finding, ...] = ()
    warnings: tuple[Finding, ...] = ()
    errors: tuple[str, ...] = ()
    exempt: str = ""

    @property
    def allowed(self) -> bool:
        return not self.violations and not self.errors

    def rule_ids(self) -> list[str]:
        return sorted({f.rule_id for f in self.violations})


def exemption(policy: AdmissionPolicy, namespace: str, user: str) -> str:
    if namespace in policy.exempt_namespaces:
        return f"namespace {namespace} is exempt"
    if user and user in policy.exempt_users:
        return f"user {user} is exempt"
    return ""


def evaluate_pod(policy: AdmissionPolicy, pod: PodView, *, namespace: str | None = None,
                 user: str = "", trust: TrustChecker | None = None) -> Decision:
    """The decision for one pod view. ``namespace`` defaults to the pod's; ``trust`` is a
    shared checker (its cache outlives one call); without one a fresh checker is used."""
    why = exemption(policy, namespace or pod.namespace, user)
    if why:
        return Decision(exempt=why)
    # Pod Security: the same control table as `ringfence k8s`, at the policy's levels and
    # version (each PSS rule gates itself on the level and version in the facts); a rule
    # named in rules.deny/warn is checked whatever the level (at restricted)
    extra_deny, extra_warn = _checks(policy.deny_rules, policy.warn_rules,
                                     bool(policy.registries))
    denied = [run_checks(PSS_CHECKS, _facts(policy, pod, policy.enforce)),
              run_checks(extra_deny, _facts(policy, pod, "restricted"))]
    warned = [run_checks(PSS_CHECKS, _facts(policy, pod, policy.audit or "privileged")),
              run_checks(extra_warn, _facts(policy, pod, "restricted"))]
    violations = _once(r.findings for r in denied)
    deny_ids = {f.rule_id for f in violations}
    warnings = [f for f in _once(r.findings for r in warned) if f.rule_id not in deny_ids]
    errors = [u.reason for r in (*denied, *warned) for u in r.unknowns]
    if policy.trust is not None:
        checker = trust or TrustChecker(policy.trust)
        _trust(checker, pod, violations, errors)
    if policy.vulnerabilities is not None:
        _vulns(policy.vulnerabilities, pod, violations, warnings)
    return Decision(tuple(violations), tuple(warnings), tuple(errors))


def _once(runs: Iterable[Sequence[Finding]]) -> list[Finding]:
    """A rule checked at the level and named in the policy reports its findings once: those
    of the first run that reached it. Rules are taken per run, not per run of equal ids in
    the concatenation (a rule ending one run and starting the next would merge: twice)."""
    out: list[Finding] = []
    seen: set[str] = set()
    for findings in runs:
        ids = {f.rule_id for f in findings}
        out.extend(f for f in findings if f.rule_id not in seen)
        seen |= ids
    return out


def _facts(policy: AdmissionPolicy, pod: PodView, level: str) -> K8sFacts:
    return K8sFacts((pod.obj,), (pod,), allowed_registries=policy.registries,
                    pss=_selection(level, policy.pss_version))


@lru_cache(maxsize=16)
def _selection(level: str, version: str) -> PssSelection:
    return PssSelection(level, version)


@lru_cache(maxsize=64)
def _checks(deny_rules: tuple[str, ...], warn_rules: tuple[str, ...], registries: bool,
            ) -> tuple[tuple[Check[K8sFacts], ...], tuple[Check[K8sFacts], ...]]:
    """The rules a policy names beside its Pod Security levels."""
    deny_ids = dict.fromkeys(deny_rules)
    if registries:
        deny_ids[REGISTRY_RULE] = None
    warn_ids = [i for i in dict.fromkeys(warn_rules) if i not in deny_ids]
    return tuple(_BY_ID[i] for i in deny_ids), tuple(_BY_ID[i] for i in warn_ids)


def _images(pod: PodView) -> list[str]:
    return list(dict.fromkeys(c.image for c in pod.containers if c.image))


def _trust(checker: TrustChecker, pod: PodView, violations: list[Finding],
           errors: list[str]) -> None:
    for image in _images(pod):
        try:
            verdict = checker.check(image)
        except Error as exc:
            errors.append(f"signature lookup for {image} failed: {exc}")
            continue
        if not verdict.allowed:
            reasons = "; ".join(verdict.reasons()) or "no requirement accepted"
            violations.append(Finding(TRUST_ID, f"{pod.ref}: image {image} rejected by the "
                                      f"trust policy ({verdict.scope}): {reasons}",
                                      pod.location, Severity.HIGH))


def _vulns(settings: VulnSettings, pod: PodView, violations: list[Finding],
           warnings: list[Finding]) -> None:
    for image in _images(pod):
        digest = image_digest(image)
        record = settings.scans.get(digest) if digest else None
        if record is None:
            why = "has no prior scan" if digest else "is not pinned by digest (no scan lookup)"
            finding = Finding(VULN_ID, f"{pod.ref}: image {image} {why}", pod.location,
                              Severity.MEDIUM)
            (violations if settings.deny_unscanned else warnings).append(finding)
            continue
        above = record.above(settings.max_severity)
        if above:
            ids = ", ".join(f"{v.advisory_id} ({v.severity.name.lower()}, {v.package})"
                            for v in above[:5])
            more = f" and {len(above) - 5} more" if len(above) > 5 else ""
            violations.append(Finding(
                VULN_ID, f"{pod.ref}: image {image} has {len(above)} vulnerabilities above "
                f"{settings.max_severity.name.lower()}: {ids}{more}", pod.location,
                max(v.severity for v in above)))

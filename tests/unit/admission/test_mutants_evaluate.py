"""Webhook evaluation, the decisions mutation testing found unpinned (bench/mutation.py
`webhook`): what denies (violations or errors, never warnings), a rule named in the policy
and reached by the level reported once, warnings never repeating a denied rule, each image
looked up once, the vulnerability summary (first five, "and N more", the worst severity),
the trust verdict's reasons, and a fresh checker when none is shared."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from ringfence.admission import evaluate as ev
from ringfence.admission.evaluate import TRUST_ID, VULN_ID, Decision, evaluate_pod
from ringfence.admission.images import TrustChecker
from ringfence.admission.policy import TrustSettings, loads_policy
from ringfence.errors import RegistryError
from ringfence.k8s.objects import make_object
from ringfence.k8s.podview import PodView, pod_view
from ringfence.model.advisory import VulnerabilityMatch
from ringfence.model.finding import Finding, Severity
from ringfence.model.image import ImageRef
from ringfence.model.inventory import Inventory
from ringfence.model.result import ScanResult, Target
from ringfence.report.json_report import to_document
from ringfence.trust.evaluate import RequirementResult, Verdict
from ringfence.trust.policy import Policy
from ringfence.trust.policy import loads_policy as loads_trust
from ringfence.trust.verify import VerifyOptions

RESTRICTED_SC = {"allowPrivilegeEscalation": False, "runAsNonRoot": True,
                 "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"}}


def _pod(*images: str, sc: dict[str, Any] | None = None, ns: str = "apps") -> PodView:
    containers = [{"name": f"c{i}", "image": img, "securityContext": sc or {}}
                  for i, img in enumerate(images)]
    doc = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": ns},
           "spec": {"containers": containers}}
    view = pod_view(make_object(doc, "test", 1))
    assert view is not None
    return view


def _finding(rule: str) -> Finding:
    return Finding(rule, "m", "l", Severity.HIGH)


def test_decision_allowed_and_rule_ids() -> None:
    assert Decision().allowed
    assert Decision(warnings=(_finding("K8S-001"),)).allowed
    assert not Decision(errors=("lookup failed",)).allowed
    assert not Decision(violations=(_finding("K8S-001"),)).allowed
    d = Decision(violations=(_finding("K8S-009"), _finding("K8S-001"), _finding("K8S-009")))
    assert d.rule_ids() == ["K8S-001", "K8S-009"]


def test_exemptions() -> None:
    policy = loads_policy("exemptions: {namespaces: [kube-system], users: [ci-bot]}")
    assert ev.exemption(policy, "kube-system", "") == "namespace kube-system is exempt"
    assert ev.exemption(policy, "apps", "ci-bot") == "user ci-bot is exempt"
    assert ev.exemption(policy, "apps", "someone") == ""
    assert ev.exemption(policy, "apps", "") == ""
    privileged = _pod("registry.invalid/x:1", sc={"privileged": True})
    assert evaluate_pod(policy, privileged, user="ci-bot") == Decision(
        exempt="user ci-bot is exempt")
    assert not evaluate_pod(policy, privileged, user="someone").allowed
    # the namespace argument wins over the pod's own (the admission request's namespace)
    assert evaluate_pod(policy, _pod("x", sc={"privileged": True}, ns="kube-system"),
                        namespace="apps").violations


def test_rule_named_and_reached_by_the_level_denies_with_the_level_findings() -> None:
    pod = _pod("registry.invalid/x:1", sc={"privileged": True})
    both = evaluate_pod(loads_policy("pss: {enforce: baseline}\nrules: {deny: [K8S-003]}"), pod)
    level = evaluate_pod(loads_policy("pss: {enforce: baseline}"), pod)
    named = evaluate_pod(loads_policy("pss: {enforce: privileged}\nrules: {deny: [K8S-003]}"),
                         pod)
    assert both.rule_ids() == level.rule_ids() == named.rule_ids() == ["K8S-003"]
    assert level.violations[0] in both.violations and not both.allowed


def test_each_rule_once_when_named_and_reached_among_others() -> None:
    pod = _pod("registry.invalid/x:1", sc={"privileged": True})
    pod = pod_view(make_object({**pod.obj.raw, "spec": {**pod.obj.raw["spec"], "volumes": [
        {"name": "h", "hostPath": {"path": "/"}}]}}, "test", 1))  # type: ignore[union-attr]
    assert pod is not None
    d = evaluate_pod(loads_policy("pss: {enforce: baseline}\nrules: {deny: [K8S-003]}"), pod)
    assert [f.rule_id for f in d.violations] == ["K8S-003", "K8S-005"]


def test_policy_version_selects_the_sysctl_table() -> None:
    doc = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "apps"},
           "spec": {"securityContext": {"sysctls": [{"name": "net.ipv4.tcp_keepalive_time",
                                                     "value": "60"}]},
                    "containers": [{"name": "c", "image": "registry.invalid/x:1"}]}}
    pod = pod_view(make_object(doc, "test", 1))
    assert pod is not None
    old = evaluate_pod(loads_policy("pss: {enforce: baseline, version: v1.28}"), pod)
    new = evaluate_pod(loads_policy("pss: {enforce: baseline, version: latest}"), pod)
    assert old.rule_ids() == ["K8S-011"] and new.allowed


def test_warnings_never_repeat_a_denied_rule() -> None:
    pod = _pod("registry.invalid/x:1", sc={"privileged": True})
    d = evaluate_pod(loads_policy("pss: {enforce: baseline, audit: restricted}\n"
                                  "rules: {warn: [K8S-003, K8S-031]}"), pod)
    assert "K8S-003" in d.rule_ids()
    assert "K8S-003" not in {w.rule_id for w in d.warnings}
    assert "K8S-022" in {w.rule_id for w in d.warnings}  # restricted-only: audit
    quiet = evaluate_pod(loads_policy("pss: {enforce: baseline}"), pod)
    assert quiet.warnings == ()  # no audit level: nothing audited
    warned = evaluate_pod(loads_policy("pss: {enforce: privileged}\nrules: {warn: [K8S-003]}"),
                          pod)
    assert warned.allowed and [w.rule_id for w in warned.warnings] == ["K8S-003"]


def test_registry_rule_denies_and_is_not_also_a_warning() -> None:
    policy = loads_policy("pss: {enforce: privileged, audit: restricted}\n"
                          "registries: [registry.invalid]")
    d = evaluate_pod(policy, _pod("other.invalid/x:1"))
    assert d.rule_ids() == ["K8S-032"]
    assert "K8S-032" not in {w.rule_id for w in d.warnings}
    assert evaluate_pod(policy, _pod("registry.invalid/x:1")).allowed
    no_list = loads_policy("pss: {enforce: privileged}")
    assert evaluate_pod(no_list, _pod("other.invalid/x:1")).allowed


TRUST_POLICY = {"default": [{"type": "reject"}]}


def test_trust_each_image_once_reasons_and_lookup_errors() -> None:
    settings = TrustSettings(loads_trust(json.dumps(TRUST_POLICY)), None, 30.0)
    policy = replace(loads_policy("pss: {enforce: privileged}"), trust=settings)
    seen: list[str] = []

    def verdict(ref: ImageRef, pol: Policy, options: VerifyOptions) -> Verdict:
        seen.append(str(ref))
        if "broken" in str(ref):
            raise RegistryError(str(ref), "connection refused")
        if "two" in str(ref):
            return Verdict(False, "registry.invalid/two", (
                RequirementResult("signedBy", False, "no signature"),
                RequirementResult("insecureAcceptAnything", True, "accepted"),
                RequirementResult("sigstoreSigned", False, "no sigstore signature")))
        return Verdict(False, "registry.invalid", ())

    checker = TrustChecker(settings, verdict)
    pod = _pod("registry.invalid/broken:1", "registry.invalid/a:1", "registry.invalid/a:1", "",
               "registry.invalid/two:1")
    d = evaluate_pod(policy, pod, trust=checker)
    assert len(seen) == 3  # the repeated image once, the empty image never, after a failure
    assert [f.rule_id for f in d.violations] == [TRUST_ID, TRUST_ID]
    assert d.violations[0].message.endswith("no requirement accepted")
    assert d.violations[1].message.endswith(
        "(registry.invalid/two): signedBy: no signature; sigstoreSigned: no sigstore signature")
    assert all(v.location == pod.location for v in d.violations)
    assert "image registry.invalid/a:1 rejected by the trust policy (registry.invalid)" in \
        d.violations[0].message
    assert d.violations[0].severity is Severity.HIGH
    assert len(d.errors) == 1 and d.errors[0].startswith(
        "signature lookup for registry.invalid/broken:1 failed: ")
    assert "connection refused" in d.errors[0]


def _report(directory: Path, digest: str, severities: list[Severity]) -> None:
    matches = tuple(VulnerabilityMatch(f"CVE-2024-{i:04d}", (), f"pkg:deb/debian/p{i}@1",
                                       f"p{i}", "1", (), "affected", sev, None, None, "test",
                                       "test") for i, sev in enumerate(severities))
    result = ScanResult(Target("image", "registry.invalid/app:1", digest), Inventory(()),
                        vulnerabilities=matches)
    (directory / f"{digest[7:19]}.json").write_text(json.dumps(to_document(result)))


@pytest.mark.parametrize(("count", "more"), [(5, ""), (6, " and 1 more"), (8, " and 3 more")])
def test_vulnerability_summary(tmp_path: Path, count: int, more: str) -> None:
    digest = "sha256:" + "44" * 32
    _report(tmp_path, digest, [Severity.HIGH] * (count - 1) + [Severity.CRITICAL])
    policy = loads_policy(f"pss: {{enforce: privileged}}\nvulnerabilities: "
                          f"{{max_severity: medium, reports: {tmp_path}}}")
    d = evaluate_pod(policy, _pod(f"r.invalid/a@{digest}", f"r.invalid/a@{digest}"))
    assert len(d.violations) == 1  # one image, once
    (v,) = d.violations
    assert v.rule_id == VULN_ID and v.severity is Severity.CRITICAL
    assert f"has {count} vulnerabilities above medium: " in v.message
    assert v.message.endswith(more or ", p4)")
    assert v.message.count("CVE-2024-") == 5 and v.location == _pod("x").location
    assert "CVE-2024-0000 (high, p0), CVE-2024-0001 (high, p1), " in v.message


def test_unscanned_images_warn_or_deny(tmp_path: Path) -> None:
    digest = "sha256:" + "55" * 32
    warn = loads_policy(f"vulnerabilities: {{max_severity: high, reports: {tmp_path}}}")
    d = evaluate_pod(warn, _pod(f"r.invalid/a@{digest}"))
    assert d.allowed and len(d.warnings) == 1
    assert d.warnings[0].message.endswith(f"image r.invalid/a@{digest} has no prior scan")
    assert d.warnings[0].severity is Severity.MEDIUM
    assert d.warnings[0].location == _pod("x").location
    deny = loads_policy(f"vulnerabilities: {{max_severity: high, reports: {tmp_path}, "
                        "unscanned: deny}")
    d = evaluate_pod(deny, _pod("r.invalid/a:1"))
    assert not d.allowed and d.violations[0].message.endswith(
        "image r.invalid/a:1 is not pinned by digest (no scan lookup)")


def test_checks_named_by_the_policy() -> None:
    deny, warn = ev._checks(("K8S-030", "K8S-030"), ("K8S-031", "K8S-030"), True)
    assert [c.rule.id for c in deny] == ["K8S-030", "K8S-032"]
    assert [c.rule.id for c in warn] == ["K8S-031"]
    deny, warn = ev._checks((), ("K8S-032",), False)
    assert deny == () and [c.rule.id for c in warn] == ["K8S-032"]


def test_without_a_user_no_user_exemption_applies() -> None:
    privileged = _pod("registry.invalid/x:1", sc={"privileged": True})
    for name in ("XXXX", "system:anonymous", "admin", "-"):
        policy = loads_policy(f"exemptions: {{users: ['{name}']}}")
        assert evaluate_pod(policy, privileged).exempt == ""
        assert evaluate_pod(policy, privileged, user=name).exempt == f"user {name} is exempt"


def test_once_keeps_the_first_run_of_each_rule_across_any_number_of_runs() -> None:
    a1, b = _finding("K8S-001"), _finding("K8S-002")
    a2 = Finding("K8S-001", "m2", "l", Severity.HIGH)
    assert ev._once([(a1, a2), (b,), (a1,)]) == [a1, a2, b]
    assert ev._once([(b,), (a1,), (b, a1)]) == [b, a1]
    assert ev._once([]) == []

"""evaluate_pod: PSS levels and extra rules through the k8s checks, registry allow-list,
signatures through the trust ring (real policy evaluation, TTL cache by digest, a real
registry lookup that fails), and the vulnerability threshold from prior JSON reports."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from ringfence.admission.evaluate import TRUST_ID, VULN_ID, evaluate_pod
from ringfence.admission.images import TrustChecker
from ringfence.admission.policy import TrustSettings, loads_policy
from ringfence.k8s.objects import make_object
from ringfence.k8s.podview import PodView, pod_view
from ringfence.model.advisory import VulnerabilityMatch
from ringfence.model.finding import Severity
from ringfence.model.image import ImageRef
from ringfence.model.inventory import Inventory
from ringfence.model.result import ScanResult, Target
from ringfence.report.json_report import to_document
from ringfence.trust.evaluate import Candidate, Verdict, evaluate
from ringfence.trust.identity import parse_normalized, policy_identity, policy_namespaces
from ringfence.trust.policy import Policy
from ringfence.trust.policy import loads_policy as loads_trust
from ringfence.trust.verify import VerifyOptions

DIGEST = "sha256:" + "ab" * 32
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


def test_levels_audit_and_extra_rules() -> None:
    pod = _pod("registry.invalid/app:1", sc={"privileged": True})
    d = evaluate_pod(loads_policy("pss: {enforce: baseline}"), pod)
    assert not d.allowed and d.rule_ids() == ["K8S-003"]
    assert evaluate_pod(loads_policy("pss: {enforce: privileged}"), pod).allowed
    plain = _pod("registry.invalid/app:1")
    d = evaluate_pod(loads_policy("pss: {enforce: baseline, audit: restricted}\n"
                                  "rules: {deny: [K8S-030], warn: [K8S-031]}"), plain)
    assert d.allowed and d.violations == ()
    assert sorted({w.rule_id for w in d.warnings}) == [
        "K8S-021", "K8S-022", "K8S-024", "K8S-025", "K8S-031"]
    latest = evaluate_pod(loads_policy("rules: {deny: [K8S-030]}"), _pod("app"))
    assert latest.rule_ids() == ["K8S-030"]
    ok = _pod(f"registry.invalid/app@{DIGEST}", sc=RESTRICTED_SC)
    assert evaluate_pod(loads_policy("pss: {enforce: restricted}"), ok).allowed


def test_registry_allow_list_and_exemptions() -> None:
    policy = loads_policy("registries: [registry.invalid, ghcr.io/acme]\n"
                          "exemptions: {namespaces: [legacy], users: [bob]}")
    assert evaluate_pod(policy, _pod("registry.invalid/x:1", "ghcr.io/acme/y:2")).allowed
    d = evaluate_pod(policy, _pod("ghcr.io/other/y:2", "nginx:1.25"))
    assert d.rule_ids() == ["K8S-032"] and len(d.violations) == 2
    assert "docker.io" in d.violations[1].message
    assert evaluate_pod(policy, _pod("nginx:1", ns="legacy")).exempt
    assert evaluate_pod(policy, _pod("nginx:1"), namespace="legacy").allowed
    assert evaluate_pod(policy, _pod("nginx:1"), user="bob").exempt == "user bob is exempt"


TRUST_POLICY = {"default": [{"type": "reject"}], "transports": {"docker": {
    "registry.invalid/signed": [{"type": "signedBy", "keyType": "GPGKeys",
                                 "keyPath": "/nonexistent/key.gpg"}],
    "registry.invalid/open": [{"type": "insecureAcceptAnything"}]}}}


def _unsigned(ref: ImageRef, policy: Policy, options: VerifyOptions) -> Verdict:
    """What the registry fetch hands the evaluator for an image without signatures."""
    dref = parse_normalized(str(ref).removeprefix("docker://"))
    return evaluate(policy, Candidate("docker", policy_identity(dref),
                                      tuple(policy_namespaces(dref)), dref, b"{}"))


def test_trust_verdicts_through_the_policy_and_cache() -> None:
    settings = TrustSettings(loads_trust(json.dumps(TRUST_POLICY)), None, 30.0)
    calls: list[str] = []
    now = [100.0]

    def counting(ref: ImageRef, policy: Policy, options: VerifyOptions) -> Verdict:
        calls.append(str(ref))
        return _unsigned(ref, policy, options)

    checker = TrustChecker(settings, counting, clock=lambda: now[0])
    policy = replace(loads_policy("pss: {enforce: privileged}"), trust=settings)
    d = evaluate_pod(policy, _pod(f"registry.invalid/signed@{DIGEST}",
                                  "registry.invalid/open:1", "other.invalid/x:1"), trust=checker)
    assert [f.rule_id for f in d.violations] == [TRUST_ID, TRUST_ID]
    assert "no signature exists" in d.violations[0].message
    assert "rejected by policy" in d.violations[1].message
    # the same digest under another tag is one cached verdict; the TTL expires it
    evaluate_pod(policy, _pod(f"registry.invalid/signed:v2@{DIGEST}"), trust=checker)
    assert len(calls) == 3
    now[0] += 31
    evaluate_pod(policy, _pod(f"registry.invalid/signed@{DIGEST}"), trust=checker)
    assert len(calls) == 4 and checker.lookups == 4


def test_trust_lookup_failure_is_an_error_not_a_violation() -> None:
    """The real verifier against a closed port on 127.0.0.1: an error the webhook turns
    into a denial (fail-closed) or an allowed-with-warning (fail-open)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = TrustSettings(loads_trust(json.dumps(TRUST_POLICY)), None, 30.0)
    policy = replace(loads_policy("pss: {enforce: privileged}"), trust=settings)
    d = evaluate_pod(policy, _pod(f"127.0.0.1:{port}/app@{DIGEST}"))
    assert d.violations == () and not d.allowed
    assert len(d.errors) == 1 and "signature lookup" in d.errors[0]


def _report(directory: Path, digest: str, severities: list[Severity]) -> None:
    """A report as `ringfence image -f json` writes it (the real renderer)."""
    matches = tuple(VulnerabilityMatch(f"CVE-2024-{i:04d}", (), f"pkg:deb/debian/p{i}@1",
                                       f"p{i}", "1", (), "affected", sev, None, None, "test",
                                       "test") for i, sev in enumerate(severities))
    result = ScanResult(Target("image", "registry.invalid/app:1", digest), Inventory(()),
                        vulnerabilities=matches)
    (directory / f"{digest[7:19]}.json").write_text(json.dumps(to_document(result)))


def test_vulnerability_threshold_from_prior_reports(tmp_path: Path) -> None:
    clean, bad = "sha256:" + "11" * 32, "sha256:" + "22" * 32
    _report(tmp_path, clean, [Severity.LOW, Severity.MEDIUM])
    _report(tmp_path, bad, [Severity.LOW, Severity.CRITICAL, Severity.HIGH])
    policy = loads_policy(f"pss: {{enforce: privileged}}\nvulnerabilities: "
                          f"{{max_severity: medium, reports: {tmp_path}}}")
    assert evaluate_pod(policy, _pod(f"r.invalid/a@{clean}")).allowed
    d = evaluate_pod(policy, _pod(f"r.invalid/a@{bad}"))
    assert d.rule_ids() == [VULN_ID] and d.violations[0].severity is Severity.CRITICAL
    assert "2 vulnerabilities above medium" in d.violations[0].message
    assert "CVE-2024-0001 (critical, p1)" in d.violations[0].message
    unknown = evaluate_pod(policy, _pod("r.invalid/a:1", f"r.invalid/b@{'sha256:' + '33' * 32}"))
    assert unknown.allowed and [w.rule_id for w in unknown.warnings] == [VULN_ID, VULN_ID]
    assert "not pinned by digest" in unknown.warnings[0].message
    strict = loads_policy(f"vulnerabilities: {{max_severity: critical, reports: {tmp_path}, "
                          "unscanned: deny}")
    assert evaluate_pod(strict, _pod(f"r.invalid/a@{bad}"), namespace="x").allowed
    assert not evaluate_pod(strict, _pod("r.invalid/a:1")).allowed


def test_rule_reached_by_the_level_and_named_in_deny_is_reported_once() -> None:
    """Issue 17: the level's run ends with K8S-005 (after K8S-003) and rules.deny's run starts
    with it; merged as one run of equal ids, the hostPath finding came twice (and twice in the
    403 the API server shows). One finding per rule, the same decision."""
    from ringfence.admission.review import decision_review

    raw = _pod("registry.invalid/app:1", sc={"privileged": True}).obj.raw
    doc = {**raw, "spec": {**raw["spec"], "volumes": [{"name": "h", "hostPath": {"path": "/"}}]}}
    pod = pod_view(make_object(doc, "test", 1))
    assert pod is not None
    level = evaluate_pod(loads_policy("pss: {enforce: baseline}"), pod)
    for deny in ("[K8S-005]", "[K8S-005, K8S-003]", "[K8S-003, K8S-005]"):
        d = evaluate_pod(loads_policy(f"pss: {{enforce: baseline}}\nrules: {{deny: {deny}}}"),
                         pod)
        assert [f.rule_id for f in d.violations] == ["K8S-003", "K8S-005"], deny
        assert d.violations == level.violations and not d.allowed
        message = decision_review("u", "Pod/apps/p", d)["response"]["status"]["message"]
        assert message.count("[K8S-005]") == 1 and message.count("[K8S-003]") == 1
    # warnings: the audit level's run ends with K8S-025 (seccomp), rules.warn starts with it
    w = evaluate_pod(loads_policy("pss: {enforce: privileged, audit: restricted}\n"
                                  "rules: {warn: [K8S-025]}"), _pod("registry.invalid/app:1"))
    ids = [f.rule_id for f in w.warnings]
    assert w.allowed and "K8S-025" in ids and len(ids) == len(set(ids)), ids

"""RBAC rules K8S-2NN and the explicit tuple RBAC_CHECKS.

Grant rules (CIS Kubernetes 5.1.x) report each untrusted subject that holds the right
through a binding of the manifests (default bindings and trusted control-plane identities,
defaults.py, never fire). Path rules report identities with an escalation path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Final

from ringfence.checks.rule import Check, Violation
from ringfence.k8s.rbac.defaults import is_trusted
from ringfence.k8s.rbac.facts import RbacFacts
from ringfence.k8s.rbac.graph import CLUSTER_ADMIN, NODE, Node
from ringfence.k8s.rbac.model import Subject
from ringfence.k8s.rbac.request import Request
from ringfence.model.finding import Rule, Severity

ESC = "platform-privilege-escalation"
RBAC = "rbac.authorization.k8s.io"


def _r(num: int, title: str, severity: Severity, remediation: str,
       threats: tuple[str, ...], refs: tuple[str, ...]) -> Rule:
    return Rule(f"K8S-{num:03d}", title, severity, "platform", remediation, threats, refs)


def _has_rbac(facts: RbacFacts) -> bool:
    return facts.rbac_objects > 0


def _grant_check(rule: Rule, *requests: Request) -> Check[RbacFacts]:
    def func(facts: RbacFacts) -> Iterator[Violation]:
        seen: set[tuple[Subject, str]] = set()
        for req in requests:
            for g in facts.index.matching(req):
                if g.binding.default or is_trusted(g.subject) or (g.subject, g.scope) in seen:
                    continue
                seen.add((g.subject, g.scope))
                where = "cluster-wide" if not g.namespace else f"in namespace {g.namespace}"
                yield Violation(f"{g.subject} can {req} {where}: {g.why()}", g.binding.location)
    return Check(rule, func, _has_rbac)


def _path_check(rule: Rule, target: Node) -> Check[RbacFacts]:
    def func(facts: RbacFacts) -> Iterator[Violation]:
        for path in facts.graph.shortest_paths([target]):
            if path.source.subject is None:
                continue  # workloads: the pod rules report them; `rbac paths` prints them
            first = next((e.grant for e in path.edges if e.grant is not None), None)
            steps = " ".join(f"-> {e.dst} ({e.reason})" for e in path.edges)
            yield Violation(f"{path.source} reaches {target} in {len(path.edges)} step(s): "
                            f"{steps}", first.binding.location if first else str(path.source))
    return Check(rule, func, lambda f: f.rbac_objects > 0 or f.workloads > 0)


def _wildcards(facts: RbacFacts) -> Iterator[Violation]:
    for role in facts.index.roles.values():
        if role.default:
            continue
        for rule in role.rules:
            if rule.wildcard:
                yield Violation(f"{role.ref} uses a wildcard: {rule}", role.location)


def _default_sa(facts: RbacFacts) -> Iterator[Violation]:
    for b in facts.index.bindings:
        for s in b.subjects:
            if s.kind == "ServiceAccount" and s.name == "default" and not b.default:
                yield Violation(f"{b.ref} grants {b.role_kind} {b.role_name} to {s}", b.location)


def _dangling(facts: RbacFacts) -> Iterator[Violation]:
    for b in facts.index.dangling:
        yield Violation(f"{b.ref} refers to {b.role_kind} {b.role_name}, which the manifests "
                        "do not define: whoever creates it grants its rules to "
                        f"{', '.join(map(str, b.subjects)) or 'nobody'}", b.location)


def _check(rule: Rule, func: Callable[[RbacFacts], Iterator[Violation]]) -> Check[RbacFacts]:
    return Check(rule, func, _has_rbac)


def _req(verb: str, resource: str, group: str = "", sub: str = "", name: str = "") -> Request:
    return Request(verb, resource, group, sub, "", name)


RBAC_CHECKS: Final[tuple[Check[RbacFacts], ...]] = (
    _path_check(_r(201, "Identity can escalate to cluster-admin", Severity.CRITICAL,
                   "Break the chain: remove the first grant of the path printed by "
                   "`ringfence rbac paths --to cluster-admin`.", (ESC,),
                   ("CIS Kubernetes 5.1.1", "T1078.004")), CLUSTER_ADMIN),
    _path_check(_r(202, "Identity can take over a node", Severity.HIGH,
                   "Enforce Pod Security baseline in the namespace, or remove the grant "
                   "that lets the identity create pods or reach nodes/proxy.",
                   (ESC, "container-escape"), ("CIS Kubernetes 5.1.10", "T1611")), NODE),
    _check(_r(203, "Wildcard in a Role or ClusterRole", Severity.MEDIUM,
              "List the verbs, API groups and resources the role needs.", (ESC,),
              ("CIS Kubernetes 5.1.3",)), _wildcards),
    _grant_check(_r(204, "Subject can read secrets", Severity.HIGH,
                    "Grant get on named secrets only; avoid list/watch on secrets.",
                    ("credential-theft",), ("CIS Kubernetes 5.1.2", "T1552.007")),
                 _req("get", "secrets"), _req("list", "secrets"), _req("watch", "secrets")),
    _grant_check(_r(205, "Subject can create pods or workloads", Severity.MEDIUM,
                    "Let a deployment pipeline create workloads; do not grant create on pods.",
                    (ESC, "lateral-movement"), ("CIS Kubernetes 5.1.4", "T1610")),
                 _req("create", "pods"), _req("create", "deployments", "apps"),
                 _req("create", "daemonsets", "apps"), _req("create", "statefulsets", "apps"),
                 _req("create", "jobs", "batch"), _req("create", "cronjobs", "batch")),
    _grant_check(_r(206, "Subject can enter running containers (pods/exec, pods/attach)",
                    Severity.MEDIUM, "Grant exec/attach only to named operators, per "
                    "namespace.", ("interactive-access",), ("T1609",)),
                 _req("create", "pods", sub="exec"), _req("create", "pods", sub="attach")),
    _grant_check(_r(207, "Subject can bind, escalate or impersonate", Severity.HIGH,
                    "Remove bind/escalate/impersonate from the role.", (ESC,),
                    ("CIS Kubernetes 5.1.8",)),
                 _req("bind", "clusterroles", RBAC), _req("bind", "roles", RBAC),
                 _req("escalate", "clusterroles", RBAC), _req("escalate", "roles", RBAC),
                 _req("impersonate", "users"), _req("impersonate", "groups"),
                 _req("impersonate", "serviceaccounts")),
    _grant_check(_r(208, "Subject can reach the kubelet API (nodes/proxy)", Severity.HIGH,
                    "Remove nodes/proxy; read metrics through the metrics API instead.",
                    (ESC, "container-escape"), ("CIS Kubernetes 5.1.10",)),
                 _req("get", "nodes", sub="proxy"), _req("create", "nodes", sub="proxy")),
    _grant_check(_r(209, "Subject can approve certificate signing requests", Severity.HIGH,
                    "Restrict CSR approval to the controller manager.", (ESC,),
                    ("CIS Kubernetes 5.1.11",)),
                 _req("update", "certificatesigningrequests", "certificates.k8s.io",
                      "approval")),
    _grant_check(_r(210, "Subject can modify admission webhook configurations",
                    Severity.HIGH, "Only the component that owns a webhook may edit it.",
                    (ESC, "persistence-drift"), ("CIS Kubernetes 5.1.12",)),
                 *(_req(v, r, "admissionregistration.k8s.io") for v in ("create", "update",
                   "patch") for r in ("mutatingwebhookconfigurations",
                                      "validatingwebhookconfigurations"))),
    _grant_check(_r(211, "Subject can create service account tokens", Severity.MEDIUM,
                    "Grant serviceaccounts/token create only with resourceNames.",
                    (ESC, "credential-theft"), ("CIS Kubernetes 5.1.13",)),
                 _req("create", "serviceaccounts", sub="token")),
    _check(_r(212, "Default service account is granted a role", Severity.LOW,
              "Give the workload its own service account and bind that.",
              ("lateral-movement",), ("CIS Kubernetes 5.1.5",)), _default_sa),
    _check(_r(213, "Binding refers to a role the manifests do not define", Severity.LOW,
              "Define the role or delete the binding.", (ESC, "persistence-drift"), ()),
           _dangling),
)

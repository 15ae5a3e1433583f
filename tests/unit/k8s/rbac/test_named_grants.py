"""Name-restricted grants in the grant rules, as the authorizer sees them: a rule limited
to resourceNames allows only requests naming one of those objects, so it never creates a
resource or lists/deletes a collection, but binding ``cluster-admin`` by name is binding it,
a named ``nodes/proxy`` is that node's kubelet, a named Deployment's template is rewritable.
Reading named secrets and minting named tokens are what the remediation asks for: quiet."""

from __future__ import annotations

import pytest

from ringfence.checks.engine import run_checks
from ringfence.k8s.load import load_bytes
from ringfence.k8s.rbac.facts import gather
from ringfence.k8s.rbac.rules import RBAC_CHECKS


def _fired(rule: str) -> set[tuple[str, str]]:
    text = f"""apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {{name: r}}
rules: [{rule}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {{name: r}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r}}
subjects: [{{kind: ServiceAccount, name: bot, namespace: ops}}]
"""
    facts = gather(load_bytes(text.encode(), "t.yaml").objects)
    grant_rules = [c for c in RBAC_CHECKS if c.rule.id not in ("K8S-201", "K8S-202")]
    out: set[tuple[str, str]] = set()
    for check in grant_rules:
        for v in check.func(facts):
            out.add((check.rule.id, v.condition))
    return out


@pytest.mark.parametrize(("rule", "want"), [
    ('{apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [bind], '
     'resourceNames: [cluster-admin]}', {("K8S-207", "bind")}),
    ('{apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], '
     'verbs: [escalate], resourceNames: [view]}', {("K8S-207", "escalate")}),
    ('{apiGroups: [""], resources: [users], verbs: [impersonate], resourceNames: [alice]}',
     {("K8S-207", "impersonate")}),
    ('{apiGroups: [""], resources: [nodes/proxy], verbs: [get], resourceNames: [n1]}',
     {("K8S-208", "get")}),
    ('{apiGroups: [""], resources: [pods/exec], verbs: [create], resourceNames: [db]}',
     {("K8S-206", "exec")}),
    ('{apiGroups: [apps], resources: [deployments], verbs: [patch], resourceNames: [web]}',
     {("K8S-205", "rewrite")}),
    ('{apiGroups: [admissionregistration.k8s.io], resources: '
     '[mutatingwebhookconfigurations], verbs: [update], resourceNames: [hook]}',
     {("K8S-210", "mutating")}),
    # never allowed with a name restriction: create of a resource, deletecollection
    ('{apiGroups: [""], resources: [pods], verbs: [create], resourceNames: [web]}', set()),
    ('{apiGroups: [apps], resources: [deployments], verbs: [create], resourceNames: [web]}',
     set()),
    # the remediations: named secrets, named tokens
    ('{apiGroups: [""], resources: [secrets], verbs: [get, list, watch], '
     'resourceNames: [db]}', set()),
    ('{apiGroups: [""], resources: [serviceaccounts/token], verbs: [create], '
     'resourceNames: [bot]}', set()),
])
def test_named_grants(rule: str, want: set[tuple[str, str]]) -> None:
    assert _fired(rule) == want


def test_the_message_says_which_names() -> None:
    rule = ('{apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], '
            'verbs: [bind], resourceNames: [cluster-admin, admin]}')
    text = f"""apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {{name: r}}
rules: [{rule}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {{name: r}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r}}
subjects: [{{kind: User, name: alice}}]
"""
    run = run_checks(RBAC_CHECKS, gather(load_bytes(text.encode(), "t.yaml").objects))
    (msg,) = [f.message for f in run.findings if f.rule_id == "K8S-207"]
    assert msg.startswith("User alice can bind clusterroles.rbac.authorization.k8s.io "
                          "(named cluster-admin, admin only) cluster-wide: ")

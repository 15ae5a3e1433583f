"""Two ClusterRoles that aggregate each other: the aggregation controller keeps reconciling
until neither changes, so each ends with the rules of every role the cycle reaches. A
memoised recursion returned the first role's answer computed while the second was still
partial, and a subject bound to it lost permissions (a false pass)."""

from __future__ import annotations

import pytest

from ringfence.k8s.load import load_bytes
from ringfence.k8s.rbac.effective import build_index
from ringfence.k8s.rbac.request import parse_request
from ringfence.k8s.rbac.whocan import who_can


def _role(name: str, label: str, picks: str, rule: str) -> str:
    return f"""
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {{name: {name}, labels: {{example.com/{label}: "true"}}}}
aggregationRule:
  clusterRoleSelectors: [{{matchLabels: {{example.com/{picks}: "true"}}}}]
rules: []
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {{name: {name}-leaf, labels: {{example.com/{picks}: "true"}}}}
rules: [{rule}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {{name: {name}}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: {name}}}
subjects: [{{kind: User, name: {name}-user}}]
"""


# a picks the roles labelled to-a (b and a-leaf); b picks to-b (a and b-leaf)
CYCLE = "---".join([
    _role("a", "to-b", "to-a", '{apiGroups: [""], resources: [secrets], verbs: [get]}'),
    _role("b", "to-a", "to-b", '{apiGroups: [""], resources: [pods], verbs: [create]}'),
])


@pytest.mark.parametrize(("verb", "resource"), [("get", "secrets"), ("create", "pods")])
def test_roles_that_aggregate_each_other_both_hold_the_union(verb: str, resource: str) -> None:
    m = load_bytes(CYCLE.encode(), "cycle.yaml")
    assert not m.unknowns
    answers = who_can(build_index(m.objects), parse_request(verb, resource, ""))
    got = {str(a.subject) for a in answers if not a.grants[0].binding.default}
    assert got == {"User a-user", "User b-user"}

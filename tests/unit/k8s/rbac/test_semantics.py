"""Kubernetes RBAC semantics on tiny manifests built here: subresources, resourceNames,
nonResourceURLs, API groups, binding scope, unqualified subjects, aggregation, groups."""

from __future__ import annotations

from ringfence.k8s.load import load_bytes
from ringfence.k8s.rbac.effective import RbacIndex, build_index
from ringfence.k8s.rbac.model import Subject
from ringfence.k8s.rbac.request import parse_request
from ringfence.k8s.rbac.whocan import who_can, who_can_text

SA = Subject("ServiceAccount", "bot", "app")


def _index(yaml_text: str) -> RbacIndex:
    m = load_bytes(yaml_text.encode(), "t.yaml")
    assert not m.unknowns
    return build_index(m.objects)


def _cluster(rules: str, binding: str = "ClusterRoleBinding", ns: str = "") -> RbacIndex:
    meta_ns = f"\n  namespace: {ns}" if ns else ""
    return _index(f"""
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {{name: r}}
rules:
{rules}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: {binding}
metadata:
  name: b{meta_ns}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: r}}
subjects: [{{kind: ServiceAccount, name: bot, namespace: app}}]
""")


def _who(index: RbacIndex, verb: str, res: str, ns: str = "", sub: str = "",
         name: str = "") -> set[tuple[str, str]]:
    return {(str(a.subject), a.scope) for a in who_can_text(index, verb, res, ns, sub, name)
            if not a.grants[0].binding.default}


BOT = {("ServiceAccount app/bot", "*")}


def test_pods_does_not_grant_pods_exec_but_the_subresource_does() -> None:
    pods = _cluster('- {apiGroups: [""], resources: [pods], verbs: [create]}')
    assert _who(pods, "create", "pods") == BOT
    assert _who(pods, "create", "pods/exec") == set()
    exec_ = _cluster('- {apiGroups: [""], resources: [pods/exec], verbs: [create]}')
    assert _who(exec_, "create", "pods", sub="exec") == BOT
    assert _who(exec_, "create", "pods/exec") == BOT
    assert _who(exec_, "create", "pods") == set()
    star = _cluster('- {apiGroups: [""], resources: ["*/exec"], verbs: [create]}')
    assert _who(star, "create", "pods/exec") == BOT
    assert _who(star, "create", "pods") == set()


def test_resource_names_allow_only_named_requests() -> None:
    idx = _cluster('- {apiGroups: [""], resources: [secrets], verbs: [get, list], '
                   'resourceNames: [app-config]}')
    assert _who(idx, "get", "secrets", name="app-config") == BOT
    assert _who(idx, "get", "secrets", name="other") == set()
    assert _who(idx, "get", "secrets") == set()
    assert _who(idx, "list", "secrets") == set()  # list never carries a name


def test_non_resource_urls_and_only_through_cluster_role_bindings() -> None:
    rules = '- {nonResourceURLs: ["/metrics", "/logs/*"], verbs: [get]}'
    idx = _cluster(rules)
    assert _who(idx, "get", "/metrics") == BOT
    assert _who(idx, "get", "/logs/kubelet.log") == BOT
    assert _who(idx, "get", "/healthz") == set()
    assert _who(idx, "post", "/metrics") == set()
    assert _who(_cluster(rules, "RoleBinding", "app"), "get", "/metrics") == set()


def test_core_group_is_not_every_group() -> None:
    core = _cluster('- {apiGroups: [""], resources: ["*"], verbs: [get]}')
    assert _who(core, "get", "secrets") == BOT
    assert _who(core, "get", "deployments") == set()  # deployments are in "apps"
    assert _who(core, "get", "deployments.apps") == set()
    every = _cluster('- {apiGroups: ["*"], resources: ["*"], verbs: [get]}')
    assert _who(every, "get", "deployments.apps") == BOT
    assert _who(every, "get", "nodes/proxy") == BOT  # "*" covers subresources too
    apps = _cluster('- {apiGroups: [apps], resources: [deployments], verbs: ["*"]}')
    assert _who(apps, "delete", "deployments") == BOT
    assert _who(apps, "get", "deployments.extensions") == set()


def test_role_binding_to_cluster_role_is_namespaced() -> None:
    idx = _cluster('- {apiGroups: [""], resources: [pods, nodes], verbs: [get]}',
                   "RoleBinding", "team")
    assert _who(idx, "get", "pods", "team") == {("ServiceAccount app/bot", "team")}
    assert _who(idx, "get", "pods", "other") == set()
    assert _who(idx, "get", "nodes") == set()  # cluster-scoped: a RoleBinding cannot grant it
    crb = _cluster('- {apiGroups: [""], resources: [pods, nodes], verbs: [get]}')
    assert _who(crb, "get", "pods", "other") == BOT
    assert _who(crb, "get", "nodes") == BOT


def test_unqualified_service_account_subject_takes_the_binding_namespace() -> None:
    idx = _index("""
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: r, namespace: team}
rules: [{apiGroups: [""], resources: [configmaps], verbs: [get]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: b, namespace: team}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: r}
subjects: [{kind: ServiceAccount, name: bot}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: c}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects: [{kind: ServiceAccount, name: lost}]
""")
    assert _who(idx, "get", "configmaps", "team") == {("ServiceAccount team/bot", "team")}
    assert all(a.subject.name != "lost" for a in who_can_text(idx, "get", "pods"))


def test_aggregation_by_labels_expressions_and_transitively() -> None:
    idx = _index("""
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: monitoring}
aggregationRule:
  clusterRoleSelectors:
  - matchLabels: {example.com/aggregate-to-monitoring: "true"}
  - matchExpressions: [{key: tier, operator: In, values: [metrics]}]
rules: [{apiGroups: [""], resources: [secrets], verbs: [get]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: part-a, labels: {example.com/aggregate-to-monitoring: "true"}}
rules: [{apiGroups: [""], resources: [pods], verbs: [list]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: part-b, labels: {tier: metrics}}
rules: [{apiGroups: [""], resources: [endpoints], verbs: [list]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: part-c, labels: {tier: web}}
rules: [{apiGroups: [""], resources: [services], verbs: [list]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: m}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: monitoring}
subjects: [{kind: ServiceAccount, name: bot, namespace: app}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: a, namespace: app}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: admin}
subjects: [{kind: User, name: alice}]
""")
    assert _who(idx, "list", "pods") >= BOT
    assert _who(idx, "list", "endpoints") >= BOT
    assert not _who(idx, "list", "services") & BOT
    # the aggregation controller replaces the rules an aggregated role lists
    assert not _who(idx, "get", "secrets") & BOT
    # default admin = aggregate-to-admin + edit (= aggregate-to-edit + view): transitive
    alice = {("User alice", "app")}
    for verb, res in (("create", "rolebindings"), ("create", "pods/exec"),
                      ("get", "secrets"), ("list", "deployments"), ("create", "jobs")):
        assert _who(idx, verb, res, "app") >= alice, (verb, res)
    assert not _who(idx, "bind", "clusterroles") & alice


def test_group_bindings_reach_members_and_defaults_are_known() -> None:
    idx = _cluster('- {apiGroups: [""], resources: [configmaps], verbs: [get]}')
    masters = who_can(idx, parse_request("escalate", "clusterroles"))
    assert [str(a.subject) for a in masters] == ["Group system:masters"]
    grp = _index("""
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: g}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects: [{kind: Group, name: "system:serviceaccounts:app"}]
""")
    assert any(g.binding.name == "g" for g in grp.grants_of(SA))
    assert not any(g.binding.name == "g" for g in
                   grp.grants_of(Subject("ServiceAccount", "bot", "other")))

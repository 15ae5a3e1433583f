"""The RBAC authorizer, each decision alone (bench/mutation.py `rbac`): which binding scope
answers a request (namespace, cluster-scoped resources, the Namespace object itself), which
verbs can name their object, resourceNames under ``any_name``, nonResourceURLs only through
ClusterRoleBindings, bindings that resolve or dangle, aggregation (transitive, never itself),
and how kubectl-style requests are parsed and printed."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ringfence.k8s.load import load_bytes
from ringfence.k8s.rbac.effective import RbacIndex, aggregate, build_index, names_apply
from ringfence.k8s.rbac.model import PolicyRule, Role, Selector, Subject
from ringfence.k8s.rbac.request import Request, allows, parse_request

SA = Subject("ServiceAccount", "bot", "app")
RBAC = "rbac.authorization.k8s.io/v1"


def _index(*docs: dict[str, Any], defaults: bool = False) -> RbacIndex:
    loaded = load_bytes("\n---\n".join(json.dumps(d) for d in docs).encode(), "r.yaml")
    assert loaded.unknowns == ()
    return build_index(loaded.objects, defaults=defaults)


def _role(kind: str, name: str, rules: list[dict[str, Any]], ns: str = "",
          **extra: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, **({"namespace": ns} if ns else {}),
                            **extra.pop("meta", {})}
    return {"apiVersion": RBAC, "kind": kind, "metadata": meta, "rules": rules, **extra}


def _binding(kind: str, role_kind: str, role: str, ns: str = "",
             subject: dict[str, Any] | None = None) -> dict[str, Any]:
    meta = {"name": f"b-{role}-{ns or 'cluster'}", **({"namespace": ns} if ns else {})}
    return {"apiVersion": RBAC, "kind": kind, "metadata": meta,
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind,
                        "name": role},
            "subjects": [subject or {"kind": "ServiceAccount", "name": "bot",
                                     "namespace": "app"}]}


def _holders(index: RbacIndex, req: Request, any_name: bool = False) -> set[str]:
    return {f"{g.binding.kind}/{g.binding.namespace}" for g in index.matching(req, any_name)}


PODS = [{"apiGroups": [""], "resources": ["pods", "nodes", "namespaces"],
         "verbs": ["get", "create", "delete", "deletecollection"]}]


def test_binding_scope_of_namespaced_and_cluster_scoped_requests() -> None:
    index = _index(_role("ClusterRole", "r", PODS),
                   _binding("RoleBinding", "ClusterRole", "r", ns="app"),
                   _binding("ClusterRoleBinding", "ClusterRole", "r"))
    assert _holders(index, parse_request("get", "pods", "app")) == {
        "RoleBinding/app", "ClusterRoleBinding/"}
    assert _holders(index, parse_request("get", "pods", "other")) == {"ClusterRoleBinding/"}
    # no namespace: "in some namespace" - every grant counts
    assert _holders(index, parse_request("get", "pods")) == {
        "RoleBinding/app", "ClusterRoleBinding/"}
    # cluster-scoped: RoleBindings never grant it
    assert _holders(index, parse_request("get", "nodes")) == {"ClusterRoleBinding/"}
    assert _holders(index, parse_request("get", "nodes", "app")) == {"ClusterRoleBinding/"}
    # the Namespace object NAME is in namespace NAME for the authorizer
    assert _holders(index, parse_request("get", "namespaces", name="app")) == {
        "RoleBinding/app", "ClusterRoleBinding/"}
    assert _holders(index, parse_request("get", "namespaces", name="other")) == {
        "ClusterRoleBinding/"}
    assert _holders(index, parse_request("get", "namespaces")) == {"ClusterRoleBinding/"}


@pytest.mark.parametrize(("verb", "sub", "named"), [
    ("get", "", True), ("delete", "", True), ("create", "", False),
    ("create", "exec", True), ("deletecollection", "", False), ("patch", "status", True)])
def test_names_apply(verb: str, sub: str, named: bool) -> None:
    assert names_apply(Request(verb, "pods", subresource=sub)) is named


def test_resource_names_count_only_under_any_name_and_for_named_verbs() -> None:
    rules = [{"apiGroups": [""], "resources": ["secrets"], "resourceNames": ["db-pass"],
              "verbs": ["get", "create", "deletecollection"]}]
    index = _index(_role("Role", "r", rules, ns="app"),
                   _binding("RoleBinding", "Role", "r", ns="app"))
    get_any = parse_request("get", "secrets", "app")
    assert _holders(index, get_any) == set()
    assert _holders(index, get_any, any_name=True) == {"RoleBinding/app"}
    assert _holders(index, parse_request("get", "secrets", "app", name="db-pass")) == {
        "RoleBinding/app"}
    assert _holders(index, parse_request("get", "secrets", "app", name="other")) == set()
    assert _holders(index, parse_request("create", "secrets", "app"), any_name=True) == set()
    assert _holders(index, parse_request("deletecollection", "secrets", "app"),
                    any_name=True) == set()


def test_non_resource_urls_only_through_cluster_role_bindings() -> None:
    rules = [{"nonResourceURLs": ["/metrics", "/logs/*"], "verbs": ["get"]}]
    ns_only = _index(_role("ClusterRole", "r", rules),
                     _binding("RoleBinding", "ClusterRole", "r", ns="app"))
    assert ns_only.matching(parse_request("get", "/metrics")) == []
    cluster = _index(_role("ClusterRole", "r", rules),
                     _binding("ClusterRoleBinding", "ClusterRole", "r"))
    for path, ok in (("/metrics", True), ("/logs/kube", True), ("/logs", False),
                     ("/metricsx", False), ("/healthz", False)):
        assert bool(cluster.matching(parse_request("get", path))) is ok, path
    assert cluster.matching(parse_request("post", "/metrics")) == []


def test_bindings_resolve_or_dangle() -> None:
    index = _index(_role("Role", "own", PODS, ns="app"), _role("Role", "far", PODS, ns="x"),
                   _binding("RoleBinding", "Role", "own", ns="app"),
                   _binding("RoleBinding", "Role", "far", ns="app"),      # another namespace
                   _binding("ClusterRoleBinding", "Role", "own"),         # a Role cannot
                   _binding("RoleBinding", "ClusterRole", "missing", ns="app"))
    assert {(b.kind, b.role_name) for b in index.dangling} == {
        ("RoleBinding", "far"), ("ClusterRoleBinding", "own"), ("RoleBinding", "missing")}
    assert {g.role.name for g in index.grants} == {"own"}
    assert index.subjects() == [SA]


def test_implicit_groups_grant() -> None:
    group = {"kind": "Group", "name": "system:serviceaccounts:app",
             "apiGroup": "rbac.authorization.k8s.io"}
    index = _index(_role("ClusterRole", "r", PODS),
                   _binding("ClusterRoleBinding", "ClusterRole", "r", subject=group))
    assert index.direct(SA) == ()
    assert len(index.grants_of(SA)) == 1
    assert index.grants_of(Subject("ServiceAccount", "bot", "other")) == ()


def _cr(name: str, labels: dict[str, str], rules: tuple[PolicyRule, ...] = (),
        selectors: tuple[Selector, ...] | None = None) -> tuple[tuple[str, str, str], Role]:
    return ("ClusterRole", "", name), Role("ClusterRole", name, "", rules, selectors, labels)


def test_aggregation_replaces_rules_transitively_and_never_includes_itself() -> None:
    read, write = PolicyRule(("get",), ("",), ("pods",)), PolicyRule(("create",), ("",), ("pods",))
    sel_view = (Selector((("agg", "view"),)),)
    sel_edit = (Selector((("agg", "edit"),)),)
    roles = dict([
        _cr("viewer", {"agg": "view"}, (read,)),
        _cr("editor", {"agg": "edit"}, (write,), sel_view),   # own rules replaced: = view
        _cr("admin", {"agg": "admin"}, (), sel_edit),         # admin = editor's (transitive)
        _cr("self", {"agg": "self"}, (write,), (Selector((("agg", "self"),)),)),
        _cr("other", {}, (PolicyRule(("delete",), ("",), ("pods",)),)),
    ])
    out = aggregate(roles)
    assert out[("ClusterRole", "", "editor")].rules == (read,)
    # admin aggregates editor and through it viewer; a role selecting its own label does
    # not aggregate itself (the controller skips it): its rules are replaced by nothing
    assert out[("ClusterRole", "", "admin")].rules == (read,)
    assert out[("ClusterRole", "", "self")].rules == ()
    assert out[("ClusterRole", "", "other")].rules == roles[("ClusterRole", "", "other")].rules
    assert out[("ClusterRole", "", "viewer")].rules == (read,)


def test_allows_rule_fields() -> None:
    rule = PolicyRule(("get", "list"), ("apps",), ("deployments", "deployments/scale"))
    assert allows(rule, parse_request("get", "deployments.apps"))
    assert allows(rule, parse_request("list", "deployments"))  # known group filled in
    assert not allows(rule, parse_request("get", "deployments.extensions"))
    assert not allows(rule, parse_request("watch", "deployments"))
    assert allows(rule, parse_request("get", "deployments/scale"))
    assert not allows(rule, parse_request("get", "deployments/status"))
    star_sub = PolicyRule(("get",), ("*",), ("*/status",))
    assert allows(star_sub, parse_request("get", "pods/status"))
    assert not allows(star_sub, parse_request("get", "pods"))
    assert not allows(PolicyRule(("*",), ("*",)), parse_request("get", "pods"))  # no resources
    assert not allows(PolicyRule(("get",), ("",), ("pods",)), parse_request("get", "/healthz"))


def test_parse_request_and_printing() -> None:
    assert parse_request("get", "/healthz") == Request("get", path="/healthz")
    assert parse_request("create", "pods/exec", "app", name="p") == Request(
        "create", "pods", "", "exec", "app", "p")
    assert parse_request("get", "pods", subresource="log").subresource == "log"
    assert parse_request("get", "deployments.apps").group == "apps"
    assert parse_request("get", "widgets").group == ""
    assert parse_request("get", "widgets.example.com").group == "example.com"
    assert str(parse_request("get", "/healthz")) == "get /healthz"
    assert str(parse_request("create", "pods/exec", "app", name="p")) == \
        "create pods/exec p -n app"
    assert str(parse_request("get", "deployments.apps")) == "get deployments.apps"
    assert parse_request("get", "nodes").cluster_scoped
    assert parse_request("get", "/x").cluster_scoped
    assert not parse_request("get", "pods").cluster_scoped


def test_aggregated_role_keeps_its_identity() -> None:
    read = PolicyRule(("get",), ("",), ("pods",))
    base = Role("ClusterRole", "viewer", "", (read,), None, {"agg": "view"})
    agg = Role("ClusterRole", "agg", "", (), (Selector((("agg", "view"),)),), {"x": "y"},
               "roles.yaml:3", True)
    out = aggregate({("ClusterRole", "", "viewer"): base, ("ClusterRole", "", "agg"): agg})
    got = out[("ClusterRole", "", "agg")]
    assert got.rules == (read,)
    assert (got.kind, got.name, got.namespace, got.aggregation, got.labels, got.location,
            got.default) == ("ClusterRole", "agg", "", agg.aggregation, {"x": "y"},
                             "roles.yaml:3", True)


def test_aggregation_selectors_without_labels_and_without_matches() -> None:
    read = PolicyRule(("get",), ("",), ("pods",))
    roles = dict([
        _cr("viewer", {"tier": "a"}, (read,)),
        _cr("by-expr", {}, (), (Selector((), (("tier", "In", ("a",)),)),)),
        _cr("nobody", {}, (), (Selector((("tier", "zzz"),)),)),
    ])
    out = aggregate(roles)
    assert out[("ClusterRole", "", "by-expr")].rules == (read,)
    assert out[("ClusterRole", "", "nobody")].rules == ()


def test_aggregation_cycle_terminates() -> None:
    ra, rb = PolicyRule(("get",), ("",), ("pods",)), PolicyRule(("list",), ("",), ("pods",))
    roles = dict([_cr("a", {"n": "a"}, (ra,), (Selector((("n", "b"),)),)),
                  _cr("b", {"n": "b"}, (rb,), (Selector((("n", "a"),)),))])
    out = aggregate(roles)
    assert set(out[("ClusterRole", "", "a")].rules) <= {ra, rb}
    assert set(out[("ClusterRole", "", "b")].rules) <= {ra, rb}


def test_only_rbac_group_bindings_and_known_role_kinds_count() -> None:
    foreign = _binding("RoleBinding", "Role", "own", ns="app")
    foreign["apiVersion"] = "example.com/v1"
    odd = _binding("RoleBinding", "Bogus", "own", ns="app")
    odd["metadata"]["name"] = "odd"
    index = _index(_role("Role", "own", PODS, ns="app"), foreign, odd)
    assert index.grants == ()
    assert [b.name for b in index.dangling] == ["odd"]


def test_grants_of_includes_the_subjects_own() -> None:
    index = _index(_role("ClusterRole", "r", PODS),
                   _binding("ClusterRoleBinding", "ClusterRole", "r"))
    assert len(index.direct(SA)) == 1 and index.grants_of(SA) == index.direct(SA)


def test_url_prefix_strips_only_the_stars() -> None:
    rule = PolicyRule(("get",), non_resource_urls=("/apiX*",))
    assert allows(rule, Request("get", path="/apiX/v1"))
    assert not allows(rule, Request("get", path="/apiY"))
    assert allows(PolicyRule(("get",), non_resource_urls=("*",)), Request("get", path="/a"))

"""Rule matching checked against the Kubernetes RBAC authorizer.

``allows`` must decide as ``RuleAllows`` (``plugin/pkg/auth/authorizer/rbac/rbac.go``) over
``VerbMatches``, ``APIGroupMatches``, ``ResourceMatches``, ``ResourceNameMatches`` and
``NonResourceURLMatches`` (``pkg/apis/rbac/v1/evaluation_helpers.go``). Two ways:

* a table of tricky rules, each expected answer worked out by hand from the Go code
  (subresources, ``*/subresource``, the absent ``resource/*`` form, resourceNames, wildcard
  and unrelated groups, the core group ``""``, non-resource URLs with trailing ``*``);
* a differential test: the Go functions transcribed statement by statement below
  (``_go_rule_allows``) against ``allows`` over rules and requests drawn at test time from
  the same tricky alphabet.

Then the same semantics end to end through ``who-can``: aggregated ClusterRoles
(aggregationRule) and the RoleBinding / ClusterRoleBinding scope.
"""

from __future__ import annotations

import random

import pytest

from ringfence.k8s.load import load_bytes
from ringfence.k8s.rbac.effective import RbacIndex, build_index
from ringfence.k8s.rbac.model import PolicyRule
from ringfence.k8s.rbac.request import Request, allows, parse_request
from ringfence.k8s.rbac.whocan import who_can


def _rule(verbs: str, groups: str = "", resources: str = "", names: str = "",
          urls: str = "") -> PolicyRule:
    def split(text: str) -> tuple[str, ...]:
        return tuple("" if x == "core" else x for x in text.split()) if text else ()
    return PolicyRule(split(verbs), split(groups), split(resources), split(names),
                      split(urls))


# (rule, request, allowed): requests as the API server builds them (verb, resource,
# group, subresource, namespace, name, path)
TABLE = [
    # core group "" is a group like any other
    (_rule("get", "core", "pods"), Request("get", "pods", ""), True),
    (_rule("get", "apps", "pods"), Request("get", "pods", ""), False),
    (_rule("get", "*", "pods"), Request("get", "pods", ""), True),
    (_rule("get", "", "pods"), Request("get", "pods", ""), False),  # no apiGroups: nothing
    (_rule("get", "core", ""), Request("get", "pods", ""), False),  # no resources: nothing
    (_rule("", "core", "pods"), Request("get", "pods", ""), False),  # no verbs: nothing
    (_rule("*", "core", "pods"), Request("escalate", "pods", ""), True),
    (_rule("get", "core", "Pods"), Request("get", "pods", ""), False),  # case matters
    # deployments live in apps, not in the core group or the old extensions group
    (_rule("patch", "extensions", "deployments"), Request("patch", "deployments", "apps"),
     False),
    (_rule("patch", "apps", "deployments"), Request("patch", "deployments", "apps"), True),
    # subresources
    (_rule("create", "core", "pods"), Request("create", "pods", "", "exec"), False),
    (_rule("create", "core", "pods/exec"), Request("create", "pods", "", "exec"), True),
    (_rule("create", "core", "pods/exec"), Request("create", "pods", ""), False),
    (_rule("create", "core", "*/exec"), Request("create", "pods", "", "exec"), True),
    (_rule("create", "core", "*/exec"), Request("create", "pods", ""), False),
    (_rule("create", "core", "*/exec"), Request("create", "pods", "", "attach"), False),
    (_rule("create", "core", "*/ex"), Request("create", "pods", "", "exec"), False),
    (_rule("create", "core", "pods/*"), Request("create", "pods", "", "exec"), False),
    (_rule("create", "core", "*"), Request("create", "pods", "", "exec"), True),
    (_rule("get", "core", "nodes/proxy"), Request("get", "nodes", "", "proxy"), True),
    (_rule("get", "core", "nodes"), Request("get", "nodes", "", "proxy"), False),
    # resourceNames: only requests that name one of them
    (_rule("get", "core", "secrets", "db"), Request("get", "secrets", "", "", "", "db"),
     True),
    (_rule("get", "core", "secrets", "db"), Request("get", "secrets", "", "", "", "x"),
     False),
    (_rule("list", "core", "secrets", "db"), Request("list", "secrets", ""), False),
    (_rule("create", "core", "pods", "web"), Request("create", "pods", ""), False),
    (_rule("create", "core", "pods/exec", "web"),
     Request("create", "pods", "", "exec", "", "web"), True),
    (_rule("create", "core", "serviceaccounts/token", "bot"),
     Request("create", "serviceaccounts", "", "token", "", "bot"), True),
    (_rule("patch", "apps", "deployments", "web"),
     Request("patch", "deployments", "apps", "", "", "web"), True),
    # impersonation: users and groups are core resources; another group's * is not core
    (_rule("impersonate", "core", "users"), Request("impersonate", "users", ""), True),
    (_rule("*", "metrics.k8s.io", "*"), Request("impersonate", "users", ""), False),
    (_rule("impersonate", "authentication.k8s.io", "userextras/scopes"),
     Request("impersonate", "userextras", "authentication.k8s.io", "scopes"), True),
    # non-resource URLs
    (_rule("get", urls="/healthz"), Request("get", path="/healthz"), True),
    (_rule("get", urls="/healthz"), Request("get", path="/healthz/ready"), False),
    (_rule("get", urls="/api/*"), Request("get", path="/api/v1"), True),
    (_rule("get", urls="/api/*"), Request("get", path="/api"), False),
    (_rule("get", urls="/api**"), Request("get", path="/apis/apps"), True),
    (_rule("get", urls="*"), Request("get", path="/metrics"), True),
    (_rule("get", urls="/*"), Request("get", path="/"), True),
    (_rule("get", "*", "*"), Request("get", path="/metrics"), False),
    (_rule("get", urls="*"), Request("get", "pods", ""), False),
]


@pytest.mark.parametrize(("rule", "request_", "allowed"), TABLE,
                         ids=[f"{r}|{q}" for r, q, _ in TABLE])
def test_rule_allows_as_the_authorizer(rule: PolicyRule, request_: Request,
                                       allowed: bool) -> None:
    assert allows(rule, request_) is allowed
    assert _go_rule_allows(rule, request_) is allowed  # the transcription agrees too


# --- evaluation_helpers.go, transcribed statement by statement (the reference) ---------

def _go_verb(rule: PolicyRule, verb: str) -> bool:
    for v in rule.verbs:
        if v == "*":
            return True
        if v == verb:
            return True
    return False


def _go_group(rule: PolicyRule, group: str) -> bool:
    for g in rule.api_groups:
        if g == "*":
            return True
        if g == group:
            return True
    return False


def _go_resource(rule: PolicyRule, combined: str, sub: str) -> bool:
    for r in rule.resources:
        if r == "*":
            return True
        if r == combined:
            return True
        if len(sub) == 0:
            continue
        if len(r) == len(sub) + 2 and r.startswith("*/") and r.endswith(sub):
            return True
    return False


def _go_name(rule: PolicyRule, name: str) -> bool:
    if len(rule.resource_names) == 0:
        return True
    return any(n == name for n in rule.resource_names)


def _go_url(rule: PolicyRule, url: str) -> bool:
    for u in rule.non_resource_urls:
        if u == "*":
            return True
        if u == url:
            return True
        if u.endswith("*") and url.startswith(u.rstrip("*")):
            return True
    return False


def _go_rule_allows(rule: PolicyRule, req: Request) -> bool:
    if not req.path:  # IsResourceRequest
        combined = req.resource
        if len(req.subresource) > 0:
            combined = req.resource + "/" + req.subresource
        return (_go_verb(rule, req.verb) and _go_group(rule, req.group)
                and _go_resource(rule, combined, req.subresource)
                and _go_name(rule, req.name))
    return _go_verb(rule, req.verb) and _go_url(rule, req.path)


VERBS = ("get", "list", "create", "patch", "impersonate", "*")
GROUPS = ("", "apps", "metrics.k8s.io", "*")
RESOURCES = ("pods", "pods/exec", "*/exec", "pods/*", "*", "deployments", "users",
             "nodes/proxy", "*/proxy", "exec")
NAMES = ("web", "bot", "")
URLS = ("/healthz", "/api/*", "/api**", "*", "/", "/api")


def test_allows_agrees_with_the_transcribed_authorizer_on_drawn_rules() -> None:
    rng = random.Random(20261204)  # noqa: S311 - a seeded draw of test cases
    checked = allowed = 0
    for _ in range(4000):
        def pick(pool: tuple[str, ...], most: int = 3) -> tuple[str, ...]:
            return tuple(rng.sample(pool, rng.randint(0, most)))
        rule = PolicyRule(pick(VERBS), pick(GROUPS), pick(RESOURCES),
                          tuple(n for n in pick(NAMES, 2) if n), pick(URLS, 2))
        if rng.random() < 0.2:
            req = Request(rng.choice(VERBS[:-1]), path=rng.choice(
                ("/healthz", "/api", "/api/v1", "/apis", "/metrics", "/")))
        else:
            base = rng.choice(("pods", "deployments", "users", "nodes", "exec"))
            req = Request(rng.choice(VERBS[:-1]), base, rng.choice(GROUPS[:-1]),
                          rng.choice(("", "", "exec", "proxy", "*")), "", rng.choice(NAMES))
        want = _go_rule_allows(rule, req)
        assert allows(rule, req) is want, (rule, req)
        checked += 1
        allowed += want
    assert checked == 4000 and 200 < allowed < 3800  # both answers drawn often


def _index(text: str) -> RbacIndex:
    m = load_bytes(text.encode(), "t.yaml")
    assert not m.unknowns
    return build_index(m.objects)


AGGREGATED = """
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: monitoring}
aggregationRule:
  clusterRoleSelectors: [{matchLabels: {example.com/aggregate-to-monitoring: "true"}}]
rules: []
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: metrics-all
  labels: {example.com/aggregate-to-monitoring: "true"}
rules:
  - {apiGroups: [metrics.k8s.io], resources: ["*"], verbs: ["*"]}
  - {nonResourceURLs: ["/metrics*"], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: not-picked
  labels: {example.com/aggregate-to-monitoring: "false"}
rules:
  - {apiGroups: [""], resources: [users], verbs: [impersonate]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: monitoring}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: monitoring}
subjects: [{kind: ServiceAccount, name: prom, namespace: mon}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: monitoring, namespace: team}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: monitoring}
subjects: [{kind: User, name: alice}]
"""


@pytest.mark.parametrize(("verb", "resource", "namespace", "who"), [
    ("impersonate", "users", "", set()),  # the wildcard of metrics.k8s.io is not core
    ("get", "pods.metrics.k8s.io", "", {"ServiceAccount mon/prom *", "User alice team"}),
    ("get", "pods.metrics.k8s.io", "team", {"ServiceAccount mon/prom *", "User alice team"}),
    ("get", "pods.metrics.k8s.io", "other", {"ServiceAccount mon/prom *"}),
    ("get", "pods", "team", set()),  # core pods are not metrics.k8s.io pods
    ("get", "nodes.metrics.k8s.io", "", {"ServiceAccount mon/prom *"}),  # RoleBinding: not
    ("get", "/metrics/cadvisor", "", {"ServiceAccount mon/prom *"}),  # URLs: CRB only
    ("get", "/metric", "", set()),
    ("list", "widgets", "", set()),  # unknown bare name: core group, as kubectl asks
])
def test_who_can_through_an_aggregated_cluster_role(verb: str, resource: str,
                                                    namespace: str, who: set[str]) -> None:
    index = _index(AGGREGATED)
    answers = who_can(index, parse_request(verb, resource, namespace))
    got = {f"{a.subject} {a.scope}" for a in answers if not a.grants[0].binding.default}
    assert got == who


NAMESPACE_ADMIN = """
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: self, namespace: team}
rules: [{apiGroups: [""], resources: [namespaces], verbs: [delete]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: self, namespace: team}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: self}
subjects: [{kind: User, name: bob}]
"""


@pytest.mark.parametrize(("name", "who"), [("team", {"User bob"}), ("other", set()),
                                           ("", set())])
def test_a_role_binding_grants_its_own_namespace_object(name: str, who: set[str]) -> None:
    """RequestInfo reads /api/v1/namespaces/team as namespace team (name team): bob's
    RoleBinding in team lets him delete namespace team, and no other."""
    answers = who_can(_index(NAMESPACE_ADMIN), parse_request("delete", "namespaces", "", "",
                                                             name))
    assert {str(a.subject) for a in answers if not a.grants[0].binding.default} == who

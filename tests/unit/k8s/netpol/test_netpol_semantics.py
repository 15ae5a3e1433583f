"""NetworkPolicy semantics on tiny synthetic manifests, one Kubernetes rule per test."""

from __future__ import annotations

import pytest

from ringfence.k8s.load import load_bytes
from ringfence.k8s.netpol.conns import ALL, Conns
from ringfence.k8s.netpol.evaluate import Network
from ringfence.k8s.netpol.ipblocks import IPSet, disjoint_blocks, ip_block
from ringfence.k8s.netpol.parse import build_cluster
from ringfence.k8s.netpol.selectors import parse_selector

PODS = """
apiVersion: v1
kind: Namespace
metadata: {name: prod, labels: {env: prod}}
---
apiVersion: v1
kind: Namespace
metadata: {name: dev, labels: {env: dev}}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: prod, labels: {app: web, tier: front}}
spec:
  containers:
  - name: c
    ports: [{containerPort: 8080, name: http}, {containerPort: 53, name: dns, protocol: UDP}]
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: prod, labels: {app: db}}
spec: {containers: [{name: c, ports: [{containerPort: 5432, name: pg}]}]}
---
apiVersion: v1
kind: Pod
metadata: {name: tool, namespace: dev, labels: {app: tool}}
spec: {containers: [{name: c}]}
"""


def net(policies: str = "") -> Network:
    return Network(build_cluster(load_bytes((PODS + policies).encode()).objects))


def conns(n: Network, src: str, dst: str) -> Conns:
    idx = {w.name: i for i, w in enumerate(n.workloads)}
    return n.between(idx[src], idx[dst])


def policy(spec: str, ns: str = "prod") -> str:
    return (f"---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
            f"metadata: {{name: p{abs(hash(spec))}, namespace: {ns}}}\nspec:\n{spec}")


def test_no_policy_means_everything_allowed() -> None:
    assert conns(net(), "tool", "db") == ALL


def test_empty_ingress_policy_denies_all_ingress_but_not_egress() -> None:
    n = net(policy("  podSelector: {}\n"))
    assert conns(n, "web", "db").empty
    assert conns(n, "db", "tool") == ALL  # no policyTypes and no egress rules: egress open


def test_egress_only_listed_in_policy_types() -> None:
    n = net(policy("  podSelector: {matchLabels: {app: web}}\n  policyTypes: [Egress]\n"))
    assert conns(n, "web", "db").empty
    assert conns(n, "db", "web") == ALL


def test_namespace_selector_and_pod_selector_are_anded_in_one_peer() -> None:
    spec = ("  podSelector: {matchLabels: {app: db}}\n  ingress:\n  - from:\n"
            "    - namespaceSelector: {matchLabels: {env: dev}}\n"
            "      podSelector: {matchLabels: {app: tool}}\n    ports: [{port: 5432}]\n")
    n = net(policy(spec))
    assert str(conns(n, "tool", "db")) == "TCP 5432"
    assert conns(n, "web", "db").empty  # right pod labels? no; right namespace? no


def test_pod_selector_alone_means_the_policy_namespace() -> None:
    spec = ("  podSelector: {matchLabels: {app: db}}\n  ingress:\n"
            "  - from: [{podSelector: {}}]\n")
    n = net(policy(spec))
    assert conns(n, "web", "db") == ALL
    assert conns(n, "tool", "db").empty


@pytest.mark.parametrize(("expr", "tool_allowed", "web_allowed"), [
    ("{key: app, operator: In, values: [tool]}", True, False),
    ("{key: app, operator: NotIn, values: [tool]}", False, True),
    ("{key: tier, operator: Exists}", False, True),
    ("{key: tier, operator: DoesNotExist}", True, False),
])
def test_match_expressions(expr: str, tool_allowed: bool, web_allowed: bool) -> None:
    spec = ("  podSelector: {matchLabels: {app: db}}\n  ingress:\n  - from:\n"
            f"    - namespaceSelector: {{}}\n      podSelector: {{matchExpressions: [{expr}]}}\n")
    n = net(policy(spec))
    assert (not conns(n, "tool", "db").empty) is tool_allowed
    assert (not conns(n, "web", "db").empty) is web_allowed


def test_named_port_resolves_against_the_destination_with_its_protocol() -> None:
    spec = ("  podSelector: {}\n  policyTypes: [Egress]\n  egress:\n"
            "  - ports: [{port: http}, {port: pg}, {port: dns, protocol: UDP}, {port: dns}]\n")
    n = net(policy(spec))
    assert str(conns(n, "db", "web")) == "TCP 8080,UDP 53"  # TCP 'dns' matches nothing
    assert str(conns(n, "web", "db")) == "TCP 5432"
    assert n.to_external(0, IPSet.cidr("0.0.0.0/0")).empty  # named ports mean nothing there


def test_end_port_range_and_protocol_without_port() -> None:
    spec = ("  podSelector: {matchLabels: {app: db}}\n  ingress:\n"
            "  - ports: [{port: 5000, endPort: 5010}, {protocol: SCTP}, {port: 5011}]\n")
    assert str(conns(net(policy(spec)), "tool", "db")) == "SCTP 1-65535,TCP 5000-5011"


def test_ip_block_with_except_selects_addresses_not_pods() -> None:
    spec = ("  podSelector: {matchLabels: {app: db}}\n  ingress:\n"
            "  - from: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}}]\n")
    n = net(policy(spec))
    db = next(i for i, w in enumerate(n.workloads) if w.name == "db")
    assert conns(n, "tool", "db").empty
    assert n.from_external(IPSet.cidr("10.2.0.0/16"), db) == ALL
    assert n.from_external(IPSet.cidr("10.1.2.0/24"), db).empty
    assert n.from_external(IPSet.cidr("0.0.0.0/0"), db).empty


def test_policies_union_and_directions_intersect() -> None:
    a = policy("  podSelector: {matchLabels: {app: db}}\n  ingress: [{ports: [{port: 1}]}]\n")
    b = policy("  podSelector: {matchLabels: {app: db}}\n  ingress: [{ports: [{port: 2}]}]\n")
    e = policy("  podSelector: {matchLabels: {app: tool}}\n  egress: [{ports: [{port: 2}]}]\n",
               ns="dev")
    assert str(conns(net(a + b), "tool", "db")) == "TCP 1-2"
    assert str(conns(net(a + b + e), "tool", "db")) == "TCP 2"


def test_disjoint_blocks_partition_the_address_space() -> None:
    blocks = disjoint_blocks([ip_block("10.0.0.0/8", ["10.1.0.0/16"]).split()[0],
                              IPSet.cidr("10.0.0.0/16")])
    assert [str(b) for b in sorted(blocks, key=lambda b: b.intervals)] == [
        "0.0.0.0-9.255.255.255", "10.0.0.0-10.0.255.255", "10.1.0.0-255.255.255.255"]


def test_selector_parsing_and_unknown_operator() -> None:
    sel = parse_selector({"matchExpressions": [{"key": "a", "operator": "Bogus"}]})
    assert sel is not None and not sel.matches({"a": "1"})
    assert parse_selector(None) is None
    assert parse_selector({}) is not None and parse_selector({}).matches({})  # type: ignore[union-attr]

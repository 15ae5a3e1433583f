"""K8S-3NN: network separation rules over NetworkPolicy facts (explicit NETPOL_CHECKS)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from ringfence.checks.rule import Check, Violation
from ringfence.k8s.load import load_paths
from ringfence.k8s.netpol.conns import NONE
from ringfence.k8s.netpol.environments import environment_paths
from ringfence.k8s.netpol.evaluate import Network
from ringfence.k8s.netpol.ipblocks import BlockIndex, IPSet, disjoint_blocks
from ringfence.k8s.netpol.model import Cluster
from ringfence.k8s.netpol.parse import build_cluster
from ringfence.model.finding import Rule, Severity

NON_PUBLIC = ("0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
              "172.16.0.0/12", "192.168.0.0/16", "224.0.0.0/3")


@dataclass(frozen=True, slots=True)
class NetpolFacts:
    """The cluster's workloads, namespaces and policies, as parsed from manifests."""

    cluster: Cluster


def load_facts(path: Path) -> NetpolFacts:
    return NetpolFacts(build_cluster(load_paths([path]).objects))


def _has_workloads(facts: NetpolFacts) -> bool:
    return bool(facts.cluster.workloads)


def _default_deny(facts: NetpolFacts, ingress: bool) -> Iterator[Violation]:
    cl = facts.cluster
    denying = {p.namespace for p in cl.policies if p.pod_selector.empty
               and (p.affects_ingress if ingress else p.affects_egress)}
    for ns in sorted({w.namespace for w in cl.workloads}):
        if ns not in denying:
            what = "ingress" if ingress else "egress"
            yield Violation(f"namespace {ns} has no default-deny {what} NetworkPolicy "
                            f"(podSelector: {{}}, policyTypes: [{what.capitalize()}])", ns)


def no_default_deny_ingress(facts: NetpolFacts) -> Iterator[Violation]:
    return _default_deny(facts, ingress=True)


def no_default_deny_egress(facts: NetpolFacts) -> Iterator[Violation]:
    return _default_deny(facts, ingress=False)


def _open_condition(net: Network, workload: int, ingress: bool) -> str:
    """Why every external address reaches a workload: no policy selects it in that
    direction, or a selecting policy has a rule open to all peers."""
    pols = net.ingress_policies[workload] if ingress else net.egress_policies[workload]
    return "all-peers" if pols else "unselected"


def reachable_from_outside(facts: NetpolFacts) -> Iterator[Violation]:
    net = Network(facts.cluster)
    blocks = disjoint_blocks(net.referenced_blocks(ingress=True))
    index = BlockIndex(blocks)
    for d, wl in enumerate(net.workloads):
        every, specific = net.external_reach(d, True, blocks, index)
        if blocks and not every.empty:
            first: int | None = 0  # every block is reachable: the first one is reported
            condition = _open_condition(net, d, True)
        else:
            first = min((b for b, c in specific.items() if not c.empty), default=None)
            condition = "ip-block"
        if first is not None:
            conns = every.union(specific.get(first, NONE))
            yield Violation(f"{wl.ref} accepts connections from outside the cluster "
                            f"({blocks[first]}): {conns}", wl.location or wl.ref, condition)


def unrestricted_internet_egress(facts: NetpolFacts) -> Iterator[Violation]:
    net = Network(facts.cluster)
    private = IPSet()
    for cidr in NON_PUBLIC:
        private = private.union(IPSet.cidr(cidr))
    public = [b for b in disjoint_blocks(net.referenced_blocks(ingress=False))
              if not b.subtract(private).empty]
    index = BlockIndex(public)
    for s, wl in enumerate(net.workloads):
        every, specific = net.external_reach(s, False, public, index)
        if public and every.all:
            first: int | None = 0
            condition = _open_condition(net, s, False)
        else:
            first = min((b for b, c in specific.items() if every.union(c).all), default=None)
            condition = "ip-block"
        if first is not None:
            yield Violation(f"{wl.ref} may open any connection to internet addresses "
                            f"({public[first]})", wl.location or wl.ref, condition)


def environment_crossing(facts: NetpolFacts) -> Iterator[Violation]:
    for path in environment_paths(Network(facts.cluster)):
        yield Violation(f"{path.src_env} workload {path.src} can reach {path.dst_env} "
                        f"workload {path.dst}: {path.conns}", path.dst)


def _rule(num: int, title: str, sev: Severity, fix: str, threats: tuple[str, ...],
          refs: tuple[str, ...]) -> Rule:
    return Rule(f"K8S-{num}", title, sev, "platform", fix, threats, refs)


# K8S-303/304: no policy selects the workload; a selecting policy's rule is open to all
# peers; an ipBlock rule admits the addresses
OPEN_CONDITIONS: Final = ("unselected", "all-peers", "ip-block")
NETPOL_CHECKS: Final[tuple[Check[NetpolFacts], ...]] = (
    Check(_rule(301, "Namespace without a default-deny ingress NetworkPolicy", Severity.MEDIUM,
                "Add a NetworkPolicy with podSelector: {} and policyTypes: [Ingress] to the "
                "namespace, then allow the traffic each workload needs.",
                ("lateral-movement",), ("CIS Kubernetes 5.3.2", "T1210")),
          no_default_deny_ingress, _has_workloads),
    Check(_rule(302, "Namespace without a default-deny egress NetworkPolicy", Severity.MEDIUM,
                "Add a NetworkPolicy with podSelector: {} and policyTypes: [Egress] to the "
                "namespace (allow DNS), then allow the destinations each workload needs.",
                ("lateral-movement", "data-exfiltration"), ("CIS Kubernetes 5.3.2", "T1041")),
          no_default_deny_egress, _has_workloads),
    Check(_rule(303, "Workload reachable from outside the cluster", Severity.HIGH,
                "Restrict ingress to the workload to in-cluster peers or named ipBlocks; "
                "expose it only through an ingress controller.",
                ("lateral-movement",), ("T1190", "T1210")),
          reachable_from_outside, _has_workloads, OPEN_CONDITIONS),
    Check(_rule(304, "Unrestricted egress to the internet", Severity.MEDIUM,
                "Select the workload with an egress NetworkPolicy allowing only the "
                "destinations and ports it needs.",
                ("data-exfiltration",), ("T1041", "T1567")),
          unrestricted_internet_egress, _has_workloads, OPEN_CONDITIONS),
    Check(_rule(305, "Network path between environments", Severity.HIGH,
                "Isolate environments: ingress policies in each environment's namespaces "
                "admitting only namespaces of the same environment.",
                ("lateral-movement",), ("T1210",)),
          environment_crossing, _has_workloads),
)

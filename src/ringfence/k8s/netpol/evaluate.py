"""Allowed connections between workloads, external addresses and the ingress controller.

Kubernetes semantics: a connection needs the source's egress AND the destination's ingress.
For each direction, a pod selected by no policy of that direction is unrestricted; a selected
pod allows exactly the union of the matching rules of its selecting policies. Rules select
peers by pod/namespace selectors (a missing namespaceSelector means the policy's namespace) or
by ipBlock (external addresses only); named ports resolve against the destination pod's
container ports with the rule's protocol.

Everything is indexed: policies by namespace, the workloads a rule selects via a
(namespace, label) index, computed once per rule; a pair is then a few set lookups.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

from ringfence.k8s.netpol.conns import ALL, FULL, NONE, Conns, union_all
from ringfence.k8s.netpol.ipblocks import BlockIndex, IPSet
from ringfence.k8s.netpol.model import (
    NS_NAME_LABEL,
    Cluster,
    NetworkPolicy,
    PeerSpec,
    PolicyRule,
    Workload,
)
from ringfence.k8s.netpol.selectors import LabelSelector

INGRESS_CONTROLLER_NS = "ingress-controller-ns"
RuleTest = Callable[[NetworkPolicy, PolicyRule], bool]


@dataclass(frozen=True, slots=True)
class Pseudo:
    """A pod that is not in the manifests (the ingress controller): namespace and labels."""

    namespace: str
    labels: Mapping[str, str]
    namespace_labels: Mapping[str, str]


INGRESS_CONTROLLER = Pseudo(INGRESS_CONTROLLER_NS, {}, {NS_NAME_LABEL: INGRESS_CONTROLLER_NS})


class Network:
    """The cluster with its indexes. Workloads are referred to by their index."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.workloads: tuple[Workload, ...] = cluster.workloads
        self._by_ns: dict[str, list[int]] = {}
        self._label_index: dict[tuple[str, str, str], set[int]] = {}
        for idx, wl in enumerate(self.workloads):
            self._by_ns.setdefault(wl.namespace, []).append(idx)
            for key, value in wl.labels.items():
                self._label_index.setdefault((wl.namespace, key, value), set()).add(idx)
        self._policies_by_ns: dict[str, list[NetworkPolicy]] = {}
        for pol in cluster.policies:
            self._policies_by_ns.setdefault(pol.namespace, []).append(pol)
        self._rule_sel: dict[int, frozenset[int]] = {}

    # -- which policies select a workload -------------------------------------------------
    @cached_property
    def ingress_policies(self) -> tuple[tuple[NetworkPolicy, ...], ...]:
        return self._selecting(ingress=True)

    @cached_property
    def egress_policies(self) -> tuple[tuple[NetworkPolicy, ...], ...]:
        return self._selecting(ingress=False)

    def _selecting(self, ingress: bool) -> tuple[tuple[NetworkPolicy, ...], ...]:
        out: list[list[NetworkPolicy]] = [[] for _ in self.workloads]
        for ns, pols in self._policies_by_ns.items():
            for pol in pols:
                if not (pol.affects_ingress if ingress else pol.affects_egress):
                    continue
                for idx in self._select_pods(ns, pol.pod_selector):
                    out[idx].append(pol)
        return tuple(tuple(p) for p in out)

    def _select_pods(self, ns: str, selector: LabelSelector) -> list[int]:
        ids = self._by_ns.get(ns, [])
        for key, value in selector.match_labels:  # narrow by the rarest exact label
            hits = self._label_index.get((ns, key, value), set())
            if len(hits) < len(ids):
                ids = sorted(hits)
        return [i for i in ids if selector.matches(self.workloads[i].labels)]

    # -- which workloads a rule selects ----------------------------------------------------
    def rule_selection(self, pol: NetworkPolicy, rule: PolicyRule) -> frozenset[int]:
        key = id(rule)
        if key not in self._rule_sel:
            sel: set[int] = set()
            if rule.all_peers:
                sel.update(range(len(self.workloads)))
            for peer in rule.peers:
                sel.update(self._peer_pods(pol, peer))
            self._rule_sel[key] = frozenset(sel)
        return self._rule_sel[key]

    def _peer_pods(self, pol: NetworkPolicy, peer: PeerSpec) -> list[int]:
        if not peer.valid or peer.ip_block is not None:
            return []
        if peer.namespace_selector is None:
            namespaces = [pol.namespace]
        else:
            nss = peer.namespace_selector
            namespaces = [ns for ns in self._by_ns
                          if nss.matches(self.cluster.namespace_labels(ns))]
        pods = peer.pod_selector or LabelSelector()
        return [i for ns in namespaces for i in self._select_pods(ns, pods)]

    # -- connections -------------------------------------------------------------------
    def rule_conns(self, rule: PolicyRule, dst: Workload | None) -> Conns:
        """Ports a rule allows towards ``dst`` (None: an external address, where a named
        port means nothing)."""
        if not rule.ports:
            return ALL
        acc: dict[str, list[tuple[int, int]]] = {}
        for spec in rule.ports:
            if spec.port is None:
                acc.setdefault(spec.protocol, []).extend(FULL)
            elif isinstance(spec.port, int):
                end = spec.end_port if spec.end_port is not None else spec.port
                acc.setdefault(spec.protocol, []).append((spec.port, end))
            elif dst is not None:
                cport = dst.named_port(spec.port)
                if cport is not None and cport.protocol == spec.protocol:
                    acc.setdefault(spec.protocol, []).append((cport.port, cport.port))
        return Conns.of(acc)

    def _direction(self, pols: Sequence[NetworkPolicy], ingress: bool, peer_matches: RuleTest,
                   dst: Workload | None) -> Conns:
        if not pols:
            return ALL
        parts = []
        for pol in pols:
            for rule in (pol.ingress if ingress else pol.egress):
                if peer_matches(pol, rule):
                    parts.append(self.rule_conns(rule, dst))
        return union_all(parts)

    def between(self, src: int, dst: int) -> Conns:
        """Workload to workload (a workload to itself: another replica of it)."""
        dwl = self.workloads[dst]
        egress = self._direction(self.egress_policies[src], False,
                                 lambda p, r: dst in self.rule_selection(p, r), dwl)
        if egress.empty:
            return NONE
        ingress = self._direction(self.ingress_policies[dst], True,
                                  lambda p, r: src in self.rule_selection(p, r), dwl)
        return egress.intersect(ingress)

    def to_external(self, src: int, block: IPSet) -> Conns:
        return self._direction(self.egress_policies[src], False,
                               lambda p, r: _rule_has_block(r, block), None)

    def from_external(self, block: IPSet, dst: int) -> Conns:
        return self._direction(self.ingress_policies[dst], True,
                               lambda p, r: _rule_has_block(r, block), self.workloads[dst])

    def from_pseudo(self, src: Pseudo, dst: int) -> Conns:
        """Ingress of ``dst`` from a pod outside the manifests (its own namespace has no
        policies in the manifests, so its egress is unrestricted)."""
        return self._direction(self.ingress_policies[dst], True,
                               lambda p, r: _rule_has_pseudo(p, r, src), self.workloads[dst])

    def external_reach(self, workload: int, ingress: bool, blocks: Sequence[IPSet],
                       index: BlockIndex) -> tuple[Conns, dict[int, Conns]]:
        """Connections between ``workload`` and the external blocks (disjoint, refining
        every ipBlock, indexed by ``index``): ``(every, specific)`` where ``every`` holds
        for every block (no policy selects the workload: ALL; rules open to all peers)
        and ``specific[b]`` what the ipBlock rules matching block ``b`` add. For a block,
        ``every.union(specific.get(b, NONE))`` equals ``from_external``/``to_external``.
        Each rule is visited once and reaches its blocks through the index: rules +
        (block, rule) matches instead of blocks x rules, and nothing per block when only
        ``every`` applies."""
        pols = self.ingress_policies[workload] if ingress else self.egress_policies[workload]
        if not pols:
            return ALL, {}
        dst = self.workloads[workload] if ingress else None
        everywhere: list[Conns] = []
        by_block: dict[int, list[Conns]] = {}
        for pol in pols:
            for rule in (pol.ingress if ingress else pol.egress):
                if rule.all_peers:
                    everywhere.append(self.rule_conns(rule, dst))
                    continue
                matched: set[int] = set()
                for peer in rule.peers:
                    if peer.valid and peer.ip_block is not None:
                        matched |= {b for b in index.overlapping(peer.ip_block)
                                    if blocks[b].issubset(peer.ip_block)}
                if matched:
                    conns = self.rule_conns(rule, dst)
                    for b in matched:
                        by_block.setdefault(b, []).append(conns)
        return union_all(everywhere), {b: union_all(p) for b, p in sorted(by_block.items())}

    # -- external address blocks referenced by policies -----------------------------------
    def referenced_blocks(self, ingress: bool) -> list[IPSet]:
        out: list[IPSet] = []
        for pol in self.cluster.policies:
            for rule in (pol.ingress if ingress else pol.egress):
                for peer in rule.peers:
                    if peer.valid and peer.ip_block is not None:
                        out.extend(peer.ip_block.split())
        return out


def _rule_has_block(rule: PolicyRule, block: IPSet) -> bool:
    if rule.all_peers:
        return True
    return any(p.valid and p.ip_block is not None and block.issubset(p.ip_block)
               for p in rule.peers)


def _rule_has_pseudo(pol: NetworkPolicy, rule: PolicyRule, src: Pseudo) -> bool:
    if rule.all_peers:
        return True
    for peer in rule.peers:
        if not peer.valid or peer.ip_block is not None:
            continue
        ns_ok = (pol.namespace == src.namespace if peer.namespace_selector is None
                 else peer.namespace_selector.matches(src.namespace_labels))
        if ns_ok and (peer.pod_selector is None or peer.pod_selector.matches(src.labels)):
            return True
    return False

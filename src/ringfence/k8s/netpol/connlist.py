"""The connectivity list, line for line as netpol-analyzer prints it.

Peers: every workload (``ns/name[Kind]``); the external address blocks of a disjoint
partition of IPv4 built from the ipBlocks of ingress rules (as sources) and of egress rules
(as destinations), printed ``first-last[External]``; ``{ingress-controller}`` when Ingress
or Route objects lead to workloads. A pair appears when some connection is allowed; pairs
of a workload with itself and of two external blocks never appear. Lines are
``src => dst : conns`` sorted by source then destination.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from ringfence.k8s.netpol.conns import NONE, Conns
from ringfence.k8s.netpol.evaluate import INGRESS_CONTROLLER, Network
from ringfence.k8s.netpol.ingress import ingress_targets
from ringfence.k8s.netpol.ipblocks import BlockIndex, IPSet, disjoint_blocks

INGRESS_CONTROLLER_NAME = "{ingress-controller}"


@dataclass(frozen=True, slots=True)
class Connection:
    src: str
    dst: str
    conns: Conns

    def line(self) -> str:
        return f"{self.src} => {self.dst} : {self.conns}"

    def as_dict(self) -> dict[str, str]:
        return {"src": self.src, "dst": self.dst, "conn": str(self.conns)}


def external_name(block: IPSet) -> str:
    return f"{block}[External]"


def connections(net: Network, namespace: str | None = None) -> list[Connection]:
    """All allowed connections, sorted as netpol-analyzer sorts them. ``namespace`` keeps
    the pairs with at least one end in that namespace."""
    wls = net.workloads
    keep = [namespace is None or wl.namespace == namespace for wl in wls]
    out: list[Connection] = []
    for s, swl in enumerate(wls):
        for d, dwl in enumerate(wls):
            if swl.ref == dwl.ref or not (keep[s] or keep[d]):
                continue
            _add(out, swl.ref, dwl.ref, net.between(s, d))
    sources = disjoint_blocks(net.referenced_blocks(ingress=True))
    index = BlockIndex(sources)
    for d, dwl in enumerate(wls):
        if keep[d]:
            for b, conns in _per_block(*net.external_reach(d, True, sources, index),
                                       len(sources)):
                _add(out, external_name(sources[b]), dwl.ref, conns)
    targets = disjoint_blocks(net.referenced_blocks(ingress=False))
    index = BlockIndex(targets)
    for s, swl in enumerate(wls):
        if keep[s]:
            for b, conns in _per_block(*net.external_reach(s, False, targets, index),
                                       len(targets)):
                _add(out, swl.ref, external_name(targets[b]), conns)
    out.extend(_ingress_controller(net, keep))
    out.sort(key=lambda c: (c.src, c.dst))
    return out


def _per_block(every: Conns, specific: dict[int, Conns],
               count: int) -> Iterator[tuple[int, Conns]]:
    """(block, connections) for every block that may have some (see external_reach)."""
    if every.empty:
        yield from specific.items()
    else:
        for b in range(count):
            yield b, every.union(specific.get(b, NONE))


def _ingress_controller(net: Network, keep: list[bool]) -> list[Connection]:
    targets = ingress_targets(net.cluster.services, net.cluster.routes, net.workloads)
    out: list[Connection] = []
    for d, wanted in targets.items():
        if keep[d]:
            allowed = wanted.intersect(net.from_pseudo(INGRESS_CONTROLLER, d))
            _add(out, INGRESS_CONTROLLER_NAME, net.workloads[d].ref, allowed)
    return out


def _add(out: list[Connection], src: str, dst: str, conns: Conns) -> None:
    if not conns.empty:
        out.append(Connection(src, dst, conns))


def render(conns: list[Connection]) -> str:
    """The ``txt`` output of ``netpol-analyzer list``."""
    return "".join(c.line() + "\n" for c in conns)

"""Sets of allowed connections: per protocol (TCP, UDP, SCTP), a canonical set of port ranges.

Immutable values: every operation returns a new set. The text form is netpol-analyzer's:
``All Connections`` when every port of every protocol is allowed, else ``TCP 80,8080-8090``
items sorted and joined with ``,`` (a protocol with all its ports prints ``1-65535``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

PROTOCOLS = ("TCP", "UDP", "SCTP")
MIN_PORT, MAX_PORT = 1, 65535
Ranges = tuple[tuple[int, int], ...]
FULL: Ranges = ((MIN_PORT, MAX_PORT),)


def canonical(ranges: Iterable[tuple[int, int]]) -> Ranges:
    """Sorted, merged (touching ranges joined), clipped to 1-65535, empty ranges dropped."""
    out: list[tuple[int, int]] = []
    for lo, hi in sorted((max(lo, MIN_PORT), min(hi, MAX_PORT)) for lo, hi in ranges):
        if lo > hi:
            continue
        if out and lo <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return tuple(out)


def intersect_ranges(a: Ranges, b: Ranges) -> Ranges:
    out: list[tuple[int, int]] = []
    i = j = 0
    while i < len(a) and j < len(b):
        lo, hi = max(a[i][0], b[j][0]), min(a[i][1], b[j][1])
        if lo <= hi:
            out.append((lo, hi))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return tuple(out)


def _freeze(ports: Mapping[str, Ranges]) -> Mapping[str, Ranges]:
    return MappingProxyType({p: r for p, r in ports.items() if r})


@dataclass(frozen=True, slots=True)
class Conns:
    """Protocol -> allowed port ranges (absent protocol: nothing allowed)."""

    ports: Mapping[str, Ranges] = field(default_factory=lambda: MappingProxyType({}))

    @staticmethod
    def of(ports: Mapping[str, Iterable[tuple[int, int]]]) -> Conns:
        return Conns(_freeze({p: canonical(r) for p, r in ports.items()}))

    def union(self, other: Conns) -> Conns:
        if not other.ports:
            return self
        if not self.ports:
            return other
        keys = set(self.ports) | set(other.ports)
        return Conns.of({p: self.ports.get(p, ()) + other.ports.get(p, ()) for p in keys})

    def intersect(self, other: Conns) -> Conns:
        keys = set(self.ports) & set(other.ports)
        return Conns(_freeze({p: intersect_ranges(self.ports[p], other.ports[p])
                              for p in keys}))

    @property
    def empty(self) -> bool:
        return not self.ports

    @property
    def all(self) -> bool:
        return all(self.ports.get(p) == FULL for p in PROTOCOLS)

    def allows(self, protocol: str, port: int) -> bool:
        return any(lo <= port <= hi for lo, hi in self.ports.get(protocol.upper(), ()))

    def __str__(self) -> str:
        if self.all:
            return "All Connections"
        if self.empty:
            return "No Connections"
        items = [f"{p} {_ranges_str(r)}" for p, r in self.ports.items()]
        return ",".join(sorted(items))


def _ranges_str(ranges: Ranges) -> str:
    return ",".join(str(lo) if lo == hi else f"{lo}-{hi}" for lo, hi in ranges)


NONE = Conns()
ALL = Conns.of(dict.fromkeys(PROTOCOLS, FULL))


def union_all(items: Iterable[Conns]) -> Conns:
    acc = NONE
    for item in items:
        acc = acc.union(item)
        if acc.all:
            return ALL
    return acc

"""IPv4 address sets as canonical interval sets (stdlib ``ipaddress``), and the disjoint
partition of the address space that netpol-analyzer uses as its external peers.

netpol-analyzer models only IPv4; an IPv6 ``ipBlock`` selects no IPv4 address here (it is
reported by the caller, never silently widened).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

Intervals = tuple[tuple[int, int], ...]
LAST = 2**32 - 1


def _canon(items: Iterable[tuple[int, int]]) -> Intervals:
    out: list[tuple[int, int]] = []
    for lo, hi in sorted(items):
        if lo > hi:
            continue
        if out and lo <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class IPSet:
    """A set of IPv4 addresses as sorted, non-touching closed intervals."""

    intervals: Intervals = ()

    @staticmethod
    def cidr(text: str) -> IPSet:
        """Raises ValueError for a malformed CIDR; an IPv6 CIDR gives the empty set."""
        net = ipaddress.ip_network(text.strip(), strict=False)
        if net.version != 4:
            return IPSet()
        return IPSet(((int(net.network_address), int(net.broadcast_address)),))

    def union(self, other: IPSet) -> IPSet:
        return IPSet(_canon(self.intervals + other.intervals))

    def intersect(self, other: IPSet) -> IPSet:
        out: list[tuple[int, int]] = []
        for alo, ahi in self.intervals:
            for blo, bhi in other.intervals:
                lo, hi = max(alo, blo), min(ahi, bhi)
                if lo <= hi:
                    out.append((lo, hi))
        return IPSet(_canon(out))

    def subtract(self, other: IPSet) -> IPSet:
        out = list(self.intervals)
        for hlo, hhi in other.intervals:
            nxt: list[tuple[int, int]] = []
            for lo, hi in out:
                if hhi < lo or hlo > hi:
                    nxt.append((lo, hi))
                    continue
                if lo < hlo:
                    nxt.append((lo, hlo - 1))
                if hhi < hi:
                    nxt.append((hhi + 1, hi))
            out = nxt
        return IPSet(_canon(out))

    @property
    def empty(self) -> bool:
        return not self.intervals

    def size(self) -> int:
        return sum(hi - lo + 1 for lo, hi in self.intervals)

    def issubset(self, other: IPSet) -> bool:
        return self.subtract(other).empty

    def split(self) -> list[IPSet]:
        return [IPSet((iv,)) for iv in self.intervals]

    def __str__(self) -> str:
        """netpol-analyzer's form: ``first-last`` per interval, joined by ``, ``."""
        return ", ".join(f"{ipaddress.IPv4Address(lo)}-{ipaddress.IPv4Address(hi)}"
                         for lo, hi in self.intervals)


EVERY_IPV4 = IPSet(((0, LAST),))


def ip_block(cidr: str, excepts: Sequence[str] = ()) -> IPSet:
    """``ipBlock`` semantics: the CIDR minus every ``except`` CIDR."""
    base = IPSet.cidr(cidr)
    for hole in excepts:
        base = base.subtract(IPSet.cidr(hole))
    return base


def disjoint_blocks(blocks: Sequence[IPSet]) -> list[IPSet]:
    """Partition of the IPv4 space refining every block, built as netpol-analyzer builds it
    (smallest blocks first; intersections split off; leftovers split into single ranges), so
    the resulting external peers - and their names - are the same."""
    items = sorted([*blocks, EVERY_IPV4], key=IPSet.size)
    res: list[IPSet] = []
    for new in items:
        res = _add_block(new, res)
    return res or [EVERY_IPV4]


def _add_block(new: IPSet, res: list[IPSet]) -> list[IPSet]:
    to_add: list[IPSet] = []
    for idx, cur in enumerate(res):
        common = cur.intersect(new)
        if common.empty:
            continue
        new = new.subtract(common)
        if cur != common:
            to_add.append(common)
            res[idx] = cur.subtract(common)
        if new.empty:
            break
    return res + new.split() + to_add

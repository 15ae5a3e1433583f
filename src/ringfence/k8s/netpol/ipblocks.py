"""IPv4 address sets as canonical interval sets (stdlib ``ipaddress``), and the disjoint
partition of the address space that netpol-analyzer uses as its external peers.

netpol-analyzer models only IPv4; an IPv6 ``ipBlock`` selects no IPv4 address here (it is
reported by the caller, never silently widened).
"""

from __future__ import annotations

import bisect
import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ringfence.errors import LimitExceededError
from ringfence.k8s.netpol.conns import intersect_ranges

Intervals = tuple[tuple[int, int], ...]
LAST = 2**32 - 1
# Interval operations the partition may spend: with the interval index only overlapping
# (block, element) pairs are compared, so real policy sets stay far below this; a hostile
# one (ipBlocks nested like a staircase) gets an error instead of quadratic minutes.
MAX_BLOCK_WORK = 5_000_000


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
        """A merge of the two sorted interval lists (as for port ranges): linear in both."""
        return IPSet(_canon(list(intersect_ranges(self.intervals, other.intervals))))

    def subtract(self, other: IPSet) -> IPSet:
        """A merge of the two sorted interval lists: linear in both."""
        out: list[tuple[int, int]] = []
        holes = other.intervals
        j = 0
        for lo, hi in self.intervals:
            while j < len(holes) and holes[j][1] < lo:
                j += 1
            k, cur = j, lo
            while k < len(holes) and holes[k][0] <= hi:
                if holes[k][0] > cur:
                    out.append((cur, holes[k][0] - 1))
                cur = max(cur, holes[k][1] + 1)
                k += 1
            if cur <= hi:
                out.append((cur, hi))
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
    the resulting external peers - and their names - are the same.

    Equal blocks are compared once (a repeat refines nothing), and an interval index over
    the partition finds the elements a new block overlaps without scanning them all: the
    elements it skips are exactly those whose intersection with it is empty. More than
    ``MAX_BLOCK_WORK`` interval operations raise LimitExceededError. Blocks are single
    intervals, as ``Network.referenced_blocks`` gives them."""
    unique = list(dict.fromkeys(blocks))
    items = sorted([*unique, EVERY_IPV4], key=IPSet.size)
    part = _Partition()
    for new in items:
        part.add(new)
    return part.elements or [EVERY_IPV4]


class _Partition:
    """``elements`` (disjoint IPSets, in netpol-analyzer's order) and a sorted index of
    every interval of every element: (low, high, element position)."""

    def __init__(self) -> None:
        self.elements: list[IPSet] = []
        self.lows: list[int] = []
        self.entries: list[tuple[int, int, int]] = []
        self.work = 0

    def _index(self, idx: int, value: IPSet) -> None:
        for lo, hi in value.intervals:
            at = bisect.bisect_left(self.lows, lo)
            self.lows.insert(at, lo)
            self.entries.insert(at, (lo, hi, idx))

    def _unindex(self, value: IPSet) -> None:
        for lo, _hi in value.intervals:
            at = bisect.bisect_left(self.lows, lo)
            del self.lows[at]
            del self.entries[at]

    def _overlapping(self, value: IPSet) -> list[int]:
        return sorted(_overlaps(self.lows, self.entries, value))

    def add(self, new: IPSet) -> None:
        """netpol-analyzer's addBlock for a single-interval ``new``, over the overlapping
        elements only. Elements are disjoint, so each one's common part with the shrinking
        ``new`` equals its common part with the original ``new``: an element inside it
        changes nothing and is merely covered, one that straddles its edge is split, and
        what is left of ``new`` is computed once at the end (same result and order as
        subtracting element by element)."""
        if len(new.intervals) != 1:
            if new.empty:
                return
            raise ValueError("disjoint_blocks takes single-interval blocks (IPSet.split())")
        (nlo, nhi), = new.intervals
        to_add: list[IPSet] = []
        covered: list[tuple[int, int]] = []
        for idx in self._overlapping(new):
            cur = self.elements[idx]
            self.work += 1
            if cur.intervals[0][0] >= nlo and cur.intervals[-1][1] <= nhi:
                covered.extend(cur.intervals)  # inside ``new``: common == cur
                continue
            self.work += len(cur.intervals)
            if self.work > MAX_BLOCK_WORK:
                raise LimitExceededError(
                    "ipBlocks", f"more than {MAX_BLOCK_WORK} interval operations to "
                    "partition the address space", hint="too many overlapping ipBlock ranges")
            common = cur.intersect(new)
            if common.empty:
                continue
            covered.extend(common.intervals)
            to_add.append(common)
            rest = cur.subtract(common)
            self._unindex(cur)
            self.elements[idx] = rest
            self._index(idx, rest)
        if self.work > MAX_BLOCK_WORK:
            raise LimitExceededError(
                "ipBlocks", f"more than {MAX_BLOCK_WORK} interval operations to partition "
                "the address space", hint="too many overlapping ipBlock ranges")
        left = new.subtract(IPSet(_canon(covered)))
        for value in (*left.split(), *to_add):
            self.elements.append(value)
            self._index(len(self.elements) - 1, value)


class BlockIndex:
    """Which of a list of disjoint blocks overlap an address set, by bisection."""

    def __init__(self, blocks: Sequence[IPSet]) -> None:
        pairs = sorted((lo, hi, i) for i, b in enumerate(blocks) for lo, hi in b.intervals)
        self.lows = [p[0] for p in pairs]
        self.entries = pairs

    def overlapping(self, value: IPSet) -> set[int]:
        return _overlaps(self.lows, self.entries, value)


def _overlaps(lows: Sequence[int], entries: Sequence[tuple[int, int, int]],
              value: IPSet) -> set[int]:
    """Ids of the (lo, hi, id) entries, disjoint and sorted by lo, that overlap ``value``:
    the first that may overlap is the entry before the first one starting after ``lo``."""
    found: set[int] = set()
    for lo, hi in value.intervals:
        at = max(bisect.bisect_right(lows, lo) - 1, 0)
        while at < len(entries) and entries[at][0] <= hi:
            if entries[at][1] >= lo:
                found.add(entries[at][2])
            at += 1
    return found

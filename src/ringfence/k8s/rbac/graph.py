"""The escalation graph and its shortest paths.

Nodes are identities (ServiceAccount, User, Group), workloads, and capabilities:
``pods NS`` (can run a pod there), ``secrets NS`` (can read every secret there),
``serviceaccounts NS`` (can act as any service account there), ``exec NS`` (can run code
in the running pods there: exec, attach, a replaced image, an ephemeral container),
``namespace NS`` (full control of it), with NS ``*`` for every namespace, and the targets
``cluster-admin`` and ``node``. Every edge carries the reason and, when RBAC
grants it, the Grant (binding, role, rule) a reviewer can check.

Shortest paths come from one breadth-first search backwards from the targets, so answering
for every source costs O(nodes + edges).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from ringfence.k8s.rbac.defaults import is_trusted
from ringfence.k8s.rbac.model import Grant, Subject

IDENTITY_KINDS = ("ServiceAccount", "User", "Group")
CAPABILITY_KINDS = ("pods", "secrets", "serviceaccounts", "exec", "namespace")
TARGETS = ("cluster-admin", "node", "secrets")


@dataclass(frozen=True, slots=True, order=True)
class Node:
    kind: str
    name: str = ""
    namespace: str = ""

    def __str__(self) -> str:
        if self.kind == "ServiceAccount":
            return f"ServiceAccount {self.namespace}/{self.name}"
        if self.kind in CAPABILITY_KINDS:
            where = "every namespace" if self.namespace == "*" else self.namespace
            return {"pods": f"create pods in {where}", "secrets": f"read secrets in {where}",
                    "serviceaccounts": f"any service account in {where}",
                    "exec": f"run code in running pods in {where}",
                    "namespace": "full control of " + (
                        where if self.namespace == "*" else f"namespace {where}")}[self.kind]
        return f"{self.kind} {self.name}".strip()

    @classmethod
    def of(cls, subject: Subject) -> Node:
        return cls(subject.kind, subject.name, subject.namespace)

    @property
    def subject(self) -> Subject | None:
        if self.kind not in IDENTITY_KINDS:
            return None
        return Subject(self.kind, self.name, self.namespace)


CLUSTER_ADMIN = Node("cluster-admin")
NODE = Node("node")


@dataclass(frozen=True, slots=True)
class Edge:
    src: Node
    dst: Node
    reason: str
    grant: Grant | None = None
    extra: tuple[Grant, ...] = ()  # further grants the step needs (e.g. bind + create)

    def __str__(self) -> str:
        text = f"-> {self.dst}  ({self.reason})"
        for g in dict.fromkeys((self.grant, *self.extra)):
            if g is not None:
                text += f"\n       granted by {g.why()}  [{g.binding.location}]"
        return text


@dataclass(frozen=True, slots=True)
class Path:
    source: Node
    edges: tuple[Edge, ...]

    @property
    def target(self) -> Node:
        return self.edges[-1].dst if self.edges else self.source

    def __str__(self) -> str:
        return "\n".join([str(self.source), *(f"  {e}" for e in self.edges)])


@dataclass(frozen=True, slots=True)
class Graph:
    edges: tuple[Edge, ...]
    sources: tuple[Node, ...]  # identities and workloads a path may start from
    _incoming: Mapping[Node, tuple[Edge, ...]] = field(default_factory=dict, repr=False)
    _source_set: frozenset[Node] = field(default=frozenset(), repr=False)

    @classmethod
    def of(cls, edges: Iterable[Edge], sources: Iterable[Node]) -> Graph:
        unique = tuple(dict.fromkeys(edges))
        incoming: dict[Node, list[Edge]] = {}
        for e in unique:
            incoming.setdefault(e.dst, []).append(e)
        ordered = tuple(sorted(set(sources)))
        return cls(unique, ordered, {k: tuple(v) for k, v in incoming.items()},
                   frozenset(ordered))

    def nodes(self) -> set[Node]:
        return {n for e in self.edges for n in (e.src, e.dst)}

    def shortest_paths(self, targets: Iterable[Node], include_trusted: bool = False,
                       ) -> list[Path]:
        """One shortest path from every source that reaches any target (trusted identities
        left out unless asked), shortest first."""
        goal = set(targets)
        step: dict[Node, Edge | None] = dict.fromkeys(goal)
        queue = deque(goal)
        while queue:
            node = queue.popleft()
            for edge in self._incoming.get(node, ()):
                if edge.src not in step:
                    step[edge.src] = edge
                    queue.append(edge.src)
        paths = []
        # only the sources the search reached (in source order): a call costs what it
        # finds, not the number of sources (callers ask once per workload)
        reached = sorted(n for n in step if n in self._source_set) if self._source_set \
            else self.sources
        for src in reached:
            subject = src.subject
            if src in goal or src not in step or (
                    subject is not None and not include_trusted and is_trusted(subject)):
                continue
            paths.append(Path(src, tuple(_walk(step, src))))
        return sorted(paths, key=lambda p: (len(p.edges), str(p.source)))


def _walk(step: Mapping[Node, Edge | None], node: Node) -> list[Edge]:
    out = []
    edge = step[node]
    while edge is not None:
        out.append(edge)
        edge = step[edge.dst]
    return out


def targets_for(graph: Graph, to: str) -> list[Node]:
    """``cluster-admin``, ``node``, ``secrets`` (any namespace) or a namespace name."""
    if to == "cluster-admin":
        return [CLUSTER_ADMIN]
    if to == "node":
        return [NODE]
    if to == "secrets":
        return [n for n in graph.nodes() if n.kind == "secrets"]
    return [n for n in graph.nodes() if n.kind in CAPABILITY_KINDS and n.namespace == to]


def paths_to(graph: Graph, to: Sequence[str] = TARGETS, include_trusted: bool = False,
             ) -> dict[str, list[Path]]:
    return {t: graph.shortest_paths(targets_for(graph, t), include_trusted) for t in to}

"""Environments (dev/test/staging/prod) inferred from namespaces, and the network paths
between them: a workload of one environment allowed to open a connection to a workload of
another.

A namespace's environment comes from an ``environment``/``env``/``stage`` label, else from a
word of its name (``shop-prod``, ``dev``); unknown otherwise (never guessed).
Finding paths is indexed: for each destination, the sources its ingress rules admit are a
union of precomputed rule selections, intersected with the other environment's workloads;
only those candidates are evaluated, and each environment pair stops at its first path per
destination.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from ringfence.k8s.netpol.conns import Conns
from ringfence.k8s.netpol.evaluate import Network

ENV_LABELS = ("environment", "env", "stage")
_ALIASES = {"prod": "prod", "production": "prod", "prd": "prod", "live": "prod",
            "staging": "staging", "stage": "staging", "stg": "staging", "preprod": "staging",
            "test": "test", "testing": "test", "qa": "test", "uat": "test",
            "dev": "dev", "development": "dev", "sandbox": "dev"}


def environment_of(namespace: str, labels: Mapping[str, str]) -> str | None:
    for key in ENV_LABELS:
        value = labels.get(key, "").strip().lower()
        if value:
            return _ALIASES.get(value, value)
    for word in re.split(r"[-_.]", namespace.lower()):
        if word in _ALIASES:
            return _ALIASES[word]
    return None


@dataclass(frozen=True, slots=True)
class EnvPath:
    src_env: str
    dst_env: str
    src: str
    dst: str
    conns: Conns


def environment_paths(net: Network) -> list[EnvPath]:
    """One path per (source environment, destination workload) of another environment."""
    env = [environment_of(w.namespace, net.cluster.namespace_labels(w.namespace))
           for w in net.workloads]
    by_env: dict[str, set[int]] = {}
    for idx, name in enumerate(env):
        if name is not None:
            by_env.setdefault(name, set()).add(idx)
    out: list[EnvPath] = []
    reach = [_egress_reach(net, s) for s in range(len(net.workloads))]
    # sources whose egress selects no pod at all are never a source: dropped once here
    sources = {name: {s for s in members if _reaches_any(reach[s])}
               for name, members in by_env.items()}
    for d, dst_env in enumerate(env):
        if dst_env is None:
            continue
        admitted = _admitted_sources(net, d)
        for src_env in sorted(by_env):
            if src_env == dst_env:
                continue
            cands = sources[src_env] if admitted is None else sources[src_env] & admitted
            # a source whose egress rules select no destination pod (deny-all, DNS or
            # ipBlock-only egress) cannot be the first path: skipped by a set lookup,
            # not by evaluating the pair
            live = sorted(s for s in cands if _reaches(reach[s], d))
            path = _first_path(net, live, d, src_env, dst_env)
            if path is not None:
                out.append(path)
    out.sort(key=lambda p: (p.src_env, p.dst_env, p.src, p.dst))
    return out


def _admitted_sources(net: Network, dst: int) -> set[int] | None:
    """Workloads the destination's ingress rules admit; None when ingress is unrestricted."""
    pols = net.ingress_policies[dst]
    if not pols:
        return None
    out: set[int] = set()
    for pol in pols:
        for rule in pol.ingress:
            out |= net.rule_selection(pol, rule)
    return out


def _egress_reach(net: Network, src: int) -> list[frozenset[int]] | None:
    """The (shared, cached) selections of the source's egress rules; None when its egress
    is unrestricted."""
    pols = net.egress_policies[src]
    if not pols:
        return None
    return [net.rule_selection(pol, rule) for pol in pols for rule in pol.egress]


def _reaches_any(selections: list[frozenset[int]] | None) -> bool:
    return selections is None or any(selections)


def _reaches(selections: list[frozenset[int]] | None, dst: int) -> bool:
    return selections is None or any(dst in sel for sel in selections)


def _first_path(net: Network, cands: list[int], d: int, src_env: str,
                dst_env: str) -> EnvPath | None:
    for s in cands:
        conns = net.between(s, d)
        if not conns.empty:
            return EnvPath(src_env, dst_env, net.workloads[s].ref, net.workloads[d].ref, conns)
    return None

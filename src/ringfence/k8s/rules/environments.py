"""Environment isolation: environments inferred from namespace labels and names
(dev/test/staging/prod), quotas and limit ranges per namespace, shared service accounts,
and production pods that can be scheduled beside non-production ones."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from typing import Final

from ringfence.checks.rule import Check, Violation
from ringfence.k8s.facts import K8sFacts
from ringfence.k8s.podview import PodView, mapping
from ringfence.model.finding import Rule, Severity

ENV_WORDS: Final = {"prod": "prod", "production": "prod", "prd": "prod", "live": "prod",
                    "staging": "staging", "stage": "staging", "stg": "staging",
                    "test": "test", "testing": "test", "qa": "test", "uat": "test",
                    "dev": "dev", "development": "dev", "sandbox": "dev"}
ENV_LABELS: Final = ("environment", "env", "app.kubernetes.io/environment", "stage", "tier")
SYSTEM_NAMESPACES: Final = frozenset({"kube-system", "kube-public", "kube-node-lease"})


def environment(namespace: str, labels: Mapping[str, str]) -> str | None:
    """The environment a namespace belongs to: a label first, then a word of its name."""
    for key in ENV_LABELS:
        if (env := ENV_WORDS.get(labels.get(key, "").lower())) is not None:
            return env
    for word in re.split(r"[-_.]", namespace.lower()):
        if word in ENV_WORDS:
            return ENV_WORDS[word]
    return None


def environments(facts: K8sFacts) -> dict[str, str]:
    """namespace -> environment for every namespace that has one."""
    labels = {o.name: o.labels for o in facts.of_kind("Namespace")}
    out: dict[str, str] = {}
    for ns in facts.namespaces():
        if (env := environment(ns, labels.get(ns, {}))) is not None:
            out[ns] = env
    return out


def _workload_namespaces(facts: K8sFacts) -> dict[str, PodView]:
    first: dict[str, PodView] = {}
    for p in facts.pods:
        if p.namespace not in SYSTEM_NAMESPACES:
            first.setdefault(p.namespace, p)
    return first


def _missing(kind: str) -> Callable[[K8sFacts], Iterator[Violation]]:
    def run(facts: K8sFacts) -> Iterator[Violation]:
        have = {o.in_namespace() for o in facts.of_kind(kind)}
        for ns, pod in sorted(_workload_namespaces(facts).items()):
            if ns not in have:
                yield Violation(f"namespace {ns} runs workloads but has no {kind}",
                                pod.location)
    return run


def shared_service_accounts(facts: K8sFacts) -> Iterator[Violation]:
    users: dict[tuple[str, str], list[PodView]] = defaultdict(list)
    for p in facts.pods:
        users[(p.namespace, p.service_account)].append(p)
    for (ns, sa), pods in sorted(users.items()):
        if len(pods) > 1:
            names = ", ".join(p.ref for p in pods)
            yield Violation(f"service account {ns}/{sa} is shared by {len(pods)} workloads: "
                            f"{names}", pods[0].location)


def _node_selector(pod: PodView) -> dict[str, str]:
    return {str(k): str(v) for k, v in mapping(pod.spec.get("nodeSelector")).items()}


Selector = frozenset[tuple[str, str]]
MAX_SELECTOR_WORK: Final = 1_000_000  # (prod selector, key set) lookups and index entries


class TooManySelectors(Exception):
    """More nodeSelector work than ``MAX_SELECTOR_WORK``: the check is an Unknown rather
    than minutes of work on a hostile manifest set."""


class _Others:
    """Non-production pods grouped by the label keys of their nodeSelector. Two selectors
    are compatible (nothing separates the pods) when they agree on every key both set; for
    one key set K and a production selector P that is an exact lookup of P projected on
    K ∩ keys(P), in an index built once per (K, K ∩ keys(P))."""

    def __init__(self) -> None:
        self.by_keys: dict[frozenset[str], list[tuple[int, dict[str, str], PodView]]] = {}
        self.indexes: dict[tuple[frozenset[str], frozenset[str]],
                           dict[tuple[tuple[str, str], ...], tuple[int, PodView]]] = {}
        self.work = 0

    def add(self, order: int, selector: dict[str, str], pod: PodView) -> None:
        self.by_keys.setdefault(frozenset(selector), []).append((order, selector, pod))

    def _spend(self, n: int) -> None:
        self.work += n
        if self.work > MAX_SELECTOR_WORK:
            raise TooManySelectors(f"more than {MAX_SELECTOR_WORK} nodeSelector comparisons")

    def first_compatible(self, selector: dict[str, str]) -> PodView | None:
        """The first pod (manifest order) whose nodeSelector does not separate it from a
        pod with ``selector``."""
        best: tuple[int, PodView] | None = None
        own = frozenset(selector)
        for keys, members in self.by_keys.items():
            self._spend(1)
            shared = keys & own
            index = self.indexes.get((keys, shared))
            if index is None:
                self._spend(len(members))
                index = {}
                for order, sel, pod in members:
                    index.setdefault(tuple(sorted((k, sel[k]) for k in shared)), (order, pod))
                self.indexes[(keys, shared)] = index
            hit = index.get(tuple(sorted((k, selector[k]) for k in shared)))
            if hit is not None and (best is None or hit[0] < best[0]):
                best = hit
        return None if best is None else best[1]


def prod_beside_nonprod(facts: K8sFacts) -> Iterator[Violation]:
    """Each production pod with the first non-production pod (in manifest order) whose
    nodeSelector does not separate them: indexed lookups (see ``_Others``), so the work is
    near-linear in pods, not production x non-production pods."""
    envs = environments(facts)
    others = _Others()
    seen: set[Selector] = set()
    for order, o in enumerate(facts.pods):
        if envs.get(o.namespace) not in (None, "prod"):
            selector = _node_selector(o)
            key = frozenset(selector.items())
            if key not in seen:  # only the first pod of each selector can be "first"
                seen.add(key)
                others.add(order, selector, o)
    found: dict[Selector, PodView | None] = {}
    for p in facts.pods:
        if envs.get(p.namespace) != "prod":
            continue
        selector = _node_selector(p)
        key = frozenset(selector.items())
        if key not in found:
            found[key] = others.first_compatible(selector)
        shared = found[key]
        if shared is not None:
            yield Violation(f"{p.ref} (prod) can be scheduled on the same nodes as "
                            f"{shared.ref} ({envs[shared.namespace]}): no nodeSelector "
                            "separates them", p.location)


def _r(num: int, title: str, severity: Severity, remediation: str,
       threats: tuple[str, ...], refs: tuple[str, ...] = ()) -> Rule:
    return Rule(f"K8S-{num:03d}", title, severity, "platform", remediation, threats, refs)


def _has_pods(facts: K8sFacts) -> bool:
    return bool(_workload_namespaces(facts))


def _mixed(facts: K8sFacts) -> bool:
    envs = set(environments(facts).values())
    return "prod" in envs and len(envs) > 1


ENVIRONMENT_CHECKS: Final[tuple[Check[K8sFacts], ...]] = (
    Check(_r(50, "Namespace without a ResourceQuota", Severity.LOW,
             "Add a ResourceQuota to every namespace that runs workloads.",
             ("resource-exhaustion",)), _missing("ResourceQuota"), _has_pods),
    Check(_r(51, "Namespace without a LimitRange", Severity.LOW,
             "Add a LimitRange so containers get default requests and limits.",
             ("resource-exhaustion",)), _missing("LimitRange"), _has_pods),
    Check(_r(52, "Service account shared by several workloads", Severity.MEDIUM,
             "Give each workload its own ServiceAccount with only the rights it needs.",
             ("credential-theft", "lateral-movement"), ("CIS Kubernetes 5.1.5",)),
          shared_service_accounts, lambda f: bool(f.pods)),
    Check(_r(53, "Production pods schedulable beside non-production pods", Severity.MEDIUM,
             "Pin production workloads to dedicated nodes (nodeSelector and taints).",
             ("lateral-movement", "container-escape")), prod_beside_nonprod, _mixed),
)

"""The platform ring: Kubernetes objects (manifests or a live cluster) through the K8S, RBAC
and NetworkPolicy checks, and the per-workload platform facts the threat chains read (RBAC
escalation paths, Pod Security enforcement)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from ringfence.checks.engine import CheckRun, run_checks
from ringfence.k8s.facts import K8sFacts, facts_from_objects
from ringfence.k8s.load import Manifests
from ringfence.k8s.netpol.parse import build_cluster
from ringfence.k8s.netpol.rules import NETPOL_CHECKS, NetpolFacts
from ringfence.k8s.podview import PodView
from ringfence.k8s.psa import DEFAULT_SELECTION, PssSelection
from ringfence.k8s.rbac import facts as rbac_facts
from ringfence.k8s.rbac.facts import RbacFacts
from ringfence.k8s.rbac.graph import CLUSTER_ADMIN, NODE, Node
from ringfence.k8s.rbac.model import Subject
from ringfence.k8s.rbac.rules import Charge, charged_run
from ringfence.k8s.rbac.workloads import enforcing_namespaces
from ringfence.k8s.rules.pss import NAMESPACE_CHECKS, PSS_CHECKS
from ringfence.k8s.rules.rules import K8S_CHECKS
from ringfence.model.finding import Finding
from ringfence.model.unknown import Unknown
from ringfence.rings.report import RingReport

# why a platform rule is not evaluated when its ``applies`` is false (the input lacks it)
NO_APISERVER: Final = "no kube-apiserver static pod in the input"
NO_KUBELET: Final = ("no KubeletConfiguration or kubelet Pod in the input, or a kubelet "
                     "reads a --config file that is not")
NEEDS: Final = {
    "K8S-032": "no registry allow-list (--allowed-registry)",
    "K8S-041": "no ConfigMap in the input",
    "K8S-053": "the input does not show production beside another environment",
    **{f"K8S-{n}": NO_APISERVER for n in range(100, 108)},
    "K8S-110": NO_KUBELET, "K8S-111": NO_KUBELET, "K8S-112": NO_KUBELET,
    **{c.rule.id: "no workload's Pod Security level and version include this check"
       for c in PSS_CHECKS},
    **{c.rule.id: "no Namespace in the input" for c in NAMESPACE_CHECKS},
}


@dataclass(frozen=True, slots=True)
class PlatformFacts:
    k8s: K8sFacts
    rbac: RbacFacts
    netpol: NetpolFacts
    chain_facts: dict[str, dict[str, bool | None]]  # per workload ref (platform_facts)
    # RBAC findings -> the workloads running as a subject the finding concerns, and those a
    # grant to enter containers exposes (none: a User's path, another identity's secrets);
    # scan charges them to those workloads only
    charged: Mapping[Finding, tuple[str, ...]] = field(default_factory=dict)

    @property
    def pods(self) -> tuple[PodView, ...]:
        return tuple(self.k8s.pods)


def platform_ring(manifests: Manifests, allowed_registries: Sequence[str] = (),
                  pss: PssSelection = DEFAULT_SELECTION) -> RingReport[PlatformFacts]:
    """``pss``: the Pod Security level/version to check pods at (unset fields: each pod's
    Namespace labels, else restricted at latest)."""
    objects = manifests.objects
    k8s = facts_from_objects(objects, manifests.unknowns, tuple(allowed_registries), pss)
    rbac = rbac_facts.gather(objects, manifests.unknowns)
    netpol = NetpolFacts(build_cluster(objects))
    rbac_run, whom = charged_run(rbac)
    runs = (run_checks(K8S_CHECKS, k8s), run_checks(NETPOL_CHECKS, netpol), rbac_run)
    run = CheckRun(tuple(f for r in runs for f in r.findings),
                   tuple(e for r in runs for e in r.evaluated),
                   tuple(u for r in runs for u in r.unknowns))
    facts = PlatformFacts(k8s, rbac, netpol,
                          platform_facts(k8s.pods, rbac, enforcing_namespaces(objects)),
                          charges(rbac_run.findings, whom, k8s.pods))
    # the loader's and every domain's per-object Unknowns (a malformed object is left out
    # of its checks, so it must be visible), once each
    problems = tuple(Unknown("netpol", str(p), "k8s.netpol") for p in netpol.cluster.problems)
    unknowns = tuple(dict.fromkeys((*k8s.unknowns, *rbac.unknowns, *problems, *run.unknowns)))
    return RingReport("platform", "manifests", facts, run, absent=NEEDS, unknowns=unknowns)


def charges(findings: Sequence[Finding], whom: Mapping[tuple[str, str], Charge],
            pods: Sequence[PodView]) -> dict[Finding, tuple[str, ...]]:
    """Each RBAC finding's workloads: those whose service account is one of the finding's
    subjects or in one of its groups (``system:serviceaccounts[:ns]``,
    ``system:authenticated``), and those of the namespaces it targets."""
    by_identity: dict[Subject, list[str]] = {}
    by_namespace: dict[str, list[str]] = {"*": [p.ref for p in pods]}
    for pod in pods:
        me = Subject("ServiceAccount", pod.service_account, pod.namespace)
        for identity in (me, *me.groups()):
            by_identity.setdefault(identity, []).append(pod.ref)
        by_namespace.setdefault(pod.namespace, []).append(pod.ref)
    out: dict[Finding, tuple[str, ...]] = {}
    for f in findings:
        charge = whom.get((f.rule_id, f.message), Charge())
        refs = [r for s in charge.subjects for r in by_identity.get(s, ())]
        refs += [r for ns in charge.targets for r in by_namespace.get(ns, ())]
        out[f] = tuple(dict.fromkeys(refs))
    return out


def rbac_node(pod: PodView) -> Node:
    """The workload's node in the RBAC escalation graph (see k8s/rbac/workloads.py)."""
    return Node("Workload", f"{pod.obj.kind} {pod.namespace}/{pod.obj.name}")


def _reaches(rbac: RbacFacts, targets: list[Node]) -> set[Node]:
    return {p.source for p in rbac.graph.shortest_paths(targets) if p.edges}


def platform_facts(pods: Sequence[PodView], rbac: RbacFacts,
                   objects_enforcing: set[str] | None = None,
                   ) -> dict[str, dict[str, bool | None]]:
    """Per workload ref: pods-not-refused, sa-creates-pods, workload-reaches-node,
    workload-reaches-cluster-admin (True: the attacker's step is open)."""
    enforcing = objects_enforcing if objects_enforcing is not None else set()
    to_node = _reaches(rbac, [NODE])
    to_admin = _reaches(rbac, [CLUSTER_ADMIN])
    out: dict[str, dict[str, bool | None]] = {}
    for pod in pods:
        me = rbac_node(pod)
        creates = _reaches(rbac, [Node("pods", "", pod.namespace)])
        secrets = _reaches(rbac, [Node("secrets", "", pod.namespace)])
        out[pod.ref] = {
            "pods-not-refused": pod.namespace not in enforcing,
            "sa-creates-pods": me in creates,
            "workload-reads-secrets": me in secrets,
            "workload-reaches-node": me in to_node,
            "workload-reaches-cluster-admin": me in to_admin,
        }
    return out

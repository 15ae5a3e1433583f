"""RBAC rules K8S-2NN and the explicit tuple RBAC_CHECKS.

Grant rules (CIS Kubernetes 5.1.x) report each untrusted subject that holds the right
through a binding of the manifests (default bindings and trusted control-plane identities,
defaults.py, never fire), at the binding, with the role and rule that grant it. Path rules
report identities with an escalation path. Each finding names the subjects it concerns
(RbacViolation), so ``scan`` charges it to the workloads running as them only.

No rule needs a workload: grant and role rules apply when the input holds an RBAC object
(without one there is nothing to judge), path rules when it holds an RBAC object or a
workload (a workload alone can reach the node: a privileged pod, a DaemonSet's token).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Final

from ringfence.checks.engine import CheckRun, run_checks
from ringfence.checks.rule import Check, Violation
from ringfence.k8s.rbac.defaults import is_trusted
from ringfence.k8s.rbac.facts import RbacFacts
from ringfence.k8s.rbac.graph import CLUSTER_ADMIN, NODE, Edge, Node
from ringfence.k8s.rbac.model import Role, Subject
from ringfence.k8s.rbac.request import Request
from ringfence.model.finding import Rule, Severity

ESC = "platform-privilege-escalation"
RBAC = "rbac.authorization.k8s.io"


def _r(num: int, title: str, severity: Severity, remediation: str,
       threats: tuple[str, ...], refs: tuple[str, ...]) -> Rule:
    return Rule(f"K8S-{num:03d}", title, severity, "platform", remediation, threats, refs)


@dataclass(frozen=True, slots=True)
class RbacViolation(Violation):
    """A Violation and the subjects it concerns: ``charged_run`` hands them on, so ``scan``
    charges a finding only to the workloads that run as one of them (or as a member of a
    group among them)."""

    subjects: tuple[Subject, ...] = ()
    # namespaces ("*": all) whose workloads the finding concerns as targets: a grant to
    # enter running containers exposes the pods it lets one enter (interactive access)
    targets: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Charge:
    """Whom a finding concerns: the subjects it is about and the namespaces of the
    workloads it targets (see RbacViolation)."""

    subjects: tuple[Subject, ...] = ()
    targets: tuple[str, ...] = ()


def _has_rbac(facts: RbacFacts) -> bool:
    return facts.rbac_objects > 0


Ask = tuple[str, Request]  # (condition, request)


def _grant_check(rule: Rule, *asks: Ask, targets: bool = False, named: bool = True,
                 notes: Mapping[str, str] | None = None) -> Check[RbacFacts]:
    """One violation per untrusted (subject, scope) allowed any request; its condition is
    the first request's that the subject's grant allows. ``named``: a grant restricted to
    resourceNames fires too, for the objects it names (binding cluster-admin by name is
    still binding it); False where a name restriction is the remediation. ``targets``: the
    grant's scope is the finding's target too (its workloads are the ones exposed).
    ``notes``: what a condition's request gives, said in the message."""
    def func(facts: RbacFacts) -> Iterator[Violation]:
        seen: set[tuple[Subject, str]] = set()
        for condition, req in asks:
            for g in facts.index.matching(req, any_name=named):
                if g.binding.default or is_trusted(g.subject) or (g.subject, g.scope) in seen:
                    continue
                seen.add((g.subject, g.scope))
                where = "cluster-wide" if not g.namespace else f"in namespace {g.namespace}"
                note = f" ({notes[condition]})" if notes and condition in notes else ""
                names = g.rule.resource_names
                only = f" (named {', '.join(names)} only)" if names else ""
                yield RbacViolation(f"{g.subject} can {req}{only} {where}{note}: {g.why()}",
                                    g.binding.location, condition, (g.subject,),
                                    (g.scope,) if targets else ())
    conditions = tuple(dict.fromkeys(c for c, _ in asks))
    return Check(rule, func, _has_rbac, conditions if len(conditions) > 1 else ())


def _path_check(rule: Rule, target: Node,
                conditions: tuple[tuple[str, str], ...]) -> Check[RbacFacts]:
    """``conditions``: (condition, prefix of the reason of the path's last edge), the way
    the path takes ``target``."""
    def func(facts: RbacFacts) -> Iterator[Violation]:
        for path in facts.graph.shortest_paths([target]):
            subject = path.source.subject
            if subject is None:
                continue  # workloads: the pod rules report them; `rbac paths` prints them
            first = next((e.grant for e in path.edges if e.grant is not None), None)
            steps = " ".join(f"-> {e.dst} ({e.reason})" for e in path.edges)
            last = path.edges[-1]
            how = next((c for c, prefix in conditions if _last_edge_is(last, prefix)), "")
            yield RbacViolation(f"{path.source} reaches {target} in {len(path.edges)} "
                                f"step(s): {steps}", first.binding.location if first
                                else str(path.source), how, (subject,))
    return Check(rule, func, lambda f: f.rbac_objects > 0 or f.workloads > 0,
                 tuple(dict.fromkeys(c for c, _ in conditions)))


def _last_edge_is(edge: Edge, prefix: str) -> bool:
    if prefix.startswith("kind:"):
        return edge.src.kind == prefix[5:]
    return edge.reason.startswith(prefix)


def _holders(facts: RbacFacts, role: Role) -> tuple[Subject, ...]:
    return tuple(dict.fromkeys(g.subject for g in facts.index.grants if g.role is role))


WILDCARDS = (("verbs", "verbs"), ("resources", "resources"), ("api-groups", "api_groups"),
             ("non-resource-urls", "non_resource_urls"))


def _wildcards(facts: RbacFacts) -> Iterator[Violation]:
    for role in facts.index.roles.values():
        if role.default:
            continue
        for rule in role.rules:
            field = next((c for c, attr in WILDCARDS if "*" in getattr(rule, attr)), None)
            if field is not None:
                yield RbacViolation(f"{role.ref} uses a wildcard ({field}): {rule}",
                                    role.location, field, _holders(facts, role))


def _default_sa(facts: RbacFacts) -> Iterator[Violation]:
    for b in facts.index.bindings:
        for s in b.subjects:
            if s.kind == "ServiceAccount" and s.name == "default" and not b.default:
                yield RbacViolation(f"{b.ref} grants {b.role_kind} {b.role_name} to {s}",
                                    b.location, "", (s,))


def _dangling(facts: RbacFacts) -> Iterator[Violation]:
    for b in facts.index.dangling:
        yield RbacViolation(f"{b.ref} refers to {b.role_kind} {b.role_name}, which the "
                            "manifests do not define: whoever creates it grants its rules to "
                            f"{', '.join(map(str, b.subjects)) or 'nobody'}", b.location, "",
                            b.subjects)


def _check(rule: Rule, func: Callable[[RbacFacts], Iterator[Violation]],
           conditions: tuple[str, ...] = ()) -> Check[RbacFacts]:
    return Check(rule, func, _has_rbac, conditions)


def _req(verb: str, resource: str, group: str = "", sub: str = "", name: str = "") -> Request:
    return Request(verb, resource, group, sub, "", name)


def charged_run(facts: RbacFacts) -> tuple[CheckRun, dict[tuple[str, str], Charge]]:
    """``run_checks(RBAC_CHECKS, facts)`` and, per finding (rule id, message), whom it
    concerns (see RbacViolation)."""
    charges: dict[tuple[str, str], Charge] = {}

    def recording(check: Check[RbacFacts]) -> Check[RbacFacts]:
        def func(f: RbacFacts) -> Iterator[Violation]:
            for v in check.func(f):
                if isinstance(v, RbacViolation):
                    key = (check.rule.id, v.message)
                    was = charges.get(key, Charge())
                    charges[key] = Charge(tuple(dict.fromkeys((*was.subjects, *v.subjects))),
                                          tuple(dict.fromkeys((*was.targets, *v.targets))))
                yield v
        return replace(check, func=func)

    return run_checks([recording(c) for c in RBAC_CHECKS], facts), charges


CONTROLLERS = (("deployments", "apps"), ("daemonsets", "apps"), ("statefulsets", "apps"),
               ("replicasets", "apps"), ("cronjobs", "batch"), ("replicationcontrollers", ""))
ADMIN_BY = (("wildcard", "all verbs on all resources"),
            ("rbac", "create clusterrolebindings"), ("rbac", "escalate"),
            ("impersonate", "impersonate group system:masters"),
            ("csr", "create and approve a client CSR"))
NODE_BY = (("kubelet-api", "get nodes/proxy"), ("kubelet-api", "create nodes/proxy"),
           ("privileged-pod", "kind:pods"), ("node-workload", "kind:Workload"))


RBAC_CHECKS: Final[tuple[Check[RbacFacts], ...]] = (
    _path_check(_r(201, "Identity can escalate to cluster-admin", Severity.CRITICAL,
                   "Break the chain: remove the first grant of the path printed by "
                   "`ringfence rbac paths --to cluster-admin`.", (ESC,),
                   ("CIS Kubernetes 5.1.1", "T1078.004")), CLUSTER_ADMIN, ADMIN_BY),
    _path_check(_r(202, "Identity can take over a node", Severity.HIGH,
                   "Enforce Pod Security baseline in the namespace, or remove the grant "
                   "that lets the identity run or enter pods or reach nodes/proxy.",
                   (ESC, "container-escape"), ("CIS Kubernetes 5.1.10", "T1611")), NODE,
                NODE_BY),
    _check(_r(203, "Wildcard in a Role or ClusterRole", Severity.MEDIUM,
              "List the verbs, API groups and resources the role needs.", (ESC,),
              ("CIS Kubernetes 5.1.3",)), _wildcards, tuple(c for c, _ in WILDCARDS)),
    _grant_check(_r(204, "Subject can read secrets", Severity.HIGH,
                    "Grant get on named secrets only; avoid list/watch on secrets.",
                    ("credential-theft",), ("CIS Kubernetes 5.1.2", "T1552.007")),
                 ("get", _req("get", "secrets")), ("list", _req("list", "secrets")),
                 ("watch", _req("watch", "secrets")), named=False),
    _grant_check(_r(205, "Subject can create pods or workloads, or rewrite a workload's pod "
                    "template", Severity.MEDIUM,
                    "Let a deployment pipeline create and change workloads; do not grant "
                    "create on pods or patch/update on pod controllers.",
                    (ESC, "lateral-movement"), ("CIS Kubernetes 5.1.4", "T1610")),
                 ("create", _req("create", "pods")),
                 *(("create", _req("create", r, g)) for r, g in (*CONTROLLERS,
                                                                 ("jobs", "batch"))),
                 *(("rewrite", _req(v, r, g)) for r, g in CONTROLLERS
                   for v in ("patch", "update"))),
    _grant_check(_r(206, "Subject can run code in running containers (exec, attach, "
                    "image or ephemeral-container change)", Severity.MEDIUM,
                    "Grant exec/attach only to named operators, per namespace; do not grant "
                    "patch/update on pods or pods/ephemeralcontainers.",
                    ("interactive-access",), ("T1609",)),
                 ("exec", _req("create", "pods", sub="exec")),
                 ("attach", _req("create", "pods", sub="attach")),
                 ("patch-pods", _req("patch", "pods")), ("patch-pods", _req("update", "pods")),
                 ("ephemeral", _req("patch", "pods", sub="ephemeralcontainers")),
                 ("ephemeral", _req("update", "pods", sub="ephemeralcontainers")),
                 # a websocket exec is a GET: authorized as get on pods/exec by API servers
                 # before v1.35 (or with AuthorizePodWebsocketUpgradeCreatePermission off)
                 ("websocket-get", _req("get", "pods", sub="exec")),
                 ("websocket-get", _req("get", "pods", sub="attach")), targets=True,
                 notes={"websocket-get": "exec/attach over websocket on API servers before "
                        "v1.35 or with AuthorizePodWebsocketUpgradeCreatePermission off"}),
    _grant_check(_r(207, "Subject can bind, escalate or impersonate", Severity.HIGH,
                    "Remove bind/escalate/impersonate from the role.", (ESC,),
                    ("CIS Kubernetes 5.1.8",)),
                 ("bind", _req("bind", "clusterroles", RBAC)),
                 ("bind", _req("bind", "roles", RBAC)),
                 ("escalate", _req("escalate", "clusterroles", RBAC)),
                 ("escalate", _req("escalate", "roles", RBAC)),
                 ("impersonate", _req("impersonate", "users")),
                 ("impersonate", _req("impersonate", "groups")),
                 ("impersonate", _req("impersonate", "serviceaccounts"))),
    _grant_check(_r(208, "Subject can reach the kubelet API (nodes/proxy)", Severity.HIGH,
                    "Remove nodes/proxy (get is not read-only: a websocket GET runs exec "
                    "on the kubelet); read metrics through nodes/metrics or the metrics "
                    "API instead.", (ESC, "container-escape"), ("CIS Kubernetes 5.1.10",)),
                 ("get", _req("get", "nodes", sub="proxy")),
                 ("create", _req("create", "nodes", sub="proxy")),
                 notes={"get": "the kubelet API: GET reads every endpoint and, upgraded to "
                        "websocket, runs exec/attach/run in any pod of the node",
                        "create": "the kubelet API: POST /exec and /run run commands in any "
                        "pod of the node"}),
    _grant_check(_r(209, "Subject can approve certificate signing requests", Severity.HIGH,
                    "Restrict CSR approval to the controller manager.", (ESC,),
                    ("CIS Kubernetes 5.1.11",)),
                 ("", _req("update", "certificatesigningrequests", "certificates.k8s.io",
                           "approval"))),
    _grant_check(_r(210, "Subject can modify admission webhook configurations or "
                    "mutating admission policies", Severity.HIGH,
                    "Only the component that owns a webhook or policy may edit it.",
                    (ESC, "persistence-drift"), ("CIS Kubernetes 5.1.12",)),
                 *((kind, _req(v, f"{kind}webhookconfigurations",
                               "admissionregistration.k8s.io"))
                   for kind in ("mutating", "validating")
                   for v in ("create", "update", "patch")),
                 *(("mutating-policy", _req(v, "mutatingadmissionpolicies",
                                            "admissionregistration.k8s.io"))
                   for v in ("create", "update", "patch"))),
    _grant_check(_r(211, "Subject can create service account tokens", Severity.MEDIUM,
                    "Grant serviceaccounts/token create only with resourceNames.",
                    (ESC, "credential-theft"), ("CIS Kubernetes 5.1.13",)),
                 ("", _req("create", "serviceaccounts", sub="token")), named=False),
    _check(_r(212, "Default service account is granted a role", Severity.LOW,
              "Give the workload its own service account and bind that.",
              ("lateral-movement",), ("CIS Kubernetes 5.1.5",)), _default_sa),
    _check(_r(213, "Binding refers to a role the manifests do not define", Severity.LOW,
              "Define the role or delete the binding.", (ESC, "persistence-drift"), ()),
           _dangling),
)

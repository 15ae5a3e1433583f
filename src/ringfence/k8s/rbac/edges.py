"""Escalation edges, from grants and workloads (see graph.py for the nodes).

Per subject and scope (cluster-wide, or one namespace), each capability is one lookup in
that subject's own grants, so building the graph is linear in grants, service accounts,
workloads and namespaces. Assumptions, stated so a reviewer can weigh them:

* reading every secret of a namespace yields the token of any service account there
  (legacy token Secrets; the issue's "get/list secrets -> every token there");
* exec/attach needs ``create`` on ``pods/exec`` / ``pods/attach`` (the verb the API server
  checks since websocket exec authorizes as create);
* a mutating webhook, or a MutatingAdmissionPolicy with a binding, can rewrite every pod
  created in the cluster;
* impersonating a group takes impersonating some user or service account too (the API
  server's impersonation filter refuses a group alone); a rule named to users reaches those;
* a node holds the token of every DaemonSet pod with a mounted token (it runs on each node);
* ``patch``/``update`` of a pod controller (Deployment, DaemonSet, StatefulSet, ReplicaSet,
  CronJob, ReplicationController) rewrites its pod template: the controller then runs pods
  of any spec under any service account of the namespace, as ``create pods`` would. Not
  Job: a Job's ``spec.template`` is immutable once created (the API server's Job update
  validation), so only ``create jobs`` runs new code;
* ``patch``/``update`` of ``pods`` replaces a container image of a running pod (the one pod
  spec field that may change) and ``pods/ephemeralcontainers`` adds a container to it: code
  runs in that pod under its service account, as exec does;
* a name-restricted rule (``resourceNames``) allows only requests naming the object, never
  create or an unrestricted list (the authorizer's ``ResourceNameMatches``): it reaches the
  named controllers and pods that the manifests hold (a StatefulSet's pods are
  ``<name>-<ordinal>``), nothing else;
* ``nodes/proxy`` is the kubelet API of the node (``/exec``, ``/run``, ``/attach``, ``/pods``,
  ``/configz``, ...), authorized with the verb of the HTTP method: ``get`` (GET, which a
  websocket upgrade uses, so exec/attach/run work over websocket) and ``create`` (POST, the
  SPDY exec and ``/run``) each run commands in every pod of the node; a rule named to nodes
  reaches only those nodes (still the node: its pods and their tokens).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Iterator, Sequence

from ringfence.k8s.objects import K8sObject
from ringfence.k8s.rbac.effective import RbacIndex
from ringfence.k8s.rbac.graph import CLUSTER_ADMIN, NODE, Edge, Graph, Node
from ringfence.k8s.rbac.model import Grant, Subject
from ringfence.k8s.rbac.request import Request, allows
from ringfence.k8s.rbac.workloads import PodRun, enforcing_namespaces, pod_runs

RBAC = "rbac.authorization.k8s.io"
POD_MAKERS = (("", "pods"), ("apps", "deployments"), ("apps", "daemonsets"),
              ("apps", "statefulsets"), ("apps", "replicasets"), ("batch", "jobs"),
              ("batch", "cronjobs"), ("", "replicationcontrollers"))
# (group, resource, kind) of the pod controllers whose template patch/update rewrites
CONTROLLERS = (("apps", "deployments", "Deployment"), ("apps", "daemonsets", "DaemonSet"),
               ("apps", "statefulsets", "StatefulSet"), ("apps", "replicasets", "ReplicaSet"),
               ("batch", "cronjobs", "CronJob"),
               ("", "replicationcontrollers", "ReplicationController"))
WRITE = ("patch", "update")
# (subresource of pods, verbs, what the request does to a running pod)
POD_ENTRY = (("", WRITE, "replace a container image of"),
             ("ephemeralcontainers", WRITE, "add a container to"),
             ("exec", ("create",), "exec into"), ("attach", ("create",), "attach to"))
KUBELET = (("get", "the kubelet API: a GET upgraded to websocket runs exec/attach/run in "
                   "any pod of the node"),
           ("create", "the kubelet API: POST /exec and /run run commands in any pod of "
                      "the node"))
Find = Callable[..., Grant | None]
Named = dict[tuple[str, str], list[PodRun]]  # (kind, name) -> the workloads so named


def build_graph(index: RbacIndex, objects: Sequence[K8sObject]) -> Graph:
    no_auto = {(o.in_namespace(), o.name) for o in objects if o.kind == "ServiceAccount"
               and o.raw.get("automountServiceAccountToken") is False}
    runs = pod_runs(objects, no_auto)
    namespaces = {"default", "kube-system"} | {o.name for o in objects if o.kind == "Namespace"}
    namespaces |= {o.namespace for o in objects if o.namespace}
    namespaces |= {b.namespace for b in index.bindings if b.namespace}
    # a bound service account's namespace exists too (pods there can run as it)
    namespaces |= {s.namespace for s in index.subjects() if s.kind == "ServiceAccount"}
    accounts = _accounts(index, objects, runs, namespaces)
    by_name: dict[str, set[str]] = {}
    for ns, names in accounts.items():
        for name in names:
            by_name.setdefault(name, set()).add(ns)
    named: Named = {}
    for r in runs:
        named.setdefault((r.kind, r.name), []).append(r)
    edges: list[Edge] = []
    for subject in index.subjects():
        edges.extend(_grant_edges(index, subject, by_name, named))
    edges.extend(_hub_edges(namespaces, accounts, runs, enforcing_namespaces(objects)))
    edges.extend(_workload_edges(runs))
    with_grants = {e.src for e in edges if e.grant is not None}
    identities = {Node("ServiceAccount", n, ns) for ns, names in accounts.items() for n in names}
    identities |= {Node.of(s) for s in index.subjects()}
    edges.extend(_membership(identities, with_grants))
    sources = identities | {Node("Workload", r.ref) for r in runs}
    return Graph.of(edges, sources)


def _accounts(index: RbacIndex, objects: Iterable[K8sObject], runs: Iterable[PodRun],
              namespaces: Iterable[str]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {ns: {"default"} for ns in namespaces}
    for o in objects:
        if o.kind == "ServiceAccount":
            out.setdefault(o.in_namespace(), set()).add(o.name)
    for r in runs:
        out.setdefault(r.namespace, set()).add(r.service_account)
    for s in index.subjects():
        if s.kind == "ServiceAccount":
            out.setdefault(s.namespace, set()).add(s.name)
    return out


def _finder(grants: Sequence[Grant], fallback: Find | None = None) -> Find:
    """First grant allowing the request: ``grants``, then ``fallback`` (the memoised
    cluster-wide finder, so a namespace scope costs only its own grants)."""
    def find(verb: str, group: str, resource: str, sub: str = "", name: str = "",
             ) -> Grant | None:
        req = Request(verb, resource, group, sub, "", name)
        found = next((g for g in grants if allows(g.rule, req)), None)
        if found is None and fallback is not None:
            return fallback(verb, group, resource, sub, name)
        return found
    return find


def _names(grants: Sequence[Grant], verb: str, resource: str, sub: str, group: str = "",
           ) -> Iterator[tuple[str, Grant]]:
    """(name, grant) for rules that allow the request only for listed resourceNames."""
    for g in grants:
        names = g.rule.resource_names
        if names and allows(g.rule, Request(verb, resource, group, sub, "", names[0])):
            yield from ((n, g) for n in names)


def _grant_edges(index: RbacIndex, subject: Subject, by_name: dict[str, set[str]],
                 named: Named) -> Iterator[Edge]:
    own = index.direct(subject)
    src = Node.of(subject)
    cluster = [g for g in own if not g.namespace]
    scopes: dict[str, list[Grant]] = {}
    for g in own:
        if g.namespace:
            scopes.setdefault(g.namespace, []).append(g)
    cluster_find = functools.cache(_finder(cluster))
    done: set[tuple[str, str]] = set()
    for edge in _scope_edges(src, "*", cluster, cluster_find, by_name, named):
        done.add((edge.dst.kind, edge.reason))
        yield edge
    for scope in sorted(scopes):
        find = _finder(scopes[scope], cluster_find)
        for edge in _scope_edges(src, scope, scopes[scope], find, by_name, named):
            if (edge.dst.kind, edge.reason) not in done:  # else the cluster grant covers it
                yield edge


def _scope_edges(src: Node, ns: str, grants: Sequence[Grant], find: Find,
                 by_name: dict[str, set[str]], named: Named) -> Iterator[Edge]:
    cluster = ns == "*"
    if g := find("*", "*", "*"):
        yield Edge(src, CLUSTER_ADMIN if cluster else Node("namespace", "", ns),
                   "all verbs on all resources", g)
    for group, res in POD_MAKERS:
        if g := find("create", group, res):
            yield Edge(src, Node("pods", "", ns), f"create {res}", g)
            break
    # list and watch return every secret's data too, not only names
    if g := (find("get", "", "secrets") or find("list", "", "secrets")
             or find("watch", "", "secrets")):
        yield Edge(src, Node("secrets", "", ns), "read secrets", g)
    if g := find("create", "", "pods", "exec") or find("create", "", "pods", "attach"):
        yield Edge(src, Node("exec", "", ns), "exec/attach into pods", g)
    yield from _rewrite_edges(src, ns, grants, find, named)
    yield from _named(src, ns, grants, find, by_name, "create", "token",
                      "create service account tokens")
    yield from _named(src, ns, grants, find, by_name, "impersonate", "",
                      "impersonate service accounts")
    yield from _rbac_edges(src, ns, find)
    if cluster:
        yield from _cluster_edges(src, grants, find)


def _rewrite_edges(src: Node, ns: str, grants: Sequence[Grant], find: Find,
                   named: Named) -> Iterator[Edge]:
    """patch/update of pod controllers and of running pods (see the module docstring);
    a named grant costs one lookup per name it lists."""
    rewrite = next(((verb, res, g) for group, res, _ in CONTROLLERS for verb in WRITE
                    if (g := find(verb, group, res))), None)
    if rewrite:
        verb, res, g = rewrite
        yield Edge(src, Node("pods", "", ns), f"{verb} {res}: rewrite the pod template "
                   "(any pod spec, any service account of the namespace)", g)
    else:
        for group, res, kind in CONTROLLERS:
            for verb in WRITE:
                for name, g in _names(grants, verb, res, "", group):
                    for r in _in(ns, named.get((kind, name), ())):
                        yield Edge(src, Node("pods", "", r.namespace),
                                   f"{verb} {res} {name}: rewrite its pod template", g)
    for sub, verbs, what in POD_ENTRY:
        resource = f"pods/{sub}" if sub else "pods"
        hit = next(((v, g) for v in verbs if (g := find(v, "", "pods", sub))), None)
        if hit:  # every pod of the scope (exec/attach: the edge of _scope_edges)
            if sub in ("", "ephemeralcontainers"):
                yield Edge(src, Node("exec", "", ns),
                           f"{hit[0]} {resource}: {what} a running pod", hit[1])
            continue
        for verb in verbs:
            for name, g in _names(grants, verb, "pods", sub):
                for r in _in(ns, _pod_named(named, name)):
                    yield Edge(src, Node("Workload", r.ref),
                               f"{verb} {resource} {name}: {what} its pod", g)


def _in(ns: str, runs: Iterable[PodRun]) -> list[PodRun]:
    return [r for r in runs if ns == "*" or r.namespace == ns]


def _pod_named(named: Named, name: str) -> list[PodRun]:
    """The workloads whose pod is called ``name``: a Pod, or a StatefulSet's
    ``<name>-<ordinal>`` (other controllers' pod names are generated, unknowable here)."""
    out = list(named.get(("Pod", name), ()))
    base, _, ordinal = name.rpartition("-")
    if base and re.fullmatch(r"0|[1-9][0-9]*", ordinal):
        out += named.get(("StatefulSet", base), ())
    return out


def _named(src: Node, ns: str, grants: Sequence[Grant], find: Find,
           by_name: dict[str, set[str]], verb: str, sub: str, reason: str) -> Iterator[Edge]:
    if g := find(verb, "", "serviceaccounts", sub):
        yield Edge(src, Node("serviceaccounts", "", ns), reason, g)
        return
    for name, g in _names(grants, verb, "serviceaccounts", sub):
        # cluster-wide: the service accounts of that name in every namespace
        spaces = by_name.get(name, set())
        for space in sorted(spaces if ns == "*" else spaces & {ns}):
            yield Edge(src, Node("ServiceAccount", name, space), f"{reason} ({name})", g)


def _rbac_edges(src: Node, ns: str, find: Find) -> Iterator[Edge]:
    cluster = ns == "*"
    scope_node = Node("namespace", "", ns)
    create_rb = find("create", RBAC, "rolebindings")
    bind = find("bind", RBAC, "clusterroles", name="admin") or find("bind", RBAC, "roles")
    if create_rb and bind:
        yield Edge(src, scope_node, "create rolebindings + bind", create_rb, (bind,))
    esc = find("escalate", RBAC, "roles")
    upd = find("update", RBAC, "roles") or find("patch", RBAC, "roles")
    if esc and upd:
        yield Edge(src, scope_node, "escalate + update roles", esc, (upd,))
    if not cluster:
        return
    create_crb = find("create", RBAC, "clusterrolebindings")
    bind_ca = find("bind", RBAC, "clusterroles", name="cluster-admin")
    if create_crb and bind_ca:
        yield Edge(src, CLUSTER_ADMIN, "create clusterrolebindings + bind cluster-admin",
                   create_crb, (bind_ca,))
    esc = find("escalate", RBAC, "clusterroles")
    upd = find("update", RBAC, "clusterroles") or find("patch", RBAC, "clusterroles")
    if esc and upd:
        yield Edge(src, CLUSTER_ADMIN, "escalate + update clusterroles", esc, (upd,))


def _cluster_edges(src: Node, grants: Sequence[Grant], find: Find) -> Iterator[Edge]:
    # the impersonation filter refuses Impersonate-Group without an Impersonate-User: a
    # group needs a user or service account the subject may impersonate too
    as_user = (find("impersonate", "", "users") or find("impersonate", "", "serviceaccounts")
               or next((g for _, g in _names(grants, "impersonate", "users", "")), None)
               or next((g for _, g in _names(grants, "impersonate", "serviceaccounts", "")),
                       None))
    if as_user and (g := find("impersonate", "", "groups", name="system:masters")):
        yield Edge(src, CLUSTER_ADMIN, "impersonate group system:masters (as a user it may "
                   "impersonate)", g, (as_user,))
    if g := find("impersonate", "", "users"):
        yield Edge(src, Node("User", "*"), "impersonate any user", g)
    else:
        for name, g in _names(grants, "impersonate", "users", ""):
            yield Edge(src, Node("User", name), f"impersonate user {name}", g)
    kubelet = next(((v, what, g) for v, what in KUBELET
                    if (g := find(v, "", "nodes", "proxy"))), None)
    if kubelet:
        yield Edge(src, NODE, f"{kubelet[0]} nodes/proxy: {kubelet[1]}", kubelet[2])
    else:
        for verb, what in KUBELET:
            for name, g in _names(grants, verb, "nodes", "proxy"):
                yield Edge(src, NODE, f"{verb} nodes/proxy on node {name}: {what}", g)
    csr = find("create", "certificates.k8s.io", "certificatesigningrequests")
    approval = find("update", "certificates.k8s.io", "certificatesigningrequests", "approval")
    # CSR admission asks for approve on the signer name, then on "<domain>/*"
    # (plugin/pkg/admission/certificates IsAuthorizedForSignerName)
    signer = find("approve", "certificates.k8s.io", "signers",
                  name="kubernetes.io/kube-apiserver-client") or find(
        "approve", "certificates.k8s.io", "signers", name="kubernetes.io/*")
    if csr and approval and signer:
        yield Edge(src, CLUSTER_ADMIN, "create and approve a client CSR for system:masters",
                   approval, (signer, csr))
    admission = "admissionregistration.k8s.io"
    for verb in ("create", "update", "patch"):
        if g := find(verb, admission, "mutatingwebhookconfigurations"):
            yield Edge(src, Node("pods", "", "*"),
                       f"{verb} mutatingwebhookconfigurations: rewrite every new pod", g)
            break
    # a MutatingAdmissionPolicy (CEL) mutates only through a binding: both writable
    policy = next((g for v in ("create", "update", "patch")
                   if (g := find(v, admission, "mutatingadmissionpolicies"))), None)
    binding = next((g for v in ("create", "update", "patch")
                    if (g := find(v, admission, "mutatingadmissionpolicybindings"))), None)
    if policy and binding:
        yield Edge(src, Node("pods", "", "*"), "write mutatingadmissionpolicies and their "
                   "bindings: rewrite every new pod", policy, (binding,))


def _hub_edges(namespaces: set[str], accounts: dict[str, set[str]], runs: Sequence[PodRun],
               enforcing: set[str]) -> Iterator[Edge]:
    for kind in ("pods", "secrets", "serviceaccounts", "exec", "namespace"):
        for ns in sorted(namespaces):
            yield Edge(Node(kind, "", "*"), Node(kind, "", ns), "in every namespace")
    for ns in sorted(namespaces):
        for kind in ("pods", "secrets", "exec"):
            yield Edge(Node("namespace", "", ns), Node(kind, "", ns), "full control")
        yield Edge(Node("pods", "", ns), Node("serviceaccounts", "", ns),
                   "a pod may run as any service account of its namespace")
        yield Edge(Node("secrets", "", ns), Node("serviceaccounts", "", ns),
                   "service-account token secrets")
        if ns not in enforcing:
            yield Edge(Node("pods", "", ns), NODE,
                       "a privileged pod (no Pod Security enforcement in the namespace)")
    for ns, names in sorted(accounts.items()):
        for name in sorted(names):
            yield Edge(Node("serviceaccounts", "", ns), Node("ServiceAccount", name, ns),
                       "token")
    for r in runs:
        yield Edge(Node("exec", "", r.namespace), Node("Workload", r.ref),
                   "run commands in its containers")


def _workload_edges(runs: Sequence[PodRun]) -> Iterator[Edge]:
    for r in runs:
        node = Node("Workload", r.ref)
        sa = Node("ServiceAccount", r.service_account, r.namespace)
        if r.token:
            yield Edge(node, sa, f"mounted service account token [{r.location}]")
            if r.daemon:
                yield Edge(NODE, sa, f"{r.ref} runs on every node [{r.location}]")
        if r.node_access:
            yield Edge(node, NODE, f"{', '.join(r.node_access)} [{r.location}]")


def _membership(identities: Iterable[Node], with_grants: set[Node]) -> Iterator[Edge]:
    groups = {n for n in with_grants if n.kind == "Group"}
    for node in sorted(identities):
        subject = node.subject
        if subject is None:
            continue
        if node.kind == "User":
            yield Edge(Node("User", "*"), node, "impersonated")
        for group in subject.groups():
            g = Node.of(group)
            if g in groups:
                yield Edge(node, g, "member")

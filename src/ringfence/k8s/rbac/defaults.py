"""What every cluster has before any manifest is applied, and who is meant to be powerful.

Default roles (from the API server's bootstrap policy, ``kubernetes.io/bootstrapping:
rbac-defaults``): cluster-admin, the aggregated admin/edit/view and their
``system:aggregate-to-*`` parts, system:basic-user, system:discovery,
system:public-info-viewer and system:auth-delegator, with their default bindings. A manifest
that defines a role of the same name replaces the default.

The trust rule (no false "escalation" for components meant to hold these rights): an
identity is *trusted* when the control plane itself runs as it or the bootstrap policy grants
it power by design: group system:masters, system:nodes and users system:node:*, the users
system:kube-controller-manager, system:kube-scheduler, system:kube-proxy, system:apiserver
and kube-apiserver(-kubelet-client), and the kube-controller-manager's controller service
accounts in kube-system (``system:controller:<name>`` roles). Paths are never *reported
from* a trusted identity (it already has what the path leads to); reaching one from an
untrusted identity is an escalation like any other. Default bindings never produce findings.
"""

from __future__ import annotations

from typing import Final

from ringfence.k8s.rbac.model import Binding, PolicyRule, Role, Selector, Subject

RW = ("create", "delete", "deletecollection", "patch", "update")
READ = ("get", "list", "watch")
_DEFAULT_LABELS: Final = {"kubernetes.io/bootstrapping": "rbac-defaults"}


def _r(verbs: tuple[str, ...], groups: tuple[str, ...], resources: tuple[str, ...],
       names: tuple[str, ...] = ()) -> PolicyRule:
    return PolicyRule(verbs, groups, resources, names)


def _role(name: str, rules: tuple[PolicyRule, ...], aggregate_to: str = "",
          aggregate_from: str = "") -> Role:
    labels = dict(_DEFAULT_LABELS)
    if aggregate_to:
        labels[f"rbac.authorization.k8s.io/aggregate-to-{aggregate_to}"] = "true"
    agg = None
    if aggregate_from:
        key = f"rbac.authorization.k8s.io/aggregate-to-{aggregate_from}"
        agg = (Selector(((key, "true"),)),)
    return Role("ClusterRole", name, "", rules, agg, labels, "<default>", True)


_EDIT = (
    _r(READ, ("",), ("pods/attach", "pods/exec", "pods/portforward", "pods/proxy", "secrets",
                     "services/proxy")),
    _r(("impersonate",), ("",), ("serviceaccounts",)),
    _r(RW, ("",), ("pods", "pods/attach", "pods/exec", "pods/portforward", "pods/proxy")),
    _r(("create",), ("",), ("pods/eviction",)),
    _r(RW, ("",), ("configmaps", "events", "persistentvolumeclaims", "replicationcontrollers",
                   "replicationcontrollers/scale", "secrets", "serviceaccounts", "services",
                   "services/proxy")),
    _r(("create",), ("",), ("serviceaccounts/token",)),
    _r(RW, ("apps",), ("daemonsets", "deployments", "deployments/rollback",
                       "deployments/scale", "replicasets", "replicasets/scale",
                       "statefulsets", "statefulsets/scale")),
    _r(RW, ("autoscaling",), ("horizontalpodautoscalers",)),
    _r(RW, ("batch",), ("cronjobs", "jobs")),
    _r(RW, ("policy",), ("poddisruptionbudgets",)),
    _r(RW, ("networking.k8s.io",), ("ingresses", "networkpolicies")),
    _r((*RW, *READ), ("coordination.k8s.io",), ("leases",)),
)
_VIEW = (
    _r(READ, ("",), ("configmaps", "endpoints", "persistentvolumeclaims",
                     "persistentvolumeclaims/status", "pods", "replicationcontrollers",
                     "replicationcontrollers/scale", "serviceaccounts", "services",
                     "services/status", "bindings", "events", "limitranges",
                     "namespaces/status", "pods/log", "pods/status",
                     "replicationcontrollers/status", "resourcequotas",
                     "resourcequotas/status", "namespaces")),
    _r(READ, ("discovery.k8s.io",), ("endpointslices",)),
    _r(READ, ("apps",), ("controllerrevisions", "daemonsets", "daemonsets/status",
                         "deployments", "deployments/scale", "deployments/status",
                         "replicasets", "replicasets/scale", "replicasets/status",
                         "statefulsets", "statefulsets/scale", "statefulsets/status")),
    _r(READ, ("autoscaling",), ("horizontalpodautoscalers", "horizontalpodautoscalers/status")),
    _r(READ, ("batch",), ("cronjobs", "cronjobs/status", "jobs", "jobs/status")),
    _r(READ, ("policy",), ("poddisruptionbudgets", "poddisruptionbudgets/status")),
    _r(READ, ("networking.k8s.io",), ("ingresses", "ingresses/status", "networkpolicies")),
)

DEFAULT_ROLES: Final[tuple[Role, ...]] = (
    Role("ClusterRole", "cluster-admin", "", (
        _r(("*",), ("*",), ("*",)), PolicyRule(("*",), non_resource_urls=("*",))),
        None, dict(_DEFAULT_LABELS), "<default>", True),
    _role("admin", (), aggregate_from="admin"),
    _role("edit", (), aggregate_to="admin", aggregate_from="edit"),
    _role("view", (), aggregate_to="edit", aggregate_from="view"),
    _role("system:aggregate-to-admin", (
        _r(("create",), ("authorization.k8s.io",), ("localsubjectaccessreviews",)),
        _r((*RW, *READ), ("rbac.authorization.k8s.io",), ("rolebindings", "roles"))),
        aggregate_to="admin"),
    _role("system:aggregate-to-edit", _EDIT, aggregate_to="edit"),
    _role("system:aggregate-to-view", _VIEW, aggregate_to="view"),
    _role("system:basic-user", (
        _r(("create",), ("authorization.k8s.io",),
           ("selfsubjectaccessreviews", "selfsubjectrulesreviews")),
        _r(("create",), ("authentication.k8s.io",), ("selfsubjectreviews",)))),
    _role("system:discovery", (PolicyRule(("get",), non_resource_urls=(
        "/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi", "/openapi/*",
        "/readyz", "/version", "/version/")),)),
    _role("system:public-info-viewer", (PolicyRule(("get",), non_resource_urls=(
        "/healthz", "/livez", "/readyz", "/version", "/version/")),)),
    _role("system:auth-delegator", (
        _r(("create",), ("authentication.k8s.io",), ("tokenreviews",)),
        _r(("create",), ("authorization.k8s.io",), ("subjectaccessreviews",)))),
)


def _crb(name: str, role: str, *groups: str) -> Binding:
    return Binding("ClusterRoleBinding", name, "", "ClusterRole", role,
                   tuple(Subject("Group", g) for g in groups), "<default>", True)


DEFAULT_BINDINGS: Final[tuple[Binding, ...]] = (
    _crb("cluster-admin", "cluster-admin", "system:masters"),
    _crb("system:basic-user", "system:basic-user", "system:authenticated"),
    _crb("system:discovery", "system:discovery", "system:authenticated"),
    _crb("system:public-info-viewer", "system:public-info-viewer", "system:authenticated",
         "system:unauthenticated"),
)

TRUSTED_GROUPS: Final = frozenset({"system:masters", "system:nodes"})
TRUSTED_USERS: Final = frozenset({
    "system:kube-controller-manager", "system:kube-scheduler", "system:kube-proxy",
    "system:apiserver", "kube-apiserver", "kube-apiserver-kubelet-client"})
# Service accounts of kube-controller-manager's controllers (bootstrappolicy controller roles).
CONTROLLER_SAS: Final = frozenset({
    "attachdetach-controller", "certificate-controller", "clusterrole-aggregation-controller",
    "cronjob-controller", "daemon-set-controller", "deployment-controller",
    "disruption-controller", "endpoint-controller", "endpointslice-controller",
    "endpointslicemirroring-controller", "ephemeral-volume-controller",
    "expand-controller", "generic-garbage-collector", "horizontal-pod-autoscaler",
    "job-controller", "namespace-controller", "node-controller",
    "persistent-volume-binder", "pod-garbage-collector", "pv-protection-controller",
    "pvc-protection-controller", "replicaset-controller", "replication-controller",
    "resourcequota-controller", "root-ca-cert-publisher", "route-controller",
    "service-account-controller", "service-controller", "statefulset-controller",
    "ttl-after-finished-controller", "ttl-controller", "token-cleaner", "bootstrap-signer",
    "legacy-service-account-token-cleaner", "validatingadmissionpolicy-status-controller",
    "service-cidrs-controller"})


def is_trusted(subject: Subject) -> bool:
    """The documented trust rule (module docstring)."""
    if subject.kind == "Group":
        return subject.name in TRUSTED_GROUPS
    if subject.kind == "User":
        return subject.name in TRUSTED_USERS or subject.name.startswith("system:node:")
    return subject.namespace == "kube-system" and subject.name in CONTROLLER_SAS

"""An authorization request and whether one PolicyRule allows it.

The matching is the API server's (``RuleAllows`` in
``plugin/pkg/auth/authorizer/rbac/rbac.go`` over ``pkg/apis/rbac/v1/evaluation_helpers.go``):

* ``VerbMatches``: a listed verb or ``*``;
* ``APIGroupMatches``: the request's group exactly (core is ``""``) or ``*``; a rule without
  apiGroups matches no resource request;
* ``ResourceMatches``: ``*``, the combined ``resource/subresource`` exactly, or
  ``*/subresource`` when the request has that subresource. Nothing else is a pattern:
  ``pods`` does not grant ``pods/exec`` and ``pods/*`` matches only a resource literally
  named so (the authorizer has no ``resource/*`` form);
* ``ResourceNameMatches``: no resourceNames, or the request's name listed (a request
  without a name, such as create or an unrestricted list, never matches a named rule);
* ``NonResourceURLMatches``: ``*``, the path exactly, or a prefix when the rule ends in
  ``*`` (every trailing ``*`` trimmed, as ``strings.TrimRight`` does).

A request names its group: a resource typed without one takes the built-in group below, or
the core group ``""`` when unknown, as ``kubectl auth can-i`` does when discovery does not
know it (type ``widgets.example.com`` for a custom resource).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from ringfence.k8s.rbac.model import PolicyRule

# Built-in resources by API group, so a bare name on the command line picks its group.
_GROUPS: Final = {
    "": ("pods", "services", "secrets", "configmaps", "serviceaccounts", "nodes",
         "namespaces", "persistentvolumes", "persistentvolumeclaims", "endpoints", "events",
         "replicationcontrollers", "resourcequotas", "limitranges", "podtemplates",
         "componentstatuses", "bindings",
         # impersonation (``impersonate`` on users, groups and serviceaccounts is core)
         "users", "groups"),
    "apps": ("deployments", "daemonsets", "statefulsets", "replicasets",
             "controllerrevisions"),
    "batch": ("jobs", "cronjobs"),
    "rbac.authorization.k8s.io": ("roles", "rolebindings", "clusterroles",
                                  "clusterrolebindings"),
    "certificates.k8s.io": ("certificatesigningrequests", "signers"),
    "admissionregistration.k8s.io": ("mutatingwebhookconfigurations",
                                     "validatingwebhookconfigurations",
                                     "validatingadmissionpolicies",
                                     "validatingadmissionpolicybindings",
                                     "mutatingadmissionpolicies",
                                     "mutatingadmissionpolicybindings"),
    "networking.k8s.io": ("networkpolicies", "ingresses", "ingressclasses"),
    "policy": ("poddisruptionbudgets", "podsecuritypolicies"),
    "storage.k8s.io": ("storageclasses", "csidrivers", "csinodes", "volumeattachments"),
    "apiextensions.k8s.io": ("customresourcedefinitions",),
    "apiregistration.k8s.io": ("apiservices",),
    "authentication.k8s.io": ("tokenreviews", "userextras", "uids"),
    "authorization.k8s.io": ("subjectaccessreviews", "selfsubjectaccessreviews"),
    "coordination.k8s.io": ("leases",),
    "autoscaling": ("horizontalpodautoscalers",),
    "scheduling.k8s.io": ("priorityclasses",),
    "node.k8s.io": ("runtimeclasses",),
    "discovery.k8s.io": ("endpointslices",),
}
GROUP_OF: Final = {res: group for group, names in _GROUPS.items() for res in names}
# Cluster-scoped built-ins: only ClusterRoleBindings grant them.
CLUSTER_SCOPED: Final = frozenset({
    "nodes", "namespaces", "persistentvolumes", "componentstatuses", "clusterroles",
    "clusterrolebindings", "certificatesigningrequests", "signers",
    "mutatingwebhookconfigurations", "validatingwebhookconfigurations",
    "validatingadmissionpolicies", "validatingadmissionpolicybindings", "ingressclasses",
    "mutatingadmissionpolicies", "mutatingadmissionpolicybindings",
    "podsecuritypolicies", "storageclasses", "csidrivers", "csinodes", "volumeattachments",
    "customresourcedefinitions", "apiservices", "tokenreviews", "subjectaccessreviews",
    "selfsubjectaccessreviews", "priorityclasses", "runtimeclasses",
    "users", "groups", "userextras", "uids"})


@dataclass(frozen=True, slots=True)
class Request:
    """What is asked: ``namespace`` "" for cluster-scoped objects or every namespace.

    ``path`` set means a non-resource request (``/healthz``)."""

    verb: str
    resource: str = ""
    group: str = ""
    subresource: str = ""
    namespace: str = ""
    name: str = ""
    path: str = ""

    @property
    def combined(self) -> str:
        return f"{self.resource}/{self.subresource}" if self.subresource else self.resource

    @property
    def cluster_scoped(self) -> bool:
        return bool(self.path) or self.resource in CLUSTER_SCOPED

    def __str__(self) -> str:
        if self.path:
            return f"{self.verb} {self.path}"
        group = f".{self.group}" if self.group else ""
        where = f" -n {self.namespace}" if self.namespace else ""
        name = f" {self.name}" if self.name else ""
        return f"{self.verb} {self.combined}{group}{name}{where}"


def parse_request(verb: str, resource: str, namespace: str = "", subresource: str = "",
                  name: str = "") -> Request:
    """``pods``, ``pods/exec``, ``deployments.apps``, ``/healthz`` as kubectl spells them."""
    if resource.startswith("/"):
        return Request(verb, path=resource)
    base, _, sub = resource.partition("/")
    sub = subresource or sub
    res, _, group = base.partition(".")
    if not group:
        group = GROUP_OF.get(res, "")
    return Request(verb, res, group, sub, namespace, name)


def allows(rule: PolicyRule, req: Request) -> bool:
    """RBAC ``RuleAllows`` for one rule and one request."""
    if not _verb(rule, req.verb):
        return False
    if req.path:
        return any(_url(u, req.path) for u in rule.non_resource_urls)
    if not rule.resources:
        return False
    if "*" not in rule.api_groups and req.group not in rule.api_groups:
        return False
    combined = req.combined
    if not any(r in ("*", combined) or (req.subresource and r == f"*/{req.subresource}")
               for r in rule.resources):
        return False
    return not rule.resource_names or req.name in rule.resource_names


def _verb(rule: PolicyRule, verb: str) -> bool:
    return "*" in rule.verbs or verb in rule.verbs


def _url(pattern: str, path: str) -> bool:
    if pattern == "*" or pattern == path:
        return True
    return pattern.endswith("*") and path.startswith(pattern.rstrip("*"))

"""A live cluster, read-only: one list call per kind through the ``kubernetes`` client
(never get-by-name loops, never a write), turned into the same K8sObjects as manifests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from ringfence.errors import InputError, UsageError
from ringfence.k8s.load import Manifests, load_value
from ringfence.k8s.objects import K8sObject
from ringfence.model.unknown import Unknown

# (API class, list method, List kind, apiVersion) — cluster-wide list calls only
LISTS: Final = (
    ("CoreV1Api", "list_namespace", "NamespaceList", "v1"),
    ("CoreV1Api", "list_pod_for_all_namespaces", "PodList", "v1"),
    ("CoreV1Api", "list_service_account_for_all_namespaces", "ServiceAccountList", "v1"),
    ("CoreV1Api", "list_config_map_for_all_namespaces", "ConfigMapList", "v1"),
    ("CoreV1Api", "list_service_for_all_namespaces", "ServiceList", "v1"),
    ("CoreV1Api", "list_resource_quota_for_all_namespaces", "ResourceQuotaList", "v1"),
    ("CoreV1Api", "list_limit_range_for_all_namespaces", "LimitRangeList", "v1"),
    ("CoreV1Api", "list_replication_controller_for_all_namespaces",
     "ReplicationControllerList", "v1"),
    ("AppsV1Api", "list_deployment_for_all_namespaces", "DeploymentList", "apps/v1"),
    ("AppsV1Api", "list_stateful_set_for_all_namespaces", "StatefulSetList", "apps/v1"),
    ("AppsV1Api", "list_daemon_set_for_all_namespaces", "DaemonSetList", "apps/v1"),
    ("AppsV1Api", "list_replica_set_for_all_namespaces", "ReplicaSetList", "apps/v1"),
    ("BatchV1Api", "list_job_for_all_namespaces", "JobList", "batch/v1"),
    ("BatchV1Api", "list_cron_job_for_all_namespaces", "CronJobList", "batch/v1"),
    ("RbacAuthorizationV1Api", "list_role_for_all_namespaces", "RoleList",
     "rbac.authorization.k8s.io/v1"),
    ("RbacAuthorizationV1Api", "list_role_binding_for_all_namespaces", "RoleBindingList",
     "rbac.authorization.k8s.io/v1"),
    ("RbacAuthorizationV1Api", "list_cluster_role", "ClusterRoleList",
     "rbac.authorization.k8s.io/v1"),
    ("RbacAuthorizationV1Api", "list_cluster_role_binding", "ClusterRoleBindingList",
     "rbac.authorization.k8s.io/v1"),
    ("NetworkingV1Api", "list_network_policy_for_all_namespaces", "NetworkPolicyList",
     "networking.k8s.io/v1"),
)

Lister = Callable[[str, str], Any]  # (API class, method) -> response already serialised


def read_cluster(kubeconfig: str, context: str | None = None) -> Manifests:
    """Every object of LISTS from the cluster of ``kubeconfig``; a refused list call (RBAC
    forbids it, or the API is absent) is an Unknown, not a failure."""
    try:
        from kubernetes import client, config  # optional dependency, loaded on use
    except ImportError as exc:
        raise UsageError("--kubeconfig", "needs the kubernetes client "
                         "(pip install kubernetes)") from exc
    try:
        api = config.new_client_from_config(  # type: ignore[no-untyped-call]  # untyped lib
            config_file=kubeconfig, context=context)
    except Exception as exc:  # the client raises plain exceptions for bad kubeconfigs
        raise InputError(kubeconfig, "cannot load kubeconfig") from exc

    def lister(cls: str, method: str) -> Any:
        response = getattr(getattr(client, cls)(api), method)()
        return api.sanitize_for_serialization(response)

    return objects_from_lists(lister, kubeconfig)


def objects_from_lists(lister: Lister, source: str) -> Manifests:
    objects: list[K8sObject] = []
    unknowns: list[Unknown] = []
    for cls, method, kind, api_version in LISTS:
        try:
            doc = lister(cls, method)
        except Exception as exc:  # ApiException (403/404) or a transport error
            unknowns.append(Unknown(f"{source}:{kind}", f"list failed: {_reason(exc)}",
                                    "k8s.live"))
            continue
        doc = {**doc, "kind": doc.get("kind") or kind,
               "apiVersion": doc.get("apiVersion") or api_version}
        got = load_value(doc, f"{source}:{kind}")
        objects.extend(got.objects)
        unknowns.extend(got.unknowns)
    return Manifests(tuple(objects), tuple(unknowns), 0)


def _reason(exc: Exception) -> str:
    status = getattr(exc, "status", None)
    return f"HTTP {status} {getattr(exc, 'reason', '')}".strip() if status else str(exc)


"""``ringfence webhook manifest``: Deployment, Service and ValidatingWebhookConfiguration.

The Deployment runs the webhook under the Restricted Pod Security Standard (it passes its
own policy), reads its TLS pair from a Secret and its policy from a ConfigMap, and probes
/readyz and /livez over HTTPS. The webhook configuration sends exactly the kinds the
server evaluates, never its own namespace or kube-system (a broken webhook must not be able
to block its own restart or the control plane's pods).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any, Final

from ringfence import __version__
from ringfence.admission.app import VALIDATE_PATH

NAME: Final = "ringfence-webhook"
PORT: Final = 8443
# kind -> (API group, resource); pods also cover kubectl debug's ephemeral containers
RESOURCES: Final = {
    "Pod": ("", "pods"), "Deployment": ("apps", "deployments"),
    "StatefulSet": ("apps", "statefulsets"), "DaemonSet": ("apps", "daemonsets"),
    "ReplicaSet": ("apps", "replicasets"), "Job": ("batch", "jobs"),
    "CronJob": ("batch", "cronjobs"),
}


@dataclass(frozen=True, slots=True)
class ManifestOptions:
    namespace: str
    image: str = f"ringfence:{__version__}"  # built from this repository; no published image
    ca_bundle: bytes | None = None
    fail_closed: bool = False
    timeout_seconds: int = 5
    replicas: int = 2


def manifests(opts: ManifestOptions) -> list[dict[str, Any]]:
    return [_deployment(opts), _service(opts), _webhook(opts)]


def _labels() -> dict[str, str]:
    """A fresh mapping per use: shared objects would become YAML anchors and aliases."""
    return {"app.kubernetes.io/name": NAME}


def _deployment(opts: ManifestOptions) -> dict[str, Any]:
    args = ["webhook", "serve", "--tls-cert", "/tls/tls.crt", "--tls-key", "/tls/tls.key",
            "--policy", "/policy/policy.yaml", "--listen", f"0.0.0.0:{PORT}",
            "--timeout", str(max(1, opts.timeout_seconds - 2))]
    if opts.fail_closed:
        args.append("--fail-closed")

    def probe(path: str) -> dict[str, Any]:
        return {"httpGet": {"path": path, "port": PORT, "scheme": "HTTPS"},
                "periodSeconds": 10}

    container = {
        "name": "webhook", "image": opts.image, "args": args,
        "ports": [{"name": "https", "containerPort": PORT}],
        "readinessProbe": probe("/readyz"), "livenessProbe": probe("/livez"),
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"},
                      "limits": {"cpu": "1", "memory": "256Mi"}},
        "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                            "runAsNonRoot": True, "runAsUser": 65532,
                            "capabilities": {"drop": ["ALL"]},
                            "seccompProfile": {"type": "RuntimeDefault"}},
        "volumeMounts": [{"name": "tls", "mountPath": "/tls", "readOnly": True},
                         {"name": "policy", "mountPath": "/policy", "readOnly": True}],
    }
    pod_spec = {
        "automountServiceAccountToken": False,
        "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [container],
        "volumes": [{"name": "tls", "secret": {"secretName": f"{NAME}-tls"}},
                    {"name": "policy", "configMap": {"name": f"{NAME}-policy"}}],
    }
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": NAME, "namespace": opts.namespace, "labels": _labels()},
            "spec": {"replicas": opts.replicas, "selector": {"matchLabels": _labels()},
                     "template": {"metadata": {"labels": _labels()}, "spec": pod_spec}}}


def _service(opts: ManifestOptions) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": NAME, "namespace": opts.namespace, "labels": _labels()},
            "spec": {"selector": _labels(), "ports": [
                {"name": "https", "port": 443, "targetPort": PORT, "protocol": "TCP"}]}}


def _webhook(opts: ManifestOptions) -> dict[str, Any]:
    client: dict[str, Any] = {"service": {"namespace": opts.namespace, "name": NAME,
                                          "path": VALIDATE_PATH, "port": 443}}
    if opts.ca_bundle is not None:
        client["caBundle"] = base64.b64encode(opts.ca_bundle).decode()
    groups: dict[str, list[str]] = {}
    for group, resource in RESOURCES.values():
        groups.setdefault(group, []).append(resource)
    groups[""].append("pods/ephemeralcontainers")
    rules = [{"apiGroups": [g], "apiVersions": ["v1"], "operations": ["CREATE", "UPDATE"],
              "resources": r, "scope": "Namespaced"} for g, r in groups.items()]
    hook = {
        "name": "workloads.ringfence.dev", "clientConfig": client, "rules": rules,
        "failurePolicy": "Fail" if opts.fail_closed else "Ignore",
        "sideEffects": "None", "admissionReviewVersions": ["v1"],
        "timeoutSeconds": opts.timeout_seconds, "matchPolicy": "Equivalent",
        "namespaceSelector": {"matchExpressions": [{
            "key": "kubernetes.io/metadata.name", "operator": "NotIn",
            "values": sorted({opts.namespace, "kube-system"})}]},
    }
    return {"apiVersion": "admissionregistration.k8s.io/v1",
            "kind": "ValidatingWebhookConfiguration",
            "metadata": {"name": NAME, "labels": _labels()},
            "webhooks": [hook]}

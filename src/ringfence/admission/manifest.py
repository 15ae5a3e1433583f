"""``ringfence webhook manifest``: everything the webhook needs in a cluster, in apply
order: ConfigMap (policy), Secret (TLS pair), Service, Deployment, PodDisruptionBudget,
then the ValidatingWebhookConfiguration last, once its backend exists.

The Deployment runs the webhook under the Restricted Pod Security Standard (it passes its
own policy), reads its TLS pair from the Secret and its policy from the ConfigMap, and probes
/readyz and /livez over HTTPS. The webhook configuration:
* fails closed (``failurePolicy: Fail``; ``Ignore`` only with ``fail_open``, which
  ``warnings()`` reports loudly) and the server is told the same (``--fail-closed``);
* carries the caBundle that verifies the serving certificate (required: without it the API
  server cannot trust the webhook, and with Fail every pod would be denied);
* gives the server a deadline shorter than its own ``timeoutSeconds``
  (``server_deadline``), so the webhook answers "denied" itself instead of timing out;
* sends exactly the kinds the server evaluates, never its own namespace or kube-system
  (a broken webhook must not be able to block its own restart or the control plane's pods);
* ``sideEffects: None`` and ``admissionReviewVersions: [v1]``, the only version served.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any, Final

from ringfence import __version__
from ringfence.admission.app import VALIDATE_PATH
from ringfence.admission.tls import TlsMaterial

NAME: Final = "ringfence-webhook"
PORT: Final = 8443
# kind -> (API group, resource); pods also cover kubectl debug's ephemeral containers
RESOURCES: Final = {
    "Pod": ("", "pods"), "Deployment": ("apps", "deployments"),
    "StatefulSet": ("apps", "statefulsets"), "DaemonSet": ("apps", "daemonsets"),
    "ReplicaSet": ("apps", "replicasets"), "Job": ("batch", "jobs"),
    "CronJob": ("batch", "cronjobs"),
}


DEFAULT_POLICY: Final = "pss: {enforce: baseline, audit: restricted}\n"
DEFAULT_TIMEOUT_SECONDS: Final = 5


@dataclass(frozen=True, slots=True)
class ManifestOptions:
    namespace: str
    tls: TlsMaterial  # the caBundle always; the Secret's pair when cert and key are given
    # built from this repository (buildah tags it localhost/...); no published image
    image: str = f"localhost/ringfence:{__version__}"
    policy: str = DEFAULT_POLICY
    fail_open: bool = False
    timeout_seconds: int = DEFAULT_TIMEOUT_SECONDS  # the API server's, 1..30
    replicas: int = 2


def server_deadline(timeout_seconds: int) -> float:
    """The server's own deadline for one request: the API server's timeout less a margin
    for the network and TLS (a quarter of it, at least 0.5 s and at most 2 s)."""
    return timeout_seconds - min(2.0, max(0.5, timeout_seconds / 4))


def manifests(opts: ManifestOptions) -> list[dict[str, Any]]:
    objects = [_config_map(opts)]
    if opts.tls.cert is not None and opts.tls.key is not None:
        objects.append(_secret(opts))
    objects += [_service(opts), _deployment(opts)]
    if opts.replicas > 1:
        objects.append(_disruption_budget(opts))
    return [*objects, _webhook(opts)]


def warnings(opts: ManifestOptions) -> list[str]:
    """What a front end must tell the user on stderr about these manifests."""
    out = []
    if opts.fail_open:
        out.append("WARNING: --fail-open: failurePolicy Ignore and a fail-open server. When "
                   "the webhook is down, slow, overloaded or cannot evaluate a request, the "
                   "API server ADMITS the object unchecked: a privileged pod can be created "
                   "by making the webhook busy. Use only while trying the policy out.")
    if opts.tls.key is not None:
        out.append(f"note: the output holds the TLS private key (Secret {NAME}-tls): "
                   "treat it as a secret.")
    if opts.tls.cert is None:
        out.append(f"note: no TLS pair given: create Secret {NAME}-tls (type "
                   f"kubernetes.io/tls) in {opts.namespace}, signed by the --ca-bundle CA "
                   f"for {NAME}.{opts.namespace}.svc, before applying.")
    if opts.replicas < 2:
        out.append("note: one replica and failurePolicy Fail: pods outside "
                   f"{opts.namespace} and kube-system cannot be created while it restarts.")
    return out


def _labels() -> dict[str, str]:
    """A fresh mapping per use: shared objects would become YAML anchors and aliases."""
    return {"app.kubernetes.io/name": NAME}


def _meta(opts: ManifestOptions, name: str = NAME) -> dict[str, Any]:
    return {"name": name, "namespace": opts.namespace, "labels": _labels()}


def _config_map(opts: ManifestOptions) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": _meta(opts, f"{NAME}-policy"),
            "data": {"policy.yaml": opts.policy}}


def _secret(opts: ManifestOptions) -> dict[str, Any]:
    assert opts.tls.cert is not None and opts.tls.key is not None
    return {"apiVersion": "v1", "kind": "Secret", "metadata": _meta(opts, f"{NAME}-tls"),
            "type": "kubernetes.io/tls",
            "data": {"tls.crt": _b64(opts.tls.cert), "tls.key": _b64(opts.tls.key)}}


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _disruption_budget(opts: ManifestOptions) -> dict[str, Any]:
    """With failurePolicy Fail, a drain that evicts every replica at once would block pod
    creation in every evaluated namespace: keep one up."""
    return {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": _meta(opts),
            "spec": {"minAvailable": 1, "selector": {"matchLabels": _labels()}}}


def _deployment(opts: ManifestOptions) -> dict[str, Any]:
    args = ["webhook", "serve", "--tls-cert", "/tls/tls.crt", "--tls-key", "/tls/tls.key",
            "--policy", "/policy/policy.yaml", "--listen", f"0.0.0.0:{PORT}",
            "--timeout", f"{server_deadline(opts.timeout_seconds):g}",
            "--fail-open" if opts.fail_open else "--fail-closed"]

    def probe(path: str) -> dict[str, Any]:
        return {"httpGet": {"path": path, "port": PORT, "scheme": "HTTPS"},
                "periodSeconds": 10}

    container = {
        "name": "webhook", "image": opts.image, "args": args,
        "ports": [{"name": "https", "containerPort": PORT}],
        "readinessProbe": probe("/readyz"), "livenessProbe": probe("/livez"),
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"},
                      "limits": {"cpu": "1", "memory": "512Mi"}},  # 256 MiB of requests
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
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": _meta(opts),
            "spec": {"replicas": opts.replicas, "selector": {"matchLabels": _labels()},
                     "template": {"metadata": {"labels": _labels()}, "spec": pod_spec}}}


def _service(opts: ManifestOptions) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Service", "metadata": _meta(opts),
            "spec": {"selector": _labels(), "ports": [
                {"name": "https", "port": 443, "targetPort": PORT, "protocol": "TCP"}]}}


def _webhook(opts: ManifestOptions) -> dict[str, Any]:
    client = {"service": {"namespace": opts.namespace, "name": NAME, "path": VALIDATE_PATH,
                          "port": 443}, "caBundle": _b64(opts.tls.ca)}
    groups: dict[str, list[str]] = {}
    for group, resource in RESOURCES.values():
        groups.setdefault(group, []).append(resource)
    groups[""].append("pods/ephemeralcontainers")
    rules = [{"apiGroups": [g], "apiVersions": ["v1"], "operations": ["CREATE", "UPDATE"],
              "resources": r, "scope": "Namespaced"} for g, r in groups.items()]
    hook = {
        "name": "workloads.ringfence.dev", "clientConfig": client, "rules": rules,
        "failurePolicy": "Ignore" if opts.fail_open else "Fail",
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

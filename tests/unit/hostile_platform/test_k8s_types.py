"""Manifests with fields of the wrong JSON type (issue 18): Service ``ports`` as a string,
containers as a mapping, ``securityContext`` as a list, RBAC rules as a number... Every
platform command reads them without a traceback; a well-formed privileged pod beside them
is still found."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from tests.unit.hostile_platform.cli import run

GOOD_POD: dict[str, Any] = {
    "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "evil", "namespace": "prod"},
    "spec": {"containers": [{"name": "c", "image": "i", "securityContext": {
        "privileged": True}}]}}

BROKEN: list[dict[str, Any]] = [
    {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s1", "namespace": "prod"},
     "spec": {"selector": {"app": "a"}, "ports": "80"}},
    {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s2", "namespace": "prod"},
     "spec": {"selector": ["app"], "ports": [{"port": "http²"}, {"port": {"x": 1}}, 7]}},
    {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p1", "namespace": "prod"},
     "spec": {"containers": {"name": "c", "image": "i"}}},
    {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p2", "namespace": "prod"},
     "spec": {"securityContext": ["privileged"], "containers": [
         {"name": "c", "image": ["i"], "securityContext": [{"privileged": True}],
          "ports": {"containerPort": 80}, "env": "A=b",
          "resources": {"limits": ["cpu"]}}],
              "volumes": {"hostPath": "/"}, "hostNetwork": "yes"}},
    {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p3", "namespace": "prod"},
     "spec": {"securityContext": {"sysctls": [{"name": ["kernel.x"]}]},
              "containers": [{"name": "c", "image": "i", "securityContext": {
                  "capabilities": {"add": "SYS_ADMIN"}}}]}},
    {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d", "namespace": "x"},
     "spec": {"template": {"spec": {"containers": 1.5, "initContainers": [None],
                                    "volumes": [{"projected": {"sources": 7}}]}}}},
    {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
     "metadata": {"name": "r"}, "rules": 10**30,
     "aggregationRule": {"clusterRoleSelectors": {"matchLabels": ["a"]}}},
    {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
     "metadata": {"name": "r2"}, "rules": [{"verbs": "*", "resources": {"a": 1}}],
     "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": ["a"],
                                                   "matchExpressions": {"k": 1}}]}},
    {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
     "metadata": {"name": "b", "namespace": "prod"}, "roleRef": "cluster-admin",
     "subjects": {"kind": "User", "name": "u"}},
    {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
     "metadata": {"name": "n", "namespace": "prod"},
     "spec": {"podSelector": [], "policyTypes": "Ingress",
              "ingress": [{"from": {"ipBlock": {"cidr": 10}}, "ports": "80"}],
              "egress": "all"}},
    {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress",
     "metadata": {"name": "i", "namespace": "prod"},
     "spec": {"rules": [{"http": {"paths": "/"}}], "defaultBackend": ["s"]}},
    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "prod", "labels": ["x"]}},
    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm", "namespace": "prod"},
     "data": ["password=x"]},
    {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "prod"},
     "data": "eA==", "type": ["Opaque"]},
]


def _manifest(tmp_path: Path) -> Path:
    f = tmp_path / "broken.json"
    f.write_text(json.dumps({"apiVersion": "v1", "kind": "List",
                             "items": [copy.deepcopy(GOOD_POD), *BROKEN]}))
    return f


@pytest.mark.parametrize("command", [
    ["k8s", "-f", "json", "--fail-on", "critical"],
    ["netpol", "matrix", "-f", "json"],
    ["rbac", "paths", "-f", "json"],
    ["scan", "-f", "json", "--k8s"],
])
def test_wrong_types_never_give_a_traceback(capsys: pytest.CaptureFixture[str],
                                            tmp_path: Path, command: list[str]) -> None:
    f = _manifest(tmp_path)
    if command[0] == "scan":
        argv = [*command, str(f)]
    else:
        argv = [*command[:2], str(f), *command[2:]] if command[0] in ("netpol", "rbac") \
            else [command[0], str(f), *command[1:]]
    got = run(capsys, *argv)
    assert "Traceback" not in got.err and got.rc in (0, 1, 4), (got.rc, got.err[-3000:])
    doc = got.json()
    if command[0] == "k8s":
        assert got.rc == 1  # the well-formed privileged pod is still found
        assert any(f["rule"] == "K8S-003" and "Pod/prod/evil" in f["message"]
                   for f in doc["findings"])
        assert not [u for u in doc["unknowns"] if "check failed" in u["reason"]]

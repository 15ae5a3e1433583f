"""``ringfence k8s`` end to end on real manifests, stdin, exit codes; live reading with a
fake lister standing in for the kubernetes client."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from ringfence.cli.main import main
from ringfence.k8s.live import LISTS, objects_from_lists


def _run(*args: str, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "ringfence.cli.main", *args], input=stdin,
                          capture_output=True, check=False, timeout=60)


def test_goat_json_report_and_fail_on(data_dir: Path) -> None:
    goat = str(data_dir / "k8s" / "kubernetes-goat")
    out = _run("k8s", goat, "-f", "json", "--fail-on", "critical")
    assert out.returncode == 1, out.stderr
    doc = json.loads(out.stdout)
    levels = {w["ref"]: w["pss"] for w in doc["workloads"]}
    assert levels["Deployment/health-check-deployment"] == "privileged"
    assert {"K8S-003", "K8S-005"} <= {f["rule"] for f in doc["findings"]}
    assert len(doc["unknowns"]) == 2  # the Helm chart's Chart.yaml and values.yaml


def test_stdin_strict_and_usage(data_dir: Path) -> None:
    text = (data_dir / "k8s/flannel/kube-flannel.yml").read_bytes() + b"\n---\n: [\n"
    out = _run("k8s", "-", "-f", "json", "--strict", stdin=text)
    assert out.returncode == 4
    doc = json.loads(out.stdout)
    assert doc["workloads"][0]["pss"] == "privileged"
    assert doc["unknowns"][0]["location"].startswith("<stdin>:")
    assert main(["k8s"]) == 2


def test_live_lists_become_objects() -> None:
    def lister(cls: str, method: str) -> Any:
        if method == "list_pod_for_all_namespaces":
            return {"apiVersion": "v1", "kind": "PodList", "items": [
                {"metadata": {"name": "p", "namespace": "n"},
                 "spec": {"containers": [{"name": "c", "image": "x:1"}]}}]}
        if method == "list_cluster_role":
            raise PermissionError("forbidden")
        return {"items": []}

    got = objects_from_lists(lister, "kubeconfig")
    assert [(o.kind, o.ref) for o in got.objects] == [("Pod", "Pod/n/p")]
    assert [u.location for u in got.unknowns] == ["kubeconfig:ClusterRoleList"]
    assert len(LISTS) == 19 and all(m.startswith("list_") for _, m, _, _ in LISTS)

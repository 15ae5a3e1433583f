"""Emitters: docker/podman flags, the OCI JSON Patch (applied with the jsonpatch library to
real ``runc spec`` output), and the Kubernetes securityContext checked by ringfence's own
Pod Security Standards rules on real kubernetes-goat manifests."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonpatch
import pytest
import yaml

from ringfence.checks.engine import run_checks
from ringfence.harden.emit_docker import run_command, run_flags
from ringfence.harden.emit_k8s import harden_manifest, pod_patch
from ringfence.harden.emit_oci import RUNC_SPEC_SHAPE, oci_patch
from ringfence.harden.plan import HardenOptions, make_plan
from ringfence.harden.workload import Workload, workload_from_container
from ringfence.k8s.facts import facts_from_objects
from ringfence.k8s.load import load_value
from ringfence.k8s.podview import TEMPLATE_PATHS
from ringfence.k8s.rules.pss import PSS_CHECKS
from ringfence.runtime.load import parse_document

GOAT = "k8s/kubernetes-goat/scenarios"


def _plan(**kw: Any) -> Any:
    return make_plan(Workload("img", image="example/img", **kw),
                     HardenOptions(tmpfs_size="16m", memory=1 << 28, pids=64))


def test_docker_flags() -> None:
    plan = _plan(user="1000:1000", ports=(80,))
    assert run_flags(plan, "docker", "/p/seccomp.json") == [
        "--read-only",
        "--tmpfs=/run:rw,nosuid,nodev,noexec,size=16m,mode=0755,uid=1000,gid=1000",
        "--tmpfs=/tmp:rw,nosuid,nodev,noexec,size=16m,mode=1777,uid=1000,gid=1000",
        "--tmpfs=/var/tmp:rw,nosuid,nodev,noexec,size=16m,mode=1777,uid=1000,gid=1000",
        "--cap-drop=ALL", "--cap-add=NET_BIND_SERVICE", "--security-opt=no-new-privileges",
        "--security-opt=seccomp=/p/seccomp.json", "--user=1000:1000", "--pids-limit=64",
        "--memory=268435456"]
    podman = run_flags(plan, "podman", None)
    assert podman[:2] == ["--read-only", "--read-only-tmpfs=false"]
    assert not any("seccomp" in f for f in podman)
    assert "--tmpfs=/run:rw,nosuid,nodev,noexec,size=16m,mode=0755,U" in podman
    assert run_command(plan, "podman").splitlines()[-1].strip() == "example/img"


def _runc_spec(tmp_path: Path) -> dict[str, Any]:
    if shutil.which("runc") is None:
        pytest.skip("runc not installed")
    subprocess.run(["runc", "spec"], cwd=tmp_path, check=True)
    doc: dict[str, Any] = json.loads((tmp_path / "config.json").read_text())
    return doc


def test_oci_patch_applies_to_runc_spec_and_round_trips(tmp_path: Path) -> None:
    base = _runc_spec(tmp_path)
    plan = _plan(user="1000:1000", ports=(80,))
    for target in (base, None):  # computed against the file, and against runc spec's shape
        patched = jsonpatch.apply_patch(base, oci_patch(plan, target))
        assert patched["root"]["readonly"] is True
        assert patched["process"]["noNewPrivileges"] is True
        assert patched["process"]["user"] == {"uid": 1000, "gid": 1000}
        assert patched["process"]["capabilities"]["ambient"] == ["CAP_NET_BIND_SERVICE"]
        assert patched["linux"]["resources"]["memory"] == {"limit": 1 << 28}
        assert patched["linux"]["resources"]["pids"] == {"limit": 64}
        assert patched["linux"]["resources"]["devices"] == base["linux"]["resources"]["devices"]
        assert patched["linux"]["seccomp"]["defaultAction"] == "SCMP_ACT_ERRNO"
        tmpfs = [m["destination"] for m in patched["mounts"] if m["type"] == "tmpfs"]
        assert {"/run", "/tmp", "/var/tmp"} <= set(tmpfs)
        # the patched config parses back into a spec that says what the plan decided
        spec = parse_document(patched, "patched")[0]
        assert spec.read_only_rootfs is True and spec.no_new_privileges is True
        assert spec.capabilities == frozenset({"CAP_NET_BIND_SERVICE"})
        assert spec.user is not None and spec.user.startswith("1000")
        assert spec.limits is not None and spec.limits.pids == 64


def test_oci_patch_adds_missing_parents_and_replaces_existing_mounts() -> None:
    base = {"ociVersion": "1.0.2", "process": {"args": ["sh"]}, "root": {"path": "rootfs"},
            "mounts": [{"destination": "/tmp", "type": "bind", "source": "/host/tmp"}]}
    ops = oci_patch(_plan(user="7"), base)
    patched = jsonpatch.apply_patch(base, ops)
    assert patched["linux"]["resources"] == {"memory": {"limit": 1 << 28},
                                             "pids": {"limit": 64}}
    assert patched["process"]["user"] == {"uid": 7, "gid": 7}
    assert [m["destination"] for m in patched["mounts"]] == ["/tmp", "/run", "/var/tmp"]
    assert patched["mounts"][0]["type"] == "tmpfs"
    assert {"op": "replace", "path": "/mounts/0"}.items() <= ops[-2].items()
    assert set(RUNC_SPEC_SHAPE) == {"process", "root", "linux", "mounts"}


def _pss(doc: dict[str, Any]) -> list[str]:
    facts = facts_from_objects(load_value(doc, "patched").objects)
    assert len(facts.pods) == 1
    run = run_checks(PSS_CHECKS, facts)
    assert len(run.evaluated) == len(PSS_CHECKS)
    return sorted({f.rule_id for f in run.findings})


def _goat(data_dir: Path, name: str) -> dict[str, Any]:
    """The first workload object of the manifest."""
    docs = yaml.safe_load_all((data_dir / GOAT / name).read_text())
    return next(d for d in docs if d and d.get("kind") in TEMPLATE_PATHS)


@pytest.mark.parametrize("scenario", ["kubernetes-goat-home/deployment.yaml",
                                      "build-code/deployment.yaml",
                                      "batch-check/job.yaml",
                                      "hunger-check/deployment.yaml"])
def test_goat_workload_meets_restricted_after_hardening(data_dir: Path, scenario: str) -> None:
    workload = _goat(data_dir, scenario)
    before = _pss(workload)
    assert "K8S-022" in before and "K8S-025" in before  # runs as root, keeps capabilities
    hardened, _ = harden_manifest(workload,
                                  lambda c: make_plan(workload_from_container(c)))
    assert _pss(hardened) == []


def test_goat_health_check_keeps_only_what_a_security_context_cannot_fix(
        data_dir: Path) -> None:
    workload = _goat(data_dir, "health-check/deployment.yaml")
    assert "K8S-003" in _pss(workload)  # privileged
    hardened, notes = harden_manifest(workload,
                                      lambda c: make_plan(workload_from_container(c)))
    # the containerd socket hostPath stays (baseline HostPath, restricted Volume Types)
    assert _pss(hardened) == ["K8S-005", "K8S-020"]
    assert any("containerd-sock-volume is a hostPath" in n for n in notes)
    c = hardened["spec"]["template"]["spec"]["containers"][0]
    assert c["resources"]["limits"]["memory"] == "100Mi"  # the manifest's own limit kept
    assert c["securityContext"]["capabilities"] == {"drop": ["ALL"],
                                                    "add": ["NET_BIND_SERVICE"]}


def test_pod_patch_for_a_root_server_is_still_restricted() -> None:
    plan = make_plan(Workload("web", argv=("nginx",), ports=(80,), user=""))
    assert plan.uid == 0  # docker/OCI keep root for nginx...
    doc = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web"},
           "spec": {"containers": [{"name": "web", "image": "nginx"}]}}
    patch = pod_patch(plan, "web")
    doc["spec"].update({k: v for k, v in patch.items() if k != "containers"})
    doc["spec"]["containers"][0].update(patch["containers"][0])
    assert _pss(doc) == []  # ...Kubernetes restricted gets 65532 and NET_BIND_SERVICE only
    assert patch["containers"][0]["securityContext"]["runAsUser"] == 65532

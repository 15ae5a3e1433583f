"""Kubernetes securityContext (pod and container level) for a plan, and a hardened copy of a
workload manifest. The output meets the Pod Security Standards *restricted* profile:
runAsNonRoot, a non-zero runAsUser, allowPrivilegeEscalation false, seccomp RuntimeDefault
(or Localhost), capabilities drop ALL with at most NET_BIND_SERVICE added back.

Differences from the docker/OCI output, forced by *restricted*: a server that drops
privileges itself cannot start as root, so it gets uid 65532 and no CHOWN/SETUID/SETGID;
tmpfs mounts become ``emptyDir`` (medium Memory) volumes; a pids limit is the kubelet's
``podPidsLimit`` (a note says so). What a securityContext cannot fix (hostPath volumes,
host namespaces, hostPort) is left in place and reported in the notes.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping
from typing import Any

from ringfence.harden.plan import NONROOT, Plan
from ringfence.k8s.podview import CONTAINER_FIELDS, TEMPLATE_PATHS, mapping, seq


def _seccomp(localhost: str | None) -> dict[str, str]:
    if localhost:
        return {"type": "Localhost", "localhostProfile": localhost}
    return {"type": "RuntimeDefault"}


def _ids(plan: Plan) -> tuple[int, int]:
    return (plan.uid, plan.gid) if plan.non_root else (NONROOT, NONROOT)


def pod_security_context(plan: Plan, localhost: str | None = None) -> dict[str, Any]:
    uid, gid = _ids(plan)
    return {"runAsNonRoot": True, "runAsUser": uid, "runAsGroup": gid, "fsGroup": gid,
            "seccompProfile": _seccomp(localhost)}


def container_security_context(plan: Plan, localhost: str | None = None) -> dict[str, Any]:
    uid, gid = _ids(plan)
    caps: dict[str, list[str]] = {"drop": ["ALL"]}
    if "NET_BIND_SERVICE" in plan.cap_add:
        caps["add"] = ["NET_BIND_SERVICE"]
    return {"allowPrivilegeEscalation": False, "privileged": False,
            "readOnlyRootFilesystem": True, "runAsNonRoot": True, "runAsUser": uid,
            "runAsGroup": gid, "capabilities": caps, "seccompProfile": _seccomp(localhost)}


def volume_name(path: str) -> str:
    slug = re.sub(r"[^a-z0-9-]+", "-", path.lower()).strip("-") or "root"
    return ("rf-" + slug)[:63].rstrip("-")


def _quantity(size: str) -> str:
    return re.sub(r"([kmg])$", lambda m: {"k": "Ki", "m": "Mi", "g": "Gi"}[m.group(1)], size)


def _memory(n: int) -> str:
    return f"{n // 2**20}Mi" if n % 2**20 == 0 else str(n)


def volumes(plan: Plan) -> list[dict[str, Any]]:
    return [{"name": volume_name(t.path),
             "emptyDir": {"medium": "Memory", "sizeLimit": _quantity(plan.tmpfs_size)}}
            for t in plan.tmpfs]


def container_patch(plan: Plan, name: str, localhost: str | None = None) -> dict[str, Any]:
    return {"name": name, "securityContext": container_security_context(plan, localhost),
            "volumeMounts": [{"name": volume_name(t.path), "mountPath": t.path}
                             for t in plan.tmpfs],
            "resources": {"limits": {"memory": _memory(plan.memory)}}}


def k8s_notes(plan: Plan) -> list[str]:
    notes = [f"pids limit {plan.pids}: set the kubelet's podPidsLimit (no per-pod field)"]
    if not plan.non_root:
        notes.append(f"restricted forbids root: uid {NONROOT} without CHOWN/SETUID/SETGID; "
                     "configure the server to start unprivileged")
    return notes


def pod_patch(plan: Plan, container: str, localhost: str | None = None) -> dict[str, Any]:
    """A strategic-merge-style fragment of a pod spec for one container."""
    return {"securityContext": pod_security_context(plan, localhost),
            "containers": [container_patch(plan, container, localhost)],
            "volumes": volumes(plan)}


def _merge_container(c: dict[str, Any], plan: Plan, localhost: str | None) -> None:
    patch = container_patch(plan, str(c.get("name", "")), localhost)
    sc = dict(mapping(c.get("securityContext")))
    sc.pop("procMount", None)
    sc.update(patch["securityContext"])
    c["securityContext"] = sc
    mounts = [m for m in seq(c.get("volumeMounts")) if isinstance(m, Mapping)]
    taken = {m.get("mountPath") for m in mounts}
    c["volumeMounts"] = mounts + [m for m in patch["volumeMounts"]
                                  if m["mountPath"] not in taken]
    limits = dict(mapping(mapping(c.get("resources")).get("limits")))
    limits.setdefault("memory", patch["resources"]["limits"]["memory"])
    c["resources"] = {**mapping(c.get("resources")), "limits": limits}


def harden_manifest(doc: Mapping[str, Any], plan_for: Callable[[Mapping[str, Any]], Plan],
                    localhost: str | None = None) -> tuple[dict[str, Any], list[str]]:
    """A hardened copy of one workload object (Pod, Deployment, Job, CronJob…) and notes.
    ``plan_for`` makes the plan of each container (from its image, ports, command)."""
    out = copy.deepcopy(dict(doc))
    path = TEMPLATE_PATHS.get(str(out.get("kind", "")))
    if path is None:
        return out, []  # runs no pods: nothing to harden
    node: dict[str, Any] = out
    for key in (*path, "spec"):
        node = node.setdefault(key, {})
    return out, _harden_pod_spec(node, plan_for, localhost)


def _harden_pod_spec(spec: dict[str, Any], plan_for: Callable[[Mapping[str, Any]], Plan],
                     localhost: str | None) -> list[str]:
    notes: list[str] = []
    vols = [v for v in seq(spec.get("volumes")) if isinstance(v, Mapping)]
    names = {v.get("name") for v in vols}
    plans: list[Plan] = []
    for field_name, _ in CONTAINER_FIELDS:
        for c in seq(spec.get(field_name)):
            if isinstance(c, dict):
                plan = plan_for(c)
                plans.append(plan)
                _merge_container(c, plan, localhost)
                vols += [v for v in volumes(plan) if v["name"] not in names]
                names.update(v["name"] for v in volumes(plan))
                notes += [f"{c.get('name')}: {n}" for n in (*plan.notes, *k8s_notes(plan))]
    if plans:
        sc = dict(mapping(spec.get("securityContext")))
        sc.update(pod_security_context(plans[0], localhost))
        spec["securityContext"] = sc
    spec["volumes"] = vols
    notes += _unfixed(spec)
    return notes


def _unfixed(spec: Mapping[str, Any]) -> list[str]:
    notes = [f"spec.{k} is {spec[k]}: not changed (the workload may depend on it)"
             for k in ("hostNetwork", "hostPID", "hostIPC") if spec.get(k)]
    notes += [f"volume {v.get('name')} is a hostPath: not changed; replace it to meet "
              "restricted" for v in seq(spec.get("volumes"))
              if isinstance(v, Mapping) and v.get("hostPath") is not None]
    return notes

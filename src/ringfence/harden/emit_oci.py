"""An RFC 6902 JSON Patch that hardens an OCI runtime ``config.json``.

    ops = oci_patch(plan, base=json.loads(Path("config.json").read_text()))

The patch is computed against ``base`` (the config it will be applied to): ``add`` on an
object member creates or replaces it, and a missing parent is added whole, so the patch
applies cleanly with any RFC 6902 implementation. Without a base the shape of ``runc spec``
is assumed (``process.capabilities``, ``root``, ``linux.resources`` and ``mounts`` exist).
A tmpfs whose destination the config already mounts replaces that mount.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, Final

from ringfence.harden.plan import Plan, tmpfs_options

RUNC_SPEC_SHAPE: Final[Mapping[str, Any]] = {
    "process": {"capabilities": {}, "user": {"uid": 0, "gid": 0}},
    "root": {"path": "rootfs"}, "linux": {"resources": {}}, "mounts": []}


def _pointer(parts: tuple[str, ...]) -> str:
    return "".join("/" + p.replace("~", "~0").replace("/", "~1") for p in parts)


class _Patch:
    """Collects ops and applies them to a copy of the base, so later ops see earlier ones."""

    def __init__(self, base: Mapping[str, Any]) -> None:
        self.doc: dict[str, Any] = copy.deepcopy(dict(base))
        self.ops: list[dict[str, Any]] = []

    def set(self, value: Any, *parts: str) -> None:
        node: dict[str, Any] = self.doc
        for i, key in enumerate(parts[:-1]):
            if not isinstance(node.get(key), dict):
                nested: Any = value
                for k in reversed(parts[i + 1:]):
                    nested = {k: nested}
                self._add(parts[:i + 1], nested)
                node[key] = copy.deepcopy(nested)
                return
            node = node[key]
        self._add(parts, value)
        node[parts[-1]] = copy.deepcopy(value)

    def _add(self, parts: tuple[str, ...], value: Any) -> None:
        self.ops.append({"op": "add", "path": _pointer(parts), "value": copy.deepcopy(value)})

    def mount(self, entry: dict[str, Any]) -> None:
        mounts = self.doc.get("mounts")
        if not isinstance(mounts, list):
            self.set([entry], "mounts")
            return
        for i, m in enumerate(mounts):
            if isinstance(m, Mapping) and m.get("destination") == entry["destination"]:
                self.ops.append({"op": "replace", "path": f"/mounts/{i}", "value": entry})
                mounts[i] = entry
                return
        self.ops.append({"op": "add", "path": "/mounts/-", "value": entry})
        mounts.append(entry)


def _caps(plan: Plan) -> dict[str, list[str]]:
    caps = [f"CAP_{c}" for c in plan.cap_add]
    # a non-root process keeps capabilities across execve only through the ambient set
    passed = caps if plan.non_root else []
    return {"bounding": caps, "effective": caps, "permitted": caps,
            "inheritable": passed, "ambient": passed}


def oci_patch(plan: Plan, base: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    patch = _Patch(base if base is not None else RUNC_SPEC_SHAPE)
    patch.set(True, "root", "readonly")
    patch.set(True, "process", "noNewPrivileges")
    patch.set(plan.uid, "process", "user", "uid")
    patch.set(plan.gid, "process", "user", "gid")
    patch.set(_caps(plan), "process", "capabilities")
    patch.set(plan.memory, "linux", "resources", "memory", "limit")
    patch.set(plan.pids, "linux", "resources", "pids", "limit")
    patch.set(dict(plan.seccomp), "linux", "seccomp")
    for t in plan.tmpfs:
        patch.mount({"destination": t.path, "type": "tmpfs", "source": "tmpfs",
                     "options": tmpfs_options(plan, t)})
    return patch.ops

"""``crictl inspect`` JSON (containerd and CRI-O) → ContainerSpec. The security settings are
those of ``info.runtimeSpec`` (the OCI config the runtime got); ``status`` names the container
and ``info.pid`` its init process."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from ringfence.runtime.parse_oci import SpecError, parse_oci
from ringfence.runtime.spec import ContainerSpec


def is_crictl(doc: Any) -> bool:
    return isinstance(doc, Mapping) and "status" in doc and "info" in doc


def parse_crictl(doc: Mapping[str, Any], location: str) -> ContainerSpec:
    status: Mapping[str, Any] = doc.get("status") or {}
    info: Mapping[str, Any] = doc.get("info") or {}
    runtime_spec = info.get("runtimeSpec")
    if not isinstance(runtime_spec, Mapping):
        raise SpecError(f"{location}: crictl inspect without info.runtimeSpec (run crictl "
                        "inspect with -o json on a runtime that reports it)")
    name = str((status.get("metadata") or {}).get("name", ""))
    spec = parse_oci(runtime_spec, location, str(status.get("id", "")), name)
    security = ((info.get("config") or {}).get("linux") or {}).get("security_context") or {}
    privileged = bool(info.get("privileged") or security.get("privileged") or spec.privileged)
    image = str((status.get("image") or {}).get("image") or status.get("imageRef") or "")
    return dataclasses.replace(spec, source="crictl", privileged=privileged, image=image,
                               pid=int(info.get("pid") or 0) or None)

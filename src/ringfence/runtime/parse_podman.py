"""``podman inspect`` JSON → ContainerSpec: docker's shape plus podman's own fields
(BoundingCaps, ProcessLabel, OCIConfigPath) and podman's default capability set."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from ringfence.runtime import caps as capnames
from ringfence.runtime.parse_docker import parse_docker_container
from ringfence.runtime.spec import ContainerSpec

PODMAN_KEYS = ("BoundingCaps", "EffectiveCaps", "OCIConfigPath", "ConmonPidFile", "OCIRuntime")


def is_podman(doc: Mapping[str, Any]) -> bool:
    return any(key in doc for key in PODMAN_KEYS)


def parse_podman_container(doc: Mapping[str, Any], location: str) -> ContainerSpec:
    spec = parse_docker_container(doc, location, capnames.PODMAN_DEFAULT, "podman")
    bounding = doc.get("BoundingCaps")
    if bounding is not None:  # what podman handed the runtime, after privileged/add/drop
        spec = dataclasses.replace(spec, capabilities=frozenset(
            capnames.normalize_all(bounding)))
    return spec


def parse_podman(doc: Any, location: str) -> tuple[ContainerSpec, ...]:
    items = doc if isinstance(doc, list) else [doc]
    return tuple(parse_podman_container(item, f"{location}[{i}]")
                 for i, item in enumerate(items))

"""Read runtime config files and detect their format: docker inspect, podman inspect, OCI
config.json, crictl inspect (one object, or a list of them)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ringfence.errors import InputError
from ringfence.inputs import loads_json, read_regular
from ringfence.runtime.parse_crictl import is_crictl, parse_crictl
from ringfence.runtime.parse_docker import parse_docker_container
from ringfence.runtime.parse_oci import SpecError, parse_oci
from ringfence.runtime.parse_podman import is_podman, parse_podman_container
from ringfence.runtime.spec import ContainerSpec


def parse_document(doc: Any, location: str) -> tuple[ContainerSpec, ...]:
    items = doc if isinstance(doc, list) else [doc]
    many = isinstance(doc, list)
    return tuple(_one(item, f"{location}[{i}]" if many else location)
                 for i, item in enumerate(items))


def _one(item: Any, location: str) -> ContainerSpec:
    if not isinstance(item, Mapping):
        raise SpecError(f"{location}: expected a JSON object")
    if is_crictl(item):
        return parse_crictl(item, location)
    if "HostConfig" in item:
        return (parse_podman_container if is_podman(item) else parse_docker_container)(
            item, location)
    if "process" in item or "ociVersion" in item:
        return parse_oci(item, location)
    raise SpecError(f"{location}: not docker/podman/crictl inspect output or an OCI config")


MAX_SPEC_BYTES = 64 << 20  # inspect output of many containers stays far below


def load_file(path: Path) -> tuple[ContainerSpec, ...]:
    doc = loads_json(read_regular(path, MAX_SPEC_BYTES, str(path)), str(path))
    try:
        return parse_document(doc, str(path))
    except (ValueError, KeyError, TypeError) as exc:  # JSONDecodeError, SpecError
        raise InputError(str(path), f"not a container config: {exc}") from exc

"""registries.d (containers-registries.d(5)): where simple signatures of a docker image live
(``lookaside`` / ``lookaside-staging``) and whether sigstore attachments are used.

Every ``*.yaml`` in the directory is read; ``default-docker`` or a namespace configured in
two files is an error naming both. A lookup tries the full ``name:tag``, the repository and
its parent namespaces, then ``default-docker``, then the built-in local store.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import yaml

from ringfence.errors import InputError
from ringfence.inputs import MAX_NESTING, check_depth, read_regular
from ringfence.trust.identity import DockerReference, policy_identity, policy_namespaces

MAX_CONFIG_BYTES = 1 << 20
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True, slots=True)
class Namespace:
    lookaside: str = ""
    lookaside_staging: str = ""
    use_sigstore_attachments: bool | None = None

    def top_level(self, write: bool) -> str:
        return (self.lookaside_staging or self.lookaside) if write else self.lookaside


@dataclass(frozen=True, slots=True)
class RegistriesConfig:
    default: Namespace | None = None
    docker: Mapping[str, Namespace] = field(default_factory=dict)

    def _chain(self, ref: DockerReference) -> list[Namespace]:
        found = [self.docker[s] for s in (policy_identity(ref), *policy_namespaces(ref))
                 if s in self.docker]
        return found + ([self.default] if self.default is not None else [])

    def lookaside_base(self, ref: DockerReference, write: bool = False) -> str:
        """The URL under which ``ref``'s signatures live (``…/<repository path>``)."""
        top = next((u for ns in self._chain(ref) if (u := ns.top_level(write))), "")
        if not top:
            top = Path(builtin_store()).as_uri()
        parts = urlsplit(top)
        if not parts.scheme and top.startswith(":"):
            raise InputError(top, "invalid lookaside URL (empty scheme)")
        return urlunsplit(parts._replace(path=f"{parts.path}/{ref.path}"))

    def use_sigstore_attachments(self, ref: DockerReference) -> bool:
        return next((ns.use_sigstore_attachments for ns in self._chain(ref)
                     if ns.use_sigstore_attachments is not None), False)


def builtin_store() -> str:
    if os.geteuid() == 0:
        return "/var/lib/containers/sigstore"
    return str(Path.home() / ".local/share/containers/sigstore")


def signature_url(base: str, manifest_digest: str, index: int) -> str:
    """``index`` counts from 0; files are ``signature-1``, ``signature-2``…"""
    algo, _, hexd = manifest_digest.partition(":")
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path=f"{parts.path}@{algo}={hexd}/signature-{index + 1}"))


def _namespace(value: Any, where: str) -> Namespace:
    if value is None:
        return Namespace()
    if not isinstance(value, dict):
        raise InputError(where, "expected a mapping")
    attachments = value.get("use-sigstore-attachments")
    if attachments is not None and not isinstance(attachments, bool):
        raise InputError(where, "use-sigstore-attachments must be true or false")
    look = value.get("lookaside") or value.get("sigstore") or ""
    staging = value.get("lookaside-staging") or value.get("sigstore-staging") or ""
    if not isinstance(look, str) or not isinstance(staging, str):
        raise InputError(where, "lookaside and lookaside-staging must be URL strings")
    return Namespace(look, staging, attachments)


def load_registries_d(directory: str | Path | None) -> RegistriesConfig:
    if directory is None:
        return RegistriesConfig()
    default: Namespace | None = None
    default_from = ""
    docker: dict[str, Namespace] = {}
    origin: dict[str, str] = {}
    for path in sorted(Path(directory).glob("*.yaml")):
        doc = _load_yaml(path)
        if doc.get("default-docker") is not None:
            if default is not None:
                raise InputError(str(path), f"default-docker is also set in {default_from}")
            default, default_from = _namespace(doc["default-docker"], str(path)), str(path)
        for ns, value in (doc.get("docker") or {}).items():
            if ns in docker:
                raise InputError(str(path), f"{ns} is also configured in {origin[ns]}")
            docker[str(ns)], origin[str(ns)] = _namespace(value, f"{path}: {ns}"), str(path)
    return RegistriesConfig(default, docker)


def _load_yaml(path: Path) -> dict[str, Any]:
    """One registries.d file: a regular file of at most ``MAX_CONFIG_BYTES``, without YAML
    aliases (none is needed; an alias bomb would expand in memory) and not nested deeper
    than ``MAX_NESTING``."""
    data = read_regular(path, MAX_CONFIG_BYTES, str(path))
    try:
        _check_events(data, str(path))  # before composing: LibYAML's composer recurses in C
        doc = yaml.load(data, Loader=_Loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        raise InputError(str(path), f"not valid YAML: {exc}") from exc
    except RecursionError as exc:
        raise InputError(str(path), f"YAML nested deeper than {MAX_NESTING} levels") from exc
    check_depth(doc, str(path))
    if doc is None:
        return {}
    if not isinstance(doc, dict) or not isinstance(doc.get("docker") or {}, dict):
        raise InputError(str(path), "expected a mapping with default-docker and docker")
    return doc


def _check_events(data: bytes, subject: str) -> None:
    depth = 0
    for event in yaml.parse(data, Loader=_Loader):
        if isinstance(event, yaml.AliasEvent):
            raise InputError(subject, "YAML aliases are not allowed in registries.d files")
        if isinstance(event, yaml.SequenceStartEvent | yaml.MappingStartEvent):
            depth += 1
            if depth > MAX_NESTING:
                raise InputError(subject, f"YAML nested deeper than {MAX_NESTING} levels")
        elif isinstance(event, yaml.SequenceEndEvent | yaml.MappingEndEvent):
            depth -= 1

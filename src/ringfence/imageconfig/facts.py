"""ImageFacts: everything the image-config rules look at, gathered once from a ScanResult
(config, history, the reference scanned, installed packages, file metadata, ENV secrets)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ringfence.errors import Error
from ringfence.image.reference import parse_reference
from ringfence.imageconfig.filemeta import FileMeta
from ringfence.model.image import ImageRef
from ringfence.model.result import ScanResult
from ringfence.secretscan.allowlist import Allowlist
from ringfence.secretscan.config import scan_config
from ringfence.secretscan.model import ENV, SecretHit

OS_PACKAGE_TYPES = frozenset(("deb", "apk", "rpm", "alpm"))


@dataclass(frozen=True, slots=True)
class ImageFacts:
    has_config: bool
    user: str = ""
    env: tuple[str, ...] = ()
    exposed_ports: tuple[str, ...] = ()
    healthcheck: tuple[str, ...] | None = None  # Healthcheck.Test; None when absent
    labels: tuple[tuple[str, str], ...] = ()
    history: tuple[str, ...] = ()  # created_by of every history entry
    reference: ImageRef | None = None
    os_packages: frozenset[str] = frozenset()  # names of installed OS packages
    filemeta: FileMeta | None = None  # None: the file-metadata analyzer did not run
    env_secrets: tuple[SecretHit, ...] = ()


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(v for v in value or () if isinstance(v, str))


def _reference(text: str) -> ImageRef | None:
    try:
        return parse_reference(text)
    except Error:
        return None


def image_facts(result: ScanResult, allowlist: Allowlist | None = None) -> ImageFacts:
    raw = result.image.config if result.image else {}
    inner: dict[str, Any] = raw.get("config") or {}
    health = inner.get("Healthcheck")
    labels = inner.get("Labels") or {}
    history = tuple(h.get("created_by") or "" for h in raw.get("history") or ()
                    if isinstance(h, dict))
    filemeta = result.analysis("filemeta")
    return ImageFacts(
        has_config=bool(raw),
        user=str(inner.get("User") or ""),
        env=_strings(inner.get("Env")),
        exposed_ports=tuple(sorted(inner.get("ExposedPorts") or {})),
        healthcheck=_strings(health.get("Test")) if isinstance(health, dict) else None,
        labels=tuple(sorted((str(k), str(v)) for k, v in labels.items()))
        if isinstance(labels, dict) else (),
        history=history,
        reference=_reference(result.target.name),
        os_packages=frozenset(p.name for p in result.inventory.packages
                              if p.type in OS_PACKAGE_TYPES),
        filemeta=filemeta if isinstance(filemeta, FileMeta) else None,
        env_secrets=tuple(h for h in scan_config(raw, allowlist) if h.source == ENV),
    )

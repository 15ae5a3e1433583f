"""What we know about an image before looking inside its layers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class LayerInfo:
    """One layer: blob digest (compressed), diffID (uncompressed), media type, size."""

    digest: str
    diff_id: str
    media_type: str
    size: int
    created_by: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"digest": self.digest, "diff_id": self.diff_id, "media_type": self.media_type,
                "size": self.size, "created_by": self.created_by}


@dataclass(frozen=True, slots=True)
class ImageInfo:
    """Reference, manifest digest, config digest, platform, layers and the raw config."""

    reference: str
    transport: str
    manifest_digest: str | None
    config_digest: str | None
    os: str | None
    architecture: str | None
    layers: tuple[LayerInfo, ...]
    repo_tags: tuple[str, ...] = ()
    repo_digests: tuple[str, ...] = ()
    config: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "reference": self.reference,
            "transport": self.transport,
            "manifest_digest": self.manifest_digest,
            "config_digest": self.config_digest,
            "os": self.os,
            "architecture": self.architecture,
            "repo_tags": list(self.repo_tags),
            "repo_digests": list(self.repo_digests),
            "layers": [layer.to_dict() for layer in self.layers],
        }


@dataclass(frozen=True, slots=True)
class ImageRef:
    """A parsed image reference in skopeo's transport syntax.

    ``path`` is the file or directory for local transports; ``name`` the tag (oci,
    oci-archive) or ``NAME:TAG`` (docker-archive) inside it; ``registry``, ``repository``,
    ``tag`` and ``digest`` describe ``docker://`` references.
    """

    transport: str
    path: str | None = None
    name: str | None = None
    registry: str | None = None
    repository: str | None = None
    tag: str | None = None
    digest: str | None = None

    def __str__(self) -> str:
        if self.transport == "docker":
            ref = f"{self.registry}/{self.repository}"
            if self.tag:
                ref += f":{self.tag}"
            if self.digest:
                ref += f"@{self.digest}"
            return f"docker://{ref}"
        return f"{self.transport}:{self.path}" + (f":{self.name}" if self.name else "")

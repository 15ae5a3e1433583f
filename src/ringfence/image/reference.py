"""Parse references with skopeo's transports (containers-transports(5))."""

from __future__ import annotations

import re

from ringfence.errors import UsageError
from ringfence.model.image import ImageRef

TRANSPORTS = ("oci", "oci-archive", "docker-archive", "dir", "docker", "sbom")
DOCKER_HUB = "docker.io"
_DIGEST = re.compile(r"^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-fA-F0-9]{32,}$")
_TAG = re.compile(r"^[\w][\w.-]{0,127}$")
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_REPO = re.compile(rf"^{_COMPONENT}(?:/{_COMPONENT})*$")


def parse_reference(text: str) -> ImageRef:
    """``oci:DIR[:TAG]``, ``oci-archive:FILE[:TAG]``, ``docker-archive:FILE[:NAME:TAG]``,
    ``dir:ROOTFS``, ``sbom:FILE``, ``docker://REF`` or a bare ``REF`` (docker)."""
    if not text:
        raise UsageError("reference", "empty image reference")
    if text.startswith("docker://"):
        return parse_docker(text[len("docker://"):], text)
    transport, sep, rest = text.partition(":")
    if sep and transport in TRANSPORTS and transport != "docker":
        if not rest:
            raise UsageError(text, f"{transport}: needs a path")
        if transport in ("dir", "sbom"):
            return ImageRef(transport, path=rest)
        if transport == "docker-archive":
            path, _, name = rest.partition(":")
            return ImageRef(transport, path=path, name=name or None)
        path, _, name = rest.partition(":")
        return ImageRef(transport, path=path, name=name or None)
    return parse_docker(text, text)


def parse_docker(ref: str, original: str) -> ImageRef:
    name, _, digest = ref.partition("@")
    if digest and not _DIGEST.match(digest):
        raise UsageError(original, f"invalid digest {digest!r}")
    tag = None
    slash = name.rfind("/")
    colon = name.rfind(":")
    if colon > slash:
        name, tag = name[:colon], name[colon + 1:]
        if not _TAG.match(tag):
            raise UsageError(original, f"invalid tag {tag!r}")
    first, sep, remainder = name.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        registry, repository = first, remainder
    else:
        registry, repository = DOCKER_HUB, name
        if "/" not in repository:
            repository = f"library/{repository}"
    if not _REPO.match(repository):
        raise UsageError(original, f"invalid repository name {repository!r}")
    if tag is None and not digest:
        tag = "latest"
    return ImageRef("docker", registry=registry, repository=repository, tag=tag,
                    digest=digest or None)

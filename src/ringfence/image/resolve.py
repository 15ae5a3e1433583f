"""Open any image reference as an :class:`ImageSource`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ringfence.errors import UsageError

if TYPE_CHECKING:
    from ringfence.image.interface import ImageSource
    from ringfence.model.image import ImageRef


@dataclass(frozen=True, slots=True)
class OpenOptions:
    platform: str | None = None
    insecure_registry: bool = False
    auth_file: str | None = None


def open_image(ref: ImageRef, options: OpenOptions) -> ImageSource:
    # each source is imported for its transport only (the archive readers load tarfile,
    # zipfile and tempfile: a warm scan of an OCI layout needs none of them)
    if ref.transport == "oci":
        from ringfence.image.oci_layout import OciLayoutSource

        return OciLayoutSource(str(ref.path), ref.name, options.platform)
    if ref.transport == "oci-archive":
        from ringfence.image.oci_archive import OciArchiveSource

        return OciArchiveSource(str(ref.path), ref.name, options.platform)
    if ref.transport == "docker-archive":
        from ringfence.image.docker_archive import DockerArchiveSource

        return DockerArchiveSource(str(ref.path), ref.name, options.platform)
    if ref.transport == "docker":
        from ringfence.image.registry import RegistrySource

        return RegistrySource(ref, options.platform, insecure=options.insecure_registry,
                              auth_file=options.auth_file)
    raise UsageError(str(ref), f"transport {ref.transport!r} is not an image source")

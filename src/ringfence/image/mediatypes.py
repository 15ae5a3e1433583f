"""OCI and Docker schema2 media types."""

from __future__ import annotations

from typing import Final

OCI_INDEX: Final = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST: Final = "application/vnd.oci.image.manifest.v1+json"
DOCKER_LIST: Final = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST: Final = "application/vnd.docker.distribution.manifest.v2+json"
INDEXES: Final = (OCI_INDEX, DOCKER_LIST)
MANIFESTS: Final = (OCI_MANIFEST, DOCKER_MANIFEST)
ACCEPT: Final = ", ".join((*MANIFESTS, *INDEXES))
MAX_MANIFEST_BYTES: Final = 4 << 20
MAX_CONFIG_BYTES: Final = 16 << 20

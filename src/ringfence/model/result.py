"""What a scan looked at and what it found."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # annotations only: an SBOM run never loads the advisory model (start-up)
    from ringfence.model.advisory import VulnerabilityMatch
    from ringfence.model.coverage import Coverage
    from ringfence.model.finding import Finding
    from ringfence.model.image import ImageInfo
    from ringfence.model.inventory import Inventory
    from ringfence.model.unknown import Unknown


@dataclass(frozen=True, slots=True)
class Target:
    """The thing scanned: an image reference, a rootfs, an SBOM file, a host, a manifest."""

    kind: str
    name: str
    digest: str | None = None


@dataclass(frozen=True, slots=True)
class DbInfo:
    """Which vulnerability database answered, and how old its newest data is."""

    path: str
    schema_version: int
    built_at: str
    newest_record: str | None
    age_days: float | None


@dataclass(frozen=True, slots=True)
class ScanResult:
    target: Target
    inventory: Inventory
    image: ImageInfo | None = None
    findings: tuple[Finding, ...] = ()
    unknowns: tuple[Unknown, ...] = field(default=())
    vulnerabilities: tuple[VulnerabilityMatch, ...] = ()
    db: DbInfo | None = None
    # merged results of layer analyzers by name (secrets, file metadata, drift hashes)
    analyses: tuple[tuple[str, Any], ...] = ()
    # what the vulnerability database could check (None: no database was consulted)
    coverage: Coverage | None = None

    def analysis(self, name: str) -> Any:
        """The merged value of analyzer ``name``, or None when it did not run."""
        return dict(self.analyses).get(name)

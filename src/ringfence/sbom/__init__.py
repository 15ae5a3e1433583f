"""Standard SBOM formats: CycloneDX and SPDX out (``cyclonedx``, ``spdx``), either in
(``ingest.read_sbom``). Importing this package loads no format library."""

from __future__ import annotations

import hashlib

from ringfence.model.package import Package


def package_id(pkg: Package) -> str:
    """16 hex digits from purl and first location (path and layer): stable across runs and
    distinct for the same package found at two places. Used in bom-refs and SPDXIDs."""
    first = pkg.locations[0] if pkg.locations else None
    seed = "\0".join((pkg.purl, first.path if first else "", (first.layer or "") if first else ""))
    return hashlib.sha256(seed.encode()).hexdigest()[:16]

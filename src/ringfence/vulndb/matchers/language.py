"""Language packages: the ecosystem from the purl type, the name as the registry spells it.

purl type -> OSV ecosystem: pypi PyPI, npm npm, golang Go, cargo crates.io, maven Maven,
gem RubyGems, composer Packagist, nuget NuGet, hex Hex, pub Pub, hackage Hackage, cran CRAN,
swift SwiftURL. The name is rebuilt from the purl as OSV writes it (Maven ``group:artifact``,
Go and Packagist ``namespace/name``, npm ``@scope/name``) and normalised with
``vulndb/names.py`` exactly as the importers stored it.

A library an OS package installed (``Package.owner``, ``catalog/ownership.py``) of a type
in ``DISTRO_PATCHED`` is not looked up here: the distribution backports fixes into its copy
without changing the upstream version, so the ecosystem's ranges would report fixed flaws;
its owner is matched against the distribution's advisories (as Trivy does). Go and Rust
binaries (``golang``, ``cargo``) are looked up even when owned: their build info records
the module versions compiled in, and no distribution advisory covers a statically linked
copy (the issue's CNI plugins: their standard-library advisories must stay reported).
"""

from __future__ import annotations

from typing import Final

from packageurl import PackageURL

from ringfence.model.inventory import Distro
from ringfence.model.package import Package
from ringfence.vulndb.matchers.interface import Query
from ringfence.vulndb.names import normalize

ECOSYSTEMS: Final = {
    "pypi": "PyPI", "npm": "npm", "golang": "Go", "cargo": "crates.io", "maven": "Maven",
    "gem": "RubyGems", "composer": "Packagist", "nuget": "NuGet", "hex": "Hex", "pub": "Pub",
    "hackage": "Hackage", "cran": "CRAN", "swift": "SwiftURL",
}
# package types whose OS-installed copies carry the distribution's backports
DISTRO_PATCHED: Final = frozenset({"pypi", "npm", "gem", "maven", "composer"})
_SEPARATOR: Final = {"maven": ":", "golang": "/", "composer": "/", "npm": "/", "swift": "/"}


def osv_name(purl: PackageURL) -> str:
    """The package name in OSV's spelling for this purl's ecosystem."""
    sep = _SEPARATOR.get(purl.type)
    if sep and purl.namespace:
        return f"{purl.namespace}{sep}{purl.name}"
    return str(purl.name)


def is_distro_patched(package: Package) -> bool:
    """An OS package's copy of a library: matched through its owner only."""
    return package.owner is not None and package.type in DISTRO_PATCHED


class LanguageMatcher:
    name = "language"

    def queries(self, package: Package, distro: Distro | None) -> tuple[Query, ...]:
        ecosystem = ECOSYSTEMS.get(package.type)
        if ecosystem is None or not package.version or is_distro_patched(package):
            return ()
        try:
            purl = PackageURL.from_string(package.purl)
        except ValueError:
            return ()
        name = normalize(ecosystem, osv_name(purl))
        return (Query(package, ecosystem, name, package.version,
                      f"{package.type} package {name} {package.version} in {ecosystem}"),)

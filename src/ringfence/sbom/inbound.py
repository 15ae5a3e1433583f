"""Package values from the fields that SBOM documents carry (shared by both readers).

``props`` always uses CycloneDX property names: ringfence's own (``ringfence:``), Syft's
(``syft:``) and Trivy's (``aquasecurity:trivy:``); the SPDX reader maps ringfence's package
comment onto the same names.
"""

from __future__ import annotations

from packageurl import PackageURL

from ringfence.catalog.licenses import normalize_all
from ringfence.model.inventory import Distro, Inventory
from ringfence.model.package import Location, Package
from ringfence.model.unknown import Unknown
from ringfence.sbom import cyclonedx as cdx

PLUGIN = "sbom"
_SELF_SOURCED = ("deb", "apk")


def _locations(props: dict[str, str]) -> tuple[Location, ...]:
    for prefix, layer_key in ((cdx.LOCATION, "layer"), ("syft:location:", "layerID")):
        locs: list[Location] = []
        while (p := props.get(f"{prefix}{len(locs)}:path")) is not None:
            locs.append(Location(p, props.get(f"{prefix}{len(locs)}:{layer_key}") or None))
        if locs:
            return tuple(locs)
    if trivy_path := props.get("aquasecurity:trivy:FilePath"):
        return (Location("/" + trivy_path.lstrip("/"),
                         props.get("aquasecurity:trivy:LayerDiffID") or None),)
    return ()


def _source(props: dict[str, str], purl: PackageURL | None,
            version: str) -> tuple[str | None, str | None]:
    if name := props.get(cdx.SOURCE_NAME):
        return name, props.get(cdx.SOURCE_VERSION)
    if name := props.get("aquasecurity:trivy:SrcName"):
        ver = props.get("aquasecurity:trivy:SrcVersion", "")
        if release := props.get("aquasecurity:trivy:SrcRelease"):
            ver += f"-{release}"
        if epoch := props.get("aquasecurity:trivy:SrcEpoch"):
            ver = f"{epoch}:{ver}"
        return name, ver or version
    if name := props.get("syft:metadata:source"):
        return name, props.get("syft:metadata:sourceVersion") or version
    upstream = _qualifiers(purl).get("upstream")
    if upstream:  # Syft's deb/rpm purls: upstream=NAME or NAME@VERSION
        name, _, ver = upstream.partition("@")
        return name, ver or version
    if purl is not None and purl.type in _SELF_SOURCED:
        # dpkg and apk: no Source:/o: field means the package is its own source (as our
        # catalogers record it); Syft omits the source in that case.
        return purl.name, version
    return None, None


def _qualifiers(purl: PackageURL | None) -> dict[str, str]:
    q = purl.qualifiers if purl is not None else None
    return dict(q) if isinstance(q, dict) else {}


def package_from(path: str, name: str, version: str, purl_text: object,
                 licenses: tuple[str, ...], props: dict[str, str],
                 unknowns: list[Unknown]) -> Package | None:
    """One package from what both formats carry; ``props`` uses the CycloneDX names. The
    purl is kept canonical (packageurl's writing of what it read) and the licences are
    normalised like a cataloger's (catalog/licenses.py), as the SBOM writers expect."""
    purl = _parse_purl(path, name, purl_text, unknowns)
    if purl is None:
        if not name or not version:
            return None  # an aggregate node (Trivy's per-lockfile application), not a package
        purl = PackageURL(type="generic", name=name, version=version)
    purl_str = str(purl.to_string())
    source_name, source_version = _source(props, purl, version)
    cataloger = (props.get(cdx.CATALOGER) or props.get("syft:package:foundBy")
                 or props.get("aquasecurity:trivy:PkgType") or PLUGIN)
    meta = sorted((k.removeprefix(cdx.META), v) for k, v in props.items()
                  if k.startswith(cdx.META))
    return Package(
        name=name or purl.name, version=version or purl.version or "", type=purl.type,
        purl=purl_str,
        cataloger=cataloger, source_name=source_name, source_version=source_version,
        arch=props.get(cdx.ARCH) or _qualifiers(purl).get("arch"),
        licenses=normalize_all(licenses),
        locations=_locations(props), deleted=props.get(cdx.DELETED) == "true",
        metadata=tuple(meta), owner=props.get(cdx.OWNER) or None)


def _parse_purl(path: str, name: str, text: object,
                unknowns: list[Unknown]) -> PackageURL | None:
    if not text:
        return None
    try:
        return PackageURL.from_string(str(text))
    except ValueError as e:
        unknowns.append(Unknown(f"{path}#{name}", f"invalid purl {text!r}: {e}", PLUGIN))
        return None


def finish(packages: list[Package], distro: Distro | None,
           unknowns: list[Unknown]) -> Inventory:
    """Split visible from deleted, sort, and fall back to the purls' ``distro=`` qualifier."""
    if distro is None:
        distro = _distro_from_purls(packages)
    visible = sorted((p for p in packages if not p.deleted), key=Package.sort_key)
    gone = sorted((p for p in packages if p.deleted), key=Package.sort_key)
    return Inventory(tuple(visible), distro, tuple(sorted(set(unknowns))), tuple(gone))


def _distro_from_purls(packages: list[Package]) -> Distro | None:
    for pkg in packages:
        label = _qualifiers(PackageURL.from_string(pkg.purl)).get("distro")
        if label:  # "debian-12", "alpine-3.18.4"; Trivy: "debian-12.15"
            ident, _, version = label.partition("-")
            return Distro(ident.lower(), version or None)
    return None

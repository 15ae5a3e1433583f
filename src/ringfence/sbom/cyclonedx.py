"""ScanResult -> CycloneDX 1.6 JSON, built with cyclonedx-python-lib's model and outputter.

One ``library`` component per package (visible and, with ``--layers all``, deleted), one
``operating-system`` component for the distro, the scanned image as ``metadata.component``.
ringfence-specific facts are CycloneDX properties in the ``ringfence:`` namespace, numbered
like Syft's ``syft:location:0:path`` so several values stay ordered.

Unknowns go into ``metadata.properties`` (``ringfence:unknown:N:location|reason|plugin|layer``):
they describe the whole BOM, not one component, and CycloneDX's standard place for "this
inventory is incomplete" (``compositions`` with ``aggregate: incomplete``) is not modelled by
cyclonedx-python-lib, so we could not emit it through the library.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from cyclonedx.contrib.license.factories import LicenseFactory
from cyclonedx.model import Property
from cyclonedx.model.bom import Bom, BomMetaData
from cyclonedx.model.component import Component, ComponentType
from cyclonedx.model.license import DisjunctiveLicense, License, LicenseExpression
from cyclonedx.model.tool import ToolRepository
from cyclonedx.output.json import JsonV1Dot6
from packageurl import PackageURL

from ringfence import __version__
from ringfence.model.inventory import Distro
from ringfence.model.package import Package
from ringfence.model.result import ScanResult
from ringfence.model.unknown import Unknown
from ringfence.sbom import package_id

NS = "ringfence:"
CATALOGER = f"{NS}cataloger"
SOURCE_NAME = f"{NS}source:name"
SOURCE_VERSION = f"{NS}source:version"
ARCH = f"{NS}arch"
DELETED = f"{NS}deleted"
LOCATION = f"{NS}location:"  # + "N:path" / "N:layer" (layer = diffID)
META = f"{NS}metadata:"  # + key
UNKNOWN = f"{NS}unknown:"  # + "N:location" / "N:reason" / "N:plugin" / "N:layer"
DISTRO = f"{NS}distro:"  # + "codename" / "id_like"


def bom_ref(pkg: Package) -> str:
    """Stable reference: the purl with a ``package-id`` qualifier hashed from purl and location
    (as Syft does), so the same package found at two paths gets two distinct refs."""
    p = PackageURL.from_string(pkg.purl)
    quals = dict(p.qualifiers) if isinstance(p.qualifiers, dict) else {}
    quals["package-id"] = package_id(pkg)
    return str(PackageURL(type=p.type, namespace=p.namespace, name=p.name, version=p.version,
                          qualifiers=quals, subpath=p.subpath).to_string())


def package_properties(pkg: Package) -> Iterator[tuple[str, str]]:
    yield CATALOGER, pkg.cataloger
    if pkg.source_name:
        yield SOURCE_NAME, pkg.source_name
    if pkg.source_version:
        yield SOURCE_VERSION, pkg.source_version
    if pkg.arch:
        yield ARCH, pkg.arch
    if pkg.deleted:
        yield DELETED, "true"
    for i, loc in enumerate(pkg.locations):
        yield f"{LOCATION}{i}:path", loc.path
        if loc.layer:
            yield f"{LOCATION}{i}:layer", loc.layer
    for key, value in pkg.metadata:
        yield f"{META}{key}", value


def unknown_properties(unknowns: Iterable[Unknown]) -> Iterator[tuple[str, str]]:
    for i, u in enumerate(sorted(unknowns)):
        yield f"{UNKNOWN}{i}:location", u.location
        yield f"{UNKNOWN}{i}:reason", u.reason
        yield f"{UNKNOWN}{i}:plugin", u.plugin
        if u.layer:
            yield f"{UNKNOWN}{i}:layer", u.layer


def _licenses(values: tuple[str, ...]) -> list[License]:
    factory = LicenseFactory()
    if len(values) == 1:  # a lone value may be an SPDX expression
        return [factory.make_from_string(values[0])]
    out: list[License] = []
    for value in values:  # the schema forbids mixing an expression with other entries
        lic = factory.make_from_string(value)
        out.append(DisjunctiveLicense(name=value) if isinstance(lic, LicenseExpression) else lic)
    return out


def _props(pairs: Iterable[tuple[str, str]]) -> list[Property]:
    return [Property(name=k, value=v) for k, v in pairs]


def _component(pkg: Package) -> Component:
    return Component(name=pkg.name, version=pkg.version, type=ComponentType.LIBRARY,
                     bom_ref=bom_ref(pkg), purl=PackageURL.from_string(pkg.purl),
                     licenses=_licenses(pkg.licenses), properties=_props(package_properties(pkg)))


def _os_component(distro: Distro) -> Component:
    pairs = [(f"{DISTRO}id_like", " ".join(distro.id_like))] if distro.id_like else []
    if distro.version_codename:
        pairs.append((f"{DISTRO}codename", distro.version_codename))
    version = distro.version_id or ""
    return Component(name=distro.id, version=version or None,
                     type=ComponentType.OPERATING_SYSTEM, bom_ref=f"os:{distro.id}@{version}",
                     description=distro.pretty_name, properties=_props(pairs))


def _subject(result: ScanResult) -> Component:
    target = result.target
    pairs = [(f"{NS}target:kind", target.kind)]
    if result.image:
        info = result.image
        if info.config_digest:
            pairs.append((f"{NS}image:config_digest", info.config_digest))
        pairs.extend((f"{NS}image:layer:{i}:diffID", layer.diff_id)
                     for i, layer in enumerate(info.layers))
    kind = ComponentType.CONTAINER if target.kind == "image" else ComponentType.FILE
    ref = f"{target.kind}:{target.name}" + (f"@{target.digest}" if target.digest else "")
    return Component(name=target.name, version=target.digest, type=kind, bom_ref=ref,
                     properties=_props(pairs))


def build_bom(result: ScanResult) -> Bom:
    inv = result.inventory
    tool = Component(name="ringfence", version=__version__, type=ComponentType.APPLICATION)
    subject = _subject(result)
    unknowns = set(inv.unknowns) | set(result.unknowns)
    meta = BomMetaData(tools=ToolRepository(components=[tool]), component=subject,
                       properties=_props(unknown_properties(unknowns)))
    components = [_component(p) for p in (*inv.packages, *inv.deleted)]
    if inv.distro is not None:
        components.append(_os_component(inv.distro))
    bom = Bom(metadata=meta, components=components)
    bom.register_dependency(subject, components)
    return bom


class CycloneDxRenderer:
    """CycloneDX 1.6 JSON. Deterministic except ``serialNumber`` and ``metadata.timestamp``."""

    def render(self, result: ScanResult) -> str:
        text: str = JsonV1Dot6(build_bom(result)).output_as_string(indent=2)
        return text + "\n"

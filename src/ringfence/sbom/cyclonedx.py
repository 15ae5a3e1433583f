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

import json
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

from cyclonedx.contrib.bom.utils import BomDependencyGraphFlatMerger, BomRefDiscriminator
from cyclonedx.contrib.license.factories import LicenseFactory
from cyclonedx.exception.model import (
    LicenseExpressionAlongWithOthersException,
    UnknownComponentDependencyException,
)
from cyclonedx.model import Property
from cyclonedx.model.bom import Bom, BomMetaData
from cyclonedx.model.component import Component, ComponentType
from cyclonedx.model.dependency import Dependency
from cyclonedx.model.impact_analysis import ImpactAnalysisAffectedStatus, ImpactAnalysisState
from cyclonedx.model.license import DisjunctiveLicense, License, LicenseExpression
from cyclonedx.model.tool import ToolRepository
from cyclonedx.model.vulnerability import (
    BomTarget,
    BomTargetVersionRange,
    Vulnerability,
    VulnerabilityAnalysis,
    VulnerabilityRating,
    VulnerabilityReference,
    VulnerabilityScoreSource,
    VulnerabilitySeverity,
    VulnerabilitySource,
)
from cyclonedx.output.json import JsonV1Dot6
from cyclonedx.schema.schema import SCHEMA_VERSIONS
from packageurl import PackageURL

from ringfence import __version__
from ringfence.model.advisory import VulnerabilityMatch
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
OWNER = f"{NS}owner"  # purl of the OS package that installed this one (catalog/ownership)
LOCATION = f"{NS}location:"  # + "N:path" / "N:layer" (layer = diffID)
META = f"{NS}metadata:"  # + key
UNKNOWN = f"{NS}unknown:"  # + "N:location" / "N:reason" / "N:plugin" / "N:layer"
DISTRO = f"{NS}distro:"  # + "codename" / "id_like"
UNCOVERED = f"{NS}uncovered:"  # + "N:ecosystem" / "N:packages" / "N:reason" (coverage)


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
    if pkg.owner:
        yield OWNER, pkg.owner
    for i, loc in enumerate(pkg.locations):
        yield f"{LOCATION}{i}:path", loc.path
        if loc.layer:
            yield f"{LOCATION}{i}:layer", loc.layer
    for key, value in pkg.metadata:
        yield f"{META}{key}", value


def uncovered_properties(result: ScanResult) -> Iterator[tuple[str, str]]:
    """The package sets the vulnerability database could not check (model/coverage.py)."""
    for i, gap in enumerate(result.coverage.uncovered if result.coverage else ()):
        yield f"{UNCOVERED}{i}:ecosystem", gap.ecosystem
        yield f"{UNCOVERED}{i}:packages", str(gap.packages)
        yield f"{UNCOVERED}{i}:reason", gap.reason


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


CVSS_METHODS = {"CVSS:3.1/": VulnerabilityScoreSource.CVSS_V3_1,
                "CVSS:3.0/": VulnerabilityScoreSource.CVSS_V3,
                "CVSS:4.0/": VulnerabilityScoreSource.CVSS_V4}


def _rating(m: VulnerabilityMatch) -> VulnerabilityRating:
    method = VulnerabilityScoreSource.OTHER
    if m.cvss_vector:
        method = next((v for k, v in CVSS_METHODS.items() if m.cvss_vector.startswith(k)),
                      VulnerabilityScoreSource.CVSS_V2)
    score = Decimal(str(m.cvss_score)) if m.cvss_score is not None else None
    return VulnerabilityRating(
        source=VulnerabilitySource(name=m.data_source), score=score,
        severity=VulnerabilitySeverity(m.severity.name.lower()),
        method=method if m.cvss_score is not None else None,
        vector=m.cvss_vector if m.cvss_score is not None else None)


def _vulnerability(n: int, m: VulnerabilityMatch, ref: str | None) -> Vulnerability:
    """One per match (so a VEX/ignore suppression stays with the package it is about):
    ``analysis.state`` is ``not_affected`` with the reason as ``detail`` when suppressed."""
    status = ImpactAnalysisAffectedStatus.AFFECTED
    affects = [BomTarget(ref=ref, versions=[BomTargetVersionRange(
        version=m.installed_version, status=status)])] if ref else []
    analysis = (VulnerabilityAnalysis(state=ImpactAnalysisState.NOT_AFFECTED,
                                      detail=m.suppressed_by) if m.suppressed_by else None)
    fixed = ", ".join(m.fixed_versions)
    source = VulnerabilitySource(name=m.data_source)
    return Vulnerability(
        bom_ref=f"vuln-{n}:{m.advisory_id}", id=m.advisory_id, source=source,
        references=[VulnerabilityReference(id=a, source=source) for a in m.aliases],
        ratings=[_rating(m)], description=m.summary or None,
        recommendation=f"Upgrade {m.package_name} to {fixed}" if fixed else None,
        affects=affects, analysis=analysis,
        properties=_props([(f"{NS}status", m.status), (f"{NS}matched_by", m.matched_by)]))


def vulnerabilities(matches: Iterable[VulnerabilityMatch],
                    refs: dict[tuple[str, str], str]) -> list[Vulnerability]:
    return [_vulnerability(n, m, refs.get((m.package_purl, m.location)))
            for n, m in enumerate(matches)]


def build_bom(result: ScanResult) -> Bom:
    inv = result.inventory
    tool = Component(name="ringfence", version=__version__, type=ComponentType.APPLICATION)
    subject = _subject(result)
    unknowns = set(inv.unknowns) | set(result.unknowns)
    meta = BomMetaData(tools=ToolRepository(components=[tool]), component=subject,
                       properties=_props([*unknown_properties(unknowns),
                                          *uncovered_properties(result)]))
    components = [_component(p) for p in (*inv.packages, *inv.deleted)]
    if inv.distro is not None:
        components.append(_os_component(inv.distro))
    refs = {(p.purl, p.locations[0].path if p.locations else ""): str(c.bom_ref.value)
            for p, c in zip((*inv.packages, *inv.deleted), components, strict=False)}
    # The graph is built here, not with ``Bom.register_dependency``: that looks each target
    # up with a linear scan of the graph, quadratic in components (2,114 packages cost 9 M
    # BomRef comparisons, ~3 s). Same graph: the subject depends on every component, and
    # every component is registered with no dependencies of its own.
    dependencies = [Dependency(ref=subject.bom_ref,
                               dependencies=[Dependency(ref=c.bom_ref) for c in components]),
                    *(Dependency(ref=c.bom_ref) for c in components)]
    return Bom(metadata=meta, components=components, dependencies=dependencies,
               vulnerabilities=vulnerabilities(result.vulnerabilities, refs))


def validate(bom: Bom) -> None:
    """``Bom.validate`` in linear time. The library's outputters call ``Bom.validate``
    (deprecated there) before writing; its first step registers every component through
    ``register_dependency``, a linear scan of the graph each: quadratic. Same checks here,
    with the registered refs in a set: every component has a dependency entry, every
    dependency ref names a component of this BOM, and no licence expression stands beside
    other licences (the schema's rule). Its "root has no dependencies" warning cannot apply:
    build_bom always gives the subject its dependencies."""
    registered = {d.ref for d in bom.dependencies}
    components = list(_all_components(bom))
    for c in components:
        if c.bom_ref not in registered:
            registered.add(c.bom_ref)
            bom.dependencies.add(Dependency(ref=c.bom_ref))
    known = {c.bom_ref for c in components}
    used = registered | {r for d in bom.dependencies for r in d.dependencies_as_bom_refs()}
    if used - known:
        raise UnknownComponentDependencyException(
            f"dependency references to components not in this BOM: {used - known}")
    elems: tuple[BomMetaData | Component, ...] = (bom.metadata, *components)
    for elem in elems:
        if len(elem.licenses) > 1 and any(isinstance(li, LicenseExpression)
                                          for li in elem.licenses):
            raise LicenseExpressionAlongWithOthersException(
                f"a licence expression along with other licences in {elem!r}")


def _all_components(bom: Bom) -> Iterator[Component]:
    if bom.metadata.component:
        yield from bom.metadata.component.get_all_nested_components(include_self=True)
    for c in bom.components:
        yield from c.get_all_nested_components(include_self=True)


class _Json(JsonV1Dot6):
    """The library's 1.6 JSON outputter, validating with :func:`validate` (linear) instead
    of ``Bom.validate``; the rest is the library's ``generate``: its bom-ref discriminator,
    flat dependency-graph merge and serializer."""

    def generate(self, force_regeneration: bool = False) -> None:
        if self.generated and not force_regeneration:
            return
        bom = self.get_bom()
        validate(bom)
        with BomRefDiscriminator.from_bom(bom), BomDependencyGraphFlatMerger(bom):
            doc: dict[str, Any] = json.loads(bom.as_json(  # type: ignore[attr-defined]
                view_=SCHEMA_VERSIONS[self.schema_version_enum]))
        doc.update({"$schema": self._get_schema_uri(), "bomFormat": "CycloneDX",
                    "specVersion": self.schema_version.to_version()})
        self._bom_json = doc
        self.generated = True


class CycloneDxRenderer:
    """CycloneDX 1.6 JSON. Deterministic except ``serialNumber`` and ``metadata.timestamp``."""

    def render(self, result: ScanResult) -> str:
        text: str = _Json(build_bom(result)).output_as_string(indent=2)
        return text + "\n"

"""The CycloneDX document as cyclonedx-python-lib builds and writes it: the oracle the direct
writer (``ringfence.sbom.cyclonedx``) is compared with. This was ringfence's renderer until
issue 11 (its sorted sets made rendering n log n with a large constant); the library's own
outputter serialises it here, including its ``Bom.validate``."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from cyclonedx.contrib.license.factories import LicenseFactory
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
from cyclonedx.spdx import fixup_id, is_expression
from license_expression import get_spdx_licensing  # type: ignore[import-untyped]
from packageurl import PackageURL

from ringfence import __version__
from ringfence.model.advisory import VulnerabilityMatch
from ringfence.model.inventory import Distro
from ringfence.model.package import Package
from ringfence.model.result import ScanResult
from ringfence.sbom.cyclonedx import (
    DISTRO,
    NS,
    bom_ref,
    package_properties,
    uncovered_properties,
    unknown_properties,
)


def render(result: ScanResult) -> str:
    return JsonV1Dot6(build_bom(result)).output_as_string(indent=2) + "\n"


def _licenses(values: tuple[str, ...]) -> list[License]:
    factory = LicenseFactory()
    unique = sorted(set(values))
    if len(unique) > 1 and all(is_expression(v) for v in unique) and any(
            fixup_id(v) is None for v in unique):
        # several SPDX values, an expression among them: one expression, their AND as
        # license-expression renders it (the schema allows one expression, never beside
        # licences; the library would keep the expression and drop the others)
        text = " AND ".join(f"({v})" for v in unique)
        return [LicenseExpression(str(get_spdx_licensing().parse(text)))]
    if len(unique) == 1:  # a lone value may be an SPDX expression
        return [factory.make_from_string(unique[0])]
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

"""ScanResult -> CycloneDX 1.6 JSON, written directly from ringfence's model.

One ``library`` component per package (visible and, with ``--layers all``, deleted), one
``operating-system`` component for the distro, the scanned image as ``metadata.component``.
ringfence-specific facts are CycloneDX properties in the ``ringfence:`` namespace, numbered
like Syft's ``syft:location:0:path`` so several values stay ordered.

Unknowns go into ``metadata.properties`` (``ringfence:unknown:N:location|reason|plugin|layer``):
they describe the whole BOM, not one component. Uncovered package sets likewise
(``ringfence:uncovered:N:...``).

Why not cyclonedx-python-lib's model and outputter (used until issue 11): its model keeps
components, licences, properties and dependencies in sorted sets whose elements compare by
rebuilding ~30-field tuples on every comparison, so building and serialising a BOM cost
1.4 ms per component at 1,000 components and 2.4 ms at 20,000 (1.38 s / 9.9 s / 48.9 s for
1k / 5k / 20k synthetic packages, 71 % of it in ``sortedcontainers`` and ``__lt__``), and
warm ``sbom -f cyclonedx`` was 1.7-4x Trivy. Here each component is one dict built once and
the few orders the library imposes (components, dependencies, licences, properties,
vulnerabilities) are plain key sorts. The document has the same content as the library's:
``tests/unit/sbom/test_linear_render.py`` compares it, field for field, with the library's
output of the same result (``tests/unit/sbom/cyclonedx_oracle.py``), and every test validates
it with the library's strict JSON schema validator.

A warm render loads neither the SPDX licence list nor a purl parser (issue 11: together
0.03-0.05 s, more than the rendering): what a licence is (an SPDX id, an expression, or a
name) was decided when it was catalogued (``catalog/licenses.normalize``, carried as
``model.license.SpdxLicense``), and a package's purl is canonical where it is made
(``catalog/purls``, ``sbom/inbound``), so the bom-ref only sets its ``package-id``
qualifier in the text (``sbom.with_qualifier``).

Licences: one id is ``license.id``, one expression (``GPL-2.0-or-later WITH
Texinfo-exception``, ``MIT OR Apache-2.0``) is ``expression``. Several values that are all
SPDX, at least one of them an expression, are one ``expression``: their AND, as the SPDX
document's ``licenseDeclared`` (the schema allows one expression, never an expression beside
licences). Several values with a name among them are ``license`` entries, an expression
then written as a ``name`` (the text kept; an expression cannot hold a name).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ringfence import __version__
from ringfence.model.inventory import Distro
from ringfence.model.license import SpdxLicense
from ringfence.model.package import Package
from ringfence.model.result import ScanResult
from ringfence.model.unknown import Unknown
from ringfence.sbom import json_text, package_id, spdx_and, with_qualifier

if TYPE_CHECKING:  # an SBOM without vulnerabilities never loads the advisory model
    from ringfence.model.advisory import VulnerabilityMatch

SCHEMA = "http://cyclonedx.org/schema/bom-1.6.schema.json"
SPEC_VERSION = "1.6"

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
    return _purl_and_ref(pkg)[1]


def _purl_and_ref(pkg: Package) -> tuple[str, str]:
    """The (canonical) purl and the bom-ref."""
    return pkg.purl, with_qualifier(pkg.purl, "package-id", package_id(pkg))


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


Json = dict[str, Any]


def _licence(value: str, alone: bool) -> tuple[tuple[int, bool, str, str], Json]:
    """A sort key (the library's order: an expression first, then licences with an id by id,
    then named ones by name) and the licence entry. A lone value may be an SPDX expression;
    beside a name an expression is a name (the schema forbids mixing them)."""
    if isinstance(value, SpdxLicense) and value.is_id:
        return (1, False, value, ""), {"license": {"id": str(value)}}
    if alone and isinstance(value, SpdxLicense):
        return (0, False, "", value), {"expression": str(value)}
    return (1, True, "", value), {"license": {"name": str(value)}}


def licenses(values: tuple[str, ...]) -> list[Json]:
    unique = set(values)
    if len(unique) > 1 and all(isinstance(v, SpdxLicense) for v in unique) and any(
            not v.is_id for v in unique if isinstance(v, SpdxLicense)):
        return [{"expression": spdx_and(unique)}]
    entries = dict(_licence(v, len(unique) == 1) for v in values)  # one per key, as a set
    return [entries[key] for key in sorted(entries)]


def _props(pairs: Iterable[tuple[str, str]]) -> list[Json]:
    return [{"name": k, "value": v} for k, v in sorted(set(pairs))]


def _put(obj: Json, key: str, value: Any) -> None:
    """The library omits absent values and empty lists."""
    if value is not None and value != []:
        obj[key] = value


def _component(pkg: Package, purl: str, ref: str) -> Json:
    out: Json = {"bom-ref": ref, "name": pkg.name, "type": "library", "version": pkg.version,
                 "purl": purl}
    _put(out, "licenses", licenses(pkg.licenses))
    _put(out, "properties", _props(package_properties(pkg)))
    return out


def _os_component(distro: Distro) -> Json:
    pairs = [(f"{DISTRO}id_like", " ".join(distro.id_like))] if distro.id_like else []
    if distro.version_codename:
        pairs.append((f"{DISTRO}codename", distro.version_codename))
    version = distro.version_id or ""
    out: Json = {"bom-ref": f"os:{distro.id}@{version}", "name": distro.id,
                 "type": "operating-system"}
    _put(out, "version", version or None)
    _put(out, "description", distro.pretty_name)
    _put(out, "properties", _props(pairs))
    return out


def _subject(result: ScanResult) -> Json:
    target = result.target
    pairs = [(f"{NS}target:kind", target.kind)]
    if result.image:
        info = result.image
        if info.config_digest:
            pairs.append((f"{NS}image:config_digest", info.config_digest))
        pairs.extend((f"{NS}image:layer:{i}:diffID", layer.diff_id)
                     for i, layer in enumerate(info.layers))
    ref = f"{target.kind}:{target.name}" + (f"@{target.digest}" if target.digest else "")
    out: Json = {"bom-ref": ref, "name": target.name,
                 "type": "container" if target.kind == "image" else "file"}
    _put(out, "version", target.digest)
    _put(out, "properties", _props(pairs))
    return out


# vector prefix -> (CycloneDX method, the prefix the library strips from the vector)
CVSS_METHODS = {"CVSS:3.1/": ("CVSSv31", "CVSS:3."), "CVSS:3.0/": ("CVSSv3", "CVSS:3."),
                "CVSS:4.0/": ("CVSSv4", "CVSS:4.")}


def _rating(m: VulnerabilityMatch) -> Json:
    out: Json = {"source": {"name": m.data_source}, "severity": m.severity.name.lower()}
    if m.cvss_score is None:
        return out
    from decimal import Decimal  # here: an SBOM without vulnerabilities never loads it

    out["score"] = float(f"{Decimal(str(m.cvss_score)):.1f}")
    method, vector = "other", m.cvss_vector
    if vector:
        method, scheme = next((v for k, v in CVSS_METHODS.items() if vector.startswith(k)),
                              ("CVSSv2", "CVSS:2."))
        if vector.startswith(scheme):  # "CVSS:3.1/AV:N/..." -> "AV:N/..." (the library's)
            vector = re.sub(rf"^{re.escape(scheme)}\d/?", "", vector)
    out["method"] = method
    _put(out, "vector", vector)
    return out


def _vulnerability(n: int, m: VulnerabilityMatch, ref: str | None) -> Json:
    """One per match (so a VEX/ignore suppression stays with the package it is about):
    ``analysis.state`` is ``not_affected`` with the reason as ``detail`` when suppressed."""
    source = {"name": m.data_source}
    out: Json = {"bom-ref": f"vuln-{n}:{m.advisory_id}", "id": m.advisory_id, "source": source,
                 "ratings": [_rating(m)],
                 "properties": _props([(f"{NS}status", m.status),
                                       (f"{NS}matched_by", m.matched_by)])}
    _put(out, "references", [{"id": a, "source": source} for a in sorted(set(m.aliases))])
    _put(out, "description", m.summary or None)
    fixed = ", ".join(m.fixed_versions)
    _put(out, "recommendation", f"Upgrade {m.package_name} to {fixed}" if fixed else None)
    if ref:
        out["affects"] = [{"ref": ref, "versions": [{"version": m.installed_version,
                                                      "status": "affected"}]}]
    if m.suppressed_by:
        out["analysis"] = {"state": "not_affected", "detail": m.suppressed_by}
    return out


def _unique(ref: str, seen: set[str]) -> str:
    """A bom-ref no other element has (two packages with the same purl and first location,
    which an ingested SBOM can hold): the library's discriminator would rename them too."""
    candidate, n = ref, 1
    while candidate in seen:
        n += 1
        candidate = f"{ref}#{n}"
    seen.add(candidate)
    return candidate


def build(result: ScanResult, serial: str | None = None,
          timestamp: datetime | None = None) -> Json:
    """The CycloneDX document as a dict, in time linear in packages and matches (bar three
    key sorts)."""
    inv = result.inventory
    subject = _subject(result)
    seen = {subject["bom-ref"]}
    components: list[Json] = []
    refs: dict[tuple[str, str], str] = {}
    for pkg in (*inv.packages, *inv.deleted):
        purl, ref = _purl_and_ref(pkg)
        ref = _unique(ref, seen)
        components.append(_component(pkg, purl, ref))
        refs.setdefault((pkg.purl, pkg.locations[0].path if pkg.locations else ""), ref)
    if inv.distro is not None:
        os_comp = _os_component(inv.distro)
        os_comp["bom-ref"] = _unique(os_comp["bom-ref"], seen)
        components.append(os_comp)
    # the library's order: type, name, version (absent last), bom-ref
    components.sort(key=lambda c: (c["type"], c["name"], "version" not in c,
                                   c.get("version", ""), c["bom-ref"]))
    component_refs = sorted(c["bom-ref"] for c in components)
    root: Json = {"ref": subject["bom-ref"]}
    _put(root, "dependsOn", component_refs)
    dependencies = sorted([root, *({"ref": r} for r in component_refs)], key=lambda d: d["ref"])
    unknowns = set(inv.unknowns) | set(result.unknowns)
    meta: Json = {"timestamp": (timestamp or datetime.now(UTC)).isoformat(),
                  "tools": {"components": [{"name": "ringfence", "type": "application",
                                            "version": __version__}]},
                  "component": subject}
    _put(meta, "properties", _props([*unknown_properties(unknowns),
                                     *uncovered_properties(result)]))
    vulns = [_vulnerability(n, m, refs.get((m.package_purl, m.location)))
             for n, m in enumerate(result.vulnerabilities)]
    vulns.sort(key=lambda v: (v["id"], v["bom-ref"]))
    doc: Json = {"$schema": SCHEMA, "bomFormat": "CycloneDX", "specVersion": SPEC_VERSION,
                 "serialNumber": serial or f"urn:uuid:{uuid.uuid4()}", "version": 1,
                 "metadata": meta}
    _put(doc, "components", components)
    doc["dependencies"] = dependencies
    _put(doc, "vulnerabilities", vulns)
    return doc


class CycloneDxRenderer:
    """CycloneDX 1.6 JSON. Deterministic except ``serialNumber`` and ``metadata.timestamp``."""

    def render(self, result: ScanResult) -> str:
        return json_text(build(result))

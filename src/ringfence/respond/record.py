"""An ``ImageRecord`` from a scan: the image's identity, layers, packages with their
vulnerability-DB identities (the matchers' own lookups) and the scan's findings."""

from __future__ import annotations

import hashlib
import re
from typing import Any, Final

from packageurl import PackageURL

from ringfence.errors import InputError
from ringfence.inputs import read_regular
from ringfence.model.inventory import Distro
from ringfence.model.package import Package
from ringfence.model.result import ScanResult
from ringfence.store.record import ImageRecord, StoredFinding, StoredLayer, StoredPackage
from ringfence.vulndb.match import MATCHERS

_PINNED: Final = re.compile(r"^(?P<path>.+)@(?P<digest>sha256:[0-9a-f]{64})$")


def split_sbom_ref(ref: str) -> tuple[str, str | None]:
    """``sbom:FILE[@sha256:HEX]`` -> (``sbom:FILE``, the pinned digest or None)."""
    m = _PINNED.match(ref)
    if not ref.startswith("sbom:") or m is None:
        return ref, None
    return m["path"], m["digest"]


def file_digest(path: str) -> str:
    from ringfence.sbom.ingest import MAX_SBOM_BYTES

    return "sha256:" + hashlib.sha256(read_regular(path, MAX_SBOM_BYTES, path)).hexdigest()


def base_purl(purl: str) -> str:
    """The purl without version, qualifiers and subpath (the package, any version)."""
    try:
        p = PackageURL.from_string(purl)
    except ValueError:
        return purl.split("@", 1)[0].split("?", 1)[0]
    return str(PackageURL(type=p.type, namespace=p.namespace, name=p.name).to_string())


def _layerless(package: Package) -> dict[str, Any]:
    doc = package.to_dict()
    doc["locations"] = [{**loc, "layer": None} for loc in doc.get("locations", ())]
    return doc


def identities(package: Package, distro: Distro | None) -> tuple[tuple[str, str], ...]:
    """The (ecosystem, name) lookups the matchers make for ``package``."""
    return tuple(sorted({(q.ecosystem, q.name) for m in MATCHERS
                         for q in m.queries(package, distro)}))


def build(result: ScanResult, ref: str, digest: str | None = None) -> ImageRecord:
    """The record of ``result``; ``digest`` overrides the key (an SBOM's file digest)."""
    inv = result.inventory
    packages = tuple(
        StoredPackage(i, p.purl, base_purl(p.purl), p.name, p.version, p.type,
                      p.locations[0].layer if p.locations else None, p.owner, _layerless(p),
                      identities(p, inv.distro))
        for i, p in enumerate(inv.packages))
    where: dict[tuple[str, str], int] = {}
    for i, p in enumerate(inv.packages):  # a finding names its package by purl and location
        where.setdefault((p.purl, p.locations[0].path if p.locations else ""), i)
        where.setdefault((p.purl, ""), i)
    findings = tuple(
        StoredFinding(where.get((m.package_purl, m.location), where[(m.package_purl, "")]),
                      m.advisory_id, m.aliases, m.severity.name, m.fixed_versions, m.status)
        for m in result.vulnerabilities if (m.package_purl, "") in where)
    image = result.image
    key = digest or result.target.digest
    if not key:
        raise InputError(ref, "no manifest digest to record the image by")
    return ImageRecord(
        digest=key, kind=result.target.kind, ref=ref,
        distro=inv.distro.to_dict() if inv.distro else None,
        os=image.os if image else None, architecture=image.architecture if image else None,
        config_digest=image.config_digest if image else None,
        layers=tuple(StoredLayer(la.digest, la.diff_id, la.size)
                     for la in (image.layers if image else ())),
        packages=packages, findings=findings,
        scanned_with=result.db.built_at if result.db else None)

"""ScanResult -> SPDX 2.3 JSON, built as an spdx-tools ``Document`` and written (and validated)
by its JSON writer.

The document DESCRIBES the scanned image package, which CONTAINS one package per ringfence
package and, when known, an OPERATING-SYSTEM package for the distro. Each package carries a
PACKAGE-MANAGER ``purl`` reference; ringfence's own facts (cataloger, locations with layer
diffIDs, source package, deleted-in-a-later-layer) are a JSON object in the package comment
after the ``ringfence:`` prefix, and a human sentence in ``sourceInfo`` as Syft writes it.
Unknowns are summarised in the document comment and recorded one per document annotation.

The OS package that installed a language package (``Package.owner``, catalog/ownership) is
an SPDX 2.3 relationship ``<OS package> CONTAINS <language package>`` with the comment
``ringfence:owner`` (the OS package's file list holds the language package's files): spdx-tools
and other SPDX readers see a package graph, and ringfence reads the owner back from it. An
owner that is not a package of the document (an ingested SBOM can name one) is kept as
``owner`` in the package's ringfence comment instead.

Written directly from ringfence's model, not through spdx-tools' model and JSON writer (used
until issue 11): building its typed model (a type check per field set), converting it back
to a dict and parsing every licence expression twice cost ~1 ms per package (0.63 / 1.9 /
8.9 s for 1k / 5k / 20k synthetic packages), and the document needed a validator of its
own because spdx-tools' is quadratic. The document has the same content as spdx-tools'
writer gives for the same result (``tests/unit/sbom/test_linear_render.py`` compares them
against ``tests/unit/sbom/spdx_oracle.py``), and the tests read each document back with
spdx-tools' own parser and run its full validator and the official SPDX 2.3 JSON schema on
it.

Licences: whether a value is a valid SPDX expression was decided when it was catalogued
(``catalog/licenses.normalize``, carried as ``model.license.SpdxLicense``, already in the
canonical form spdx-tools writes), so a warm render loads no licence list (issue 11). A
package's ``licenseDeclared`` is its one expression, or the AND of its values in sorted
order (``sbom.spdx_and``, as license-expression renders it); a name becomes a
``LicenseRef-`` with its text in ``hasExtractedLicensingInfos``.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from ringfence import __version__
from ringfence.model.inventory import Distro
from ringfence.model.license import SpdxLicense
from ringfence.model.package import Package
from ringfence.model.result import ScanResult
from ringfence.model.unknown import Unknown
from ringfence.sbom import json_text, package_id, spdx_and

Json = dict[str, Any]
NOASSERTION = "NOASSERTION"
COMMENT_PREFIX = "ringfence: "
UNKNOWN_PREFIX = "ringfence:unknown "
OWNER_COMMENT = "ringfence:owner"  # on <OS package> CONTAINS <package it installed>
DOCUMENT_ID = "SPDXRef-DOCUMENT"
NAMESPACE_BASE = "https://ringfence.invalid/spdx/"  # reserved TLD: a unique URI, not a place
_UNSAFE = re.compile(r"[^A-Za-z0-9.\-]+")


def spdx_id(pkg: Package) -> str:
    name = _UNSAFE.sub("-", pkg.name).strip("-") or "x"
    return f"SPDXRef-Package-{pkg.type}-{name}-{package_id(pkg)}"


def ringfence_fields(pkg: Package, owner_elsewhere: bool = False) -> dict[str, Any]:
    """The comment JSON; ``owner`` only when no package of the document is the owner (else
    the owner is a relationship)."""
    fields = {
        "cataloger": pkg.cataloger,
        "source_name": pkg.source_name,
        "source_version": pkg.source_version,
        "arch": pkg.arch,
        "deleted": pkg.deleted,
        "locations": [loc.to_dict() for loc in pkg.locations],
        "metadata": dict(pkg.metadata),
    }
    if owner_elsewhere and pkg.owner:
        fields["owner"] = pkg.owner
    return fields


class _Licenses:
    """SPDX license expressions; anything the SPDX list does not know becomes a LicenseRef
    with its original text kept in ``hasExtractedLicensingInfos``."""

    def __init__(self) -> None:
        self.extracted: dict[str, Json] = {}

    def expression(self, values: tuple[str, ...]) -> str:
        if not values:
            return NOASSERTION
        return spdx_and(self._one(v) for v in sorted(set(values)))

    def _one(self, value: str) -> str:
        if isinstance(value, SpdxLicense):
            return str(value)
        ref = "LicenseRef-" + (_UNSAFE.sub("-", value).strip("-") or "unnamed")
        if ref in self.extracted and self.extracted[ref]["name"] != value:
            ref += "-" + hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:8]
        self.extracted[ref] = {"licenseId": ref, "extractedText": str(value), "name": str(value)}
        return ref


def _purl_ref(purl: str) -> list[Json]:
    return [{"referenceCategory": "PACKAGE-MANAGER", "referenceLocator": purl,
             "referenceType": "purl"}]


def _package(pkg: Package, licenses: _Licenses, owner_elsewhere: bool) -> Json:
    out: Json = {"SPDXID": spdx_id(pkg), "name": pkg.name, "versionInfo": pkg.version,
                 "downloadLocation": NOASSERTION, "filesAnalyzed": False,
                 "licenseConcluded": NOASSERTION,
                 "licenseDeclared": licenses.expression(pkg.licenses),
                 "copyrightText": NOASSERTION,
                 "comment": COMMENT_PREFIX + json.dumps(ringfence_fields(pkg, owner_elsewhere),
                                                        sort_keys=True),
                 "externalRefs": _purl_ref(pkg.purl)}
    paths = ", ".join(loc.path for loc in pkg.locations)
    if paths:
        out["sourceInfo"] = f"acquired package info from {pkg.cataloger}: {paths}"
    if not pkg.version:
        del out["versionInfo"]
    return out


def _os_package(distro: Distro) -> Json:
    out: Json = {"SPDXID": f"SPDXRef-OperatingSystem-{_UNSAFE.sub('-', distro.id)}",
                 "name": distro.id, "downloadLocation": NOASSERTION, "filesAnalyzed": False,
                 "primaryPackagePurpose": "OPERATING_SYSTEM",
                 "comment": COMMENT_PREFIX + json.dumps(distro.to_dict(), sort_keys=True)}
    if distro.version_id:
        out["versionInfo"] = distro.version_id
    if distro.pretty_name:
        out["description"] = distro.pretty_name
    return out


def _subject(result: ScanResult) -> Json:
    target = result.target
    image = target.kind == "image"
    out: Json = {"SPDXID": "SPDXRef-Image" if image else "SPDXRef-Target", "name": target.name,
                 "downloadLocation": NOASSERTION, "filesAnalyzed": False,
                 "primaryPackagePurpose": "CONTAINER" if image else "FILE"}
    if target.digest:
        out["versionInfo"] = target.digest
        if target.digest.startswith("sha256:"):
            out["checksums"] = [{"algorithm": "SHA256",
                                 "checksumValue": target.digest.removeprefix("sha256:")}]
    return out


def _comment(unknowns: list[Unknown]) -> str | None:
    if not unknowns:
        return None
    lines = [f"{u.location}: {u.reason} ({u.plugin})" for u in unknowns]
    return f"ringfence could not analyse {len(unknowns)} item(s):\n" + "\n".join(lines)


def _relationship(a: str, kind: str, b: str, comment: str | None = None) -> Json:
    out: Json = {"spdxElementId": a, "relatedSpdxElement": b, "relationshipType": kind}
    if comment:
        out["comment"] = comment
    return out


def build(result: ScanResult, created: datetime | None = None) -> Json:
    """The SPDX 2.3 document as a dict, in time linear in packages (bar a key sort)."""
    when = (created or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    inv = result.inventory
    tool = f"Tool: ringfence-{__version__}"
    unknowns = sorted(set(inv.unknowns) | set(result.unknowns))
    subject = _subject(result)
    licenses = _Licenses()
    everything = (*inv.packages, *inv.deleted)
    ids: dict[str, str] = {}  # purl -> SPDX id of the first package with it
    for p in everything:
        ids.setdefault(p.purl, spdx_id(p))
    packages = [_package(p, licenses, bool(p.owner) and p.owner not in ids) for p in everything]
    if inv.distro is not None:
        packages.append(_os_package(inv.distro))
    packages.sort(key=lambda p: str(p["SPDXID"]))
    relationships = [_relationship(DOCUMENT_ID, "DESCRIBES", subject["SPDXID"])]
    relationships += [_relationship(subject["SPDXID"], "CONTAINS", p["SPDXID"])
                      for p in packages]
    owned = sorted((ids[p.owner], spdx_id(p)) for p in everything
                   if p.owner in ids and ids[p.owner] != spdx_id(p))
    relationships += [_relationship(a, "CONTAINS", b, OWNER_COMMENT) for a, b in owned]
    doc: Json = {"SPDXID": DOCUMENT_ID, "spdxVersion": "SPDX-2.3", "dataLicense": "CC0-1.0",
                 "name": result.target.name,
                 "documentNamespace": f"{NAMESPACE_BASE}{_quoted(result.target.name)}"
                                      f"-{uuid.uuid4()}",
                 "creationInfo": {"created": when, "creators": [tool]}}
    comment = _comment(unknowns)
    if comment:
        doc["comment"] = comment
    if unknowns:
        doc["annotations"] = [{"annotationDate": when, "annotationType": "OTHER",
                               "annotator": tool,
                               "comment": UNKNOWN_PREFIX + json.dumps(u.to_dict(),
                                                                      sort_keys=True)}
                              for u in unknowns]
    if licenses.extracted:
        doc["hasExtractedLicensingInfos"] = [licenses.extracted[k]
                                             for k in sorted(licenses.extracted)]
    doc["packages"] = [subject, *packages]
    doc["relationships"] = relationships
    return doc


def _quoted(name: str) -> str:
    """The name in a URI; surrogate-escaped bytes of an image's text percent-encoded too."""
    return quote(name.encode("utf-8", "surrogatepass"), safe="")


class SpdxRenderer:
    """SPDX 2.3 JSON. Deterministic except ``creationInfo.created`` (and annotation dates)
    and ``documentNamespace``."""

    def render(self, result: ScanResult) -> str:
        return json_text(build(result))

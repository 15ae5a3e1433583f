"""The SPDX document as spdx-tools models and writes it: the oracle the direct writer
(``ringfence.sbom.spdx``) is compared with. This was ringfence's renderer until issue 11
(model construction with per-field type checks, the converter and licence parsing made it
~1 ms per package); ``validate`` is the linear replacement of spdx-tools' quadratic
full-document validator it used, kept to check the oracle's documents."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from spdx_tools.common.spdx_licensing import spdx_licensing
from spdx_tools.spdx.jsonschema.document_converter import DocumentConverter
from spdx_tools.spdx.model.actor import Actor, ActorType
from spdx_tools.spdx.model.annotation import Annotation, AnnotationType
from spdx_tools.spdx.model.checksum import Checksum, ChecksumAlgorithm
from spdx_tools.spdx.model.document import CreationInfo, Document
from spdx_tools.spdx.model.extracted_licensing_info import ExtractedLicensingInfo
from spdx_tools.spdx.model.package import (
    ExternalPackageRef,
    ExternalPackageRefCategory,
    PackagePurpose,
)
from spdx_tools.spdx.model.package import Package as SpdxPackage
from spdx_tools.spdx.model.relationship import Relationship, RelationshipType
from spdx_tools.spdx.model.spdx_no_assertion import SpdxNoAssertion
from spdx_tools.spdx.validation.actor_validator import validate_actor
from spdx_tools.spdx.validation.creation_info_validator import validate_creation_info
from spdx_tools.spdx.validation.extracted_licensing_info_validator import (
    validate_extracted_licensing_infos,
)
from spdx_tools.spdx.validation.license_expression_validator import validate_license_expression
from spdx_tools.spdx.validation.package_validator import validate_package
from spdx_tools.spdx.validation.spdx_id_validators import is_valid_internal_spdx_id

from ringfence import __version__
from ringfence.model.inventory import Distro
from ringfence.model.package import Package
from ringfence.model.result import ScanResult
from ringfence.model.unknown import Unknown
from ringfence.sbom.spdx import (
    _UNSAFE,
    COMMENT_PREFIX,
    DOCUMENT_ID,
    NAMESPACE_BASE,
    OWNER_COMMENT,
    UNKNOWN_PREFIX,
    ringfence_fields,
    spdx_id,
)


def render(result: ScanResult, created: datetime | None = None) -> str:
    document = build_document(result, created)
    problems = validate(document)
    if problems:
        raise ValueError(f"invalid SPDX document: {problems}")
    converted: dict[str, Any] = DocumentConverter().convert(document)  # type: ignore[no-untyped-call]
    return json.dumps(_dashed_categories(converted), indent=2) + "\n"


class _Licenses:
    """SPDX license expressions; anything the SPDX list does not know becomes a LicenseRef
    with its original text kept in ``hasExtractedLicensingInfos``."""

    def __init__(self) -> None:
        self.extracted: dict[str, ExtractedLicensingInfo] = {}

    def expression(self, values: tuple[str, ...]) -> Any:  # license_expression's type
        if not values:
            return SpdxNoAssertion()
        # the values of a set, in sorted order (the writer's: a cold and a warm scan, whose
        # cache keeps licences sorted, write the same expression)
        parts = sorted({self._one(v) for v in sorted(set(values))})
        text = parts[0] if len(parts) == 1 else " AND ".join(f"({p})" for p in parts)
        return spdx_licensing.parse(text)

    def _one(self, value: str) -> str:
        if _valid(value):
            return value
        ref = "LicenseRef-" + (_UNSAFE.sub("-", value).strip("-") or "unnamed")
        if ref in self.extracted and self.extracted[ref].license_name != value:
            ref += "-" + hashlib.sha256(value.encode()).hexdigest()[:8]
        self.extracted[ref] = ExtractedLicensingInfo(license_id=ref, extracted_text=value,
                                                     license_name=value)
        return ref


def _package(pkg: Package, licenses: _Licenses, owner_elsewhere: bool) -> SpdxPackage:
    paths = ", ".join(loc.path for loc in pkg.locations)
    return SpdxPackage(
        spdx_id=spdx_id(pkg), name=pkg.name, version=pkg.version,
        download_location=SpdxNoAssertion(), files_analyzed=False,
        license_declared=licenses.expression(pkg.licenses),
        license_concluded=SpdxNoAssertion(), copyright_text=SpdxNoAssertion(),
        source_info=f"acquired package info from {pkg.cataloger}: {paths}" if paths else None,
        comment=COMMENT_PREFIX + json.dumps(ringfence_fields(pkg, owner_elsewhere),
                                            sort_keys=True),
        external_references=[ExternalPackageRef(ExternalPackageRefCategory.PACKAGE_MANAGER,
                                                "purl", pkg.purl)],
    )


def _os_package(distro: Distro) -> SpdxPackage:
    return SpdxPackage(
        spdx_id=f"SPDXRef-OperatingSystem-{_UNSAFE.sub('-', distro.id)}",
        name=distro.id, version=distro.version_id, download_location=SpdxNoAssertion(),
        files_analyzed=False, description=distro.pretty_name,
        primary_package_purpose=PackagePurpose.OPERATING_SYSTEM,
        comment=COMMENT_PREFIX + json.dumps(distro.to_dict(), sort_keys=True),
    )


def _subject(result: ScanResult) -> SpdxPackage:
    target = result.target
    checksums = []
    if target.digest and target.digest.startswith("sha256:"):
        checksums.append(Checksum(ChecksumAlgorithm.SHA256, target.digest.removeprefix("sha256:")))
    image = target.kind == "image"
    return SpdxPackage(
        spdx_id="SPDXRef-Image" if image else "SPDXRef-Target", name=target.name,
        version=target.digest, download_location=SpdxNoAssertion(), files_analyzed=False,
        checksums=checksums,
        primary_package_purpose=PackagePurpose.CONTAINER if image else PackagePurpose.FILE,
    )


def _unknowns(unknowns: list[Unknown], tool: Actor, created: datetime) -> list[Annotation]:
    return [Annotation(DOCUMENT_ID, AnnotationType.OTHER, tool, created,
                       UNKNOWN_PREFIX + json.dumps(u.to_dict(), sort_keys=True))
            for u in unknowns]


def _comment(unknowns: list[Unknown]) -> str | None:
    if not unknowns:
        return None
    lines = [f"{u.location}: {u.reason} ({u.plugin})" for u in unknowns]
    return f"ringfence could not analyse {len(unknowns)} item(s):\n" + "\n".join(lines)


def build_document(result: ScanResult, created: datetime | None = None) -> Document:
    created = created or datetime.now(UTC).replace(microsecond=0)
    inv = result.inventory
    tool = Actor(ActorType.TOOL, f"ringfence-{__version__}")
    unknowns = sorted(set(inv.unknowns) | set(result.unknowns))
    info = CreationInfo(
        spdx_version="SPDX-2.3", spdx_id=DOCUMENT_ID, name=result.target.name,
        document_namespace=f"{NAMESPACE_BASE}{quote(result.target.name, safe='')}-{uuid.uuid4()}",
        creators=[tool], created=created, document_comment=_comment(unknowns))
    subject = _subject(result)
    licenses = _Licenses()
    ids: dict[str, str] = {}  # purl -> SPDX id of the first package with it
    for p in (*inv.packages, *inv.deleted):
        ids.setdefault(p.purl, spdx_id(p))
    packages = [_package(p, licenses, bool(p.owner) and p.owner not in ids)
                for p in (*inv.packages, *inv.deleted)]
    if inv.distro is not None:
        packages.append(_os_package(inv.distro))
    packages.sort(key=lambda p: p.spdx_id)
    relationships = [Relationship(DOCUMENT_ID, RelationshipType.DESCRIBES, subject.spdx_id)]
    relationships += [Relationship(subject.spdx_id, RelationshipType.CONTAINS, p.spdx_id)
                      for p in packages]
    relationships += sorted((Relationship(ids[p.owner], RelationshipType.CONTAINS, spdx_id(p),
                                          OWNER_COMMENT)
                             for p in (*inv.packages, *inv.deleted)
                             if p.owner in ids and ids[p.owner] != spdx_id(p)),
                            key=lambda r: (r.spdx_element_id, str(r.related_spdx_element_id)))
    return Document(info, packages=[subject, *packages], relationships=relationships,
                    annotations=_unknowns(unknowns, tool, created),
                    extracted_licensing_info=sorted(licenses.extracted.values(),
                                                    key=lambda e: str(e.license_id)))


def _dashed_categories(doc: dict[str, Any]) -> dict[str, Any]:
    """spdx-tools 0.8 writes ``PACKAGE_MANAGER``; the SPDX 2.3 spec and its JSON schema say
    ``PACKAGE-MANAGER`` (spdx/tools-python#813; readers accept both, the spec's form wins)."""
    for pkg in doc.get("packages", ()):
        for ref in pkg.get("externalRefs", ()):
            ref["referenceCategory"] = ref["referenceCategory"].replace("_", "-")
    return doc


def validate(document: Document) -> list[str]:
    """spdx-tools' checks of what ``build_document`` writes, in linear time.

    ``validate_full_spdx_document`` looks every referenced SPDX id up in a list rebuilt from
    the whole document, once per package, relationship and annotation: quadratic (1,500
    packages took 10 s). Here the library validates each part on its own (creation info,
    each package including its licence expressions, extracted licences, annotators) and the
    cross-references are checked against one set of ids: ids well-formed and unique, every
    relationship and annotation naming an element of the document, the document DESCRIBES
    something. Files and snippets are never written, so their checks do not apply."""
    version = document.creation_info.spdx_version
    messages = [m.validation_message for m in validate_creation_info(document.creation_info,
                                                                       version)]
    ids = [document.creation_info.spdx_id, *(p.spdx_id for p in document.packages)]
    known = set(ids)
    if len(known) != len(ids):
        messages.append("duplicate SPDX ids")
    messages += [f"malformed SPDX id {i!r}" for i in ids[1:] if not is_valid_internal_spdx_id(i)]
    for pkg in document.packages:
        found = [*validate_package(pkg, version),
                 *validate_license_expression(pkg.license_concluded, document, pkg.spdx_id),
                 *validate_license_expression(pkg.license_declared, document, pkg.spdx_id)]
        messages += [m.validation_message for m in found]
    messages += [m.validation_message
                 for m in validate_extracted_licensing_infos(document.extracted_licensing_info)]
    for rel in document.relationships:
        for ref in (rel.spdx_element_id, rel.related_spdx_element_id):
            if isinstance(ref, str) and ref not in known:
                messages.append(f"relationship names {ref!r}, not in the document")
    for note in document.annotations:
        messages += [m.validation_message for m in validate_actor(note.annotator, "annotation")]
        if note.spdx_id not in known:
            messages.append(f"annotation names {note.spdx_id!r}, not in the document")
    if not any(r.relationship_type == RelationshipType.DESCRIBES
               and r.spdx_element_id == document.creation_info.spdx_id
               for r in document.relationships):
        messages.append("the document DESCRIBES nothing")
    return messages


def _valid(value: str) -> bool:
    """A known SPDX expression, as spdx-tools' licensing validates it (the library itself
    fails on some hostile text: then a LicenseRef, as the writer's name)."""
    try:
        return not spdx_licensing.validate(value).errors
    except Exception:  # a third-party parser on hostile text
        return False

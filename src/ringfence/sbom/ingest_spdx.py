"""SPDX 2.2/2.3 JSON -> Inventory (the SPDX half of ``ingest.read_sbom``).

The image package (``primaryPackagePurpose: CONTAINER``, or a described package without a
purl) is the subject, not content; an OPERATING-SYSTEM package is the distro. ringfence's own
package comment (``ringfence: {json}``) is mapped onto the CycloneDX property names the
shared builder reads, so both formats round-trip the same fields.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from license_expression import ExpressionError  # type: ignore[import-untyped]  # no stubs

from ringfence.model.inventory import Distro, Inventory
from ringfence.model.package import Package
from ringfence.model.unknown import Unknown
from ringfence.sbom import cyclonedx as cdx
from ringfence.sbom.inbound import PLUGIN, finish, package_from
from ringfence.sbom.spdx import COMMENT_PREFIX, DOCUMENT_ID, OWNER_COMMENT, UNKNOWN_PREFIX

_NO_LICENSE = ("NOASSERTION", "NONE", "")


def inventory(path: str, doc: dict[str, Any]) -> Inventory:
    described = _described(doc)
    extracted = {str(e.get("licenseId")): str(e.get("name") or e.get("extractedText") or "")
                 for e in doc.get("hasExtractedLicensingInfos") or [] if isinstance(e, dict)}
    unknowns = list(_unknowns(doc))
    owners = _owners(doc)
    packages: list[Package] = []
    distro: Distro | None = None
    for p in doc.get("packages") or []:
        purpose = str(p.get("primaryPackagePurpose", "")).replace("-", "_")
        purl = _purl(p)
        if purpose == "CONTAINER" or (p.get("SPDXID") in described and purl is None):
            continue
        fields = _ringfence_fields(path, p, unknowns)
        owner = owners.get(str(p.get("SPDXID")))
        if owner:
            fields = {**fields, "owner": owner}
        if purpose == "OPERATING_SYSTEM":
            distro = distro or _distro(p, fields)
            continue
        pkg = package_from(path, str(p.get("name", "")), str(p.get("versionInfo", "")), purl,
                           _licenses(p, extracted), _as_props(fields), unknowns)
        if pkg is not None:
            packages.append(pkg)
    return finish(packages, distro, unknowns)


def _described(doc: dict[str, Any]) -> set[str]:
    ids = {str(x) for x in doc.get("documentDescribes") or []}
    ids |= {str(r.get("relatedSpdxElement")) for r in doc.get("relationships") or []
            if r.get("relationshipType") == "DESCRIBES" and r.get("spdxElementId") == DOCUMENT_ID}
    return ids


def _owners(doc: dict[str, Any]) -> dict[str, str]:
    """SPDX id -> purl of the OS package that installed it: ringfence's ``CONTAINS``
    relationships marked ``ringfence:owner`` (other tools' CONTAINS edges, e.g. an application
    or a jar containing packages, say nothing about who installed a package)."""
    purls = {str(p.get("SPDXID")): _purl(p) for p in doc.get("packages") or []}
    out: dict[str, str] = {}
    for r in doc.get("relationships") or []:
        if r.get("relationshipType") == "CONTAINS" and r.get("comment") == OWNER_COMMENT:
            owner = purls.get(str(r.get("spdxElementId")))
            if owner:
                out.setdefault(str(r.get("relatedSpdxElement")), owner)
    return out


def _purl(p: dict[str, Any]) -> str | None:
    for ref in p.get("externalRefs") or []:
        if ref.get("referenceType") == "purl" and ref.get("referenceLocator"):
            return str(ref["referenceLocator"])
    return None


def _ringfence_fields(path: str, p: dict[str, Any], unknowns: list[Unknown]) -> dict[str, Any]:
    comment = str(p.get("comment") or "")
    if not comment.startswith(COMMENT_PREFIX):
        return {}
    try:
        fields = json.loads(comment.removeprefix(COMMENT_PREFIX))
    except json.JSONDecodeError as e:
        unknowns.append(Unknown(f"{path}#{p.get('SPDXID')}", f"bad ringfence comment: {e}",
                                PLUGIN))
        return {}
    return fields if isinstance(fields, dict) else {}


def _as_props(fields: dict[str, Any]) -> dict[str, str]:
    """ringfence's comment JSON -> the CycloneDX property names the builder reads."""
    props: dict[str, str] = {}
    for key, name in ((cdx.CATALOGER, "cataloger"), (cdx.SOURCE_NAME, "source_name"),
                      (cdx.SOURCE_VERSION, "source_version"), (cdx.ARCH, "arch")):
        if fields.get(name):
            props[key] = str(fields[name])
    if fields.get("deleted") is True:
        props[cdx.DELETED] = "true"
    for i, loc in enumerate(fields.get("locations") or []):
        props[f"{cdx.LOCATION}{i}:path"] = str(loc.get("path", ""))
        if loc.get("layer"):
            props[f"{cdx.LOCATION}{i}:layer"] = str(loc["layer"])
    for key, value in (fields.get("metadata") or {}).items():
        props[f"{cdx.META}{key}"] = str(value)
    if fields.get("owner"):
        props[cdx.OWNER] = str(fields["owner"])
    return props


def _licenses(p: dict[str, Any], extracted: dict[str, str]) -> tuple[str, ...]:
    """Top-level AND terms of licenseDeclared (what CycloneDX lists one by one), with
    LicenseRefs turned back into the names they stand for."""
    text = str(p.get("licenseDeclared") or "")
    if text in _NO_LICENSE:
        return ()
    from spdx_tools.common.spdx_licensing import spdx_licensing  # loads the license list

    try:
        expr = spdx_licensing.parse(text)
    except ExpressionError:
        return (text,)
    terms = expr.args if isinstance(expr, spdx_licensing.AND) else (expr,)
    return tuple(extracted.get(str(t), str(t)) for t in terms)


def _distro(p: dict[str, Any], fields: dict[str, Any]) -> Distro:
    if fields.get("id"):
        return Distro.from_dict(fields)
    return Distro(str(p.get("name", "")).lower(), p.get("versionInfo") or None,
                  pretty_name=p.get("description") or None)


def _unknowns(doc: dict[str, Any]) -> Iterator[Unknown]:
    for a in doc.get("annotations") or []:
        comment = str(a.get("comment") or "")
        if comment.startswith(UNKNOWN_PREFIX):
            try:
                yield Unknown.from_dict(json.loads(comment.removeprefix(UNKNOWN_PREFIX)))
            except (json.JSONDecodeError, KeyError, TypeError):
                continue

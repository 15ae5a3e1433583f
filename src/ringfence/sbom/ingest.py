"""SBOM file -> Inventory: CycloneDX JSON (1.4-1.7) or SPDX JSON (2.2, 2.3).

The document is read once into plain JSON and turned into frozen ``Package`` values here.
Fields come, in order of preference, from ringfence's own properties (see ``cyclonedx`` and
``spdx``), from the well-known properties of Syft (``syft:``) and Trivy
(``aquasecurity:trivy:``), and from the purl (type, ``arch=``, ``distro=``, ``upstream=``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, Final

from ringfence.catalog.licenses import and_terms
from ringfence.errors import InputError
from ringfence.image.safeio import read_regular
from ringfence.model.inventory import Distro, Inventory
from ringfence.model.license import SpdxLicense
from ringfence.model.package import Package
from ringfence.model.unknown import Unknown
from ringfence.sbom import cyclonedx as cdx
from ringfence.sbom import ingest_spdx
from ringfence.sbom.inbound import finish, package_from

CYCLONEDX_VERSIONS = ("1.4", "1.5", "1.6", "1.7")  # Trivy 0.76 writes 1.7
SPDX_VERSIONS = ("SPDX-2.2", "SPDX-2.3")
# The largest SBOMs in the wild (Syft/Trivy JSON of big images) are tens of MiB; parsed
# JSON costs ~10x its size in memory.
MAX_SBOM_BYTES: Final = 256 << 20


def read_sbom(path: str) -> Inventory:
    doc = _load(path)
    try:
        return _read(path, doc)
    except (AttributeError, TypeError, KeyError, ValueError) as e:  # a field of the wrong shape
        raise InputError(path, f"malformed SBOM structure: {type(e).__name__}: {e}") from e


def _read(path: str, doc: dict[str, Any]) -> Inventory:
    if doc.get("bomFormat") == "CycloneDX":
        if doc.get("specVersion") not in CYCLONEDX_VERSIONS:
            raise InputError(path, f"unsupported CycloneDX specVersion {doc.get('specVersion')!r}",
                             hint=f"supported: {', '.join(CYCLONEDX_VERSIONS)}")
        return _from_cyclonedx(path, doc)
    if "spdxVersion" in doc:
        if doc["spdxVersion"] not in SPDX_VERSIONS:
            raise InputError(path, f"unsupported SPDX version {doc['spdxVersion']!r}",
                             hint=f"supported: {', '.join(SPDX_VERSIONS)} JSON")
        return ingest_spdx.inventory(path, doc)
    raise InputError(path, "not a CycloneDX or SPDX JSON document",
                     hint="expected a JSON object with bomFormat=CycloneDX or spdxVersion")


def _load(path: str) -> dict[str, Any]:
    data = read_regular(path, MAX_SBOM_BYTES, path)  # a FIFO or /dev/zero: InputError
    try:
        doc = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise InputError(path, "malformed JSON", hint="only the JSON encodings are read") from e
    except RecursionError as e:
        raise InputError(path, "JSON nested too deeply") from e
    if not isinstance(doc, dict):
        raise InputError(path, "not a CycloneDX or SPDX JSON document (top level is not an object)")
    return doc


def _flatten(components: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Components and their sub-components, depth first, without recursion."""
    stack = [iter(components)]
    while stack:
        c = next(stack[-1], None)
        if c is None:
            stack.pop()
            continue
        yield c
        stack.append(iter(c.get("components") or []))


def _props(obj: dict[str, Any]) -> dict[str, str]:
    """Properties as a dict; a repeated name keeps its first value."""
    out: dict[str, str] = {}
    for p in obj.get("properties") or []:
        if isinstance(p, dict) and "name" in p:
            out.setdefault(str(p["name"]), str(p.get("value", "")))
    return out


def _from_cyclonedx(path: str, doc: dict[str, Any]) -> Inventory:
    packages: list[Package] = []
    unknowns = list(_cdx_unknowns(_props(doc.get("metadata") or {})))
    distro: Distro | None = None
    for comp in _flatten(doc.get("components") or []):
        if comp.get("type") == "operating-system":
            distro = distro or _cdx_distro(comp)
            continue
        pkg = package_from(path, str(comp.get("name", "")), str(comp.get("version", "")),
                           comp.get("purl"), _cdx_licenses(comp), _props(comp), unknowns)
        if pkg is not None:
            packages.append(pkg)
    return finish(packages, distro, unknowns)


def _cdx_licenses(comp: dict[str, Any]) -> tuple[str, ...]:
    out: list[str] = []
    for entry in comp.get("licenses") or []:
        lic = entry.get("license") or {}
        if entry.get("expression"):
            out.extend(_expression_values(str(entry["expression"])))
            continue
        value = lic.get("id") or lic.get("name")
        if value:
            out.append(str(value))
    return tuple(out)


def _expression_values(text: str) -> tuple[str, ...]:
    """The licences an expression stands for. ringfence writes several SPDX values, an
    expression among them, as their AND (sbom/cyclonedx.py), and ids alone one by one: an
    AND with an operand that is no plain id is split back into its operands; an AND of ids
    only is one value (``MIT AND Zlib`` as declared)."""
    terms = and_terms(text)
    if len(terms) > 1 and any(not SpdxLicense(t).is_id for t in terms):
        return terms
    return (text,)


def _cdx_distro(comp: dict[str, Any]) -> Distro:
    props = _props(comp)
    codename = props.get(f"{cdx.DISTRO}codename") or props.get("syft:distro:versionCodename")
    id_like = props.get(f"{cdx.DISTRO}id_like") or props.get("syft:distro:idLike") or ""
    return Distro(id=str(comp.get("name", "")).lower(), version_id=comp.get("version") or None,
                  version_codename=codename or None, id_like=tuple(id_like.split()),
                  pretty_name=comp.get("description") or props.get("syft:distro:prettyName"))


def _cdx_unknowns(props: dict[str, str]) -> Iterator[Unknown]:
    i = 0
    while (location := props.get(f"{cdx.UNKNOWN}{i}:location")) is not None:
        key = f"{cdx.UNKNOWN}{i}:"
        yield Unknown(location, props.get(f"{key}reason", ""), props.get(f"{key}plugin", ""),
                      props.get(f"{key}layer"))
        i += 1



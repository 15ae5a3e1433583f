"""Red Hat security data in CSAF 2.0: advisories (``csaf_security_advisory``, one RHSA) and VEX
documents (``csaf_vex``, one CVE), as published under security.access.redhat.com/data/csaf.

Each ``vulnerabilities[].product_status`` lists full product ids, ``<platform>:<package>``
through ``product_tree.relationships``. The platform's CPE says the RHEL major release; only
the main stream of Red Hat Enterprise Linux is imported (``cpe:/o|a:redhat:enterprise_linux:N``:
BaseOS, AppStream, CRB, the old Server variants); EUS/AUS/TUS/E4S/ELS streams and layered
products (Satellite, JBoss …) ship other builds and are left out. Each package becomes an
``Affected`` in ecosystem ``Red Hat:<N>`` keyed by the binary rpm name (as AlmaLinux and
Rocky OSV data, matched by ``matchers/distro.py``):

* ``fixed`` -> range ``introduced 0, fixed [epoch:]version-release`` (the purl of the
  package's ``product_version``, else its NEVRA product id), for binary rpms and, under
  its own name, the source rpm; several fixes for one package and release keep the
  lowest. Module streams (``.module+`` releases) are skipped with a reason: a fix in one
  stream says nothing of another and the query has no stream;
* ``known_affected`` -> status ``unfixed`` (``will-not-fix`` when a ``no_fix_planned``
  remediation names it);
* ``known_not_affected`` -> status ``not-affected``.

A document marked ``tracking.status: deleted`` is a withdrawn advisory.
"""

from __future__ import annotations

import re
from typing import Any, Final

from packageurl import PackageURL

from ringfence.model.advisory import (
    NOT_AFFECTED,
    UNFIXED,
    WILL_NOT_FIX,
    Advisory,
    Affected,
    AffectedRange,
    Event,
)
from ringfence.model.finding import Severity
from ringfence.vulndb.importers.record import Record, Skip, SourceData
from ringfence.vulndb.names import normalize
from ringfence.vulndb.versions.registry import compare_for

NAME: Final = "redhat-csaf"
_CPE: Final = re.compile(r"cpe:/[ao]:redhat:enterprise_linux:(\d+)(?::|$)")
_NEVRA: Final = re.compile(r"(?P<name>.+)-(?:(?P<epoch>\d+):)?(?P<version>[^-:]+)-"
                           r"(?P<release>[^-]+)\.(?P<arch>[^.]+)")
_SEVERITY: Final = {"critical": Severity.CRITICAL, "important": Severity.HIGH,
                    "moderate": Severity.MEDIUM, "low": Severity.LOW}


def is_csaf(doc: Any) -> bool:
    if not isinstance(doc, dict) or not isinstance(doc.get("document"), dict):
        return False
    meta = doc["document"]
    tracking = meta.get("tracking") if isinstance(meta.get("tracking"), dict) else {}
    return str(meta.get("category", "")).startswith("csaf_") or (
        tracking.get("status") == "deleted" and isinstance(tracking.get("id"), str))


def import_document(doc: dict[str, Any], where: str) -> SourceData:
    """One CSAF file: a part of the ``redhat-csaf`` source (joined by the caller)."""
    try:
        records, skipped = _records(doc, where)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        records, skipped = [], [Skip(where, f"{type(exc).__name__}: {exc}")]
    return SourceData(NAME, "redhat-csaf-part", where, tuple(records), tuple(skipped))


def _records(doc: dict[str, Any], where: str) -> tuple[list[Record], list[Skip]]:
    meta = doc["document"]
    tracking = meta.get("tracking") or {}
    doc_id = str(tracking.get("id") or "")
    modified = tracking.get("current_release_date") or tracking.get("initial_release_date")
    if tracking.get("status") == "deleted":
        return [Record(Advisory(doc_id, NAME, modified=modified, withdrawn=modified or
                                "deleted"), ())], []
    platforms = _platforms(doc.get("product_tree") or {})
    components = _components(doc.get("product_tree") or {})
    links = _relationships(doc.get("product_tree") or {})
    severity = _SEVERITY.get(str((meta.get("aggregate_severity") or {}).get("text", "")).lower(),
                             Severity.UNKNOWN)
    advisory_doc = meta.get("category") == "csaf_security_advisory"
    records: list[Record] = []
    skipped: list[Skip] = []
    cves = [str(v.get("cve")) for v in doc.get("vulnerabilities") or () if v.get("cve")]
    for vuln in doc.get("vulnerabilities") or ():
        cve = str(vuln.get("cve") or "")
        adv_id = doc_id if advisory_doc else cve
        if not adv_id:
            skipped.append(Skip(where, "vulnerability without a CVE id"))
            continue
        affected, skips = _affected(adv_id, vuln, links, platforms, components)
        skipped.extend(Skip(where, s) for s in skips)
        vector = _vector(vuln)
        aliases = tuple(sorted(set(cves) - {adv_id})) if advisory_doc else (
            (doc_id,) if doc_id and doc_id != adv_id else ())
        records.append(Record(
            Advisory(adv_id, NAME, aliases=aliases, summary=str(vuln.get("title") or
                                                                meta.get("title") or ""),
                     severity=severity, cvss_vector=vector,
                     published=vuln.get("release_date") or tracking.get("initial_release_date"),
                     modified=modified),
            tuple(affected), (("CVSS_V3", vector),) if vector else ()))
    if advisory_doc and len(records) > 1:  # one RHSA: one record holding every CVE's fixes
        first = records[0]
        merged = tuple(dict.fromkeys(a for r in records for a in r.affected))
        records = [Record(first.advisory, merged, first.severities)]
    return records, list(dict.fromkeys(skipped))


def _walk(branch: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    stack = list(branch.get("branches") or ())
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            out.append(node)
            stack.extend(node.get("branches") or ())
    return out


def _platforms(tree: dict[str, Any]) -> dict[str, str]:
    """Product id -> RHEL major, for main-stream RHEL platform products."""
    out: dict[str, str] = {}
    for node in _walk(tree):
        product = node.get("product") or {}
        cpe = str((product.get("product_identification_helper") or {}).get("cpe") or "")
        m = _CPE.match(cpe)
        if m and product.get("product_id"):
            out[str(product["product_id"])] = m.group(1)
    return out


def _components(tree: dict[str, Any]) -> dict[str, str]:
    """Component product id -> its purl, when the tree gives one."""
    out: dict[str, str] = {}
    for node in _walk(tree):
        product = node.get("product") or {}
        purl = (product.get("product_identification_helper") or {}).get("purl")
        if purl and product.get("product_id"):
            out[str(product["product_id"])] = str(purl)
    return out


def _relationships(tree: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """Full product id -> (component id, platform id)."""
    out: dict[str, tuple[str, str]] = {}
    for rel in tree.get("relationships") or ():
        full = (rel.get("full_product_name") or {}).get("product_id")
        if full and rel.get("product_reference") and rel.get("relates_to_product_reference"):
            out[str(full)] = (str(rel["product_reference"]),
                              str(rel["relates_to_product_reference"]))
    return out


def _package(component: str, purl: str | None) -> tuple[str, str | None, str | None]:
    """(rpm name, ``[epoch:]version-release`` or None, arch or None)."""
    if purl:
        p = PackageURL.from_string(purl)
        quals = p.qualifiers if isinstance(p.qualifiers, dict) else {}
        epoch = quals.get("epoch")
        version = str(p.version or "") or None
        if version and epoch and epoch != "0":
            version = f"{epoch}:{version}"
        return str(p.name), version, quals.get("arch")
    m = _NEVRA.fullmatch(component)
    if m is None:
        return component, None, None  # a bare component name (known_affected / not affected)
    epoch = m["epoch"]
    evr = f"{m['version']}-{m['release']}"
    return m["name"], f"{epoch}:{evr}" if epoch and epoch != "0" else evr, m["arch"]


def _affected(adv_id: str, vuln: dict[str, Any], links: dict[str, tuple[str, str]],
              platforms: dict[str, str], components: dict[str, str]
              ) -> tuple[list[Affected], list[str]]:
    status = vuln.get("product_status") or {}
    no_fix = {str(p) for r in vuln.get("remediations") or ()
              if r.get("category") == "no_fix_planned" for p in r.get("product_ids") or ()}
    fixes: dict[tuple[str, str], str] = {}
    flags: dict[tuple[str, str], str] = {}
    skips: list[str] = []
    modules: set[str] = set()
    compare = compare_for("Red Hat")
    for kind in ("fixed", "known_affected", "known_not_affected"):
        for full in status.get(kind) or ():
            component, platform = links.get(str(full), ("", ""))
            major = platforms.get(platform)
            if major is None:
                continue  # not a main-stream RHEL product (EUS, layered products)
            # a source rpm is kept under its name: the binary of the same name is built
            # from it (documents that list only sources still say curl, bash, openssl …)
            name, evr, _arch = _package(component, components.get(component))
            key = (f"Red Hat:{major}", name)
            if kind == "fixed":
                if evr is None:
                    skips.append(f"{adv_id}: fixed product {full} without a version")
                elif ".module+" in evr:
                    modules.add(f"{name} {evr}")
                elif key not in fixes or compare(evr, fixes[key]) < 0:
                    fixes[key] = evr
            elif kind == "known_affected":
                flags[key] = WILL_NOT_FIX if str(full) in no_fix else UNFIXED
            else:
                flags.setdefault(key, NOT_AFFECTED)
    out = [Affected(adv_id, eco, normalize(eco, name),
                    (AffectedRange("ECOSYSTEM", (Event("introduced", "0"),
                                                 Event("fixed", evr))),))
           for (eco, name), evr in sorted(fixes.items())]
    out += [Affected(adv_id, eco, normalize(eco, name), status=flag)
            for (eco, name), flag in sorted(flags.items()) if (eco, name) not in fixes]
    if modules:
        skips.append(f"{adv_id}: {len(modules)} module stream builds not imported (a fix in "
                     f"one stream says nothing of another), e.g. {min(modules)}")
    return out, sorted(set(skips))


def _vector(vuln: dict[str, Any]) -> str | None:
    for score in vuln.get("scores") or ():
        vector = (score.get("cvss_v3") or {}).get("vectorString")
        if isinstance(vector, str):
            return vector
    return None

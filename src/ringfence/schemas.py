"""The published JSON Schemas (draft 2020-12) of every JSON document ringfence writes.

Every document carries ``"schema": "ringfence.<domain>/<major>"``; the schema of that
document has the same id and ``ringfence schema <domain>`` prints it.  The shared parts
(a finding, an unknown, a severity) are defined once here and copied into each schema's
``$defs``, so each printed schema stands alone.  Tests validate every command's JSON output
against its schema.
"""

from __future__ import annotations

import copy
from typing import Any, Final

DRAFT: Final = "https://json-schema.org/draft/2020-12/schema"
SEVERITIES: Final = ("unknown", "low", "medium", "high", "critical")
CONTROL_STATUSES: Final = ("pass", "fail", "not-evaluated")  # compliance.view.STATUSES

Schema = dict[str, Any]


def _obj(required: dict[str, Any], optional: dict[str, Any] | None = None, *,
         closed: bool = True) -> Schema:
    props = {**required, **(optional or {})}
    out: Schema = {"type": "object", "required": sorted(required), "properties": props}
    if closed:
        out["additionalProperties"] = False
    return out


def _arr(items: Schema) -> Schema:
    return {"type": "array", "items": items}


def _ref(name: str) -> Schema:
    return {"$ref": f"#/$defs/{name}"}


STR: Final[Schema] = {"type": "string"}
OPT_STR: Final[Schema] = {"type": ["string", "null"]}
INT: Final[Schema] = {"type": "integer", "minimum": 0}
BOOL: Final[Schema] = {"type": "boolean"}
ANY_OBJ: Final[Schema] = {"type": "object"}
STRS: Final[Schema] = _arr(STR)

DEFS: Final[dict[str, Schema]] = {
    "severity": {"enum": list(SEVERITIES)},
    # the one shape of a rule finding, in every document
    "finding": _obj({"rule": {"type": "string", "pattern": "^[A-Z0-9]+-[0-9]{3}$"},
                     "severity": _ref("severity"), "message": STR, "location": STR}),
    "unknown": _obj({"location": STR, "reason": STR, "plugin": STR, "layer": OPT_STR}),
    "tool": _obj({"name": {"const": "ringfence"}, "version": STR}),
}


def _document(domain: str, major: int, title: str, required: dict[str, Any],
              optional: dict[str, Any] | None = None) -> Schema:
    ident = f"ringfence.{domain}/{major}"
    body = _obj({"schema": {"const": ident}, **required}, optional)
    used = {name: copy.deepcopy(d) for name, d in DEFS.items()}
    return {"$schema": DRAFT, "$id": ident, "title": title, **body, "$defs": used}


FINDINGS: Final[Schema] = _arr(_ref("finding"))
UNKNOWNS: Final[Schema] = _arr(_ref("unknown"))

_PACKAGE = _obj({"name": STR, "version": STR, "type": STR, "purl": STR, "cataloger": STR,
                 "source_name": OPT_STR, "source_version": OPT_STR, "arch": OPT_STR,
                 "licenses": STRS, "locations": _arr(_obj({"path": STR, "layer": OPT_STR})),
                 "deleted": BOOL, "metadata": ANY_OBJ, "owner": OPT_STR},
                # the licences that are SPDX expressions (the others are names)
                {"spdx_licenses": STRS})
_VULNERABILITY = _obj({
    "id": STR, "aliases": STRS, "purl": STR, "package": STR, "installed_version": STR,
    "fixed_versions": STRS, "status": STR, "severity": _ref("severity"),
    "cvss_score": {"type": ["number", "null"]}, "cvss_vector": OPT_STR, "data_source": STR,
    "matched_by": STR, "location": STR, "layer": OPT_STR, "summary": STR,
    "suppressed_by": OPT_STR})

_STORED_IMAGE = _obj({"digest": STR, "kind": {"enum": ["image", "sbom"]}, "refs": STRS,
                      "added_at": STR, "packages": INT, "distro": OPT_STR,
                      "scanned_with": OPT_STR})
_CHANGES = _arr(_obj({
    "image": STR, "refs": STRS, "change": {"enum": ["new", "resolved", "severity"]},
    "package": STR, "advisory": STR, "severity": _ref("severity"),
    "old_severity": {"anyOf": [_ref("severity"), {"type": "null"}]}, "at": STR,
    "change_set": INT}))
_STORED_BRIEF = _obj({"digest": STR, "refs": STRS, "distro": OPT_STR, "findings": INT})
_PKG_BRIEF = _obj({"purl": STR, "name": STR, "type": STR, "version": STR})
_VULN_BRIEF = _obj({"id": STR, "aliases": STRS, "package": STR, "purl": STR,
                    "version": STR, "severity": _ref("severity"), "fixed_versions": STRS})
_PACKAGE_SET = _obj({"ecosystem": STR, "packages": INT, "advisories": INT,
                     "newest_modified": OPT_STR,
                     "reason": {"enum": ["", "no advisories", "no feed", "no version scheme"]},
                     "os_packages": BOOL})

SCHEMAS: Final[dict[str, Schema]] = {
    "image": _document("image", 2, "ringfence image / sbom -f json", {
        "tool": _ref("tool"),
        "target": _obj({"kind": STR, "name": STR, "digest": OPT_STR}),
        "image": {"type": ["object", "null"]},
        "distro": {"type": ["object", "null"]},
        "packages": _arr(_PACKAGE), "deleted_packages": _arr(_PACKAGE),
        "unknowns": UNKNOWNS, "vulnerabilities": _arr(_VULNERABILITY),
        "db": {"type": ["object", "null"]}, "findings": FINDINGS,
        "provenance": {"type": ["object", "null"]},
        "coverage": {"oneOf": [{"type": "null"}, _obj({"checked": _arr(_PACKAGE_SET),
                                                       "uncovered": _arr(_PACKAGE_SET)})]},
    }),
    "host": _document("host", 2, "ringfence host -f json", {
        "tool": _ref("tool"),
        "target": _obj({"kind": {"const": "host"}, "name": STR, "live": BOOL}),
        "facts": _arr(_obj({"name": STR, "value": {}, "source": OPT_STR, "status": STR})),
        "rules": _arr(_obj({"id": STR, "title": STR, "severity": _ref("severity"),
                            "status": {"enum": ["failed", "held", "error", "not evaluated"]},
                            "threats": STRS, "references": STRS, "remediation": STR,
                            "needs": STR})),
        "findings": FINDINGS, "unknowns": UNKNOWNS,
    }),
    "host-drift": _document("host-drift", 1, "ringfence host baseline check -f json", {
        "tool": _ref("tool"),
        "target": _obj({"kind": {"const": "host"}, "name": STR, "live": BOOL}),
        "baseline": _obj({"created": STR, "identity": {"type": "object",
                                                       "additionalProperties": STR},
                          "live": BOOL, "facts": INT, "files": INT}),
        "changes": _arr(_obj({"domain": STR, "key": STR,
                              "change": {"enum": ["added", "removed", "changed"]},
                              "old": OPT_STR, "new": OPT_STR, "source": STR, "rule": STR,
                              "weakens": STRS})),
        "counts": _obj({"added": INT, "removed": INT, "changed": INT}),
        "findings": FINDINGS, "unknowns": UNKNOWNS,
    }),
    "host-declared": _document("host-declared", 1, "ringfence host declared -f json", {
        "tool": _ref("tool"),
        "target": _obj({"kind": {"const": "host"}, "name": STR, "live": BOOL}),
        "declared": _obj({"kind": {"enum": ["ansible", "cloud-init"]}, "source": STR}),
        "items": _arr(_obj({"source": STR, "name": STR, "location": STR, "action": STR,
                            "host": STR, "status": {"enum": ["would change", "in state",
                                                             "not evaluated", "skipped"]},
                            "files": STRS, "diff": STR, "reason": STR})),
        "counts": {"type": "object", "additionalProperties": INT},
        "evaluated": STRS, "findings": FINDINGS, "unknowns": UNKNOWNS,
    }),
    "k8s": _document("k8s", 1, "ringfence k8s -f json", {
        "objects": INT,
        # pss: the highest level the pod meets; policy: the level:version it was checked at
        "workloads": _arr(_obj({"ref": STR, "location": STR, "pss": STR, "policy": STR})),
        "findings": FINDINGS, "evaluated": STRS, "unknowns": UNKNOWNS,
    }, {
        # --framework: per control of the framework (ringfence.compliance.view)
        "compliance": _obj({
            "framework": {"enum": ["nsa", "cis", "mitre"]}, "title": STR,
            "score": {"type": "number", "minimum": 0, "maximum": 100},
            "counts": _obj(dict.fromkeys(CONTROL_STATUSES, INT)),
            "out_of_scope": INT,
            "controls": _arr(_obj({
                "id": STR, "title": STR, "status": {"enum": list(CONTROL_STATUSES)},
                "rules": _arr(_obj({"rule": STR, "status": {"enum": list(CONTROL_STATUSES)}})),
            })),
        }),
    }),
    "runtime": _document("runtime", 1, "ringfence runtime -f json", {
        "containers": _arr(_obj({"name": STR, "id": OPT_STR, "source": STR, "location": STR})),
        "live": _arr(_obj({"id": STR, "runtime": STR, "pid": {"type": "integer"},
                           "declared": {"type": ["object", "null"]},
                           "effective": ANY_OBJ})),
        "findings": FINDINGS, "evaluated": STRS, "unknowns": UNKNOWNS,
    }),
    "netpol-matrix": _document("netpol-matrix", 1, "ringfence netpol matrix -f json", {
        "connections": _arr(_obj({"src": STR, "dst": STR, "conn": STR})),
        "problems": STRS, "unknowns": UNKNOWNS,
    }),
    "rbac-who-can": _document("rbac-who-can", 1, "ringfence rbac who-can -f json", {
        # group: the API group the request was matched in ("" core)
        "request": _obj({"verb": STR, "resource": STR, "subresource": STR, "name": STR,
                         "namespace": STR}, {"group": STR}),
        "answers": _arr(_obj({
            "subject": _obj({"kind": STR, "name": STR, "namespace": OPT_STR}),
            "scope": STR,
            "grants": _arr(_obj({"binding": STR, "role": STR, "rule": STR,
                                 "location": STR}))})),
        "unknowns": UNKNOWNS,
    }),
    "rbac-paths": _document("rbac-paths", 1, "ringfence rbac paths -f json", {
        "paths": {"type": "object", "additionalProperties": _arr(_obj({
            "source": STR, "length": INT,
            "edges": _arr(_obj({"to": STR, "reason": STR, "grants": _arr(_obj({
                "binding": STR, "role": STR, "rule": STR, "location": STR}))}))}))},
        "unknowns": UNKNOWNS,
    }),
    "verify": _document("verify", 1, "ringfence verify -f json", {
        "reference": STR, "allowed": BOOL, "scope": STR,
        "requirements": _arr(_obj({"type": STR, "accepted": BOOL, "reason": STR,
                                   "signer": OPT_STR, "signed_reference": OPT_STR})),
    }),
    "policy-lint": _document("policy-lint", 1, "ringfence policy lint -f json", {
        "policy": STR, "evaluated": STRS, "findings": FINDINGS, "unknowns": UNKNOWNS,
    }),
    "seccomp-lint": _document("seccomp-lint", 1, "ringfence seccomp lint -f json", {
        "profile": STR, "evaluated": STRS, "findings": FINDINGS, "unknowns": UNKNOWNS,
    }),
    "drift": _document("drift", 1, "ringfence diff / baseline check -f json", {
        "counts": _obj({"added": INT, "changed": INT, "deleted": INT}),
        "changes": _arr(_obj({"path": STR, "change": {"enum": ["added", "changed", "deleted"]},
                              "attributes": STRS, "severity": _ref("severity"),
                              "reason": STR, "before": {"type": ["array", "null"]},
                              "after": {"type": ["array", "null"]}})),
        "ignored": STRS, "problems": _arr(_arr(STR)),
    }),
    "db-status": _document("db-status", 1, "ringfence db status -f json", {
        "path": STR, "schema_version": {"type": "integer"}, "built_at": OPT_STR,
        "newest_record": OPT_STR, "age_days": {"type": ["number", "null"]},
        "ecosystems": {"type": "object", "additionalProperties": INT},
        "ecosystem_newest": {"type": "object", "additionalProperties": OPT_STR},
        "sources": _arr(ANY_OBJ),
    }),
    "inventory-add": _document("inventory-add", 1, "ringfence inventory add -f json", {
        "store": STR,
        "added": _arr(_obj({"ref": STR, "digest": STR, "new": BOOL, "packages": INT,
                            "vulnerabilities": INT, "matched": BOOL})),
    }),
    "inventory-list": _document("inventory-list", 1, "ringfence inventory list -f json", {
        "store": STR, "images": _arr(_STORED_IMAGE),
    }),
    "inventory-show": _document("inventory-show", 1, "ringfence inventory show -f json", {
        "store": STR, "image": _STORED_IMAGE, "os": OPT_STR, "architecture": OPT_STR,
        "config_digest": OPT_STR,
        "layers": _arr(_obj({"digest": STR, "diff_id": STR, "size": INT})),
        "packages": _arr(_obj({
            "purl": STR, "name": STR, "version": STR, "type": STR, "layer": OPT_STR,
            "owner": OPT_STR, "vulnerabilities": _arr(_obj({
                "id": STR, "aliases": STRS, "severity": _ref("severity"),
                "fixed_versions": STRS, "status": STR}))})),
    }),
    "affected": _document("affected", 1, "ringfence affected -f json", {
        "store": STR, "query": STR, "kind": {"enum": ["advisory", "purl"]},
        "advisories": STRS, "images": INT,
        "affected": _arr(_obj({
            "digest": STR, "refs": STRS, "purl": STR, "package": STR, "version": STR,
            "layer": OPT_STR, "advisory": OPT_STR, "aliases": STRS,
            "severity": {"anyOf": [_ref("severity"), {"type": "null"}]},
            "fixed_versions": STRS, "status": OPT_STR})),
        "unknowns": UNKNOWNS,
    }),
    "fix": _document("fix", 1, "ringfence fix -f json", {
        "store": OPT_STR,
        "image": _obj({"name": STR, "digest": OPT_STR, "refs": STRS, "stored": BOOL}),
        "findings": INT, "cleared": INT,
        "upgrades": _arr(_obj({
            "purl": STR, "package": STR, "type": STR, "installed": STR, "ecosystem": STR,
            "advisory_name": STR, "compared_version": STR, "target": OPT_STR, "cleared": INT,
            "severity": _ref("severity"),
            "findings": _arr(_obj({"id": STR, "aliases": STRS, "severity": _ref("severity"),
                                   "fixed_versions": STRS})),
            "blocking": STRS, "command": STR, "location": STR, "layer": OPT_STR})),
        "base": {"oneOf": [{"type": "null"}, _obj({
            "image": {"oneOf": [{"type": "null"}, _STORED_BRIEF]},
            "candidates": _arr(_STORED_BRIEF)})]},
        "unknowns": UNKNOWNS}),
    "compare": _document("compare", 1, "ringfence compare -f json", {
        "images": _arr(_obj({"name": STR, "digest": OPT_STR, "stored": BOOL})),
        "packages": _obj({
            "added": _arr(_PKG_BRIEF), "removed": _arr(_PKG_BRIEF),
            "changed": _arr(_obj({"purl": STR, "name": STR, "type": STR, "from": STR,
                                  "to": STR}))}),
        "vulnerabilities": {"oneOf": [{"type": "null"}, _obj({
            "introduced": _arr(_VULN_BRIEF), "fixed": _arr(_VULN_BRIEF)})]},
        "unknowns": UNKNOWNS}),
    "changes": _document("changes", 1, "ringfence changes -f json", {
        "store": STR, "since": OPT_STR, "change_sets": INT, "changes": _CHANGES}),
    "rematch": _document("rematch", 1, "ringfence db import|update --store -f json", {
        "store": STR, "db": STR, "change_set": INT, "at": STR, "advisories_changed": INT,
        "identities": INT, "images": INT, "packages": INT, "whole": STRS,
        "changes": _CHANGES, "unknowns": UNKNOWNS}),
    "explain": _document("explain", 1, "ringfence explain -f json", {
        "id": STR, "title": STR, "severity": _ref("severity"), "ring": STR, "domain": STR,
        "remediation": STR, "references": STRS,
        "threats": _arr(_obj({"id": STR, "name": STR, "why": STR, "techniques": STRS})),
    }),
}


def _depth() -> Schema:
    """The depth report's schema (kept beside its renderer) with the shared definitions."""
    from ringfence.report.depth_json import DEPTH_SCHEMA

    out = copy.deepcopy(DEPTH_SCHEMA)
    out.update({"$id": "ringfence.depth/2", "title": "ringfence scan -f json",
                "$defs": copy.deepcopy(DEFS)})
    props = out["properties"]
    props["unknowns"] = UNKNOWNS
    props["workloads"]["items"]["properties"]["findings"] = FINDINGS
    return out


SCHEMAS["depth"] = _depth()

_COUNTS = _obj(dict.fromkeys(SEVERITIES, INT))
SCHEMAS["fleet"] = _document("fleet", 1, "ringfence fleet -f json", {
    "tool": _ref("tool"),
    "images": _arr(_obj({
        "ref": STR, "digest": OPT_STR, "packages": _arr(_PACKAGE), "findings": FINDINGS,
        "vulnerabilities": _arr(_VULNERABILITY), "unknowns": UNKNOWNS, "counts": _COUNTS},
        {"error": STR})),
    "summary": _obj({"images": INT, "unique_images": INT, "unique_layers": INT,
                     "layers_analysed": INT, "failed": INT}),
})


def schema(name: str) -> Schema:
    """A copy of the schema called ``name`` (KeyError when there is none)."""
    return copy.deepcopy(SCHEMAS[name])


def schema_for(document: dict[str, Any]) -> Schema | None:
    """The schema of a document, from its ``schema`` id."""
    ident = document.get("schema")
    for candidate in SCHEMAS.values():
        if candidate["$id"] == ident:
            return copy.deepcopy(candidate)
    return None

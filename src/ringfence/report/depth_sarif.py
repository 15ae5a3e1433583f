"""The depth report as SARIF 2.1.0: every attributed finding is a result (rules from the
Rule metadata in the document), every ring that fails a threat is a result of a
``DEPTH-<threat>`` rule, and partial or not-evaluated rings are notifications (never
hidden)."""

from __future__ import annotations

from typing import Any, Final

from ringfence import __version__

SCHEMA: Final = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS: Final = {"critical": "error", "high": "error", "medium": "warning", "low": "note",
                 "unknown": "note"}


def _rules(doc: dict[str, Any]) -> list[dict[str, Any]]:
    out = [{"id": r["id"], "shortDescription": {"text": r["title"]},
            "help": {"text": r["remediation"]},
            "defaultConfiguration": {"level": LEVELS[r["severity"]]},
            "properties": {"tags": ["security", r["ring"], *r["threats"]],
                           "references": r["references"]}} for r in doc["rules"]]
    out += [{"id": f"DEPTH-{t['id']}", "shortDescription": {"text": f"Depth: {t['name']}"},
             "properties": {"tags": ["defense-in-depth", *t["techniques"]]}}
            for t in doc["threats"]]
    return out


def _loc(name: str) -> list[dict[str, Any]]:
    return [{"logicalLocations": [{"name": name, "kind": "object"}]}]


def _results(doc: dict[str, Any], index: dict[str, int]) -> list[dict[str, Any]]:
    out = []
    for w in doc["workloads"]:
        for f in w["findings"]:
            res: dict[str, Any] = {"ruleId": f["rule"], "level": LEVELS[f["severity"]],
                                   "message": {"text": f"{w['ref']}: {f['message']}"},
                                   "locations": _loc(w["ref"])}
            if f["rule"] in index:
                res["ruleIndex"] = index[f["rule"]]
            out.append(res)
        for t in w["threats"]:
            states = {r["ring"]: r["label"] for r in t["rings"]}
            rid = f"DEPTH-{t['threat']}"
            out.append({"ruleId": rid, "ruleIndex": index[rid],
                        "level": "error" if t["depth"] == 0 else "warning"
                        if t["depth"] == 1 else "note",
                        "message": {"text": f"{w['ref']}: {t['threat']} held by "
                                            f"{t['depth']} of 3 rings ({states})"},
                        "locations": _loc(w["ref"]),
                        "properties": {"depth": t["depth"], "rings": states}})
    return out


def _notifications(doc: dict[str, Any]) -> list[dict[str, Any]]:
    seen = dict.fromkeys((w["ref"], r["ring"], r["state"], r["reason"])
                         for w in doc["workloads"] for t in w["threats"] for r in t["rings"]
                         if r["state"] in ("not-evaluated", "partial"))
    return [{"level": "warning", "message": {"text": f"{ref}: {ring} ring "
                                                     f"{state.replace('-', ' ')}: {reason}"}}
            for ref, ring, state, reason in seen]


def render_depth_sarif(doc: dict[str, Any]) -> dict[str, Any]:
    rules = _rules(doc)
    index = {r["id"]: i for i, r in enumerate(rules)}
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [{
        "tool": {"driver": {"name": "ringfence", "version": __version__,
                            "informationUri": "https://github.com/ringfence/ringfence",
                            "rules": rules}},
        "invocations": [{"executionSuccessful": True,
                         "toolExecutionNotifications": _notifications(doc)}],
        "results": _results(doc, index),
        "properties": {"schema": doc["schema"], "summary": doc["summary"]},
    }]}

"""The depth report as JSON (schema ``ringfence.depth/2``) and the JSON Schema it follows."""

from __future__ import annotations

from typing import Any, Final

from ringfence.report.jsontext import json_text

RING_STATES: Final = ["holds", "fails", "partial", "not-evaluated", "no-control"]

_STR: Final = {"type": "string"}
_STRS: Final = {"type": "array", "items": _STR}
_COUNT: Final = {"type": "integer", "minimum": 0}
# controls: the ring's control groups for the threat (n); holding: those that hold (k);
# evaluated: those that hold or fail. "partial" (k/n) never counts toward depth.
_RING: Final = {"type": "object",
                "required": ["ring", "state", "label", "controls", "holding", "evaluated",
                             "reason"],
                "properties": {"ring": {"enum": ["image", "host", "platform"]},
                               "state": {"enum": RING_STATES}, "label": _STR,
                               "controls": _COUNT, "holding": _COUNT, "evaluated": _COUNT,
                               "reason": _STR, "held": _STRS, "failed": _STRS,
                               "unverified": _STRS, "why": _STRS}}
_THREAT: Final = {"type": "object", "required": ["threat", "depth", "undecided", "rings"],
                  "properties": {"threat": _STR,
                                 "undecided": {"type": "array",
                                               "items": {"enum": ["image", "host",
                                                                  "platform"]}},
                                 "depth": {"type": "integer", "minimum": 0, "maximum": 3},
                                 "rings": {"type": "array", "items": _RING,
                                           "minItems": 3, "maxItems": 3}}}
DEPTH_SCHEMA: Final[dict[str, Any]] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["schema", "tool", "catalog_version", "threats", "workloads", "summary",
                 "unknowns", "sources", "rules", "notes"],
    "properties": {
        "schema": {"const": "ringfence.depth/2"},
        "summary": {"type": "object",
                    "required": ["workloads", "cells", "not_evaluated_cells",
                                 "partial_cells", "undecided_cells", "open_chains"],
                    "properties": {"cells": {"type": "object",
                                             "properties": dict.fromkeys(RING_STATES, _COUNT),
                                             "required": RING_STATES},
                        "not_evaluated_cells": _COUNT, "partial_cells": _COUNT,
                        "undecided_cells": _COUNT, "open_chains": _COUNT}},
        "threats": {"type": "array", "items": {
            "type": "object", "required": ["id", "name", "techniques"],
            "properties": {"techniques": {"type": "array", "minItems": 1, "items": {
                "type": "string", "pattern": r"^T\d{4}(\.\d{3})?$"}}}}},
        "workloads": {"type": "array", "items": {
            "type": "object", "required": ["ref", "notes", "threats", "chains", "findings"],
            "properties": {"notes": _STRS, "threats": {"type": "array", "items": _THREAT}}}},
        "notes": _STRS,
    },
}


def render_depth_json(doc: dict[str, Any]) -> str:
    return json_text(doc)

"""The one JSON writer of ringfence's documents: ``json.dumps(doc, indent=2)`` plus a
newline, byte for byte, written by orjson.

Why: the stdlib encoder with an indent is its pure-Python one, 76-148 us per CycloneDX
component against 5 us through orjson (measured at 1k-20k components), most of a warm
``sbom -f cyclonedx`` or ``image -f json`` run. orjson differs from the stdlib in three
ways, each restored here: non-ASCII text and DEL are written raw (the stdlib escapes them as
``\\uXXXX``, surrogate pairs beyond the BMP: done below over the non-ASCII characters
only, which occur only inside strings); floats in exponent form (``1e-05``, ``1e+16``) are
spelled differently (found by a regular expression over the number tokens, and such a
document takes the stdlib path); lone surrogates, integers beyond 64 bits and non-string
keys are refused by orjson (the stdlib path again). Dataclasses and datetimes, which the
stdlib refuses, are refused here too (passed through to the stdlib, which raises).
NaN and infinities are the one difference left: orjson writes ``null`` where the stdlib
writes ``NaN``/``Infinity``, which are not JSON (RFC 8259) and no reader of these
documents accepts.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

_OPTIONS = (orjson.OPT_INDENT_2 | orjson.OPT_PASSTHROUGH_DATACLASS
            | orjson.OPT_PASSTHROUGH_DATETIME)
# a number token (line start or after a key) the stdlib would spell in exponent form
# (|x| < 1e-4 or >= 1e16); text inside strings may match too: then the stdlib path is taken
_EXPONENT = re.compile(rb"(?m)(?:^ *|: )-?(?:[0-9.]+[eE]|0\.0000|[0-9]{17})")
_NOT_ASCII = re.compile("[\x7f-\U0010ffff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x10000:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xd800 | (code >> 10):04x}\\u{0xdc00 | (code & 0x3ff):04x}"


def json_text(doc: Any) -> str:
    """``json.dumps(doc, indent=2) + "\\n"``, the same text (see the module docstring)."""
    try:
        data = orjson.dumps(doc, option=_OPTIONS)
    except (orjson.JSONEncodeError, TypeError):
        return json.dumps(doc, indent=2) + "\n"
    if _EXPONENT.search(data) is not None:
        return json.dumps(doc, indent=2) + "\n"
    if data.isascii() and b"\x7f" not in data:
        return data.decode("ascii") + "\n"
    return _NOT_ASCII.sub(_escape, data.decode("utf-8")) + "\n"

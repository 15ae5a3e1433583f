"""The one JSON writer of ringfence's documents: ``json.dumps(doc, indent=2)`` plus a
newline, byte for byte, written by orjson.

Why: the stdlib encoder with an indent is its pure-Python one, 76-148 us per CycloneDX
component against 5 us through orjson (measured at 1k-20k components), most of a warm ``sbom
-f cyclonedx`` or ``image -f json`` run. orjson differs from the stdlib in three ways, each
restored here: non-ASCII text and DEL are written raw, where the stdlib escapes them as
``\\uXXXX`` (a surrogate pair beyond the BMP) -- ``_escape`` does the same, run over the
non-ASCII characters only, which occur only inside strings; floats in exponent form
(``1e-05``, ``1e+16``) are spelled differently (found in orjson's output, see ``_EXPONENT``,
and such a document takes the stdlib path); lone surrogates, integers beyond 64 bits and
non-string keys are refused by orjson (the stdlib path again). Dataclasses and datetimes,
which the stdlib refuses, are refused here too (passed through to the stdlib, which raises).
NaN and infinities are the one difference left: orjson writes ``null`` where the stdlib
writes ``NaN``/``Infinity``, which are not JSON (RFC 8259) and no reader of these documents
accepts.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

_OPTIONS = (orjson.OPT_INDENT_2 | orjson.OPT_PASSTHROUGH_DATACLASS
            | orjson.OPT_PASSTHROUGH_DATETIME)
# an exponent-form number token: orjson writes 1e16, -1e-7, 1.5e300 (the stdlib 1e+16, ...);
# a raw newline never occurs inside a string (it is escaped there) and keys end in '"', so
# 'e', digits and a line end match number tokens only. A search for this literal-led
# pattern costs 0.7 ms on bullseye-big's 230 kB SBOM JSON (one anchored on the line start:
# 12 ms, more than the stdlib's 4 ms writing it). orjson's other spelling of a number the
# stdlib writes in exponent form (|x| < 1e-4: 0.00001) is found by ``_SMALL``.
_EXPONENT = re.compile(rb"e-?[0-9]+,?\n")
_SMALL = b"0.0000"
# DEL and every code point above it, written as the complement of the rest: the same
# set, but the range form ``[\x7f-\U0010ffff]`` took 4.2 ms to compile at every start
# (sre builds a charset over a million code points), the complement 0.07 ms
_NOT_ASCII = re.compile("[^\x00-\x7e]")


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
    if (data[:1] not in (b"{", b"[") or _SMALL in data
            or (b"e" in data and _EXPONENT.search(data) is not None)):
        return json.dumps(doc, indent=2) + "\n"  # a lone scalar, or the float spelling
    if data.isascii() and b"\x7f" not in data:
        return data.decode("ascii") + "\n"
    return _NOT_ASCII.sub(_escape, data.decode("utf-8")) + "\n"

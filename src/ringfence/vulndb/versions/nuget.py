"""NuGet versions, as NuGet.Versioning parses (``NuGetVersion.TryParse``) and compares them
(``VersionComparer.Default``).

``N[.N[.N[.N]]][-LABELS][+METADATA]`` after trimming: one to four numeric parts, each as
.NET's ``Version.TryParse`` reads a component (``int.TryParse`` with ``NumberStyles.Integer``:
ASCII digits, surrounding spaces and a sign allowed, 0 <= n <= 2**31-1; leading zeros
allowed: ``1.01`` is ``1.1``); missing parts are 0, so ``1.0`` == ``1.0.0.0``. Release labels
and metadata are dot-separated ``[0-9A-Za-z-]+`` parts; a numeric label may not have a
leading zero. Precedence: major, minor, patch, revision; a version with labels before one
without; labels pairwise (numeric -- ``int.TryParse`` -- below alphanumeric, numeric by
value, alphanumeric case-insensitively by ordinal), a longer list wins on an equal prefix.
Metadata is ignored.

Hand-written: no Python package implements NuGet.Versioning's rules (``packaging`` and
``semver`` reject four-part and leading-zero versions and compare labels case-sensitively).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

from .errors import InvalidVersion

SCHEME: Final = "NuGet"
MAX_LENGTH: Final = 256
INT_MAX: Final = 2**31 - 1
_COMPONENT: Final = re.compile(r"[ \t\n\v\f\r]*([+-]?)([0-9]+)[ \t\n\v\f\r]*")
_PART: Final = re.compile(r"[0-9A-Za-z-]+")
_INT_LABEL: Final = re.compile(r"-?[0-9]+")  # int.TryParse of a label ('+' cannot occur)

Label = tuple[int, int, str]
Key = tuple[int, int, int, int, int, tuple[Label, ...]]


def _net_trim(value: str) -> str:
    """String.Trim(): .NET's char.IsWhiteSpace (Zs/Zl/Zp, U+0009-U+000D, U+0085, U+00A0),
    not Python's (which adds U+001C-U+001F)."""

    def white(c: str) -> bool:
        return c in "\t\n\v\f\r\x85\xa0" or unicodedata.category(c) in ("Zs", "Zl", "Zp")

    start, end = 0, len(value)
    while start < end and white(value[start]):
        start += 1
    while end > start and white(value[end - 1]):
        end -= 1
    return value[start:end]


def _sections(value: str) -> tuple[str, str | None, str | None]:
    """NuGet's ParseSections: version part up to the first '-' or '+', labels up to the
    next '+', metadata after it (a trailing separator stays in the part before it)."""
    dash = value.find("-")
    plus = value.find("+")
    if dash < 0 and plus < 0:
        return value, None, None
    if dash < 0 or 0 <= plus < dash:
        head, meta = value[:plus], value[plus + 1:]
        return (value, None, None) if not meta else (head, None, meta)
    head, rest = value[:dash], value[dash + 1:]
    if not rest:
        return value, None, None  # "1.0-": the '-' stays in the version part (invalid)
    plus = rest.find("+")
    if plus < 0:
        return head, rest, None
    labels, meta = rest[:plus], rest[plus + 1:]
    if not meta:
        return head, rest, None  # "1.0-a+": the '+' stays in the labels (invalid)
    return head, labels, meta


def _component(text: str, original: str) -> int:
    m = _COMPONENT.fullmatch(text)
    if m is None:
        raise InvalidVersion(SCHEME, original, f"version part {text!r} is not a number")
    value = int(m[2]) * (-1 if m[1] == "-" else 1)
    if not 0 <= value <= INT_MAX:
        raise InvalidVersion(SCHEME, original, f"version part {text!r} is out of range")
    return value


def _valid_part(part: str, leading_zeros: bool) -> bool:
    if not _PART.fullmatch(part):
        return False
    return leading_zeros or not (len(part) > 1 and part[0] == "0" and part.isdigit())


def _label(part: str) -> Label:
    if _INT_LABEL.fullmatch(part):
        value = int(part)
        if -INT_MAX - 1 <= value <= INT_MAX:
            return 0, value, ""
    return 1, 0, part.upper()  # OrdinalIgnoreCase on ASCII


def parse(v: str) -> tuple[tuple[int, int, int, int], tuple[str, ...], str]:
    """``((major, minor, patch, revision), labels, metadata)``."""
    if len(v) > MAX_LENGTH:
        raise InvalidVersion(SCHEME, v, f"longer than {MAX_LENGTH} characters")
    head, labels, meta = _sections(_net_trim(v))
    if not head:
        raise InvalidVersion(SCHEME, v, "no version number")
    parts = head.split(".") if "." in head else [head, "0"]
    if not 2 <= len(parts) <= 4:
        raise InvalidVersion(SCHEME, v, "not 1 to 4 numeric parts")
    nums = [_component(p, v) for p in parts] + [0, 0]
    label_parts = tuple(labels.split(".")) if labels is not None else ()
    if not all(_valid_part(p, False) for p in label_parts):
        raise InvalidVersion(SCHEME, v, "invalid release label")
    if meta is not None and not all(_valid_part(p, True) for p in meta.split(".")):
        raise InvalidVersion(SCHEME, v, "invalid metadata")
    return (nums[0], nums[1], nums[2], nums[3]), label_parts, meta or ""


def key(v: str) -> Key:
    (major, minor, patch, revision), labels, _meta = parse(v)
    return (major, minor, patch, revision, 0 if labels else 1,
            tuple(_label(p) for p in labels))


def compare(a: str, b: str) -> int:
    ka, kb = key(a), key(b)
    return (ka > kb) - (ka < kb)

"""Typed reads from untrusted JSON (index, manifest, config, ``manifest.json``).

``json.loads`` gives whatever types the author chose; code that expects a dict and gets
a string fails with an AttributeError far away. These accessors check the type where the
value is read and raise an :class:`InputError` that names the document and the field.
"""

from __future__ import annotations

from typing import Any

from ringfence.errors import InputError


def _type(value: object) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean",
            int: "a number", float: "a number", type(None): "null"}.get(type(value),
                                                                        type(value).__name__)


def _wrong(subject: str, where: str, want: str, value: object) -> InputError:
    return InputError(subject, f"{where}: expected {want}, got {_type(value)}")


def obj(value: object, subject: str, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _wrong(subject, where, "an object", value)
    return value


def opt_obj(doc: dict[str, Any], key: str, subject: str, where: str = "") -> dict[str, Any]:
    """``doc[key]`` as an object; missing or null is ``{}``."""
    value = doc.get(key)
    return {} if value is None else obj(value, subject, f"{where}{key}")


def opt_list(doc: dict[str, Any], key: str, subject: str, where: str = "") -> list[Any]:
    """``doc[key]`` as a list; missing or null is ``[]``."""
    value = doc.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise _wrong(subject, f"{where}{key}", "a list", value)
    return value


def objects(doc: dict[str, Any], key: str, subject: str, where: str = "") -> list[dict[str, Any]]:
    """``doc[key]`` as a list of objects."""
    return [obj(v, subject, f"{where}{key}[{i}]")
            for i, v in enumerate(opt_list(doc, key, subject, where))]


def opt_str(doc: dict[str, Any], key: str, subject: str, where: str = "") -> str | None:
    value = doc.get(key)
    if value is None or isinstance(value, str):
        return value
    raise _wrong(subject, f"{where}{key}", "a string", value)


def req_str(doc: dict[str, Any], key: str, subject: str, where: str = "") -> str:
    value = opt_str(doc, key, subject, where)
    if not value:
        raise InputError(subject, f"{where}{key}: missing")
    return value


def strings(doc: dict[str, Any], key: str, subject: str, where: str = "") -> list[str]:
    """``doc[key]`` as a list of strings (missing or null: ``[]``)."""
    out = opt_list(doc, key, subject, where)
    for i, v in enumerate(out):
        if not isinstance(v, str):
            raise _wrong(subject, f"{where}{key}[{i}]", "a string", v)
    return out


def opt_int(doc: dict[str, Any], key: str, subject: str, where: str = "") -> int | None:
    value = doc.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _wrong(subject, f"{where}{key}", "an integer", value)
    return value

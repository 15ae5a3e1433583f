"""Field helpers shared by the policy parsers: strict objects, strings, base64, identities."""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from ringfence.errors import InputError
from ringfence.trust.identity import DOMAIN, IdentityMatch, parse_named, try_parse

SIMPLE_IDENTITIES = ("matchExact", "matchRepoDigestOrExact", "matchRepository")


class PolicyFormatError(ValueError):
    """A structural problem at a JSON path; ``load_policy`` turns it into an InputError."""


def obj(value: Any, where: str, allowed: tuple[str, ...],
        required: tuple[str, ...] = ()) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise PolicyFormatError(f"{where}: expected a JSON object")
    unknown = sorted(set(value) - set(allowed))
    if unknown:
        raise PolicyFormatError(f"{where}: unknown field {unknown[0]!r}")
    missing = [k for k in required if k not in value]
    if missing:
        raise PolicyFormatError(f"{where}: missing field {missing[0]!r}")
    return value


def string(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise PolicyFormatError(f"{where}: expected a string")
    return value


def strings(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise PolicyFormatError(f"{where}: expected a non-empty list")
    return tuple(string(v, where) for v in value)


def decode_b64(value: Any, where: str) -> bytes:
    try:
        return base64.b64decode(string(value, where), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise PolicyFormatError(f"{where}: invalid base64") from exc


def only_one(body: dict[str, Any], keys: tuple[str, ...], where: str,
             required: bool = True) -> str | None:
    present = [k for k in keys if k in body]
    if len(present) > 1 or (required and not present):
        need = "exactly" if required else "at most"
        raise PolicyFormatError(f"{where}: {need} one of {', '.join(keys)} is allowed")
    return present[0] if present else None


def identity(value: Any, where: str) -> IdentityMatch:
    if not isinstance(value, dict) or "type" not in value:
        raise PolicyFormatError(f"{where}: expected an identity object with a \"type\"")
    kind = value["type"]
    if kind in SIMPLE_IDENTITIES:
        obj(value, where, ("type",))
        return IdentityMatch(kind)
    if kind == "exactReference":
        body = obj(value, where, ("type", "dockerReference"), ("dockerReference",))
        ref = string(body["dockerReference"], where)
        parsed = try_parse(ref)
        if parsed is None or parsed.name_only:
            raise PolicyFormatError(f"{where}: {ref!r} is not a reference with a tag or digest")
        return IdentityMatch(kind, ref)
    if kind == "exactRepository":
        body = obj(value, where, ("type", "dockerRepository"), ("dockerRepository",))
        repo = string(body["dockerRepository"], where)
        if try_parse(repo) is None:
            raise PolicyFormatError(f"{where}: {repo!r} is not a valid repository")
        return IdentityMatch(kind, repo)
    if kind == "remapIdentity":
        body = obj(value, where, ("type", "prefix", "signedPrefix"), ("prefix", "signedPrefix"))
        prefix = string(body["prefix"], f"{where}.prefix")
        signed = string(body["signedPrefix"], f"{where}.signedPrefix")
        for text in (prefix, signed):
            if not valid_prefix(text):
                raise PolicyFormatError(f"{where}: invalid prefix {text!r}")
        return IdentityMatch(kind, prefix=prefix, signed_prefix=signed)
    raise PolicyFormatError(f"{where}: unknown identity type {kind!r}")


def valid_prefix(text: str) -> bool:
    """A host[:port] or a normalised repository name (``validateIdentityRemappingPrefix``)."""
    if re.fullmatch(DOMAIN, text):
        return True
    try:
        return parse_named(text).name_only
    except InputError:
        return False

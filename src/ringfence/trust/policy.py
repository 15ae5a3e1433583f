"""containers-policy.json(5), parsed as strictly as containers/image does, and the choice of
requirements for an image (most specific scope wins).

Duplicate keys and unknown fields are errors at every level, every scope needs a non-empty
list of requirements, ``signedBy`` needs exactly one key source. A malformed document is an
InputError that names the file and the line (JSON syntax) or the JSON path (structure).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ringfence.errors import InputError
from ringfence.inputs import read_regular
from ringfence.trust.fields import (
    PolicyFormatError,
    decode_b64,
    identity,
    obj,
    only_one,
    string,
    strings,
)
from ringfence.trust.identity import IdentityMatch
from ringfence.trust.requirements import (
    InsecureAcceptAnything,
    Reject,
    Requirement,
    SignedBaseLayer,
    SignedBy,
)
from ringfence.trust.sigstore_config import parse_sigstore

PATH_SCOPED = ("dir", "oci", "oci-archive", "docker-archive")
KEY_TYPES = ("GPGKeys", "signedByGPGKeys", "X509Certificates", "signedByX509CAs")
MAX_POLICY_BYTES = 4 << 20


@dataclass(frozen=True, slots=True)
class Policy:
    default: tuple[Requirement, ...]
    transports: Mapping[str, Mapping[str, tuple[Requirement, ...]]]
    source: str = ""

    def requirements_for(self, transport: str, identity: str,
                         namespaces: list[str]) -> tuple[str, tuple[Requirement, ...]]:
        """(scope that matched, its requirements): full identity, then each namespace,
        then the transport's ``""`` scope, then ``default``."""
        scopes = self.transports.get(transport)
        if scopes is not None:
            for scope in (identity, *namespaces, ""):
                if scope in scopes:
                    return f"{transport}:{scope}", scopes[scope]
        return "default", self.default


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise PolicyFormatError(f"duplicate key {key!r}")
        out[key] = value
    return out


def loads_policy(text: str | bytes, source: str = "policy.json") -> Policy:
    try:
        doc = json.loads(text, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as exc:
        raise InputError(source, f"line {exc.lineno} column {exc.colno}: {exc.msg}") from exc
    except (UnicodeDecodeError, RecursionError) as exc:
        raise InputError(source, f"not a JSON document: {type(exc).__name__}") from exc
    except PolicyFormatError as exc:
        raise InputError(source, str(exc)) from exc
    try:
        return _policy(doc, source)
    except PolicyFormatError as exc:
        raise InputError(source, str(exc)) from exc


def load_policy(path: str | Path) -> Policy:
    """A policy file: a regular file of at most ``MAX_POLICY_BYTES`` (a FIFO or a device is
    refused at once, never read)."""
    return loads_policy(read_regular(path, MAX_POLICY_BYTES, str(path)), str(path))


def _policy(doc: Any, source: str) -> Policy:
    top = obj(doc, "policy", ("default", "transports"), ("default",))
    default = _requirements(top["default"], "default")
    transports_doc = top.get("transports") or {}
    if not isinstance(transports_doc, dict):
        raise PolicyFormatError("transports: expected a JSON object")
    transports: dict[str, dict[str, tuple[Requirement, ...]]] = {}
    for transport, scopes in transports_doc.items():
        if not isinstance(scopes, dict):
            raise PolicyFormatError(f"transports.{transport}: expected a JSON object")
        parsed = {}
        for scope, reqs in scopes.items():
            where = f"transports.{transport}[{scope!r}]"
            if scope and transport in PATH_SCOPED and not scope.startswith("/"):
                raise PolicyFormatError(f"{where}: scopes of {transport} must be absolute "
                                        "paths")
            parsed[scope] = _requirements(reqs, where)
        transports[transport] = parsed
    return Policy(default, transports, source)


def _requirements(value: Any, where: str) -> tuple[Requirement, ...]:
    if not isinstance(value, list) or not value:
        raise PolicyFormatError(f"{where}: expected a non-empty list of requirements")
    return tuple(_requirement(v, f"{where}[{i}]") for i, v in enumerate(value))


def _requirement(value: Any, where: str) -> Requirement:
    if not isinstance(value, dict) or "type" not in value:
        raise PolicyFormatError(f"{where}: a requirement needs a \"type\"")
    kind = value["type"]
    if kind == "reject":
        obj(value, where, ("type",))
        return Reject()
    if kind == "insecureAcceptAnything":
        obj(value, where, ("type",))
        return InsecureAcceptAnything()
    if kind == "signedBy":
        return _signed_by(value, where)
    if kind == "signedBaseLayer":
        body = obj(value, where, ("type", "baseLayerIdentity"), ("baseLayerIdentity",))
        return SignedBaseLayer(identity(body["baseLayerIdentity"], f"{where}.baseLayerIdentity"))
    if kind == "sigstoreSigned":
        return parse_sigstore(value, where)
    raise PolicyFormatError(f"{where}: unknown requirement type {kind!r}")


def _signed_by(value: dict[str, Any], where: str) -> SignedBy:
    body = obj(value, where, ("type", "keyType", "keyPath", "keyPaths", "keyData",
                              "signedIdentity"), ("keyType",))
    if body["keyType"] not in KEY_TYPES:
        raise PolicyFormatError(f"{where}: unknown keyType {body['keyType']!r}")
    source = str(only_one(body, ("keyPath", "keyPaths", "keyData"), where))
    paths: tuple[str, ...] = ()
    data: bytes | None = None
    if source == "keyPath":
        paths = (string(body["keyPath"], f"{where}.keyPath"),)
    elif source == "keyPaths":
        paths = strings(body["keyPaths"], f"{where}.keyPaths")
    else:
        data = decode_b64(body["keyData"], f"{where}.keyData")
    match = (identity(body["signedIdentity"], f"{where}.signedIdentity")
             if "signedIdentity" in body else IdentityMatch("matchRepoDigestOrExact"))
    return SignedBy(body["keyType"], source, paths, data, match)

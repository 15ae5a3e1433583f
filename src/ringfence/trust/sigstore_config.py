"""The ``sigstoreSigned`` requirement: its trust-root fields and their combination rules."""

from __future__ import annotations

from typing import Any

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
from ringfence.trust.requirements import Fulcio, Pki, SigstoreSigned

KEY_SOURCES = ("keyPath", "keyPaths", "keyData", "keyDatas", "fulcio", "pki")
REKOR_SOURCES = ("rekorPublicKeyPath", "rekorPublicKeyPaths", "rekorPublicKeyData",
                 "rekorPublicKeyDatas")


def parse_sigstore(value: dict[str, Any], where: str) -> SigstoreSigned:
    body = obj(value, where, ("type", "signedIdentity", *KEY_SOURCES, *REKOR_SOURCES))
    source = str(only_one(body, KEY_SOURCES, where))
    paths, datas = _many(body, source, where) if source.startswith("key") else ((), ())
    fulcio = _fulcio(body["fulcio"], f"{where}.fulcio") if source == "fulcio" else None
    pki = _pki(body["pki"], f"{where}.pki") if source == "pki" else None
    rekor = only_one(body, REKOR_SOURCES, where, required=False)
    rekor_paths, rekor_datas = _many(body, rekor, where) if rekor else ((), ())
    if fulcio is not None and not rekor:
        raise PolicyFormatError(f"{where}: fulcio requires a Rekor public key")
    if pki is not None and rekor:
        raise PolicyFormatError(f"{where}: pki cannot be combined with Rekor keys")
    # the JSON form defaults a missing signedIdentity (upstream's policy.json fixture relies
    # on it); only the Go constructor insists on one
    match = (identity(body["signedIdentity"], f"{where}.signedIdentity")
             if "signedIdentity" in body else IdentityMatch("matchRepoDigestOrExact"))
    return SigstoreSigned(source, paths, datas, fulcio, pki, rekor_paths, rekor_datas, match)


def _many(body: dict[str, Any], key: str,
          where: str) -> tuple[tuple[str, ...], tuple[bytes, ...]]:
    value, at = body[key], f"{where}.{key}"
    if key.endswith("Path"):
        return (string(value, at),), ()
    if key.endswith("Paths"):
        return strings(value, at), ()
    if key.endswith("Data"):
        return (), (decode_b64(value, at),)
    if not isinstance(value, list) or not value:
        raise PolicyFormatError(f"{at}: expected a non-empty list")
    return (), tuple(decode_b64(v, at) for v in value)


def _fulcio(value: Any, where: str) -> Fulcio:
    body = obj(value, where, ("caPath", "caData", "oidcIssuer", "subjectEmail"),
               ("oidcIssuer", "subjectEmail"))
    ca = only_one(body, ("caPath", "caData"), where)
    return Fulcio(string(body["caPath"], where) if ca == "caPath" else None,
                  decode_b64(body["caData"], where) if ca == "caData" else None,
                  string(body["oidcIssuer"], where), string(body["subjectEmail"], where))


def _pki(value: Any, where: str) -> Pki:
    body = obj(value, where, ("caRootsPath", "caRootsData", "caIntermediatesPath",
                              "caIntermediatesData", "subjectEmail", "subjectHostname"))
    roots = only_one(body, ("caRootsPath", "caRootsData"), where)
    inter = only_one(body, ("caIntermediatesPath", "caIntermediatesData"), where,
                     required=False)
    if not body.get("subjectEmail") and not body.get("subjectHostname"):
        raise PolicyFormatError(f"{where}: needs subjectEmail or subjectHostname")
    return Pki(
        string(body["caRootsPath"], where) if roots == "caRootsPath" else None,
        decode_b64(body["caRootsData"], where) if roots == "caRootsData" else None,
        string(body["caIntermediatesPath"], where) if inter == "caIntermediatesPath" else None,
        decode_b64(body["caIntermediatesData"], where) if inter == "caIntermediatesData"
        else None,
        string(body.get("subjectEmail", ""), where),
        string(body.get("subjectHostname", ""), where))

"""Signatures of a ``docker://`` image: lookaside store (file:// or http(s)://, per
registries.d) and, when configured, sigstore attachments in the registry."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

import httpx

from ringfence.errors import InputError, RegistryError
from ringfence.image.registry import (
    RegistryBlobStore,
    RegistryClient,
    fetch_optional_manifest,
    fetch_top_manifest,
)
from ringfence.inputs import read_regular
from ringfence.model.image import ImageRef
from ringfence.trust.attachments import (
    MAX_SIGNATURE_BYTES,
    MAX_SIGNATURES,
    attachment_tag,
    parse_attachments,
)
from ringfence.trust.evaluate import Candidate
from ringfence.trust.identity import policy_identity, policy_namespaces
from ringfence.trust.lookaside import load_registries_d, signature_url
from ringfence.trust.payload import Rejected
from ringfence.trust.sigstore import SigstoreSignature

MAX_REDIRECTS = 5
TIMEOUT = httpx.Timeout(30.0, connect=10.0)


def candidate_from_registry(ref: ImageRef, options: object) -> Candidate:
    from ringfence.trust.verify import VerifyOptions, docker_identity, split_blobs

    assert isinstance(options, VerifyOptions)
    dref = docker_identity(ref)
    config = load_registries_d(options.registries_d)
    client = RegistryClient(ref, insecure=options.insecure_registry,
                            auth_file=options.auth_file)
    try:
        manifests = RegistryBlobStore(client, "manifests")
        digest, _ = fetch_top_manifest(manifests, ref)
        manifest = manifests.known[digest]
        blobs = read_lookaside(config.lookaside_base(dref), digest)
        simple, sigstore, problem = split_blobs(blobs)
        if config.use_sigstore_attachments(dref):
            try:
                sigstore += registry_attachments(client, digest)
            except Rejected as exc:
                problem = problem or str(exc)
    finally:
        client.close()
    return Candidate("docker", policy_identity(dref), tuple(policy_namespaces(dref)), dref,
                     manifest, simple, sigstore, problem)


def registry_attachments(client: RegistryClient, digest: str) -> tuple[SigstoreSignature, ...]:
    data = fetch_optional_manifest(client, attachment_tag(digest))
    if data is None:
        return ()
    blobs = RegistryBlobStore(client, "blobs")
    return parse_attachments(data, blobs.read)


def read_lookaside(base: str, digest: str) -> list[bytes]:
    """signature-1, signature-2, … until the first one that does not exist."""
    scheme = urlsplit(base).scheme
    if scheme == "file":
        return _files(base, digest)
    if scheme in ("http", "https"):
        return _http(base, digest)
    raise InputError(base, "lookaside URL must be file://, http:// or https://")


def _files(base: str, digest: str) -> list[bytes]:
    out = []
    for i in range(MAX_SIGNATURES):
        path = Path(unquote(urlsplit(signature_url(base, digest, i)).path))
        try:
            data = read_regular(path, MAX_SIGNATURE_BYTES, str(path))
        except InputError as exc:
            if isinstance(exc.__cause__, FileNotFoundError):
                break
            raise
        out.append(data)
    return out


def _http(base: str, digest: str) -> list[bytes]:
    out = []
    with httpx.Client(follow_redirects=True, max_redirects=MAX_REDIRECTS,
                      timeout=TIMEOUT) as http:
        for i in range(MAX_SIGNATURES):
            url = signature_url(base, digest, i)
            try:
                with http.stream("GET", url) as response:
                    if response.status_code == 404:
                        break
                    if response.status_code != 200:
                        raise RegistryError(url, f"HTTP {response.status_code}")
                    out.append(_capped(response, url))
            except httpx.TooManyRedirects as exc:
                raise RegistryError(url, f"more than {MAX_REDIRECTS} redirects") from exc
            except httpx.TransportError as exc:
                raise RegistryError(url, f"{type(exc).__name__}: {exc}") from exc
    return out


def _capped(response: httpx.Response, url: str) -> bytes:
    chunks, size = [], 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > MAX_SIGNATURE_BYTES:
            raise InputError(url, "signature larger than 4 MiB")
        chunks.append(chunk)
    return b"".join(chunks)

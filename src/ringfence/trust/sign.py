"""``ringfence sign``: simple signatures into the lookaside store (as ``skopeo copy
--sign-by`` writes them) and sigstore signatures as ``sha256-<hex>.sig`` attachments in the
registry or in the OCI layout (as cosign and ``skopeo copy --sign-by-sigstore-private-key``).
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from ringfence.errors import InputError, UsageError
from ringfence.image.oci_layout import DirBlobStore, pick_descriptor
from ringfence.image.registry import (
    RegistryBlobStore,
    RegistryClient,
    fetch_optional_manifest,
    fetch_top_manifest,
    push_blob,
    push_manifest,
)
from ringfence.inputs import load_json_file, read_regular
from ringfence.model.image import ImageRef
from ringfence.trust.attachments import (
    EMPTY_CONFIG,
    MAX_SIGNATURE_BYTES,
    MAX_SIGNATURES,
    OCI_MANIFEST,
    attachment_tag,
    build_attachment,
)
from ringfence.trust.lookaside import load_registries_d, signature_url
from ringfence.trust.payload import SIGNATURE_TYPES, make_payload
from ringfence.trust.sigstore import MIME_TYPE, SIGNATURE, SigstoreSignature
from ringfence.trust.verify import docker_identity

MAX_INDEX_BYTES = 4 << 20

REF_NAME = "org.opencontainers.image.ref.name"


@dataclass(frozen=True, slots=True)
class SignOptions:
    registries_d: str | None = None
    insecure_registry: bool = False
    auth_file: str | None = None
    identity: str | None = None  # the docker reference to sign (required for oci:)


def _client(ref: ImageRef, options: SignOptions) -> RegistryClient:
    return RegistryClient(ref, insecure=options.insecure_registry, auth_file=options.auth_file)


def _identity(ref: ImageRef, options: SignOptions) -> str:
    if options.identity:
        return options.identity
    if ref.transport != "docker":
        raise UsageError(str(ref), "an --identity (the docker reference to sign) is needed")
    return str(docker_identity(ref))


def sign_gpg(ref: ImageRef, fingerprint: str, options: SignOptions, *,
             passphrase: bytes | None = None, gpg_home: str | None = None) -> str:
    """Sign the image's manifest digest; write ``signature-N`` in the lookaside store."""
    from ringfence.trust.simple_signing import sign_blob

    if ref.transport != "docker":
        raise UsageError(str(ref), "simple signatures are stored per registry repository; "
                         "sign a docker:// reference")
    client = _client(ref, options)
    try:
        digest, _ = fetch_top_manifest(RegistryBlobStore(client, "manifests"), ref)
    finally:
        client.close()
    payload = make_payload(_identity(ref, options), digest, SIGNATURE_TYPES["gpg"])
    blob = sign_blob(payload, fingerprint, home=gpg_home, passphrase=passphrase)
    base = load_registries_d(options.registries_d).lookaside_base(docker_identity(ref),
                                                                   write=True)
    if urlsplit(base).scheme != "file":
        raise UsageError(base, "signatures can only be written to a file:// lookaside store",
                         hint="set lookaside-staging to a file:// URL in registries.d")
    return _write_next(base, digest, blob)


def _write_next(base: str, digest: str, blob: bytes) -> str:
    for i in range(MAX_SIGNATURES):
        path = Path(unquote(urlsplit(signature_url(base, digest, i)).path))
        if path.exists() or path.is_symlink():
            if read_regular(path, MAX_SIGNATURE_BYTES, str(path)) == blob:
                return str(path)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(blob)
        return str(path)
    raise UsageError(base, f"more than {MAX_SIGNATURES} signatures already stored")


def sigstore_signature(key: ec.EllipticCurvePrivateKey, identity: str,
                       digest: str) -> SigstoreSignature:
    payload = make_payload(identity, digest, SIGNATURE_TYPES["sigstore"])
    raw = key.sign(payload, ec.ECDSA(hashes.SHA256()))
    return SigstoreSignature(MIME_TYPE, payload, {SIGNATURE: base64.b64encode(raw).decode()})


def sign_sigstore(ref: ImageRef, key: ec.EllipticCurvePrivateKey,
                  options: SignOptions) -> str:
    if ref.transport == "docker":
        return _sign_registry(ref, key, options)
    if ref.transport == "oci":
        return _sign_layout(ref, key, options)
    raise UsageError(str(ref), "sigstore signatures are attached to docker:// or oci: images")


def _sign_registry(ref: ImageRef, key: ec.EllipticCurvePrivateKey,
                   options: SignOptions) -> str:
    client = _client(ref, options)
    try:
        digest, _ = fetch_top_manifest(RegistryBlobStore(client, "manifests"), ref)
        sig = sigstore_signature(key, _identity(ref, options), digest)
        tag = attachment_tag(digest)
        manifest = build_attachment(fetch_optional_manifest(client, tag), sig)
        push_blob(client, sig.payload)
        push_blob(client, EMPTY_CONFIG)
        push_manifest(client, tag, manifest, OCI_MANIFEST)
    finally:
        client.close()
    return f"{ref.registry}/{ref.repository}:{tag}"


def _sign_layout(ref: ImageRef, key: ec.EllipticCurvePrivateKey, options: SignOptions) -> str:
    root = Path(str(ref.path))
    index_path = root / "index.json"
    index = load_json_file(index_path, MAX_INDEX_BYTES, f"oci:{root}/index.json")
    if not isinstance(index, dict) or not isinstance(index.get("manifests") or [], list):
        raise InputError(f"oci:{root}", "index.json is not an image index")
    digest = str(pick_descriptor(index, ref.name, f"oci:{root}").get("digest"))
    sig = sigstore_signature(key, _identity(ref, options), digest)
    tag = attachment_tag(digest)
    store = DirBlobStore(root)
    entries = index.get("manifests") or []
    old = next((e for e in entries if isinstance(e, dict)
                and isinstance(e.get("annotations"), dict)
                and e["annotations"].get(REF_NAME) == tag), None)
    existing = store.read(str(old.get("digest")), 4 << 20) if old else None
    manifest = build_attachment(existing, sig)
    for data in (sig.payload, EMPTY_CONFIG, manifest):
        _put_blob(root, data)
    entry = {"mediaType": OCI_MANIFEST, "digest": _sha(manifest), "size": len(manifest),
             "annotations": {REF_NAME: tag}}
    index["manifests"] = [e for e in entries if e is not old] + [entry]
    tmp = index_path.with_name(".index.json.tmp")
    tmp.write_text(json.dumps(index, separators=(",", ":")), encoding="utf-8")
    tmp.replace(index_path)
    return f"oci:{root}:{tag}"


def _sha(data: bytes) -> str:
    return f"sha256:{hashlib.sha256(data).hexdigest()}"


def _put_blob(root: Path, data: bytes) -> None:
    path = root / "blobs" / "sha256" / hashlib.sha256(data).hexdigest()
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

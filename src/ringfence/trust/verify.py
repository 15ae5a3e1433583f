"""Gather what the policy needs about an image (its top-level manifest, its name, its
simple signatures from the lookaside store and its sigstore attachments), then evaluate.

Sources: ``docker://`` (registry + registries.d), ``oci:DIR[:TAG]`` (attachments tagged
``sha256-<hex>.sig`` in the same layout) and skopeo's ``dir:`` image directories
(``manifest.json`` + ``signature-N``), which is how containers/image's fixtures are stored.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ringfence.errors import InputError, UsageError
from ringfence.image.oci_layout import DirBlobStore, pick_descriptor
from ringfence.inputs import load_json_file, read_regular
from ringfence.model.image import ImageRef
from ringfence.trust.attachments import MAX_SIGNATURE_BYTES, MAX_SIGNATURES, attachment_tag
from ringfence.trust.evaluate import Candidate, Verdict, evaluate
from ringfence.trust.identity import DockerReference, parse_normalized
from ringfence.trust.payload import Rejected
from ringfence.trust.policy import Policy
from ringfence.trust.sigstore import PREFIX as SIGSTORE_PREFIX
from ringfence.trust.sigstore import SigstoreSignature, parse_stored

MAX_MANIFEST_BYTES = 4 << 20  # containers/image iolimits.MaxManifestBodySize


@dataclass(frozen=True, slots=True)
class VerifyOptions:
    registries_d: str | None = None
    insecure_registry: bool = False
    auth_file: str | None = None


def split_blobs(blobs: list[bytes]) -> tuple[tuple[bytes, ...], tuple[SigstoreSignature, ...],
                                             str]:
    """Sort stored signature blobs by format as ``signature.FromBlob`` does: a
    ``\\x00<format>\\n`` prefix, or a legacy bare OpenPGP message."""
    simple: list[bytes] = []
    sigstore: list[SigstoreSignature] = []
    for i, blob in enumerate(blobs, 1):
        if blob[:1] == b"\x00" and blob.startswith(SIGSTORE_PREFIX):
            try:
                sigstore.append(parse_stored(blob))
            except Rejected as exc:
                return (), (), f"signature {i}: {exc}"
        elif blob.startswith(b"\x00simple-signing\n") or (blob and blob[0] & 0x80):
            simple.append(blob)  # prefixed, or a bare OpenPGP packet (tag byte has bit 7)
        else:  # containers/image fails the whole image here, not just this signature
            first = f"0x{blob[0]:02x}" if blob else "an empty blob"
            return (), (), f"signature {i}: unrecognized signature format, starting with {first}"
    return tuple(simple), tuple(sigstore), ""


def path_namespaces(path: str) -> tuple[str, ...]:
    out = []
    while path not in ("", "/"):
        out.append(path)
        path = os.path.dirname(path)
    return tuple(out)


def candidate_from_signed_dir(directory: str | Path, name: str | None) -> Candidate:
    """A skopeo ``dir:`` image, known to the policy as ``name`` (a docker reference)."""
    root = Path(directory).resolve()
    try:
        manifest: bytes | None = read_regular(root / "manifest.json", MAX_MANIFEST_BYTES)
        problem = ""
    except InputError as exc:
        manifest, problem = None, f"cannot read the manifest: {exc.message}"
    blobs = []
    for i in range(1, MAX_SIGNATURES + 1):
        sig = root / f"signature-{i}"
        if not sig.is_file():
            break
        blobs.append(_read_capped(sig))
    simple, sigstore, bad = split_blobs(blobs)
    return Candidate("dir", str(root), path_namespaces(str(root)),
                     parse_normalized(name) if name else None, manifest, simple, sigstore,
                     problem or bad)


def _read_capped(path: Path) -> bytes:
    return read_regular(path, MAX_SIGNATURE_BYTES, str(path))


def docker_identity(ref: ImageRef) -> DockerReference:
    text = f"{ref.registry}/{ref.repository}"
    text += f":{ref.tag}" if ref.tag else ""
    text += f"@{ref.digest}" if ref.digest else ""
    return parse_normalized(text)


def candidate_from_oci(ref: ImageRef) -> Candidate:
    root = Path(str(ref.path)).resolve()
    subject = f"oci:{root}"
    store = DirBlobStore(root)
    try:
        index = load_json_file(root / "index.json", MAX_MANIFEST_BYTES)
    except InputError as exc:
        raise InputError(subject, f"not an OCI layout (index.json: {exc.message})") from exc
    if not isinstance(index, dict) or not isinstance(index.get("manifests") or [], list):
        raise InputError(subject, "not an OCI layout (index.json is not an image index)")
    desc = pick_descriptor(index, ref.name, subject)
    digest = str(desc.get("digest"))
    manifest = store.read(digest, 4 << 20)
    sigstore: tuple[SigstoreSignature, ...] = ()
    problem = ""
    tag = attachment_tag(digest)
    for entry in index.get("manifests") or []:
        notes = entry.get("annotations") if isinstance(entry, dict) else None
        if isinstance(notes, dict) and notes.get("org.opencontainers.image.ref.name") == tag:
            from ringfence.trust.attachments import parse_attachments

            try:
                sigstore = parse_attachments(store.read(str(entry.get("digest")), 4 << 20),
                                             store.read)
            except Rejected as exc:
                problem = str(exc)
    identity = f"{root}:{ref.name}" if ref.name else str(root)
    return Candidate("oci", identity, path_namespaces(str(root)), None, manifest, (),
                     sigstore, problem)


def gather(ref: ImageRef, options: VerifyOptions) -> Candidate:
    if ref.transport == "docker":
        from ringfence.trust.fetch import candidate_from_registry

        return candidate_from_registry(ref, options)
    if ref.transport == "oci":
        return candidate_from_oci(ref)
    if ref.transport == "dir" and (Path(str(ref.path)) / "manifest.json").is_file():
        return candidate_from_signed_dir(str(ref.path), None)
    raise UsageError(str(ref), f"cannot verify signatures of {ref.transport}: images",
                     hint="use docker://, oci: or a skopeo dir: image")


def verify(ref: ImageRef, policy: Policy, options: VerifyOptions) -> Verdict:
    return evaluate(policy, gather(ref, options))

"""Provenance facts of a scanned image, gathered once so the IMG-21N checks stay pure:
the registry allow-list, image history (who/what made each layer), OCI annotations and
labels, in-toto/SLSA attestations attached as ``sha256-<hex>.att`` (in a registry or in
the OCI layout) verified with the policy's sigstoreSigned public keys, and the verdict of a
containers-policy.json (through trust/verify.py's ``gather`` and evaluate.py).

Local transports have no registry: the allow-list is not evaluated for them and the
``org.opencontainers.image.base.name`` / ``ref.name`` annotations are reported instead.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ringfence.errors import Error, InputError
from ringfence.image.oci_layout import DirBlobStore, pick_descriptor
from ringfence.image.reference import parse_reference
from ringfence.inputs import load_json_file
from ringfence.model.image import ImageRef
from ringfence.model.result import ScanResult
from ringfence.model.unknown import Unknown
from ringfence.trust.attachments import parse_attachments
from ringfence.trust.attestation import Statement, parse_envelope, parse_statement, verify_envelope
from ringfence.trust.evaluate import Candidate, Verdict, evaluate
from ringfence.trust.keys import PUBLIC_KEY
from ringfence.trust.payload import Rejected
from ringfence.trust.policy import Policy
from ringfence.trust.requirements import SigstoreSigned
from ringfence.trust.sigstore import SigstoreSignature, public_keys
from ringfence.trust.verify import VerifyOptions, gather

PLUGIN = "provenance"
MAX_INDEX_BYTES = 4 << 20
OCI = "org.opencontainers.image."
OCI_KEYS = ("source", "revision", "base.name", "base.digest", "created", "authors",
            "vendor", "ref.name")
HUB_ALIASES = ("index.docker.io", "registry-1.docker.io", "registry.hub.docker.com")


@dataclass(frozen=True, slots=True)
class ProvenanceOptions:
    trusted_registries: tuple[str, ...] = ()
    policy: Policy | None = None
    verify: VerifyOptions = field(default_factory=VerifyOptions)


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    created: str
    created_by: str
    author: str
    comment: str
    empty_layer: bool
    layer: int | None  # 1-based index of the layer this entry made; None when empty


@dataclass(frozen=True, slots=True)
class AttestationResult:
    where: str
    statement: Statement | None
    verified: bool | None  # None: no public key in the policy scope to verify with
    problem: str = ""


@dataclass(frozen=True, slots=True)
class ProvenanceFacts:
    has_config: bool
    reference: ImageRef | None = None
    trusted: tuple[str, ...] = ()
    annotations: tuple[tuple[str, str], ...] = ()  # index descriptor + manifest
    labels: tuple[tuple[str, str], ...] = ()
    history: tuple[HistoryEntry, ...] = ()
    digests: frozenset[str] = frozenset()  # manifest digests the image is known by
    attestations: tuple[AttestationResult, ...] = ()
    verdict: Verdict | None = None
    notes: tuple[str, ...] = ()

    @property
    def remote(self) -> bool:
        return self.reference is not None and self.reference.transport == "docker"

    def oci(self, key: str) -> tuple[str, str] | None:
        """(value, "annotation"|"label") of ``org.opencontainers.image.<key>``."""
        for kind, pairs in (("annotation", self.annotations), ("label", self.labels)):
            value = dict(pairs).get(OCI + key)
            if value:
                return value, kind
        return None


def history_entries(config: dict[str, Any]) -> tuple[HistoryEntry, ...]:
    out, layer = [], 0
    for h in config.get("history") or ():
        if not isinstance(h, dict):
            continue
        empty = h.get("empty_layer") is True
        layer += 0 if empty else 1
        out.append(HistoryEntry(str(h.get("created") or ""), str(h.get("created_by") or ""),
                                str(h.get("author") or ""), str(h.get("comment") or ""),
                                empty, None if empty else layer))
    return tuple(out)


def _pairs(value: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, dict):
        return ()
    return tuple(sorted((str(k), str(v)) for k, v in value.items()))


def _reference(text: str) -> ImageRef | None:
    try:
        return parse_reference(text)
    except Error:
        return None


def base_facts(result: ScanResult, options: ProvenanceOptions) -> ProvenanceFacts:
    """What the scan itself knows: config labels, history, the reference and digest."""
    raw = result.image.config if result.image else {}
    digest = result.image.manifest_digest if result.image else None
    return ProvenanceFacts(bool(raw), _reference(result.target.name),
                           options.trusted_registries,
                           labels=_pairs((raw.get("config") or {}).get("Labels")),
                           history=history_entries(raw),
                           digests=frozenset({digest} if digest else ()))


def provenance_facts(result: ScanResult,
                     options: ProvenanceOptions) -> tuple[ProvenanceFacts, tuple[Unknown, ...]]:
    facts = base_facts(result, options)
    ref = facts.reference
    if ref is None or ref.transport not in ("docker", "oci"):
        kind = ref.transport if ref else "this"
        note = (f"no manifest annotations, attestations or signatures for {kind}: images"
                + ("; trust policy not evaluated" if options.policy else ""))
        return _with(facts, notes=(note,)), ()
    try:
        cand = gather(ref, options.verify)
        top = f"sha256:{hashlib.sha256(cand.manifest or b'').hexdigest()}"
        descriptor, attached = _attachments(ref, top, options.verify)
    except Error as exc:
        return facts, (Unknown(result.target.name, f"provenance: {exc}", PLUGIN),)
    annotations = {**dict(descriptor), **_manifest_annotations(cand.manifest)}
    verdict = evaluate(options.policy, cand) if options.policy else None
    keys, note = _policy_keys(options.policy, cand) if attached else (None, "")
    return _with(facts, annotations=tuple(sorted(annotations.items())),
                 digests=facts.digests | {top}, verdict=verdict,
                 attestations=tuple(check_attestation(w, s, keys) for w, s in attached),
                 notes=(note,) if note else ()), ()


def _with(facts: ProvenanceFacts, **changes: Any) -> ProvenanceFacts:
    return replace(facts, **changes)


def _manifest_annotations(manifest: bytes | None) -> dict[str, str]:
    try:
        doc = json.loads(manifest or b"{}")
    except (ValueError, RecursionError):
        return {}
    return dict(_pairs(doc.get("annotations") if isinstance(doc, dict) else None))


def att_tag(digest: str) -> str:
    algo, _, hexd = digest.partition(":")
    return f"{algo}-{hexd}.att"


Attached = tuple[tuple[str, SigstoreSignature], ...]


def _attachments(ref: ImageRef, top: str,
                 options: VerifyOptions) -> tuple[tuple[tuple[str, str], ...], Attached]:
    """(annotations of the index descriptor, attestation layers) for oci: and docker://."""
    tag = att_tag(top)
    if ref.transport == "oci":
        root = Path(str(ref.path))
        index = load_json_file(root / "index.json", MAX_INDEX_BYTES, f"oci:{root}/index.json")
        if not isinstance(index, dict) or not isinstance(index.get("manifests") or [], list):
            raise InputError(f"oci:{root}", "index.json is not an image index")
        desc = pick_descriptor(index, ref.name, f"oci:{root}")
        store = DirBlobStore(root)
        entry = next((e for e in index.get("manifests") or [] if isinstance(e, dict)
                      and isinstance(e.get("annotations"), dict)
                      and e["annotations"].get(OCI + "ref.name") == tag), None)
        sigs = (parse_attachments(store.read(str(entry.get("digest")), 4 << 20), store.read)
                if entry else ())
        return _pairs(desc.get("annotations")), _numbered(tag, sigs)
    return (), _numbered(tag, _registry_attestations(ref, tag, options))


def _numbered(tag: str, sigs: tuple[SigstoreSignature, ...]) -> Attached:
    return tuple((f"{tag} layer {i}", s) for i, s in enumerate(sigs, 1))


def _registry_attestations(ref: ImageRef, tag: str,
                           options: VerifyOptions) -> tuple[SigstoreSignature, ...]:
    from ringfence.image.registry import (
        RegistryBlobStore,
        RegistryClient,
        fetch_optional_manifest,
    )

    client = RegistryClient(ref, insecure=options.insecure_registry,
                            auth_file=options.auth_file)
    try:
        data = fetch_optional_manifest(client, tag)
        return parse_attachments(data, RegistryBlobStore(client, "blobs").read) if data else ()
    finally:
        client.close()


def _policy_keys(policy: Policy | None,
                 cand: Candidate) -> tuple[list[PUBLIC_KEY] | None, str]:
    """The public keys of the sigstoreSigned requirements in the image's policy scope."""
    if policy is None:
        return None, "attestation signatures not verified: no --policy"
    scope, reqs = policy.requirements_for(cand.transport, cand.policy_identity,
                                          list(cand.namespaces))
    keyed = [r for r in reqs if isinstance(r, SigstoreSigned) and (r.key_paths or r.key_datas)]
    if not keyed:
        return None, (f"attestation signatures not verified: scope {scope} has no "
                      "sigstoreSigned public key (keyless Fulcio/PKI is not supported here)")
    try:
        return [k for r in keyed for k in public_keys(r.key_paths, r.key_datas)], ""
    except Rejected as exc:
        return None, f"attestation signatures not verified: {exc}"


def check_attestation(where: str, sig: SigstoreSignature,
                      keys: list[PUBLIC_KEY] | None) -> AttestationResult:
    try:
        env = parse_envelope(sig.payload)
        statement = parse_statement(env)
    except Rejected as exc:
        return AttestationResult(where, None, False if keys is not None else None, str(exc))
    if keys is None:
        return AttestationResult(where, statement, None)
    if not verify_envelope(env, keys):
        return AttestationResult(where, statement, False,
                                 "DSSE signature does not verify with the policy's keys")
    return AttestationResult(where, statement, True)

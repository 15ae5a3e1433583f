"""Build real OCI layouts with cosign-style attestations (``sha256-<hex>.att`` beside the
layout, DSSE envelopes over in-toto statements) and the loader of the IMG-21N rule cases.

``case.json``::

    {"reference": "docker://host/repo:tag",   # optional: the reference the user scanned
     "trusted": ["host/path"],                 # --trusted-registry values
     "labels": {...}, "annotations": {...},    # config labels, manifest annotations
     "history": [{"created_by": ..., "author": ..., "empty_layer": true}],
     "sign": true,                             # sigstore signature by the policy key
     "policy": true,                           # sigstoreSigned policy with that key
     "attestations": [{"predicate": "https://slsa.dev/provenance/v1",
                       "subject": "image" | "other", "signer": "policy" | "other",
                       "tamper": "payload"}]}

Keys are generated at run time; nothing secret is committed.
"""

from __future__ import annotations

import base64
import hashlib
import json
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from ringfence.image.oci_layout import pick_descriptor
from ringfence.image.reference import parse_reference
from ringfence.scan import ScanOptions, scan_image
from ringfence.trust.attachments import build_attachment
from ringfence.trust.attestation import DSSE_MEDIA_TYPE, SLSA_V1, sign_envelope
from ringfence.trust.keys import public_pem
from ringfence.trust.policy import load_policy
from ringfence.trust.provenance import (
    ProvenanceFacts,
    ProvenanceOptions,
    att_tag,
    provenance_facts,
)
from ringfence.trust.sign import SignOptions, sign_sigstore
from ringfence.trust.sigstore import SIGNATURE, SigstoreSignature
from tests.imagebuilder import Layer, Member, build_oci, write_blob

REF_NAME = "org.opencontainers.image.ref.name"
IDENTITY = "example.com/team/app:v1"
SLSA_V1_PREDICATE = {
    "buildDefinition": {
        "buildType": "https://slsa-framework.github.io/github-actions-buildtypes/workflow/v1",
        "externalParameters": {"workflow": {"ref": "refs/heads/main",
                                            "repository": "https://github.com/example/app",
                                            "path": ".github/workflows/build.yml"}},
        "resolvedDependencies": [{"uri": "git+https://github.com/example/app@refs/heads/main",
                                  "digest": {"gitCommit": "a" * 40}}]},
    "runDetails": {"builder": {"id": "https://github.com/actions/runner/github-hosted"},
                   "metadata": {"invocationId": "run-1"}}}


def top_digest(layout: Path, tag: str = "latest") -> str:
    index = json.loads((layout / "index.json").read_bytes())
    return str(pick_descriptor(index, tag, str(layout))["digest"])


def annotate(layout: Path, annotations: dict[str, str]) -> None:
    """Add manifest annotations (a new manifest blob; the index points at it)."""
    index = json.loads((layout / "index.json").read_bytes())
    entry = index["manifests"][0]
    blob = layout / "blobs" / "sha256" / entry["digest"].split(":")[1]
    manifest = json.loads(blob.read_bytes())
    manifest["annotations"] = annotations
    data = json.dumps(manifest).encode()
    entry.update(digest=write_blob(layout, data), size=len(data))
    (layout / "index.json").write_text(json.dumps(index))


def statement(digest: str, predicate_type: str = SLSA_V1,
              predicate: dict[str, Any] | None = None) -> bytes:
    algo, _, hexd = digest.partition(":")
    doc = {"_type": "https://in-toto.io/Statement/v1", "predicateType": predicate_type,
           "subject": [{"name": "example.com/team/app", "digest": {algo: hexd}}],
           "predicate": SLSA_V1_PREDICATE if predicate is None else predicate}
    return json.dumps(doc).encode()


def tamper_payload(envelope: bytes) -> bytes:
    doc = json.loads(envelope)
    payload = base64.b64decode(doc["payload"]).replace(b"github.com/example",
                                                       b"github.com/attacker")
    doc["payload"] = base64.b64encode(payload).decode()
    return json.dumps(doc).encode()


def attach(layout: Path, envelope: bytes, predicate_type: str, tag: str = "latest") -> None:
    """Append a DSSE layer to the layout's ``sha256-<hex>.att`` manifest, as cosign does."""
    att = att_tag(top_digest(layout, tag))
    index = json.loads((layout / "index.json").read_bytes())
    entries = index["manifests"]
    old = next((e for e in entries if (e.get("annotations") or {}).get(REF_NAME) == att), None)
    existing = ((layout / "blobs/sha256" / old["digest"].split(":")[1]).read_bytes()
                if old else None)
    layer = SigstoreSignature(DSSE_MEDIA_TYPE, envelope,
                              {SIGNATURE: "", "predicateType": predicate_type})
    manifest = build_attachment(existing, layer)
    write_blob(layout, envelope)
    entry = {"mediaType": "application/vnd.oci.image.manifest.v1+json",
             "digest": write_blob(layout, manifest), "size": len(manifest),
             "annotations": {REF_NAME: att}}
    index["manifests"] = [e for e in entries if e is not old] + [entry]
    (layout / "index.json").write_text(json.dumps(index))


def sigstore_policy(path: Path, pub: Path) -> Path:
    path.write_text(json.dumps({"default": [{"type": "sigstoreSigned", "keyPath": str(pub),
                                             "signedIdentity": {"type": "exactReference",
                                                                "dockerReference": IDENTITY}}]}))
    return path


def _build(root: Path, spec: dict[str, Any]) -> Path:
    config: dict[str, Any] = {"User": "app"}
    if "labels" in spec:
        config["Labels"] = spec["labels"]
    history = spec.get("history") or [{"created_by": "COPY x /etc/x"}]
    layout = build_oci(root / "img", [Layer([Member("etc/x", b"x")])],
                       config_extra={"config": config, "history": history})
    if "annotations" in spec:
        annotate(layout, spec["annotations"])
    return layout


def _attest(layout: Path, spec: dict[str, Any], keys: dict[str, ec.EllipticCurvePrivateKey]
            ) -> None:
    for att in spec.get("attestations") or []:
        digest = top_digest(layout) if att.get("subject", "image") == "image" else (
            "sha256:" + hashlib.sha256(b"another image").hexdigest())
        predicate_type = att.get("predicate", SLSA_V1)
        env = sign_envelope(keys[att.get("signer", "policy")], statement(digest,
                                                                         predicate_type))
        attach(layout, tamper_payload(env) if att.get("tamper") == "payload" else env,
               predicate_type)


def provenance_case(case: Path) -> ProvenanceFacts:
    spec = json.loads((case / "case.json").read_text())
    keys = {"policy": ec.generate_private_key(ec.SECP256R1()),
            "other": ec.generate_private_key(ec.SECP256R1())}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        layout = _build(root, spec)
        if spec.get("sign"):
            sign_sigstore(parse_reference(f"oci:{layout}"), keys["policy"],
                          SignOptions(identity=IDENTITY))
        _attest(layout, spec, keys)
        (root / "key.pub").write_bytes(public_pem(keys["policy"].public_key()))
        policy = (load_policy(sigstore_policy(root / "policy.json", root / "key.pub"))
                  if spec.get("policy") else None)
        result = scan_image(f"oci:{layout}", ScanOptions())
        facts, _ = provenance_facts(result, ProvenanceOptions(
            tuple(spec.get("trusted") or ()), policy))
    if "reference" in spec:  # what the user typed; the layout itself is local
        facts = replace(facts, reference=parse_reference(spec["reference"]))
    return facts

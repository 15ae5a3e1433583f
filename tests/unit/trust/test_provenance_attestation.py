"""DSSE envelopes and in-toto statements: cosign's real fixtures (see the signatures
PROVENANCE §3) and round trips with keys from `ringfence key generate`, with tamperings."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from cryptography import x509

from ringfence.trust.attestation import (
    SLSA_V02,
    SLSA_V1,
    parse_envelope,
    parse_statement,
    sign_envelope,
    verify_envelope,
)
from ringfence.trust.keys import decrypt_private, generate, load_public_key, public_pem
from ringfence.trust.payload import Rejected
from tests.unit.trust.provenance_cases import statement, tamper_payload

EMPTY_IMAGE = "sha256:732112270d7e59418a8c080b134b24cabd67d250d0d0147a97ed95ba5c280aa4"


@pytest.fixture
def cosign(data_dir: Path) -> Path:
    return data_dir / "signatures" / "sigstore-cosign"


def test_cosign_bundle_dsse_verifies_with_its_certificate_key(cosign: Path) -> None:
    """oci-attestation.sigstore.json: cosign verifies it (PROVENANCE §3); the DSSE
    signature over the PAE must verify with the Fulcio leaf's key and fail when the
    payload changes by one byte."""
    bundle = json.loads((cosign / "pkg/cosign/testdata/oci-attestation.sigstore.json")
                        .read_bytes())
    cert = x509.load_der_x509_certificate(
        base64.b64decode(bundle["verificationMaterial"]["certificate"]["rawBytes"]))
    key = load_public_key(public_pem(cert.public_key()), "fulcio leaf")  # type: ignore[arg-type]
    raw = json.dumps(bundle["dsseEnvelope"]).encode()
    env = parse_envelope(raw)
    assert verify_envelope(env, [key])
    st = parse_statement(env)
    assert st.type == "https://in-toto.io/Statement/v0.1"
    assert st.predicate_type == "https://cosign.sigstore.dev/attestation/v1"
    assert [(s.name, s.oci_digests()) for s in st.subjects] == [
        ("127.0.0.1:60943/repo", (EMPTY_IMAGE,))]
    assert st.provenance is None  # not a SLSA predicate
    changed = env.payload.replace(b"bar", b"baz")
    assert changed != env.payload
    assert not verify_envelope(type(env)(env.payload_type, changed, env.signatures), [key])


@pytest.mark.parametrize(("name", "predicate"), [
    ("valid/custom", "https://cosign.sigstore.dev/attestation/v1"),
    ("valid/vuln", "https://cosign.sigstore.dev/attestation/vuln/v1"),
    ("malformed/custom", "cosign.sigstore.dev/attestation/v1"),
    ("malformed/vuln", "cosign.sigstore.dev/attestation/vuln/v1"),
])
def test_cosign_policy_envelopes_parse(cosign: Path, name: str, predicate: str) -> None:
    """pkg/policy/testdata: the predicate types cosign's converter expects. The signing key
    is not published, so no key verifies them (a P-256 key of ours must not)."""
    env = parse_envelope((cosign / "pkg/policy/testdata" / name).read_bytes())
    st = parse_statement(env)
    assert st.predicate_type == predicate
    assert st.subjects[0].name == "registry.local:5000/knative/demo"
    other = load_public_key(generate(b"").public_pem, "ours")
    assert not verify_envelope(env, [other])
    release = load_public_key((cosign / "release/release-cosign.pub").read_bytes(), "rel")
    assert not verify_envelope(env, [release])


def test_roundtrip_and_tamperings() -> None:
    pair = generate(b"pw")
    key = decrypt_private(pair.private_pem, b"pw", "key")
    pub = load_public_key(pair.public_pem, "pub")
    digest = "sha256:" + "ab" * 32
    env_bytes = sign_envelope(key, statement(digest))
    env = parse_envelope(env_bytes)
    assert verify_envelope(env, [pub])
    st = parse_statement(env)
    assert st.predicate_type == SLSA_V1 and st.subjects[0].oci_digests() == (digest,)
    assert st.provenance is not None
    assert st.provenance.builder_id == "https://github.com/actions/runner/github-hosted"
    assert st.provenance.source_repository == "https://github.com/example/app"
    assert st.provenance.source_revision == "a" * 40
    # payload changed after signing
    tampered = parse_envelope(tamper_payload(env_bytes))
    assert b"attacker" in tampered.payload and not verify_envelope(tampered, [pub])
    # another key
    other = load_public_key(generate(b"").public_pem, "other")
    assert not verify_envelope(env, [other]) and verify_envelope(env, [other, pub])
    # payload type changed: the PAE covers it
    retyped = type(env)("application/json", env.payload, env.signatures)
    assert not verify_envelope(retyped, [pub])
    with pytest.raises(Rejected, match="not an in-toto statement"):
        parse_statement(retyped)


def test_slsa_v02_fields() -> None:
    predicate = {
        "builder": {"id": "https://github.com/slsa-framework/slsa-github-generator/"
                          ".github/workflows/generator_container_slsa3.yml@refs/tags/v1.9.0"},
        "buildType": "https://github.com/slsa-framework/slsa-github-generator/container@v1",
        "invocation": {"configSource": {"uri": "git+https://github.com/example/app@refs/tags/v1",
                                        "digest": {"sha1": "b" * 40},
                                        "entryPoint": ".github/workflows/release.yml"}},
        "materials": [{"uri": "git+https://github.com/other/x", "digest": {"sha1": "c" * 40}}]}
    st = parse_statement(parse_envelope(sign_envelope(
        decrypt_private(generate(b"").private_pem, b"", "k"),
        statement("sha256:" + "00" * 32, SLSA_V02, predicate))))
    assert st.provenance is not None
    assert st.provenance.builder_id.endswith("generator_container_slsa3.yml@refs/tags/v1.9.0")
    assert st.provenance.build_type.endswith("container@v1")
    assert st.provenance.source_repository == "git+https://github.com/example/app@refs/tags/v1"
    assert st.provenance.source_revision == "b" * 40


@pytest.mark.parametrize("blob", [
    b"not json", b"{}", b'{"payloadType":"x","payload":"!!","signatures":[]}',
    b'{"payloadType":"x","payload":"e30=","signatures":[]}',
    b'{"payloadType":1,"payload":"e30=","signatures":[{"sig":"AA=="}]}',
    b"[" * 100000,
])
def test_hostile_envelopes_are_rejected(blob: bytes) -> None:
    with pytest.raises(Rejected):
        parse_envelope(blob)


@pytest.mark.parametrize("payload", [
    b"not json", b"{}", b'{"_type":"https://in-toto.io/Statement/v1","predicateType":"x",'
    b'"subject":[]}', b'{"_type":"other","predicateType":"x","subject":[{"digest":{}}]}',
    b'{"_type":"https://in-toto.io/Statement/v1","predicateType":"x","subject":[{"digest":1}]}',
])
def test_malformed_statements_are_rejected(payload: bytes) -> None:
    env = parse_envelope(json.dumps({"payloadType": "application/vnd.in-toto+json",
                                     "payload": base64.b64encode(payload).decode(),
                                     "signatures": [{"sig": "AA=="}]}).encode())
    with pytest.raises(Rejected):
        parse_statement(env)

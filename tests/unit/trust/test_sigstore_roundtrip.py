"""ringfence's own sigstore keys and signatures: the encrypted key format round-trips, a
signature attached beside an OCI layout verifies under sigstoreSigned and fails when
tampered; hostile signature blobs and lookaside servers are refused."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from ringfence.cli.main import main
from ringfence.errors import InputError, RegistryError
from ringfence.image.reference import parse_reference
from ringfence.trust.evaluate import evaluate
from ringfence.trust.fetch import read_lookaside
from ringfence.trust.keys import decrypt_private, generate, load_public_key
from ringfence.trust.policy import loads_policy
from ringfence.trust.sign import SignOptions, sign_sigstore
from ringfence.trust.verify import candidate_from_oci, split_blobs
from tests.imagebuilder import Layer, Member, build_oci, write_blob


def test_key_roundtrip_and_wrong_password() -> None:
    pair = generate(b"s3cret")
    assert pair.private_pem.startswith(b"-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----")
    private = decrypt_private(pair.private_pem, b"s3cret", "key")
    assert private.public_key() == load_public_key(pair.public_pem, "pub")
    with pytest.raises(InputError, match="wrong password"):
        decrypt_private(pair.private_pem, b"nope", "key")


def test_real_cosign_key_format_is_read(data_dir: Path) -> None:
    """cosign's CI key: the password is unknown, so decryption must fail *after* parsing."""
    wf = data_dir / "signatures/sigstore-cosign/.github/workflows"
    with pytest.raises(InputError, match="wrong password"):
        decrypt_private((wf / "cosign-test.key").read_bytes(), b"guess", "cosign-test.key")
    load_public_key((wf / "cosign-test.pub").read_bytes(), "cosign-test.pub")


@pytest.mark.parametrize(("name", "ok"), [("google", True), ("rsa", True),
                                          ("letsencrypt-testflume-2021", True),
                                          ("garbage-there-are-limits", False)])
def test_public_key_formats(data_dir: Path, name: str, ok: bool) -> None:
    data = (data_dir / "signatures/sigstore-cosign/pkg/cosign/testdata" / name).read_bytes()
    if ok:
        load_public_key(data, name)
    else:
        with pytest.raises(InputError):
            load_public_key(data, name)


def _signed_layout(tmp_path: Path) -> tuple[Path, Path]:
    layout = build_oci(tmp_path / "img", [Layer([Member("etc/hello", b"hi")])], tag="v1")
    pair = generate(b"")
    (tmp_path / "cosign.pub").write_bytes(pair.public_pem)
    key = decrypt_private(pair.private_pem, b"", "key")
    sign_sigstore(parse_reference(f"oci:{layout}:v1"), key,
                  SignOptions(identity="example.com/team/app:v1"))
    return layout, tmp_path / "cosign.pub"


def _policy(pub: Path, reference: str = "example.com/team/app:v1") -> str:
    return json.dumps({"default": [{"type": "sigstoreSigned", "keyPath": str(pub),
                                    "signedIdentity": {"type": "exactReference",
                                                       "dockerReference": reference}}]})


def test_sign_and_verify_oci_layout(tmp_path: Path) -> None:
    layout, pub = _signed_layout(tmp_path)
    image = candidate_from_oci(parse_reference(f"oci:{layout}:v1"))
    assert len(image.sigstore_signatures) == 1
    assert evaluate(loads_policy(_policy(pub)), image).allowed
    assert not evaluate(loads_policy(_policy(pub, "example.com/team/app:v2")), image).allowed
    other = generate(b"")
    (tmp_path / "other.pub").write_bytes(other.public_pem)
    assert not evaluate(loads_policy(_policy(tmp_path / "other.pub")), image).allowed


def test_tampered_payload_in_layout_is_rejected(tmp_path: Path) -> None:
    layout, pub = _signed_layout(tmp_path)
    image = candidate_from_oci(parse_reference(f"oci:{layout}:v1"))
    payload = image.sigstore_signatures[0].payload
    blob = layout / "blobs/sha256" / hashlib.sha256(payload).hexdigest()
    blob.write_bytes(payload.replace(b"team", b"evil"))
    with pytest.raises(InputError):  # the blob no longer matches its digest
        candidate_from_oci(parse_reference(f"oci:{layout}:v1"))
    # a consistent layout around the forged payload: digests fine, signature not
    forged = payload.replace(b"team", b"evil")
    index = json.loads((layout / "index.json").read_bytes())
    entry = index["manifests"][-1]
    manifest = json.loads((layout / "blobs/sha256" / entry["digest"][7:]).read_bytes())
    manifest["layers"][0].update(digest=write_blob(layout, forged), size=len(forged))
    data = json.dumps(manifest).encode()
    entry.update(digest=write_blob(layout, data), size=len(data))
    (layout / "index.json").write_text(json.dumps(index))
    image = candidate_from_oci(parse_reference(f"oci:{layout}:v1"))
    assert image.sigstore_signatures[0].payload == forged
    assert not evaluate(loads_policy(_policy(pub, "example.com/evil/app:v1")), image).allowed


def test_cli_key_generate_sign_verify(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RINGFENCE_PASSPHRASE", "pw")
    assert main(["key", "generate", "--out", str(tmp_path / "k")]) == 0
    layout = build_oci(tmp_path / "img", [Layer([Member("a", b"a")])], tag="v1")
    ref = f"oci:{layout}:v1"
    assert main(["sign", ref, "--key", str(tmp_path / "k/cosign.key"),
                 "--identity", "example.com/a:v1"]) == 0
    (tmp_path / "p.json").write_text(_policy(tmp_path / "k/cosign.pub", "example.com/a:v1"))
    assert main(["verify", ref, "--policy", str(tmp_path / "p.json")]) == 0
    (tmp_path / "p.json").write_text(_policy(tmp_path / "k/cosign.pub", "example.com/b:v1"))
    assert main(["verify", ref, "--policy", str(tmp_path / "p.json")]) == 1
    monkeypatch.setenv("RINGFENCE_PASSPHRASE", "wrong")
    assert main(["sign", ref, "--key", str(tmp_path / "k/cosign.key"),
                 "--identity", "example.com/a:v1"]) == 3


def test_hostile_signature_blobs(tmp_path: Path) -> None:
    assert split_blobs([b"\x00sigstore-json\nnot json"])[2].startswith("signature 1")
    assert "unrecognized" in split_blobs([b"\x00weird-format\n"])[2]
    assert "unrecognized" in split_blobs([b"{}"])[2]
    base = tmp_path / "store" / "repo"
    digest = "sha256:" + "ab" * 32
    sig = tmp_path / "store" / f"repo@sha256={'ab' * 32}" / "signature-1"
    sig.parent.mkdir(parents=True)
    sig.write_bytes(b"\x89" * ((4 << 20) + 1))
    with pytest.raises(InputError, match="4 MiB"):
        read_lookaside(base.as_uri(), digest)


class _Loop(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(302)
        self.send_header("Location", self.path + "x")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def looping_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Loop)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/sigs"
    finally:
        server.shutdown()
        server.server_close()


def test_lookaside_redirect_loop_is_an_error(looping_server: str) -> None:
    with pytest.raises(RegistryError, match="redirects"):
        read_lookaside(looping_server, "sha256:" + "cd" * 32)

"""GPG simple signatures of containers/image's fixtures, verified with the gpg binary
against the expectations in tests/data/PROVENANCE.md (signatures)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from ringfence.trust.evaluate import evaluate
from ringfence.trust.payload import SIMPLE_SIGNING_TYPE, Rejected, parse_payload
from ringfence.trust.policy import loads_policy
from ringfence.trust.simple_signing import verify_blob
from ringfence.trust.verify import candidate_from_signed_dir

pytestmark = pytest.mark.skipif(shutil.which("gpg") is None, reason="gpg is not installed")
KEY_A = "08CD26E446E2E95249B7A405E932F44B23E8DD43"
SUBKEY_PRIMARY = "B9F4CDB9FD8C475BFA340AC38D54A947EE396F36"
DIGEST = "sha256:20bf21ed457b390829cdbeec8795a7bea1626991fda603e0d01b4e7f60427e55"

# (file, key file, cryptographically valid signer or None)
CRYPTO = [
    ("image.signature", "public-key.gpg", KEY_A),
    ("no-optional-fields.signature", "public-key.gpg", KEY_A),
    ("invalid-reference.signature", "public-key.gpg", KEY_A),
    ("invalid-blob.signature", "public-key.gpg", KEY_A),
    ("invalid-blob.signature-v3", "public-key.gpg", KEY_A),
    ("invalid-cleartext.signature", "public-key.gpg", KEY_A),
    ("corrupt.signature", "public-key.gpg", None),
    ("corrupt.signature-v3", "public-key.gpg", None),
    ("expired.signature", "public-key.gpg", None),
    ("unknown-key.signature", "pubring.gpg", None),
    ("unknown-key.signature-v3", "pubring.gpg", None),
    ("subkey.signature", "public-key-with-subkey.gpg", SUBKEY_PRIMARY),
    ("subkey.signature-v3", "public-key-with-subkey.gpg", SUBKEY_PRIMARY),
    ("subkey-revoked.signature", "public-key-with-revoked-subkey.gpg", None),
    ("subkey-revoked.signature-v3", "public-key-with-revoked-subkey.gpg", None),
    ("unsigned-literal.signature", "public-key.gpg", None),
    ("unsigned-encrypted.signature", "public-key.gpg", None),
]


@pytest.mark.parametrize(("name", "key", "signer"), CRYPTO)
def test_signature_fixture(fixtures: Path, name: str, key: str, signer: str | None) -> None:
    blob = (fixtures / name).read_bytes()
    if signer is None:
        with pytest.raises(Rejected):
            verify_blob(blob, [(fixtures / key).read_bytes()])
    else:
        assert verify_blob(blob, [(fixtures / key).read_bytes()]).fingerprint == signer


def test_valid_signature_payload(fixtures: Path) -> None:
    content = verify_blob((fixtures / "image.signature").read_bytes(),
                          [(fixtures / "public-key.gpg").read_bytes()]).content
    payload = parse_payload(content, SIMPLE_SIGNING_TYPE)
    assert (payload.docker_reference, payload.manifest_digest) == ("testing/manifest", DIGEST)
    assert payload.timestamp == 1458239713
    with pytest.raises(Rejected):  # "This is not JSON\n"
        parse_payload(verify_blob((fixtures / "invalid-blob.signature").read_bytes(),
                                  [(fixtures / "public-key.gpg").read_bytes()]).content,
                      SIMPLE_SIGNING_TYPE)


def test_prefixed_and_bare_forms_are_equal(data_dir: Path, fixtures: Path) -> None:
    bare = data_dir / "signatures/containers-image/internal/signature/testdata/simple.signature"
    key = [(fixtures / "public-key.gpg").read_bytes()]
    assert (verify_blob(b"\x00simple-signing\n" + bare.read_bytes(), key).content
            == verify_blob((fixtures / "image.signature").read_bytes(), key).content)


def _policy(key: Path, identity: str = "matchExact") -> str:
    return json.dumps({"default": [{"type": "signedBy", "keyType": "GPGKeys",
                                    "keyPath": str(key),
                                    "signedIdentity": {"type": identity}}]})


# (directory, image name, key file, allowed) — PROVENANCE §2.3
DIRS = [
    ("dir-img-valid", "testing/manifest:latest", "public-key.gpg", True),
    ("dir-img-valid", "testing/manifest:notlatest", "public-key.gpg", False),
    ("dir-img-valid-2", "testing/manifest:latest", "public-key.gpg", True),
    ("dir-img-valid-2", "testing/manifest:notlatest", "public-key.gpg", False),
    ("dir-img-mixed", "testing/manifest:latest", "public-key.gpg", True),
    ("dir-img-modified-manifest", "testing/manifest:latest", "public-key.gpg", False),
    ("dir-img-no-manifest", "testing/manifest:latest", "public-key.gpg", False),
    ("dir-img-manifest-digest-error", "testing/manifest:latest", "public-key.gpg", False),
    ("dir-img-unsigned", "testing/manifest:latest", "public-key.gpg", False),
    ("dir-img-valid-subkey", "testing/manifest:latest", "public-key-with-subkey.gpg", True),
    ("dir-img-valid", "testing/manifest:latest", "public-key-2.gpg", False),
]


@pytest.mark.parametrize(("directory", "name", "key", "allowed"), DIRS)
def test_signed_by_dir_images(fixtures: Path, directory: str, name: str, key: str,
                              allowed: bool) -> None:
    verdict = evaluate(loads_policy(_policy(fixtures / key)),
                       candidate_from_signed_dir(fixtures / directory, name))
    assert verdict.allowed is allowed, verdict.reasons()


def test_key_sources_and_types(fixtures: Path) -> None:
    image = candidate_from_signed_dir(fixtures / "dir-img-valid", "testing/manifest:latest")
    k1, k2 = str(fixtures / "public-key-1.gpg"), str(fixtures / "public-key-2.gpg")

    def allowed(req: dict[str, object]) -> bool:
        doc = {"default": [{"type": "signedBy", "signedIdentity": {"type": "matchExact"},
                            **req}]}
        return evaluate(loads_policy(json.dumps(doc)), image).allowed

    assert allowed({"keyType": "GPGKeys", "keyPaths": [k2, k1]})
    assert allowed({"keyType": "GPGKeys", "keyPaths": [k1, k2]})
    assert not allowed({"keyType": "GPGKeys", "keyPaths": [k1, "/nonexistent/key"]})
    assert not allowed({"keyType": "GPGKeys", "keyData": ""})  # no keys at all
    assert not allowed({"keyType": "X509Certificates", "keyPath": k1})  # not implemented
    import base64

    data = base64.b64encode((fixtures / "public-key.gpg").read_bytes()).decode()
    assert allowed({"keyType": "GPGKeys", "keyData": data})

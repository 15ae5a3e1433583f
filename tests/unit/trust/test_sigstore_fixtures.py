"""Cosign-made sigstore signatures of containers/image's fixtures (PROVENANCE §2.4): which
must be allowed and which rejected, with keys, Rekor SETs, Fulcio and a private PKI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ringfence.trust.evaluate import evaluate
from ringfence.trust.policy import loads_policy
from ringfence.trust.sigstore import SIGNATURE, parse_stored, to_stored
from ringfence.trust.verify import candidate_from_signed_dir

SINGLE = "192.168.64.2:5000/cosign-signed-single-sample"
KEY_REKOR = "192.168.64.2:5000/cosign-signed/key-1"
FULCIO = "192.168.64.2:5000/cosign-signed/fulcio-rekor-1"


def allowed(fixtures: Path, directory: str | Path, name: str, req: dict[str, Any],
            identity: dict[str, Any] | None = None) -> bool:
    doc = {"default": [{"type": "sigstoreSigned",
                        "signedIdentity": identity or {"type": "matchRepository"}, **req}]}
    path = directory if isinstance(directory, Path) else fixtures / directory
    return evaluate(loads_policy(json.dumps(doc)), candidate_from_signed_dir(path, name)).allowed


def key(fixtures: Path, *names: str) -> dict[str, Any]:
    paths = [str(fixtures / n) for n in names]
    return {"keyPath": paths[0]} if len(paths) == 1 else {"keyPaths": paths}


CASES = [
    ("dir-img-cosign-valid", SINGLE, ("cosign.pub",), None, True),
    ("dir-img-cosign-valid", SINGLE, ("cosign.pub", "cosign2.pub"), None, True),
    ("dir-img-cosign-valid", SINGLE, ("cosign2.pub", "cosign.pub"), None, True),
    ("dir-img-cosign-valid", SINGLE, ("cosign2.pub",), None, False),
    ("dir-img-cosign-valid", "testing/manifest:notlatest", ("cosign.pub",), None, False),
    ("dir-img-cosign-valid", SINGLE + ":latest", ("cosign.pub",), {"type": "matchExact"},
     False),
    ("dir-img-cosign-valid", SINGLE, ("cosign.pub",),
     {"type": "exactReference", "dockerReference": "this/does-not:match"}, False),
    ("dir-img-cosign-valid-2", SINGLE, ("cosign.pub",), None, True),
    ("dir-img-cosign-valid-2", "this/does-not:match", ("cosign.pub",), None, False),
    ("dir-img-cosign-mixed", SINGLE, ("cosign.pub",), None, True),
    ("dir-img-cosign-modified-manifest", SINGLE, ("cosign.pub",), None, False),
    ("dir-img-cosign-no-manifest", SINGLE, ("cosign.pub",), None, False),
    ("dir-img-cosign-manifest-digest-error", SINGLE, ("cosign.pub",), None, False),
    ("dir-img-cosign-other-attachment", "testing/manifest:latest", ("cosign.pub",), None,
     False),
    ("dir-img-cosign-valid-with-tag", "192.168.64.2:5000/skopeo-signed:tag", ("cosign.pub",),
     {"type": "matchExact"}, True),
    ("dir-img-cosign-valid-with-tag", "192.168.64.2:5000/skopeo-signed:othertag",
     ("cosign.pub",), {"type": "matchExact"}, False),
    ("dir-img-unsigned", SINGLE, ("cosign.pub",), None, False),
    ("dir-img-valid", "testing/manifest:latest", ("cosign.pub",), None, False),
]


@pytest.mark.parametrize(("directory", "name", "keys", "identity", "expected"), CASES)
def test_key_signed(fixtures: Path, directory: str, name: str, keys: tuple[str, ...],
                    identity: dict[str, Any] | None, expected: bool) -> None:
    assert allowed(fixtures, directory, name, key(fixtures, *keys), identity) is expected


def _tampered(fixtures: Path, tmp_path: Path, source: str, change: dict[str, str | None]) -> Path:
    """A copy of a dir image whose signature-1 annotations are changed (None removes)."""
    out = tmp_path / source
    out.mkdir()
    (out / "manifest.json").write_bytes((fixtures / source / "manifest.json").read_bytes())
    sig = parse_stored((fixtures / source / "signature-1").read_bytes())
    for name, value in change.items():
        if value is None:
            sig.annotations.pop(name, None)
        else:
            sig.annotations[name] = value
    (out / "signature-1").write_bytes(to_stored(sig))
    return out


@pytest.mark.parametrize(("change", "expected"), [
    ({}, True), ({SIGNATURE: None}, False), ({SIGNATURE: "&"}, False),
    ({SIGNATURE: "MEUCIQ=="}, False)])
def test_signature_annotation_tampering(fixtures: Path, tmp_path: Path,
                                        change: dict[str, str | None], expected: bool) -> None:
    image = _tampered(fixtures, tmp_path, "dir-img-cosign-valid", change)
    assert allowed(fixtures, image, SINGLE, key(fixtures, "cosign.pub")) is expected


BUNDLE = "dev.sigstore.cosign/bundle"


def rekor(fixtures: Path, *names: str) -> dict[str, Any]:
    return {"rekorPublicKeyPaths": [str(fixtures / n) for n in names]}


@pytest.mark.parametrize(("rekor_keys", "change", "expected"), [
    (("rekor.pub",), {}, True),
    (("cosign.pub", "rekor.pub"), {}, True),
    (("cosign.pub",), {}, False),
    (("rekor.pub",), {BUNDLE: None}, False),
    (("rekor.pub",), {BUNDLE: "this is garbage"}, False),
])
def test_key_with_rekor(fixtures: Path, tmp_path: Path, rekor_keys: tuple[str, ...],
                        change: dict[str, str | None], expected: bool) -> None:
    image = _tampered(fixtures, tmp_path, "dir-img-cosign-key-rekor-valid", change)
    req = {**key(fixtures, "cosign2.pub"), **rekor(fixtures, *rekor_keys)}
    assert allowed(fixtures, image, KEY_REKOR, req) is expected


def test_rekor_set_moved_to_another_signature_is_rejected(fixtures: Path,
                                                          tmp_path: Path) -> None:
    bundle = parse_stored((fixtures / "dir-img-cosign-key-rekor-valid/signature-1")
                          .read_bytes()).annotations[BUNDLE]
    image = _tampered(fixtures, tmp_path, "dir-img-cosign-valid", {BUNDLE: bundle})
    req = {**key(fixtures, "cosign.pub"), **rekor(fixtures, "rekor.pub")}
    assert not allowed(fixtures, image, SINGLE, req)


def fulcio(fixtures: Path, email: str = "mitr@redhat.com", ca: str = "fulcio_v1.crt.pem"
           ) -> dict[str, Any]:
    return {"fulcio": {"caPath": str(fixtures / ca), "oidcIssuer":
                       "https://github.com/login/oauth", "subjectEmail": email}}


CERT, CHAIN = "dev.sigstore.cosign/certificate", "dev.sigstore.cosign/chain"


@pytest.mark.parametrize(("email", "rekor_key", "change", "ca", "expected"), [
    ("mitr@redhat.com", "rekor.pub", {}, "fulcio_v1.crt.pem", True),
    ("this-does-not-match@example.com", "rekor.pub", {}, "fulcio_v1.crt.pem", False),
    ("mitr@redhat.com", "cosign.pub", {}, "fulcio_v1.crt.pem", False),
    ("mitr@redhat.com", "rekor.pub", {BUNDLE: None}, "fulcio_v1.crt.pem", False),
    ("mitr@redhat.com", "rekor.pub", {CERT: None}, "fulcio_v1.crt.pem", False),
    ("mitr@redhat.com", "rekor.pub", {CERT: "garbage"}, "fulcio_v1.crt.pem", False),
    ("mitr@redhat.com", "rekor.pub", {CHAIN: None}, "fulcio_v1.crt.pem", False),
    ("mitr@redhat.com", "rekor.pub", {CHAIN: None}, "fulcio-chain", True),
])
def test_fulcio_with_rekor(fixtures: Path, tmp_path: Path, email: str, rekor_key: str,
                           change: dict[str, str | None], ca: str, expected: bool) -> None:
    image = _tampered(fixtures, tmp_path, "dir-img-cosign-fulcio-rekor-valid", change)
    req = {**fulcio(fixtures, email, ca), **rekor(fixtures, rekor_key)}
    assert allowed(fixtures, image, FULCIO, req) is expected


def test_fulcio_without_rekor_is_an_invalid_policy(fixtures: Path) -> None:
    from ringfence.errors import InputError

    with pytest.raises(InputError, match="Rekor"):
        allowed(fixtures, "dir-img-cosign-fulcio-rekor-valid", FULCIO, fulcio(fixtures))


def pki(fixtures: Path, intermediates: bool) -> dict[str, Any]:
    body = {"caRootsPath": str(fixtures / "pki_root_crts.pem"),
            "subjectEmail": "qiwan@redhat.com", "subjectHostname": "myhost.example.com"}
    if intermediates:
        body["caIntermediatesPath"] = str(fixtures / "pki_intermediate_crts.pem")
    return {"pki": body}


@pytest.mark.parametrize(("intermediates", "change", "expected"), [
    (True, {}, True), (False, {}, True), (True, {CERT: None}, False),
    (True, {CHAIN: None}, True), (False, {CHAIN: None}, False)])
def test_private_pki(fixtures: Path, tmp_path: Path, intermediates: bool,
                     change: dict[str, str | None], expected: bool) -> None:
    image = _tampered(fixtures, tmp_path, "dir-img-cosign-pki-valid", change)
    assert allowed(fixtures, image, "localhost:5000/test", pki(fixtures, intermediates)) \
        is expected

"""Hostile trust inputs (issue 18): ``/dev/zero`` or a FIFO as policy, key, signature or
registries.d file; wrong JSON types in signature attachments, index.json and the Rekor
bundle; an alias bomb in registries.d. Every one ends in exit 3 (could not complete) or a
rejection (exit 1, fails closed), with one error line and no traceback."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from ringfence.image.reference import parse_reference
from ringfence.trust.keys import decrypt_private, generate
from ringfence.trust.sign import SignOptions, sign_sigstore
from tests.imagebuilder import Layer, Member, build_oci, write_blob
from tests.unit.hostile_platform.cli import run, run_child


def _special(tmp_path: Path, kind: str) -> str:
    if kind == "dev-zero":
        return "/dev/zero"
    fifo = tmp_path / f"{kind}.fifo"
    os.mkfifo(fifo)  # no writer: a blocking open never returns
    return str(fifo)


def _signed_layout(tmp_path: Path) -> tuple[Path, Path]:
    layout = build_oci(tmp_path / "img", [Layer([Member("etc/hello", b"hi")])], tag="v1")
    pair = generate(b"")
    (tmp_path / "cosign.pub").write_bytes(pair.public_pem)
    sign_sigstore(parse_reference(f"oci:{layout}:v1"), decrypt_private(pair.private_pem, b"",
                                                                       "key"),
                  SignOptions(identity="example.com/team/app:v1"))
    return layout, tmp_path / "cosign.pub"


def _policy(tmp_path: Path, key: str) -> Path:
    p = tmp_path / "policy.json"
    p.write_text(json.dumps({"default": [{"type": "sigstoreSigned", "keyPath": key,
                                          "signedIdentity": {"type": "matchRepository"}}]}))
    return p


@pytest.mark.parametrize("kind", ["dev-zero", "fifo"])
def test_policy_file_that_is_not_a_file(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                        kind: str) -> None:
    path = _special(tmp_path, kind)
    got = run(capsys, "policy", "lint", path, "-f", "json")
    got.assert_clean_error(3, path, "not a regular file")
    layout = build_oci(tmp_path / "img", [Layer([Member("a", b"a")])], tag="v1")
    got = run(capsys, "verify", f"oci:{layout}:v1", "--policy", path, "-f", "json")
    got.assert_clean_error(3, path, "not a regular file")


@pytest.mark.parametrize("kind", ["dev-zero", "fifo"])
def test_key_named_by_the_policy_that_is_not_a_file_rejects(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, kind: str) -> None:
    layout, _ = _signed_layout(tmp_path)
    key = _special(tmp_path, kind)
    got = run(capsys, "verify", f"oci:{layout}:v1", "--policy", str(_policy(tmp_path, key)),
              "-f", "json")
    assert got.rc == 1 and "Traceback" not in got.err, got.err
    doc = got.json()
    assert doc["allowed"] is False
    assert any(key in r["reason"] and "not a regular file" in r["reason"]
               for r in doc["requirements"])


def test_oversized_policy_is_exit_3(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    p = tmp_path / "policy.json"
    with p.open("wb") as fh:
        fh.truncate(5 << 20)  # sparse
    got = run(capsys, "policy", "lint", str(p), "-f", "json")
    got.assert_clean_error(3, str(p), "larger than 4 MiB")


def test_deep_policy_is_exit_3(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    p = tmp_path / "policy.json"
    p.write_text('{"default": ' + "[" * 100_000 + "]" * 100_000 + "}")
    got = run(capsys, "policy", "lint", str(p), "-f", "json")
    got.assert_clean_error(3, str(p))


def _attachment(layout: Path) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    index = json.loads((layout / "index.json").read_bytes())
    entry = index["manifests"][-1]
    manifest = json.loads((layout / "blobs/sha256" / entry["digest"][7:]).read_bytes())
    return index, entry, manifest


def _rewrite(layout: Path, index: dict[str, Any], entry: dict[str, Any],
             manifest: Any) -> None:
    data = json.dumps(manifest).encode()
    entry.update(digest=write_blob(layout, data), size=len(data))
    (layout / "index.json").write_text(json.dumps(index))


@pytest.mark.parametrize("mutation", [
    "size-string", "size-huge-float", "size-bool", "annotations-list", "annotation-value-dict",
    "digest-number", "layers-dict", "layer-string", "manifest-list", "deep-bundle"])
def test_signature_attachment_with_wrong_types_rejects(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, mutation: str) -> None:
    layout, pub = _signed_layout(tmp_path)
    index, entry, manifest = _attachment(layout)
    layer = manifest["layers"][0]
    new: Any = manifest
    if mutation == "size-string":
        layer["size"] = "12abc"
    elif mutation == "size-huge-float":
        layer["size"] = 1e308
    elif mutation == "size-bool":
        layer["size"] = True
    elif mutation == "annotations-list":
        layer["annotations"] = ["a", "b"]
    elif mutation == "annotation-value-dict":
        layer["annotations"]["dev.sigstore.cosign/bundle"] = {"Payload": []}
    elif mutation == "digest-number":
        layer["digest"] = 7
    elif mutation == "layers-dict":
        manifest["layers"] = {"0": layer}
    elif mutation == "layer-string":
        manifest["layers"] = ["sha256:abc"]
    elif mutation == "manifest-list":
        new = [manifest]
    else:
        layer["annotations"]["dev.sigstore.cosign/bundle"] = "[" * 100_000 + "]" * 100_000
    _rewrite(layout, index, entry, new)
    policy = tmp_path / "p.json"
    policy.write_text(json.dumps({"default": [{
        "type": "sigstoreSigned", "keyPath": str(pub), "rekorPublicKeyPath": str(pub),
        "signedIdentity": {"type": "matchRepository"}}]}))
    got = run(capsys, "verify", f"oci:{layout}:v1", "--policy", str(policy), "-f", "json")
    assert got.rc in (1, 3) and "Traceback" not in got.err, (got.rc, got.err)
    if got.rc == 1:
        assert got.json()["allowed"] is False
    else:
        got.assert_clean_error(3)


@pytest.mark.parametrize("index", [[], {"manifests": "x"}, {"manifests": ["x", 1]},
                                   "[" * 100_000])
def test_index_json_with_wrong_types_is_exit_3(capsys: pytest.CaptureFixture[str],
                                               tmp_path: Path, index: Any) -> None:
    layout, pub = _signed_layout(tmp_path)
    (layout / "index.json").write_text(index if isinstance(index, str) else json.dumps(index))
    got = run(capsys, "verify", f"oci:{layout}:v1", "--policy", str(_policy(tmp_path,
                                                                               str(pub))))
    got.assert_clean_error(3)


@pytest.mark.parametrize("content", ["bomb", "deep", "wrong-type", "dev-zero"])
def test_registries_d_hostile_files_are_exit_3(tmp_path: Path, content: str) -> None:
    _, pub = _signed_layout(tmp_path)
    regd = tmp_path / "registries.d"
    regd.mkdir()
    f = regd / "default.yaml"
    if content == "bomb":
        lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
        lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
        f.write_text("\n".join(lines) + "\ndefault-docker:\n  lookaside: *a8\n")
    elif content == "deep":
        f.write_text("docker: " + "[" * 50_000 + "]" * 50_000 + "\n")
    elif content == "wrong-type":
        f.write_text("default-docker:\n  lookaside: [file:///a, file:///b]\n")
    else:
        f.symlink_to("/dev/zero")
    got = run_child("verify", "docker://example.com/team/app:v1", "--registries-d", str(regd),
                    "--policy", str(_policy(tmp_path, str(pub))), timeout=120)
    got.assert_clean_error(3, str(f))

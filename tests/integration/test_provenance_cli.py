"""`ringfence image` with the provenance scanner end to end: an OCI layout with a SLSA
attestation and a sigstore signature (keys from `ringfence key generate`), --policy
(IMG-214), --trusted-registry, JSON / table / SARIF; and in a real registry (docker://),
where the `.att` attachment is pushed as cosign stores it."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from ringfence.cli.main import main
from ringfence.image.reference import parse_reference
from ringfence.trust.attachments import EMPTY_CONFIG, OCI_MANIFEST, build_attachment
from ringfence.trust.attestation import DSSE_MEDIA_TYPE, SLSA_V1, sign_envelope
from ringfence.trust.keys import decrypt_private
from ringfence.trust.provenance import att_tag
from ringfence.trust.sign import SignOptions, sign_sigstore
from ringfence.trust.sigstore import SIGNATURE, SigstoreSignature
from tests.imagebuilder import Layer, Member, build_oci
from tests.unit.trust.provenance_cases import (
    IDENTITY,
    attach,
    sigstore_policy,
    statement,
    top_digest,
)


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["image", *args, "--no-cache"])
    return code, capsys.readouterr().out


@pytest.fixture
def keys(tmp_path: Path, capsys: pytest.CaptureFixture[str],
         monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("RINGFENCE_PASSPHRASE", "pw")
    assert main(["key", "generate", "--out", str(tmp_path / "keys")]) == 0
    capsys.readouterr()
    return tmp_path / "keys"


def _private(keys: Path) -> object:
    return decrypt_private(next(keys.glob("*.key")).read_bytes(), b"pw", "key")


def test_image_provenance_section_and_policy(tmp_path: Path, keys: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    layout = build_oci(tmp_path / "img", [Layer([Member("etc/a", b"a")])],
                       config_extra={"config": {"User": "app", "Labels": {
                           "org.opencontainers.image.source": "https://github.com/example/app"}}})
    key = _private(keys)
    attach(layout, sign_envelope(key, statement(top_digest(layout))), SLSA_V1)  # type: ignore
    policy = sigstore_policy(tmp_path / "policy.json", next(keys.glob("*.pub")))
    ref = f"oci:{layout}"
    code, out = _run(capsys, ref, "-f", "json", "--scanners", "provenance", "--policy",
                     str(policy), "--trusted-registry", "quay.io/example")
    doc = json.loads(out)
    assert code == 0 and doc["schema"] == "ringfence.image/2"
    rules = sorted(f["rule"] for f in doc["findings"])
    assert rules == ["IMG-211", "IMG-214"]  # no revision; image not signed yet
    prov = doc["provenance"]
    assert prov["attestations"][0]["verified"] is True
    assert prov["attestations"][0]["source_revision"] == "a" * 40
    assert prov["allow_list"]["state"].startswith("not evaluated: oci: is a local")
    assert prov["policy"]["allowed"] is False
    assert _run(capsys, ref, "-f", "json", "--scanners", "provenance", "--policy",
                str(policy), "--fail-on", "high")[0] == 1
    sign_sigstore(parse_reference(ref), key, SignOptions(identity=IDENTITY))  # type: ignore
    code, out = _run(capsys, ref, "-f", "json", "--scanners", "provenance", "--policy",
                     str(policy), "--fail-on", "high")
    assert code == 0 and json.loads(out)["provenance"]["policy"]["allowed"] is True
    code, out = _run(capsys, ref, "-f", "table", "--scanners", "provenance")
    assert "history (1)" in out and "attestations (1)" in out
    assert "https://github.com/actions/runner/github-hosted" in out
    code, out = _run(capsys, ref, "-f", "sarif", "--scanners", "provenance,config")
    ids = {r["id"] for r in json.loads(out)["runs"][0]["tool"]["driver"]["rules"]}
    assert ids == {"IMG-002", "IMG-211"}  # rules with results: no HEALTHCHECK, no revision


def test_malformed_policy_is_a_usage_error(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    layout = build_oci(tmp_path / "img", [Layer([Member("etc/a", b"a")])])
    bad = tmp_path / "policy.json"
    bad.write_text('{"default": [\n  {"type": "reject"},\n]}')
    assert main(["image", f"oci:{layout}", "--policy", str(bad), "--no-cache"]) != 0
    assert "line 3" in capsys.readouterr().err


@pytest.mark.registry
@pytest.mark.slow
def test_registry_attestation_and_allow_list(tmp_path: Path, keys: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    from ringfence.image.registry import RegistryClient, push_blob, push_manifest
    from tests.integration.test_registry import docker_registry

    if shutil.which("skopeo") is None:
        pytest.skip("skopeo is not installed")
    layout = build_oci(tmp_path / "img", [Layer([Member("etc/a", b"a")])])
    key = _private(keys)
    (tmp_path / "registry").mkdir()
    with docker_registry(tmp_path / "registry") as host:
        ref = f"docker://{host}/team/app:v1"
        subprocess.run(["skopeo", "--insecure-policy", "copy", "--dest-tls-verify=false",
                        f"oci:{layout}:latest", ref], check=True, capture_output=True)
        digest = subprocess.run(["skopeo", "inspect", "--tls-verify=false", "--format",
                                 "{{.Digest}}", ref], check=True, capture_output=True,
                                text=True).stdout.strip()
        good = sign_envelope(key, statement(digest))  # type: ignore[arg-type]
        wrong = sign_envelope(key, statement("sha256:" + "1" * 64))  # type: ignore[arg-type]
        client = RegistryClient(parse_reference(ref), insecure=True, auth_file=None)
        manifest = None
        for env in (good, wrong):
            manifest = build_attachment(manifest, SigstoreSignature(
                DSSE_MEDIA_TYPE, env, {SIGNATURE: "", "predicateType": SLSA_V1}))
            push_blob(client, env)
        push_blob(client, EMPTY_CONFIG)
        push_manifest(client, att_tag(digest), manifest, OCI_MANIFEST)
        client.close()
        policy = sigstore_policy(tmp_path / "policy.json", next(keys.glob("*.pub")))
        code, out = _run(capsys, ref, "-f", "json", "--insecure-registry", "--scanners",
                         "provenance", "--policy", str(policy), "--trusted-registry",
                         f"{host}/other")
    doc = json.loads(out)
    assert code == 0  # no --fail-on
    by_rule = {f["rule"]: f for f in doc["findings"]}
    assert set(by_rule) == {"IMG-210", "IMG-211", "IMG-212", "IMG-214"}
    assert by_rule["IMG-212"]["location"] == f"{att_tag(digest)} layer 2"
    assert [a["verified"] for a in doc["provenance"]["attestations"]] == [True, True]
    assert doc["provenance"]["allow_list"]["registry"] == f"{host}/team/app"

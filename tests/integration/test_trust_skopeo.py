"""Interop with skopeo 1.9 (the oracle) against a real docker-registry on 127.0.0.1: GPG
simple signatures in a file:// lookaside store, in both directions (skopeo signs, ringfence
verifies; ringfence signs, skopeo verifies), and tamperings that ringfence must reject
exactly when ``skopeo copy --policy`` rejects them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ringfence.image.reference import parse_reference
from ringfence.trust.policy import loads_policy
from ringfence.trust.sign import SignOptions, sign_gpg
from ringfence.trust.verify import VerifyOptions, verify
from tests.imagebuilder import Layer, Member, build_oci
from tests.integration.test_registry import docker_registry

pytestmark = [pytest.mark.registry, pytest.mark.slow]


@dataclass
class Env:
    host: str
    root: Path
    gnupg: Path
    key_a: str
    key_b: str
    pub_a: Path
    pub_b: Path
    registries_d: Path
    lookaside: Path
    counter: int = 0

    def run(self, *argv: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "GNUPGHOME": str(self.gnupg)}
        return subprocess.run(list(argv), env=env, capture_output=True, text=True,
                              timeout=120, check=False)

    def push(self, tag: str, *, sign_by: str | None = None) -> str:
        """A fresh, distinct image pushed (and maybe signed by skopeo) as app:TAG."""
        self.counter += 1
        layout = build_oci(self.root / f"img{self.counter}",
                           [Layer([Member("etc/marker", f"{tag} {self.counter}".encode())])])
        sign = ["--sign-by", sign_by] if sign_by else []
        done = self.run("skopeo", "--insecure-policy", "--registries.d",
                        str(self.registries_d), "copy", "--dest-tls-verify=false", *sign,
                        f"oci:{layout}:latest", f"docker://{self.host}/app:{tag}")
        assert done.returncode == 0, done.stderr
        return f"docker://{self.host}/app:{tag}"

    def digest(self, ref: str) -> str:
        done = self.run("skopeo", "inspect", "--tls-verify=false", "--format", "{{.Digest}}",
                        ref)
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    def sig_dir(self, digest: str) -> Path:
        return self.lookaside / "app@{}={}".format(*digest.split(":"))


def _gpg_key(env: Env, name: str) -> str:
    env.run("gpg", "--batch", "--passphrase", "", "--quick-gen-key", name, "ed25519", "sign",
            "never")
    out = env.run("gpg", "--batch", "--with-colons", "--list-keys", name).stdout
    return next(ln.split(":")[9] for ln in out.splitlines() if ln.startswith("fpr:"))


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    for tool in ("skopeo", "gpg"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed")
    root = tmp_path_factory.mktemp("trust-skopeo")
    gnupg = root / "gnupg"
    gnupg.mkdir(mode=0o700)
    rd, look = root / "registries.d", root / "lookaside"
    rd.mkdir()
    rd.joinpath("default.yaml").write_text(f"default-docker:\n  lookaside: file://{look}\n")
    (root / "registry").mkdir()
    with docker_registry(root / "registry") as host:
        e = Env(host, root, gnupg, "", "", root / "a.gpg", root / "b.gpg", rd, look)
        e.key_a, e.key_b = _gpg_key(e, "ringfence test A"), _gpg_key(e, "ringfence test B")
        for fpr, path in ((e.key_a, e.pub_a), (e.key_b, e.pub_b)):
            path.write_bytes(subprocess.run(
                ["gpg", "--batch", "--homedir", str(gnupg), "--export", fpr],
                capture_output=True, check=True).stdout)
        yield e


def signed_by(key: Path | list[Path], identity: dict[str, Any] | None = None) -> dict[str, Any]:
    req: dict[str, Any] = {"type": "signedBy", "keyType": "GPGKeys"}
    if isinstance(key, list):
        req["keyPaths"] = [str(k) for k in key]
    else:
        req["keyPath"] = str(key)
    if identity is not None:
        req["signedIdentity"] = identity
    return req


def both_verdicts(env: Env, ref: str, policy: dict[str, Any]) -> tuple[bool, bool]:
    policy_file = env.root / f"policy{env.counter}-{abs(hash(ref)) % 10**6}.json"
    policy_file.write_text(json.dumps(policy))
    ours = verify(parse_reference(ref), loads_policy(policy_file.read_text()),
                  VerifyOptions(str(env.registries_d), insecure_registry=True)).allowed
    out = env.root / f"out{env.counter}"
    shutil.rmtree(out, ignore_errors=True)
    done = env.run("skopeo", "--policy", str(policy_file), "--registries.d",
                   str(env.registries_d), "copy", "--remove-signatures", "--src-tls-verify=false",
                   ref, f"oci:{out}:x")
    return ours, done.returncode == 0


def ringfence_sign(env: Env, ref: str, key: str, identity: str | None = None) -> None:
    sign_gpg(parse_reference(ref), key, SignOptions(str(env.registries_d), True, None, identity),
             gpg_home=str(env.gnupg))


def test_skopeo_signs_ringfence_verifies(env: Env) -> None:
    ref = env.push("by-skopeo", sign_by=env.key_a)
    assert both_verdicts(env, ref, {"default": [signed_by(env.pub_a)]}) == (True, True)


def test_ringfence_signs_skopeo_verifies(env: Env) -> None:
    ref = env.push("by-ringfence")
    ringfence_sign(env, ref, env.key_a)
    assert both_verdicts(env, ref, {"default": [signed_by(env.pub_a)]}) == (True, True)


def _flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x01
    path.write_bytes(bytes(data))


def _case(env: Env, name: str) -> tuple[str, dict[str, Any], bool]:
    """Set up one tampering (or control); return (ref, policy, expected verdict)."""
    a = {"default": [signed_by(env.pub_a)]}
    if name == "unsigned":
        return env.push(name), a, False
    ref = env.push(name, sign_by=env.key_a)
    sig = env.sig_dir(env.digest(ref)) / "signature-1"
    if name == "payload-bitflip":
        _flip(sig, len(sig.read_bytes()) // 2)
        return ref, a, False
    if name == "signature-truncated":
        sig.write_bytes(sig.read_bytes()[:40])
        return ref, a, False
    if name == "signature-of-another-image":
        other = env.push(name + "-other")
        target = env.sig_dir(env.digest(other))
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy(sig, target / "signature-1")
        return other, a, False
    if name in ("other-tag-default-identity", "other-tag-matchRepository"):
        moved = ref.replace(f":{name}", f":{name}-copy")
        done = env.run("skopeo", "--insecure-policy", "copy", "--src-tls-verify=false",
                       "--dest-tls-verify=false", ref, moved)
        assert done.returncode == 0, done.stderr
        if name == "other-tag-matchRepository":
            return moved, {"default": [signed_by(env.pub_a, {"type": "matchRepository"})]}, True
        return moved, a, False
    if name == "by-digest":
        return f"docker://{env.host}/app@{env.digest(ref)}", a, True
    if name == "wrong-key":
        return ref, {"default": [signed_by(env.pub_b)]}, False
    if name == "key-among-keyPaths":
        return ref, {"default": [signed_by([env.pub_b, env.pub_a])]}, True
    if name == "scope-rejects-repository":
        return ref, {"default": [signed_by(env.pub_a)],
                     "transports": {"docker": {f"{env.host}/app": [{"type": "reject"}]}}}, False
    if name == "scope-for-another-repository":
        return ref, {"default": [{"type": "reject"}], "transports": {"docker": {
            f"{env.host}/other": [{"type": "insecureAcceptAnything"}]}}}, False
    if name == "scope-host-wins-over-default":
        return ref, {"default": [{"type": "reject"}],
                     "transports": {"docker": {env.host: [signed_by(env.pub_a)]}}}, True
    if name == "exactRepository-elsewhere":
        return ref, {"default": [signed_by(env.pub_a, {
            "type": "exactRepository", "dockerRepository": "example.com/elsewhere"})]}, False
    if name == "garbage-then-valid":
        (sig.parent / "signature-2").write_bytes(sig.read_bytes())
        sig.write_bytes(b"not a signature")  # not OpenPGP: fails the whole image
        return ref, a, False
    if name == "corrupt-then-valid":
        (sig.parent / "signature-2").write_bytes(sig.read_bytes())
        _flip(sig, len(sig.read_bytes()) // 2)  # still OpenPGP: only this one fails
        return ref, a, True
    raise AssertionError(name)


CASES = ["unsigned", "payload-bitflip", "signature-truncated", "signature-of-another-image",
         "other-tag-default-identity", "other-tag-matchRepository", "by-digest", "wrong-key",
         "key-among-keyPaths", "scope-rejects-repository", "scope-for-another-repository",
         "scope-host-wins-over-default", "exactRepository-elsewhere", "garbage-then-valid",
         "corrupt-then-valid"]


@pytest.mark.parametrize("name", CASES)
def test_tampering_verdicts_agree_with_skopeo(env: Env, name: str) -> None:
    ref, policy, expected = _case(env, name)
    ours, skopeo = both_verdicts(env, ref, policy)
    assert (ours, skopeo) == (expected, expected)


@pytest.mark.parametrize(("signed_prefix", "expected"), [("vendor.example.com/app", True),
                                                         ("vendor.example.com/nope", False)])
def test_remap_identity_agrees_with_skopeo(env: Env, signed_prefix: str, expected: bool) -> None:
    ref = env.push(f"remap-{expected}".lower())
    tag = ref.rsplit(":", 1)[1]
    ringfence_sign(env, ref, env.key_a, identity=f"vendor.example.com/app:{tag}")
    policy = {"default": [signed_by(env.pub_a, {"type": "remapIdentity",
                                                "prefix": f"{env.host}/app",
                                                "signedPrefix": signed_prefix})]}
    assert both_verdicts(env, ref, policy) == (expected, expected)


def test_signature_by_untrusted_key_rejected_by_both(env: Env) -> None:
    ref = env.push("signed-by-b")
    ringfence_sign(env, ref, env.key_b)
    assert both_verdicts(env, ref, {"default": [signed_by(env.pub_a)]}) == (False, False)


def test_sigstore_attachment_round_trip_in_registry(env: Env) -> None:
    """ringfence signs with a cosign-format key into ``sha256-<hex>.sig`` in the registry
    and verifies it back (skopeo 1.9 has sigstore compiled out, so no oracle here)."""
    from ringfence.trust.keys import decrypt_private, generate
    from ringfence.trust.sign import sign_sigstore

    ref = env.push("sigstore")
    pair = generate(b"pw")
    pub = env.root / "sigstore.pub"
    pub.write_bytes(pair.public_pem)
    rd = env.root / "registries-sigstore.d"
    rd.mkdir(exist_ok=True)
    rd.joinpath("a.yaml").write_text(f"docker:\n  {env.host}:\n"
                                     "    use-sigstore-attachments: true\n")
    where = sign_sigstore(parse_reference(ref), decrypt_private(pair.private_pem, b"pw", "k"),
                          SignOptions(str(rd), True))
    assert where.endswith(".sig") and env.digest(ref).replace(":", "-") in where
    policy = loads_policy(json.dumps({"default": [{"type": "sigstoreSigned", "keyPath": str(pub),
                                                   "signedIdentity": {"type": "matchExact"}}]}))
    options = VerifyOptions(str(rd), insecure_registry=True)
    assert verify(parse_reference(ref), policy, options).allowed
    assert not verify(parse_reference(ref), policy,
                      VerifyOptions(str(env.registries_d), insecure_registry=True)).allowed

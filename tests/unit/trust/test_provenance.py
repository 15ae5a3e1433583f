"""Provenance facts gathered from real OCI layouts built in the test: history, OCI
annotations and labels, `.att` attestations verified with the policy's sigstoreSigned keys,
the policy verdict through trust/verify.py, and the allow-list on local transports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ringfence.checks.engine import run_checks
from ringfence.image.reference import parse_reference
from ringfence.scan import ScanOptions, scan_image
from ringfence.trust.attestation import SLSA_V1, sign_envelope
from ringfence.trust.keys import decrypt_private, generate
from ringfence.trust.policy import loads_policy
from ringfence.trust.provenance import ProvenanceOptions, provenance_facts
from ringfence.trust.provenance_rules import PROVENANCE_CHECKS, allowed
from ringfence.trust.provenance_section import provenance_section
from ringfence.trust.sign import SignOptions, sign_sigstore
from tests.imagebuilder import Layer, Member, build_docker_archive, build_oci
from tests.unit.trust.provenance_cases import (
    IDENTITY,
    annotate,
    attach,
    sigstore_policy,
    statement,
    tamper_payload,
    top_digest,
)

HISTORY = [
    {"created": "2024-05-01T10:00:00Z", "created_by": "/bin/sh -c #(nop) ADD file:abc in /",
     "author": "Debian"},
    {"created": "2024-05-01T10:00:01Z", "created_by": "/bin/sh -c #(nop)  CMD [\"bash\"]",
     "empty_layer": True},
    {"created": "2024-05-02T08:00:00Z", "created_by": "RUN /bin/sh -c apt-get install -y x",
     "author": "ci@example.com", "comment": "buildkit.dockerfile.v0"},
]


@pytest.fixture
def signed(tmp_path: Path) -> tuple[Path, Path, object]:
    """A two-layer layout with labels, annotations, a sigstore signature and a key."""
    layout = build_oci(tmp_path / "img", [Layer([Member("etc/a", b"a")]),
                                          Layer([Member("etc/b", b"b")])],
                       config_extra={"config": {"Labels": {
                           "org.opencontainers.image.source": "https://github.com/example/app",
                           "org.opencontainers.image.vendor": "Example"}},
                           "history": HISTORY})
    annotate(layout, {"org.opencontainers.image.revision": "f" * 40,
                      "org.opencontainers.image.base.name": "docker.io/library/debian:12"})
    pair = generate(b"pw")
    key = decrypt_private(pair.private_pem, b"pw", "key")
    (tmp_path / "key.pub").write_bytes(pair.public_pem)
    sign_sigstore(parse_reference(f"oci:{layout}"), key, SignOptions(identity=IDENTITY))
    return layout, sigstore_policy(tmp_path / "policy.json", tmp_path / "key.pub"), key


def _facts(ref: str, **kw: object) -> tuple[object, dict[str, object], set[str], set[str]]:
    result = scan_image(ref, ScanOptions())
    facts, unknowns = provenance_facts(result, ProvenanceOptions(**kw))  # type: ignore[arg-type]
    assert unknowns == ()
    run = run_checks(PROVENANCE_CHECKS, facts)
    return facts, provenance_section(facts), set(run.evaluated), run.failed()


def test_history_annotations_and_verified_attestation(signed: tuple[Path, Path, object]) -> None:
    layout, policy_path, key = signed
    env = sign_envelope(key, statement(top_digest(layout)))  # type: ignore[arg-type]
    attach(layout, env, SLSA_V1)
    policy = loads_policy(policy_path.read_text())
    _, section, evaluated, failed = _facts(f"oci:{layout}", policy=policy)
    assert [(h["layer"], h["author"], h["empty_layer"]) for h in section["history"]] == [
        (1, "Debian", False), (None, "", True), (2, "ci@example.com", False)]
    assert section["oci"] == {
        "org.opencontainers.image.source": {"value": "https://github.com/example/app",
                                            "from": "label"},
        "org.opencontainers.image.revision": {"value": "f" * 40, "from": "annotation"},
        "org.opencontainers.image.base.name": {"value": "docker.io/library/debian:12",
                                               "from": "annotation"},
        "org.opencontainers.image.vendor": {"value": "Example", "from": "label"},
        "org.opencontainers.image.ref.name": {"value": "latest", "from": "annotation"}}
    [att] = section["attestations"]
    assert att["verified"] is True and att["predicate_type"] == SLSA_V1
    assert att["builder_id"] == "https://github.com/actions/runner/github-hosted"
    assert att["source_repository"] == "https://github.com/example/app"
    assert att["source_revision"] == "a" * 40
    assert section["policy"]["allowed"] is True
    assert evaluated == {"IMG-211", "IMG-212", "IMG-213", "IMG-214"} and failed == set()
    assert section["allow_list"]["state"] == "not evaluated: no --trusted-registry"


def test_tampered_attestations_fire(signed: tuple[Path, Path, object]) -> None:
    layout, policy_path, key = signed
    good = sign_envelope(key, statement(top_digest(layout)))  # type: ignore[arg-type]
    attach(layout, tamper_payload(good), SLSA_V1)
    attach(layout, sign_envelope(key, statement("sha256:" + "0" * 64)),  # type: ignore[arg-type]
           SLSA_V1)
    other = decrypt_private(generate(b"").private_pem, b"", "other")
    attach(layout, sign_envelope(other, statement(top_digest(layout))), SLSA_V1)
    attach(layout, b"this is not an envelope", SLSA_V1)
    policy = loads_policy(policy_path.read_text())
    facts, section, _, failed = _facts(f"oci:{layout}", policy=policy)
    verdicts = [(a["verified"], a["problem"][:30]) for a in section["attestations"]]
    assert verdicts == [(False, "DSSE signature does not verify"),
                        (True, ""),
                        (False, "DSSE signature does not verify"),
                        (False, "malformed DSSE envelope: JSOND")]
    assert failed == {"IMG-212", "IMG-213"}
    run = run_checks(PROVENANCE_CHECKS, facts)  # type: ignore[arg-type]
    assert sorted(f.location for f in run.findings if f.rule_id == "IMG-213") == [
        f"sha256-{top_digest(layout)[7:]}.att layer {i}" for i in (1, 3, 4)]
    assert [f.location[-7:] for f in run.findings if f.rule_id == "IMG-212"] == ["layer 2"]


def test_without_policy_attestations_are_reported_not_verified(
        signed: tuple[Path, Path, object]) -> None:
    layout, _, key = signed
    attach(layout, sign_envelope(key, statement(top_digest(layout))), SLSA_V1)  # type: ignore
    _, section, evaluated, _ = _facts(f"oci:{layout}")
    assert section["attestations"][0]["verified"] is None
    assert "IMG-213" not in evaluated and "IMG-214" not in evaluated
    assert section["notes"] == ["attestation signatures not verified: no --policy"]


def test_policy_rejects_and_keyless_scope(signed: tuple[Path, Path, object],
                                          tmp_path: Path) -> None:
    layout, _, key = signed
    attach(layout, sign_envelope(key, statement(top_digest(layout))), SLSA_V1)  # type: ignore
    reject = loads_policy(json.dumps({"default": [{"type": "reject"}]}))
    _, section, evaluated, failed = _facts(f"oci:{layout}", policy=reject)
    assert section["policy"] == {"allowed": False, "scope": "default", "requirements": [
        {"type": "reject", "accepted": False, "reason": "rejected by policy"}]}
    assert "IMG-214" in failed and "IMG-213" not in evaluated
    assert "has no sigstoreSigned public key" in section["notes"][0]


def test_local_archive_reports_without_allow_list(tmp_path: Path) -> None:
    archive = build_docker_archive(tmp_path / "a.tar",
                                   [Layer([Member("etc/a", b"a")], compress="raw")])
    _, section, evaluated, failed = _facts(f"docker-archive:{archive}",
                                           trusted_registries=("quay.io",))
    assert "IMG-210" not in evaluated
    assert section["allow_list"]["state"].startswith("not evaluated: docker-archive:")
    assert section["notes"] == ["no manifest annotations, attestations or signatures for "
                                "docker-archive: images"]
    assert failed == {"IMG-211"}


@pytest.mark.parametrize(("entries", "registry", "repo", "expected"), [
    (("quay.io",), "quay.io", "a/b", True),
    (("quay.io/a",), "quay.io", "a/b", True),
    (("quay.io/a",), "quay.io", "ab/c", False),
    (("quay.io/a/b",), "quay.io", "a/b", True),
    (("docker.io/library",), "index.docker.io", "library/alpine", True),
    (("registry-1.docker.io",), "docker.io", "library/alpine", True),
    (("localhost:5000",), "localhost:5000", "x", True),
    (("localhost",), "localhost:5000", "x", False),
    ((), "quay.io", "a", False),
])
def test_allow_list_matching(entries: tuple[str, ...], registry: str, repo: str,
                             expected: bool) -> None:
    assert allowed(entries, registry, repo) is expected

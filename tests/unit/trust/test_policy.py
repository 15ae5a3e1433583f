"""containers-policy.json parsing (real fixtures + upstream's invalid-policy rules), scope
choice, identity matchers, registries.d lookups."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ringfence.errors import InputError
from ringfence.trust.identity import IdentityMatch, parse_normalized, policy_namespaces
from ringfence.trust.lookaside import load_registries_d
from ringfence.trust.policy import load_policy, loads_policy
from ringfence.trust.requirements import Reject, SignedBaseLayer, SignedBy, SigstoreSigned


def test_upstream_policy_fixture_parses(fixtures: Path) -> None:
    policy = load_policy(fixtures / "policy.json")
    assert policy.default == (Reject(),)
    docker = policy.transports["docker"]
    assert len(docker) == 14 and set(policy.transports) == {"dir", "docker"}
    hardened = docker["example.com/hardened"]
    assert [r.type for r in hardened] == ["signedBy", "signedBy", "signedBaseLayer"]
    assert isinstance(hardened[2], SignedBaseLayer)
    assert hardened[2].identity == IdentityMatch(
        "exactRepository", "registry.access.redhat.com/rhel7/rhel")
    beta = docker["registry.redhat.io/beta"][0]
    assert isinstance(beta, SignedBy) and len(beta.key_paths) == 2
    assert beta.identity.type == "matchRepoDigestOrExact"  # the default
    bogus = docker["bogus/key-data-example"][0]
    assert isinstance(bogus, SignedBy) and bogus.key_data == b"nonsense"
    remap = docker["private-mirror:5000/vendor-mirror"][0]
    assert isinstance(remap, SignedBy) and remap.identity.signed_prefix == "vendor.example.com"
    assert isinstance(docker["example.com/sigstore/key-path-example"][0], SigstoreSigned)


def test_docs_examples(data_dir: Path) -> None:
    docs = data_dir / "signatures/docs-examples/containers-image"
    assert load_policy(docs / "policy.json.5--insecure-accept-anything.json").transports == {}
    with pytest.raises(InputError, match=r"line 2 column"):  # /* comments */
        load_policy(docs / "policy.json.5--locked-down.jsonc")


@pytest.mark.parametrize(("doc", "message"), [
    ('{"default": [{"type": "reject"}], "default": []}', "duplicate key"),
    ('{"default": []}', "non-empty"),
    ('{"transports": {}}', "missing field 'default'"),
    ('{"default": [{"type": "reject"}], "other": 1}', "unknown field 'other'"),
    ('{"default": [{"type": "nope"}]}', "unknown requirement type"),
    ('{"default": [{"type": "reject", "x": 1}]}', "unknown field"),
    ('{"default": [{"type": "signedBy", "keyType": "GPGKeys"}]}', "exactly one"),
    ('{"default": [{"type": "signedBy", "keyType": "GPGKeys", "keyPath": "/a", '
     '"keyData": "YQ=="}]}', "exactly one"),
    ('{"default": [{"type": "signedBy", "keyType": "Bogus", "keyPath": "/a"}]}', "keyType"),
    ('{"default": [{"type": "signedBy", "keyType": "GPGKeys", "keyPath": "/a", '
     '"signedIdentity": null}]}', "identity"),
    ('{"default": [{"type": "signedBaseLayer"}]}', "baseLayerIdentity"),
    ('{"default": [{"type": "signedBy", "keyType": "GPGKeys", "keyPath": "/a", '
     '"signedIdentity": {"type": "exactReference", "dockerReference": "UPPERCASEISINVALID:x"}}]}',
     "not a reference"),
    ('{"default": [{"type": "reject"}], "transports": {"dir": {"relative": '
     '[{"type": "reject"}]}}}', "absolute"),
    ('{"default": [{"type": "reject"}], "transports": {"docker": {"a": []}}}', "non-empty"),
    ('{"default": [{"type": "sigstoreSigned", "keyPaths": []}]}', "non-empty"),
    ('{"default": [{"type": "sigstoreSigned", "keyPath": "/a", "keyData": "YQ=="}]}',
     "exactly one"),
    ('{"default": [{"type": "sigstoreSigned", "pki": {"caRootsPath": "/r", "subjectEmail": '
     '"a@b"}, "rekorPublicKeyPath": "/k"}]}', "pki cannot"),
])
def test_invalid_policies(doc: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        loads_policy(doc)


def test_malformed_policy_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "policy.json"
    path.write_text('{\n  "default": [\n    {"type": "reject"},\n  ]\n}\n')
    with pytest.raises(InputError) as err:
        load_policy(path)
    assert str(path) in str(err.value) and "line 4" in str(err.value)


def test_most_specific_scope_wins() -> None:
    scopes = {s: [{"type": "insecureAcceptAnything"}] for s in (
        "example.com/ns/repo:tag", "example.com/ns/repo", "example.com/ns", "example.com",
        "*.deep.com", "*.very.deep.com", "")}
    policy = loads_policy(json.dumps({"default": [{"type": "reject"}],
                                      "transports": {"docker": scopes}}))

    def scope(ref: str) -> str:
        r = parse_normalized(ref)
        return policy.requirements_for("docker", str(r), policy_namespaces(r))[0]

    assert scope("example.com/ns/repo:tag") == "docker:example.com/ns/repo:tag"
    assert scope("example.com/ns/repo:other") == "docker:example.com/ns/repo"
    assert scope("example.com/ns/x:1") == "docker:example.com/ns"
    assert scope("example.com/y:1") == "docker:example.com"
    assert scope("very.deep.com/r:1") == "docker:*.deep.com"
    assert scope("not.very.deep.com/r:1") == "docker:*.very.deep.com"
    assert scope("quay.io/r:1") == "docker:"
    assert policy.requirements_for("oci", "/x", [])[0] == "default"


REF = "registry.access.redhat.com/rhel7/rhel:7.2.3"
DIGEST = "@sha256:" + "0123456789abcdef" * 4


@pytest.mark.parametrize(("match", "image", "signed", "expected"), [
    (IdentityMatch("matchExact"), REF, REF, True),
    (IdentityMatch("matchExact"), REF, "registry.access.redhat.com/rhel7/rhel", False),
    (IdentityMatch("matchExact"), "busybox:latest", "docker.io/library/busybox:latest", True),
    (IdentityMatch("matchRepoDigestOrExact"), REF, REF, True),
    (IdentityMatch("matchRepoDigestOrExact"), REF, REF.replace("7.2.3", "7.2.4"), False),
    (IdentityMatch("matchRepoDigestOrExact"), "registry.access.redhat.com/rhel7/rhel" + DIGEST,
     REF, True),
    (IdentityMatch("matchRepository"), REF, "registry.access.redhat.com/rhel7/rhel:x", True),
    (IdentityMatch("matchRepository"), REF, "registry.access.redhat.com/rhel7/other", False),
    (IdentityMatch("exactReference", "example.com/a:b"), REF, "example.com/a:b", True),
    (IdentityMatch("exactRepository", "example.com/a"), REF, "example.com/a:c", True),
    (IdentityMatch("remapIdentity", prefix="mirror:5000/vendor",
                   signed_prefix="vendor.example.com"),
     "mirror:5000/vendor/app:1", "vendor.example.com/app:1", True),
    (IdentityMatch("remapIdentity", prefix="mirror:5000/vendor",
                   signed_prefix="vendor.example.com"),
     "mirror:5000/vendorx/app:1", "vendor.example.com/app:1", False),
    (IdentityMatch("matchExact"), REF, "UPPERCASEISINVALID", False),
])
def test_identity_matchers(match: IdentityMatch, image: str, signed: str,
                           expected: bool) -> None:
    assert match.matches(parse_normalized(image), signed) is expected


def test_registries_d_fixture(data_dir: Path) -> None:
    config = load_registries_d(data_dir / "signatures/containers-image/docker/fixtures/"
                               "registries.d")  # invalid-but.notyaml is ignored

    def base(ref: str, write: bool = False) -> str:
        return config.lookaside_base(parse_normalized(ref), write)

    assert base("example.com/my/project") == "https://lookaside.example.com/my/project"
    assert base("localhost/file/path/test") == "/no/scheme/just/a/path/file/path/test"
    assert base("localhost:9999/busybox") == \
        "file:///mnt/companywide/signatures/for/other/repositories/busybox"
    assert base("docker.io/centos/mybetaproduct:x", write=True) == \
        "file:///srv/mybetaWIP/lookaside/centos/mybetaproduct"
    with pytest.raises(InputError):
        base("localhost/invalid/url/test")


def test_registries_d_conflicts(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("default-docker:\n  lookaside: file:///a\n")
    (tmp_path / "b.yaml").write_text("default-docker:\n  lookaside: file:///b\n")
    with pytest.raises(InputError, match=r"a\.yaml"):
        load_registries_d(tmp_path)

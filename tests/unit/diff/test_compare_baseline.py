"""Scoring of drift and signed baselines (cosign-format keys from trust/keys.py)."""

from __future__ import annotations

import json

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from ringfence.diff import baseline as bl
from ringfence.diff.compare import diff_filesystems
from ringfence.diff.model import (
    DIR,
    FILE,
    HIGH,
    LOW,
    MEDIUM,
    RUNTIME_OWNED,
    SYMLINK,
    FileState,
    FsView,
)
from ringfence.errors import InputError
from ringfence.trust.keys import generate

F = FileState


def _view(**files: FileState) -> FsView:
    return FsView({"/" + k.replace("__", "/"): v for k, v in files.items()})


IMAGE = _view(etc=F(DIR, 0o755, 0, 0), etc__passwd=F(FILE, 0o644, 0, 0, 5, "aa"),
              usr__bin__su=F(FILE, 0o755, 0, 0, 9, "bb"), srv__page=F(FILE, 0o644, 0, 0, 1, "cc"),
              lib=F(SYMLINK, 0o777, 0, 0, link="usr/lib"), etc__hosts=F(FILE, 0o644, 0, 0, 1, "dd"))


def test_each_kind_of_drift_is_scored_with_a_reason() -> None:
    rootfs = _view(etc=F(DIR, 0o755, 0, 0), etc__passwd=F(FILE, 0o644, 0, 0, 6, "ab"),
                   usr__bin__su=F(FILE, 0o4755, 0, 0, 9, "bb"),
                   srv__page=F(FILE, 0o666, 1000, 0, 1, "cc"),
                   lib=F(SYMLINK, 0o777, 0, 0, link="/evil"),
                   etc__hosts=F(FILE, 0o644, 0, 0, 9, "zz"),  # runtime bind mount: ignored
                   tmp__x=F(FILE, 0o644, 0, 0), opt__run=F(FILE, 0o700, 0, 0, 1, "ee"))
    report = diff_filesystems(IMAGE, rootfs, RUNTIME_OWNED)
    got = {c.path: (c.change, c.attributes, c.severity) for c in report.changes}
    assert got == {
        "/etc/passwd": ("changed", ("content",), HIGH),
        "/usr/bin/su": ("changed", ("mode", "setuid-gained"), HIGH),
        "/srv/page": ("changed", ("mode", "owner"), MEDIUM),  # made world-writable
        "/lib": ("changed", ("link",), HIGH),  # a system dir retargeted: library hijack
        "/tmp/x": ("added", (), LOW),
        "/opt/run": ("added", (), HIGH),  # a new executable
    }
    assert report.worst() == HIGH and report.counts() == {"added": 2, "changed": 4,
                                                          "deleted": 0}
    assert diff_filesystems(IMAGE, IMAGE).changes == ()


def test_deletions_and_implicit_parents() -> None:
    rootfs = _view(etc=F(DIR, 0o700, 0, 0), usr=F(DIR, 0o700, 5, 5),
                   srv__page=F(FILE, 0o644, 0, 0, 1, "cc"))
    image = FsView({**IMAGE.files, "/usr": F(DIR, -1, -1, -1)})
    got = {c.path: (c.change, c.attributes, c.severity)
           for c in diff_filesystems(image, rootfs).changes}
    assert got["/usr/bin/su"] == ("deleted", (), MEDIUM)
    assert got["/etc"] == ("changed", ("mode",), MEDIUM)
    assert "/usr" not in got  # implicit parent: attributes unknown, not compared


def _ec_pem() -> tuple[bytes, bytes]:
    key = ec.generate_private_key(ec.SECP256R1())
    return (key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()),
            key.public_key().public_bytes(serialization.Encoding.PEM,
                                          serialization.PublicFormat.SubjectPublicKeyInfo))


def test_baseline_round_trip_with_a_cosign_key_and_rejections() -> None:
    pair = generate(b"pw")  # the encrypted sigstore format `ringfence key generate` writes
    key = bl.load_private_key(pair.private_pem, b"pw", "k")
    doc = bl.create("oci:x", IMAGE, key)
    parsed = json.loads(doc)
    assert list(parsed["baseline"]["files"]) == sorted(IMAGE)  # sorted, versioned
    assert parsed["baseline"]["schema"] == bl.SCHEMA
    checked = bl.verify(doc, pair.public_pem, "b")
    assert checked.reference == "oci:x" and dict(checked.view) == dict(IMAGE)
    assert bl.check(checked, IMAGE, RUNTIME_OWNED).changes == ()
    with pytest.raises(InputError, match="does not verify"):
        bl.verify(doc.replace(b'"aa"', b'"ab"', 1), pair.public_pem, "b")
    with pytest.raises(InputError, match="does not verify"):
        bl.verify(doc, _ec_pem()[1], "b")  # another key
    with pytest.raises(InputError, match="wrong password"):
        bl.load_private_key(pair.private_pem, b"nope", "k")
    with pytest.raises(InputError, match="not a ringfence baseline"):
        bl.verify(b"[1, 2", pair.public_pem, "b")


def test_plain_pem_key_is_accepted_and_other_curves_refused() -> None:
    private, public = _ec_pem()
    doc = bl.create("dir:/r", IMAGE, bl.load_private_key(private, None, "k"))
    assert bl.verify(doc, public, "b").reference == "dir:/r"
    p384 = ec.generate_private_key(ec.SECP384R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption())
    with pytest.raises(InputError, match="P-256"):
        bl.load_private_key(p384, None, "k")

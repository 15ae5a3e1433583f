"""Drift of a REAL container: a busybox-static image (generated here), unpacked by umoci,
run by runc; the workload adds, modifies, chmods and deletes files. ``ringfence diff`` and
``ringfence baseline check`` must report exactly those changes — on the live rootfs
directory and on a tar export of it. Runtime-owned paths (/proc /sys /dev /run, and the
bind-mounted /etc/hostname, /etc/hosts, /etc/resolv.conf, /.containerenv) are not compared."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tarfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from ringfence.cli.main import main
from tests.imagebuilder import Layer, Member, build_oci

BUSYBOX = Path("/bin/busybox")
pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or not all(shutil.which(t) for t in ("runc", "umoci"))
    or not BUSYBOX.is_file(), reason="needs root, runc, umoci and busybox-static")

WORKLOAD = ("set -e; B=/bin/busybox;"
            " $B printf '#!/bin/sh\\necho pwned\\n' > /usr/local/bin/evil;"
            " $B chmod 0755 /usr/local/bin/evil;"
            " $B echo 'toor:x:0:0::/root:/bin/sh' >> /etc/passwd;"
            " $B chmod u+s /usr/bin/hello;"
            " $B rm /etc/motd;"
            " $B echo scratch > /tmp/scratch.txt; $B rm /tmp/scratch.txt")
EXPECTED = {("/usr/local/bin/evil", "added", ()),
            ("/etc/passwd", "changed", ("content",)),
            ("/usr/bin/hello", "changed", ("mode", "setuid-gained")),
            ("/etc/motd", "deleted", ())}


def _d(name: str, mode: int = 0o755) -> Member:
    return Member(name, type=tarfile.DIRTYPE, mode=mode)


def _image(root: Path) -> Path:
    layer = Layer([_d("bin"), Member("bin/busybox", BUSYBOX.read_bytes(), mode=0o755),
                   Member("bin/sh", type=tarfile.SYMTYPE, linkname="busybox", mode=0o777),
                   _d("etc"), Member("etc/passwd", b"root:x:0:0:root:/root:/bin/sh\n"),
                   Member("etc/group", b"root:x:0:\n"), Member("etc/motd", b"welcome\n"),
                   _d("usr"), _d("usr/bin"),
                   Member("usr/bin/hello", b"#!/bin/sh\necho hello\n", mode=0o755),
                   _d("usr/local"), _d("usr/local/bin"), _d("root", 0o700),
                   _d("tmp", 0o1777)])
    return build_oci(root, [layer])


@pytest.fixture
def ran_container(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    image = _image(tmp_path / "img")
    bundle = tmp_path / "bundle"
    subprocess.run(["umoci", "unpack", "--image", f"{image}:latest", str(bundle)],
                   check=True, capture_output=True)
    config = json.loads((bundle / "config.json").read_text())
    config["process"].update(args=["/bin/sh", "-c", WORKLOAD], terminal=False)
    config["root"]["readonly"] = False
    (bundle / "config.json").write_text(json.dumps(config))
    cid = f"rf-drift-{uuid.uuid4().hex[:8]}"
    try:
        done = subprocess.run(["runc", "run", "--bundle", str(bundle), cid],
                              capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
        assert done.returncode == 0, done.stderr.decode()
    finally:
        subprocess.run(["runc", "delete", "--force", cid], capture_output=True)
    assert not Path(f"/run/runc/{cid}").exists()
    yield f"oci:{image}", bundle / "rootfs"


def _changes(argv: list[str], out: Path) -> tuple[int, set[tuple[str, str, tuple[str, ...]]]]:
    code = main([*argv, "-f", "json", "-o", str(out), "--fail-on", "high"])
    doc = json.loads(out.read_text())
    assert doc["problems"] == []
    return code, {(c["path"], c["change"], tuple(c["attributes"])) for c in doc["changes"]}


def _export(rootfs: Path, dest: Path) -> Path:
    """A flat tar of the container filesystem, like ``podman export``."""
    with tarfile.open(dest, "w") as tar:
        for entry in sorted(rootfs.iterdir()):
            tar.add(entry, arcname=entry.name)
    return dest


def test_diff_reports_exactly_the_workload_changes(ran_container: tuple[str, Path],
                                                   tmp_path: Path) -> None:
    ref, rootfs = ran_container
    assert (rootfs / "proc").is_dir()  # runc made its mount points: runtime-owned, ignored
    code, changes = _changes(["diff", ref, str(rootfs)], tmp_path / "d.json")
    assert changes == EXPECTED
    assert code == 1  # high: a new executable, /etc/passwd, a setuid bit gained
    doc = json.loads((tmp_path / "d.json").read_text())
    severities = {c["path"]: c["severity"] for c in doc["changes"]}
    assert severities == {"/usr/local/bin/evil": "high", "/etc/passwd": "high",
                          "/usr/bin/hello": "high", "/etc/motd": "medium"}
    tar = _export(rootfs, tmp_path / "export.tar")
    code, from_tar = _changes(["diff", ref, str(tar)], tmp_path / "t.json")
    assert from_tar == EXPECTED and code == 1


def test_baseline_check_reports_the_same_changes(ran_container: tuple[str, Path],
                                                 tmp_path: Path) -> None:
    ref, rootfs = ran_container
    private = ec.generate_private_key(ec.SECP256R1())
    key, pub = tmp_path / "k.pem", tmp_path / "k.pub"
    key.write_bytes(private.private_bytes(serialization.Encoding.PEM,
                                          serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    pub.write_bytes(private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    base = tmp_path / "base.json"
    assert main(["baseline", "create", ref, "--key", str(key), "-o", str(base)]) == 0
    code, changes = _changes(["baseline", "check", str(base), str(rootfs), "--pubkey",
                              str(pub)], tmp_path / "b.json")
    assert changes == EXPECTED and code == 1
    tampered = base.read_bytes().replace(b'"/etc/motd"', b'"/etc/motD"', 1)
    (tmp_path / "bad.json").write_bytes(tampered)
    assert main(["baseline", "check", str(tmp_path / "bad.json"), str(rootfs),
                 "--pubkey", str(pub)]) == 3

"""``ringfence host baseline create|check`` on a real Debian root filesystem: the
bookworm-min fixture image unpacked by umoci, given an sshd, a sudoers, a containerd unit
and a sysctl file, then changed the way an intruder or a careless admin would.

Each seeded change must be reported exactly once, with its parsed old and new value; an
edited baseline, a baseline of another host and hostile files under the root are refused
or become Unknowns, never a traceback or a read outside the root."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from ringfence.cli.main import main
from ringfence.host.baseline.snapshot import take_snapshot
from ringfence.schemas import schema_for

PASSPHRASE = "host-baseline-test"
UNIT = "/etc/systemd/system/containerd.service"


def _seed(root: Path) -> None:
    (root / "etc/ssh").mkdir(parents=True, exist_ok=True)
    (root / "etc/ssh/sshd_config").write_text(
        "Include /etc/ssh/sshd_config.d/*.conf\nPermitRootLogin no\n"
        "PasswordAuthentication no\n")
    (root / "etc/ssh/sshd_config.d").mkdir(exist_ok=True)
    (root / "etc/sudoers").write_text("Defaults env_reset\nroot ALL=(ALL:ALL) ALL\n"
                                      "@includedir /etc/sudoers.d\n")
    (root / "etc/sudoers.d").mkdir(exist_ok=True)
    (root / "etc/sudoers").chmod(0o440)
    (root / "etc/systemd/system").mkdir(parents=True, exist_ok=True)
    (root / UNIT[1:]).write_text("[Unit]\nDescription=containerd\n[Service]\n"
                                 "ExecStart=/usr/bin/containerd\nDelegate=yes\n")
    (root / "etc/sysctl.d").mkdir(exist_ok=True)
    (root / "etc/machine-id").write_text("0123456789abcdef0123456789abcdef\n")


@pytest.fixture(scope="module")
def pristine(images_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """bookworm-min's root filesystem, unpacked once by umoci."""
    if shutil.which("umoci") is None:
        pytest.fail("umoci is needed (.ci/deps installs it)")
    bundle = tmp_path_factory.mktemp("bundle") / "b"
    subprocess.run(["umoci", "unpack", "--image", f"{images_dir / 'bookworm-min.oci'}:latest",
                    str(bundle)], check=True, capture_output=True)
    root = bundle / "rootfs"
    _seed(root)
    return root


@pytest.fixture()
def root(pristine: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "root"
    shutil.copytree(pristine, copy, symlinks=True)
    return copy


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("keys")
    with pytest.MonkeyPatch.context() as env:  # the passphrase must not leak into later
        env.setenv("RINGFENCE_PASSPHRASE", PASSPHRASE)  # modules (it made their keys "encrypted")
        assert main(["key", "generate", "--out", str(out)]) == 0
    return out


def _create(root: Path, keys: Path, out: Path) -> Path:
    with pytest.MonkeyPatch.context() as env:
        env.setenv("RINGFENCE_PASSPHRASE", PASSPHRASE)
        assert main(["host", "baseline", "create", "--root", str(root), "--key",
                     str(keys / "cosign.key"), "-o", str(out), "-q"]) == 0
    return out


def _check(baseline: Path, root: Path, keys: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    out = baseline.parent / "drift.json"
    out.unlink(missing_ok=True)
    code = main(["host", "baseline", "check", str(baseline), "--root", str(root), "--pubkey",
                 str(keys / "cosign.pub"), "-f", "json", "-o", str(out), *extra])
    doc = json.loads(out.read_text()) if out.exists() else {}
    if doc:  # every document this command writes validates against its published schema
        schema = schema_for(doc)
        assert schema is not None
        jsonschema.Draft202012Validator(schema).validate(doc)
    return code, doc


def _changes(doc: dict[str, Any]) -> list[tuple[Any, ...]]:
    return sorted((c["domain"], c["key"], c["change"], c["old"], c["new"])
                  for c in doc["changes"])


def _dpkg_version(root: Path, package: str) -> str:
    text = (root / "var/lib/dpkg/status").read_text()
    for para in text.split("\n\n"):
        if f"Package: {package}\n" in para + "\n":
            return next(line.split(": ", 1)[1] for line in para.splitlines()
                        if line.startswith("Version: "))
    raise AssertionError(package)


def test_an_unchanged_host_has_no_drift(root: Path, keys: Path, tmp_path: Path) -> None:
    baseline = _create(root, keys, tmp_path / "base.json")
    snapshot = take_snapshot(root)
    assert len([k for k in snapshot.facts if k[0] == "package"]) >= 80  # bookworm-min: 88
    assert ("sshd", "permitrootlogin") in snapshot.facts
    code, doc = _check(baseline, root, keys, "--fail-on", "low", "--strict")
    assert code == 0, doc
    assert doc["changes"] == [] and doc["findings"] == [] and doc["unknowns"] == []


def test_each_seeded_change_is_reported_once_with_old_and_new(root: Path, keys: Path,
                                                               tmp_path: Path) -> None:
    baseline = _create(root, keys, tmp_path / "base.json")
    old_bash = _dpkg_version(root, "bash")
    sshd = root / "etc/ssh/sshd_config.d/50-cloud.conf"  # an include, as cloud images ship
    sshd.write_text("PasswordAuthentication yes\n")
    helper = root / "usr/local/bin/helper"
    shutil.copy(root / "usr/bin/true", helper)
    helper.chmod(0o4755)
    (root / "etc/sysctl.d/99-net.conf").write_text("net.ipv4.ip_forward = 1\n")
    unit = root / UNIT[1:]
    unit.write_text(unit.read_text().replace("ExecStart=/usr/bin/containerd",
                                             "ExecStart=/usr/bin/containerd --log-level debug"))
    (root / "etc/sudoers.d/deploy").write_text("deploy ALL=(ALL) NOPASSWD: ALL\n")
    status = root / "var/lib/dpkg/status"
    text = status.read_text()
    start = text.index("Package: bash\n")
    status.write_text(text[:start] + text[start:].replace(f"Version: {old_bash}\n",
                                                          "Version: 5.2.15-2+b9\n", 1))
    assert _dpkg_version(root, "bash") == "5.2.15-2+b9"

    code, doc = _check(baseline, root, keys, "--fail-on", "high")
    assert code == 1
    got = _changes(doc)
    setuid = [c for c in got if c[0] == "setuid"]
    assert len(setuid) == 1 and setuid[0][1] == "/usr/local/bin/helper"
    assert setuid[0][2:4] == ("added", None) and setuid[0][4].startswith("mode=4755 uid=")
    assert [c for c in got if c[0] != "setuid"] == sorted([
        ("package", "deb/bash:amd64", "changed", old_bash, "5.2.15-2+b9"),
        ("sshd", "passwordauthentication", "changed", "no", "yes"),
        ("sudoers", "/etc/sudoers.d/deploy|deploy ALL=(ALL) NOPASSWD: ALL", "added", None,
         "deploy ALL=(ALL) NOPASSWD: ALL"),
        ("sysctl", "net.ipv4.ip_forward", "added", None, "1"),
        ("unit", f"{UNIT} Service.ExecStart", "changed", "/usr/bin/containerd",
         "/usr/bin/containerd --log-level debug"),
    ])
    rules = sorted(f["rule"] for f in doc["findings"])
    assert rules == ["HOST-101", "HOST-102", "HOST-103", "HOST-105", "HOST-106", "HOST-108"]
    by_key = {c["key"]: c for c in doc["changes"]}
    # sshd takes the first value: the include comes before the main file's line
    assert by_key["passwordauthentication"]["source"] == "/etc/ssh/sshd_config.d/50-cloud.conf"
    assert by_key["passwordauthentication"]["weakens"] == ["HOST-021"]
    assert by_key["net.ipv4.ip_forward"]["weakens"] == ["HOST-010"]


def test_persistence_on_the_real_root_is_reported_once_each(root: Path, keys: Path,
                                                            tmp_path: Path) -> None:
    """What an intruder leaves on bookworm-min: a preloaded library, root's key, a cron job,
    an enabled unit with its timer, a capability on a program, a PAM hook."""
    baseline = _create(root, keys, tmp_path / "base.json")
    (root / "etc/ld.so.preload").write_text("/usr/lib/x86_64-linux-gnu/libx.so\n")
    (root / "root/.ssh").mkdir(exist_ok=True)
    (root / "root/.ssh/authorized_keys").write_text("ssh-ed25519 AAAAx mallory\n")
    (root / "etc/cron.d").mkdir(exist_ok=True)
    (root / "etc/cron.d/sync").write_text("*/5 * * * * root /var/tmp/.s\n")
    system = root / "etc/systemd/system"
    (system / "sync.timer").write_text("[Timer]\nOnBootSec=1min\n")
    (system / "timers.target.wants").mkdir(exist_ok=True)
    (system / "timers.target.wants/sync.timer").symlink_to("/etc/systemd/system/sync.timer")
    perl_bin = root / "usr/bin/perl"
    os.setxattr(perl_bin, "security.capability",
                (0x02000001).to_bytes(4, "little") + (1 << 7).to_bytes(4, "little")
                + bytes(12))  # cap_setuid+ep
    pam = root / "etc/pam.d/su"
    pam.write_text("auth sufficient pam_permit.so\n" + pam.read_text())
    code, doc = _check(baseline, root, keys, "--fail-on", "high")
    assert code == 1
    got = sorted((c["rule"], c["domain"], c["key"]) for c in doc["changes"])
    assert got == [
        ("HOST-102", "setuid", "/usr/bin/perl"),
        ("HOST-104", "pam", "/etc/pam.d/su|auth sufficient pam_permit.so"),
        ("HOST-112", "authorized_keys", "/root/.ssh/authorized_keys|ssh-ed25519 AAAAx mallory"),
        ("HOST-112", "cron", "/etc/cron.d/sync|*/5 * * * * root /var/tmp/.s"),
        ("HOST-112", "ld.so", "/etc/ld.so.preload|/usr/lib/x86_64-linux-gnu/libx.so"),
        ("HOST-112", "systemd", "/etc/systemd/system/sync.timer Timer.OnBootSec"),
        ("HOST-112", "systemd", "/etc/systemd/system/timers.target.wants/sync.timer"),
    ]
    perl = next(c for c in doc["changes"] if c["domain"] == "setuid")
    assert "caps=cap_setuid=ep" in perl["new"] and perl["change"] == "added"


def test_permission_and_unexplained_content_changes_are_file_changes(
        root: Path, keys: Path, tmp_path: Path) -> None:
    baseline = _create(root, keys, tmp_path / "base.json")
    (root / "etc/sudoers").chmod(0o666)  # mode only: the parsed lines are the same
    sshd = root / "etc/ssh/sshd_config"
    sshd.write_text(sshd.read_text() + "# reviewed\n")  # content, no setting changed
    _, doc = _check(baseline, root, keys)
    assert _changes(doc) == [
        ("file", "/etc/ssh/sshd_config", "changed", *_states(doc, "/etc/ssh/sshd_config")),
        ("file", "/etc/sudoers", "changed", *_states(doc, "/etc/sudoers")),
    ]
    assert "mode=0666" in next(c["new"] for c in doc["changes"] if c["key"] == "/etc/sudoers")


def _states(doc: dict[str, Any], path: str) -> tuple[str, str]:
    change = next(c for c in doc["changes"] if c["key"] == path)
    return change["old"], change["new"]


def test_an_edited_baseline_is_rejected(root: Path, keys: Path, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    baseline = _create(root, keys, tmp_path / "base.json")
    doc = json.loads(baseline.read_text())
    facts = doc["baseline"]["host"]["facts"]
    row = next(f for f in facts if f[:2] == ["sshd", "permitrootlogin"])
    row[2] = "yes"  # an intruder makes the baseline agree with the host he changed
    baseline.write_text(json.dumps(doc))
    code, _ = _check(baseline, root, keys)
    assert code == 3
    assert "signature does not verify" in capsys.readouterr().err


def test_a_baseline_of_another_host_is_refused(root: Path, keys: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    baseline = _create(root, keys, tmp_path / "base.json")
    (root / "etc/machine-id").write_text("fedcba9876543210fedcba9876543210\n")
    code, _ = _check(baseline, root, keys)
    assert code == 3 and "another host" in capsys.readouterr().err
    code, doc = _check(baseline, root, keys, "--other-host")
    assert code == 0 and doc["changes"] == []  # the identity is not a configuration value


def test_symlinks_out_of_the_root_are_resolved_inside_it(root: Path, keys: Path,
                                                         tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "sshd_config").write_text("PermitRootLogin yes\n")
    (outside / "sudoers").write_text("mallory ALL=(ALL) NOPASSWD: ALL\n")
    sshd = root / "etc/ssh/sshd_config"
    sshd.unlink()
    sshd.symlink_to("../../../outside/sshd_config")  # `..` stops at the root
    (root / "etc/sudoers.d/x").symlink_to(f"{outside}/sudoers")  # absolute: re-rooted
    shutil.rmtree(root / "opt", ignore_errors=True)
    (root / "opt").symlink_to("/")  # the setuid walk must not leave the root either
    snapshot = take_snapshot(root)
    values = {f.value for f in snapshot.facts.values()}
    assert "mallory ALL=(ALL) NOPASSWD: ALL" not in values
    assert ("sshd", "permitrootlogin") not in snapshot.facts  # the link leads nowhere
    assert all(not p.startswith(str(tmp_path)) for p in snapshot.files)
    assert all(not k[1].startswith(str(outside)) for k in snapshot.facts)


def test_hostile_files_become_unknowns(root: Path, keys: Path, tmp_path: Path) -> None:
    baseline = _create(root, keys, tmp_path / "base.json")
    os.mkfifo(root / "etc/sysctl.d/50-fifo.conf")  # reading it would block forever
    (root / "etc/docker").mkdir()
    (root / "etc/docker/daemon.json").write_text("[" * 100_000 + "]" * 100_000)
    (root / "etc/sudoers.d/big").write_bytes(b"# " + b"x" * (9 << 20) + b"\n")
    (root / "etc/sudoers.d/loop").write_text("@include /etc/sudoers.d/loop\n")
    code, doc = _check(baseline, root, keys, "--strict")
    assert code == 4, doc
    reasons = {u["location"]: u["reason"] for u in doc["unknowns"]}
    assert reasons["/etc/sysctl.d/50-fifo.conf"] == "not a regular file"
    assert "larger than" in reasons["/etc/sudoers.d/big"]
    assert "/etc/docker/daemon.json" in reasons
    loop = [c for c in doc["changes"] if c["source"] == "/etc/sudoers.d/loop"]
    assert [c["change"] for c in loop] == ["added"]  # read once, not forever

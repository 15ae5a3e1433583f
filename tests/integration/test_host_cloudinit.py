"""``ringfence host declared --cloud-init USER-DATA --root DIR`` on bookworm-min's root
filesystem (unpacked by umoci): before provisioning every declared item would change; after
the root is provisioned the way cloud-init's modules do it, every item is in state; then each
drift an intruder would make is reported on its own item. Hostile user-data is an error
(exit 3) or a not-evaluated item, never a traceback."""

from __future__ import annotations

import base64
import gzip
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from ringfence.cli.main import main
from ringfence.schemas import schema_for

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHc0ZGVwbG95LWtleS1mb3ItdGVzdHM deploy@ci"
BANNER = "Authorized use only.\n"
SYSCTL = "kernel.kptr_restrict = 2\n"
USER_DATA = f"""\
#cloud-config
hostname: node-1
ssh_pwauth: false
disable_root: true
users:
  - default
  - name: deploy
    shell: /bin/bash
    groups: [sudo]
    sudo: "ALL=(ALL) NOPASSWD:ALL"
    lock_passwd: true
    ssh_authorized_keys: ["{KEY}"]
write_files:
  - path: /etc/issue.net
    content: {json.dumps(BANNER)}
    permissions: "0644"
  - path: /etc/sysctl.d/90-hardening.conf
    encoding: gz+b64
    content: {base64.b64encode(gzip.compress(SYSCTL.encode())).decode()}
    permissions: "0600"
packages: [bash]
runcmd:
  - [sysctl, --system]
timezone: UTC
"""


@pytest.fixture(scope="module")
def pristine(images_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    bundle = tmp_path_factory.mktemp("bundle") / "b"
    subprocess.run(["umoci", "unpack", "--image", f"{images_dir / 'bookworm-min.oci'}:latest",
                    str(bundle)], check=True, capture_output=True)
    root = bundle / "rootfs"
    (root / "etc/ssh").mkdir(exist_ok=True)
    (root / "etc/ssh/sshd_config").write_text("PasswordAuthentication yes\n")
    return root


@pytest.fixture()
def root(pristine: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "root"
    shutil.copytree(pristine, copy, symlinks=True)
    (tmp_path / "user-data").write_text(USER_DATA)
    return copy


def _provision(root: Path) -> None:
    """What cloud-init's modules write for USER_DATA (cc_users_groups, cc_write_files,
    cc_set_passwords, cc_ssh, cc_set_hostname)."""
    with (root / "etc/passwd").open("a") as f:
        f.write("deploy:x:1000:1000::/home/deploy:/bin/bash\n")
    with (root / "etc/group").open("a") as f:
        f.write("deploy:x:1000:\n")
    group = (root / "etc/group").read_text()
    (root / "etc/group").write_text(group.replace("\nsudo:x:27:\n", "\nsudo:x:27:deploy\n"))
    with (root / "etc/shadow").open("a") as f:
        f.write("deploy:!:20000:0:99999:7:::\n")
    (root / "etc/sudoers.d").mkdir(exist_ok=True)
    (root / "etc/sudoers.d/90-cloud-init-users").write_text(
        "# Created by cloud-init\ndeploy ALL=(ALL) NOPASSWD:ALL\n")
    (root / "home/deploy/.ssh").mkdir(parents=True)
    (root / "home/deploy/.ssh/authorized_keys").write_text(KEY + "\n")
    (root / "etc/issue.net").write_text(BANNER)
    (root / "etc/issue.net").chmod(0o644)
    (root / "etc/sysctl.d").mkdir(exist_ok=True)
    (root / "etc/sysctl.d/90-hardening.conf").write_text(SYSCTL)
    (root / "etc/sysctl.d/90-hardening.conf").chmod(0o600)
    (root / "etc/ssh/sshd_config").write_text("PasswordAuthentication no\n")
    (root / "etc/hostname").write_text("node-1\n")


def _declared(root: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    out = root.parent / "out.json"
    out.unlink(missing_ok=True)
    code = main(["host", "declared", "--cloud-init", str(root.parent / "user-data"), "--root",
                 str(root), "-f", "json", "-o", str(out), *extra])
    doc = json.loads(out.read_text()) if out.exists() else {}
    if doc:  # every document this command writes validates against its published schema
        schema = schema_for(doc)
        assert schema is not None
        jsonschema.Draft202012Validator(schema).validate(doc)
    return code, doc


def _status(doc: dict[str, Any]) -> dict[str, str]:
    return {i["name"]: i["status"] for i in doc["items"]}


NOT_EVALUATED = {"users default": "not evaluated", "runcmd": "not evaluated",
                 "other keys": "not evaluated"}
ITEMS = ["hostname", "ssh_pwauth", "disable_root", "users deploy", "write_files /etc/issue.net",
         "write_files /etc/sysctl.d/90-hardening.conf", "packages bash"]


def test_an_unprovisioned_root_differs_on_every_item(root: Path) -> None:
    code, doc = _declared(root, "--fail-on", "medium")
    assert code == 1
    want = {**dict.fromkeys(ITEMS, "would change"), **NOT_EVALUATED,
            "disable_root": "in state",  # bookworm-min has no root keys at all
            "packages bash": "in state"}
    assert _status(doc) == want
    assert {f["rule"] for f in doc["findings"]} == {"HOST-111"}
    users = next(i for i in doc["items"] if i["name"] == "users deploy")
    assert users["reason"] == "user absent"
    reasons = {u["location"]: u["reason"] for u in doc["unknowns"]}
    assert "timezone" in reasons["user-data"]


def test_a_provisioned_root_is_in_state_and_each_drift_is_its_own_item(root: Path) -> None:
    _provision(root)
    code, doc = _declared(root, "--fail-on", "low")
    assert code == 0, [i for i in doc["items"] if i["status"] == "would change"]
    assert _status(doc) == {**dict.fromkeys(ITEMS, "in state"), **NOT_EVALUATED}
    assert "HOST-111" in doc["evaluated"]
    code, _ = _declared(root, "--strict")
    assert code == 4  # runcmd, the default user and timezone stay unknown

    (root / "etc/sysctl.d/90-hardening.conf").write_text("kernel.kptr_restrict = 0\n")
    (root / "etc/issue.net").chmod(0o666)
    shadow = root / "etc/shadow"
    shadow.write_text(shadow.read_text().replace("deploy:!:", "deploy:$6$x$y:"))
    (root / "root/.ssh").mkdir(parents=True, exist_ok=True)
    (root / "root/.ssh/authorized_keys").write_text(KEY + "\n")
    code, doc = _declared(root, "--fail-on", "medium")
    assert code == 1
    changed = {i["name"]: i["reason"] for i in doc["items"] if i["status"] == "would change"}
    assert changed == {
        "write_files /etc/sysctl.d/90-hardening.conf": "content differs",
        "write_files /etc/issue.net": "mode 0666, declared 0644",
        "users deploy": "password not locked (lock_passwd)",
        "disable_root": "1 root key(s) without a forcing command=",
    }
    diff = next(i["diff"] for i in doc["items"]
                if i["name"] == "write_files /etc/sysctl.d/90-hardening.conf")
    assert "-kernel.kptr_restrict = 0" in diff and "+kernel.kptr_restrict = 2" in diff


@pytest.mark.parametrize(("data", "message"), [
    (b"#cloud-config\nusers: [\n", "does not parse"),
    (gzip.compress(b"#cloud-config\n" + b"a" * (65 << 20)), "decompresses to more than"),
    # ringfence's depth check, or PyYAML >= 6.0.4's own nesting limit before it
    (b"#cloud-config\n" + b"- " * 5000 + b"x\n", "nested deeper|maximum nesting depth"),
    (b"#cloud-config\n- just\n- a list\n", "not a mapping"),
])
def test_hostile_user_data_is_an_error(root: Path, data: bytes, message: str,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    (root.parent / "user-data").write_bytes(data)
    code, doc = _declared(root)
    assert code == 3 and doc == {}
    assert re.search(message, capsys.readouterr().err)


def test_multipart_scripts_and_unknown_encodings_are_not_evaluated(root: Path) -> None:
    (root.parent / "user-data").write_text(
        'Content-Type: multipart/mixed; boundary="XX"\nMIME-Version: 1.0\n\n--XX\n'
        'Content-Type: text/x-shellscript\n\n#!/bin/sh\ntouch /etc/x\n--XX\n'
        'Content-Type: text/cloud-config\n\n#cloud-config\nwrite_files:\n'
        '  - path: /etc/issue.net\n    encoding: base91\n    content: abc\n--XX--\n')
    code, doc = _declared(root, "--strict")
    assert code == 4
    assert _status(doc) == {"user-data part": "not evaluated",
                            "write_files /etc/issue.net": "not evaluated"}
    assert doc["findings"] == [] and "HOST-111" not in doc["evaluated"]

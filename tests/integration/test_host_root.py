"""``ringfence host --root DIR`` on a debootstrap-like root built here: the findings come
from files under DIR only, a real 0666 unix socket is caught, hostile symlinks stay inside,
and the root's /proc is not taken for the running kernel's."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path
from typing import Any

import pytest

from ringfence.cli.main import main
from ringfence.host.gather import gather_host_facts

FILES = {
    "etc/os-release": 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\n',
    "etc/hostname": "mounted-host\n",
    "boot/config-6.1.0-18-amd64": 'CONFIG_SECCOMP=y\nCONFIG_SECCOMP_FILTER=y\n'
                                  'CONFIG_SECURITY_YAMA=y\nCONFIG_USER_NS=y\n'
                                  'CONFIG_LSM="landlock,lockdown,yama,integrity,apparmor"\n',
    "boot/config-5.10.0-28-amd64": "CONFIG_SECCOMP=y\n# CONFIG_SECCOMP_FILTER is not set\n",
    "usr/lib/sysctl.d/50-pid-max.conf": "kernel.pid_max = 4194304\n",
    "etc/sysctl.d/99-hardening.conf": "kernel.kptr_restrict = 1\nkernel.dmesg_restrict = 1\n"
                                      "kernel.unprivileged_bpf_disabled = 0\n"
                                      "net.ipv4.ip_forward = 1\n",
    # a mounted root's /proc is not the running kernel's: must be ignored
    "proc/sys/kernel/unprivileged_bpf_disabled": "2\n",
    "etc/ssh/sshd_config": "Include /etc/ssh/sshd_config.d/*.conf\nKbdInteractiveAuthentication"
                           " no\nUsePAM yes\nX11Forwarding yes\nPrintMotd no\n",
    "etc/ssh/sshd_config.d/10-root.conf": "PermitRootLogin yes\nPasswordAuthentication no\n",
    "etc/docker/daemon.json": '{"icc": false, "userns-remap": "default", '
                              '"no-new-privileges": true, "live-restore": true}\n',
    "usr/bin/dockerd": "#!/bin/sh\n", "usr/bin/runc": "#!/bin/sh\n",
    "etc/audit/rules.d/docker.rules": "-w /usr/bin/dockerd -k docker\n-w /etc/docker -k docker\n",
}


def build_root(root: Path) -> Path:
    for rel, text in FILES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    for name in ("bin", "sbin", "lib"):
        os.symlink(f"usr/{name}", root / name)
    (root / "run").mkdir()
    (root / "var").mkdir(exist_ok=True)
    os.symlink("/run", root / "var" / "run")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.bind(str(root / "run" / "docker.sock"))
    (root / "run" / "docker.sock").chmod(0o666)
    (root / "etc" / "containers").mkdir()
    # hostile links: both resolve inside the root (where nothing is), never to the host
    os.symlink("/etc/../../../../etc/ssh/ssh_host_ed25519_key",
               root / "etc" / "containers" / "registries.conf")
    os.symlink("../../../../../../../../proc/self/environ",
               root / "etc" / "containers" / "containers.conf")
    return root


@pytest.fixture
def doc(tmp_path: Path) -> tuple[int, dict[str, Any], Path]:
    root = build_root(tmp_path / "root")
    out = tmp_path / "host.json"
    code = main(["host", "--root", str(root), "--fail-on", "high", "-f", "json", "-o", str(out)])
    return code, json.loads(out.read_text()), root


def test_findings_come_from_the_mounted_root(doc: tuple[int, dict[str, Any], Path]) -> None:
    code, report, root = doc
    assert code == 1  # CRITICAL socket, HIGH root login
    assert report["target"] == {"kind": "host", "name": str(root), "live": False}
    by_rule: dict[str, list[dict[str, Any]]] = {}
    for f in report["findings"]:
        by_rule.setdefault(f["rule"], []).append(f)
    assert [f["location"] for f in by_rule["HOST-040"]] == ["/run/docker.sock"]
    assert "writable by every local user (0666 " in by_rule["HOST-040"][0]["message"]
    assert [f["location"] for f in by_rule["HOST-020"]] == ["/etc/ssh/sshd_config"]
    assert "HOST-021" not in by_rule  # PasswordAuthentication no in the drop-in
    assert [f["message"] for f in by_rule["HOST-006"]] == [
        "kernel.unprivileged_bpf_disabled is configured as 0, want >= 1"]
    assert {f["location"] for f in by_rule["HOST-042"]} == {"/usr/bin/runc"}
    assert set(by_rule) == {"HOST-006", "HOST-010", "HOST-020", "HOST-023", "HOST-040",
                            "HOST-042"}


def test_live_only_facts_are_not_evaluated(doc: tuple[int, dict[str, Any], Path]) -> None:
    _, report, _ = doc
    status = {r["id"]: (r["status"], r["needs"]) for r in report["rules"]}
    for rid in ("HOST-002", "HOST-003"):
        assert status[rid][0] == "not evaluated" and "mounted root" in status[rid][1]
    assert status["HOST-001"][0] == "held"  # from the newest /boot/config-*
    facts = {f["name"]: f for f in report["facts"]}
    assert facts["kernel.release"]["status"].startswith("not read: a mounted root")
    assert facts["kernel.config"]["source"] == "/boot/config-6.1.0-18-amd64"
    assert facts["lsm.active"]["value"] == "landlock,lockdown,yama,integrity,apparmor"
    assert facts["landlock"]["value"] is True
    assert facts["sysctl.kernel.kptr_restrict"]["source"] == "/etc/sysctl.d/99-hardening.conf"
    assert facts["sysctl.fs.protected_regular"]["status"] == "not read: not configured"
    assert facts["sshd.config"]["value"] == (
        "/etc/ssh/sshd_config,/etc/ssh/sshd_config.d/10-root.conf")


def test_no_path_outside_the_root_is_touched(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    root = build_root(tmp_path / "root")
    seen: list[str] = []
    for name in ("open", "lstat", "stat", "listdir", "readlink", "scandir"):
        real = getattr(os, name)

        def spy(path: Any, *args: Any, _real: Any = real, **kw: Any) -> Any:
            seen.append(os.fsdecode(path) if isinstance(path, str | bytes) else str(path))
            return _real(path, *args, **kw)

        monkeypatch.setattr(os, name, spy)
    facts = gather_host_facts(root)
    monkeypatch.undo()
    ancestors = {str(p) for p in root.parents}  # resolving DIR itself (Path.resolve)
    outside = [p for p in seen if not (p == str(root) or p.startswith(f"{root}/"))
               and p not in ancestors]
    assert len(seen) > 50 and outside == []
    assert facts.kernel.release is None and facts.sysctls["net.ipv4.ip_forward"].value == "1"
    assert {c.source for c in facts.runtime_configs} == {"/etc/docker/daemon.json"}


def test_exit_codes(tmp_path: Path) -> None:
    root = tmp_path / "r"
    (root / "etc" / "docker").mkdir(parents=True)
    (root / "etc" / "docker" / "daemon.json").write_text('{"icc": false,')  # broken JSON
    out = tmp_path / "o.json"
    assert main(["host", "--root", str(root), "-f", "json", "-o", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert [(u["location"], u["reason"].split(":")[0]) for u in doc["unknowns"]] == [
        ("/etc/docker/daemon.json", "not valid JSON")]
    assert {r["id"]: r["status"] for r in doc["rules"]}["HOST-030"] == "not evaluated"
    assert main(["host", "--root", str(root), "--strict", "-f", "json", "-o", str(out)]) == 4
    assert main(["host", "--root", str(tmp_path / "missing")]) == 2

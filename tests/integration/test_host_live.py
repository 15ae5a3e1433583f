"""``ringfence host`` on this machine: it completes, and every fact it reports is checked
against an independent read (sysctl(8), uname, statfs, zcat, stat(1), sshd -T)."""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from ringfence.cli.main import main
from ringfence.model.finding import Severity

pytestmark = pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux")


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, dict[str, Any]]:
    out = tmp_path_factory.mktemp("host") / "host.json"
    code = main(["host", "--fail-on", "high", "-f", "json", "-o", str(out)])
    return code, json.loads(out.read_text())


def _facts(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["name"]: f for f in doc["facts"]}


def test_completes_and_every_rule_has_a_status(report: tuple[int, dict[str, Any]]) -> None:
    code, doc = report
    high = any(Severity.parse(f["severity"]) >= Severity.HIGH for f in doc["findings"])
    assert code == (1 if high else 0)
    assert doc["target"] == {"kind": "host", "name": "/", "live": True}
    statuses = {r["id"]: r["status"] for r in doc["rules"]}
    assert len(statuses) >= 25 and set(statuses.values()) <= {"failed", "held", "not evaluated"}
    for r in doc["rules"]:
        assert (r["status"] == "not evaluated") == bool(r["needs"]), r
        assert r["threats"] and r["references"]
    failed = {f["rule"] for f in doc["findings"]}
    assert failed == {i for i, s in statuses.items() if s == "failed"}
    for fact in doc["facts"]:  # read, or not read with a reason: never silent
        assert fact["status"] == "read" or fact["status"].startswith("not read: ")


@pytest.mark.skipif(shutil.which("sysctl") is None, reason="procps sysctl not installed")
def test_sysctls_match_sysctl_n(report: tuple[int, dict[str, Any]]) -> None:
    checked = 0
    for name, fact in _facts(report[1]).items():
        if not name.startswith("sysctl."):
            continue
        key = name.removeprefix("sysctl.")
        proc = subprocess.run(["sysctl", "-n", key], capture_output=True, text=True)
        if fact["status"] == "read":
            assert proc.returncode == 0 and proc.stdout.strip() == fact["value"], key
            checked += 1
        else:
            assert proc.returncode != 0, f"{key} exists but was reported {fact['status']}"
    assert checked >= 8


def test_kernel_facts_match_independent_reads(report: tuple[int, dict[str, Any]]) -> None:
    facts = _facts(report[1])
    assert facts["kernel.release"]["value"] == os.uname().release
    statfs = subprocess.run(["stat", "-f", "-c", "%T", "/sys/fs/cgroup"], capture_output=True,
                            text=True, check=True).stdout.strip()
    unified = Path("/sys/fs/cgroup/unified")
    if statfs == "cgroup2fs":
        want = "v2"
    elif unified.is_dir() and subprocess.run(
            ["stat", "-f", "-c", "%T", str(unified)], capture_output=True,
            text=True).stdout.strip() == "cgroup2fs":
        want = "hybrid"
    else:
        want = "v1"
    assert facts["cgroup.mode"]["value"] == want
    assert facts["seccomp.actions"]["value"] == ",".join(
        Path("/proc/sys/kernel/seccomp/actions_avail").read_text().split())
    enforce = Path("/sys/fs/selinux/enforce")
    want_selinux = ("disabled" if not enforce.exists() else
                    "enforcing" if enforce.read_text().strip() == "1" else "permissive")
    assert facts["selinux"]["value"] == want_selinux
    aa = Path("/sys/module/apparmor/parameters/enabled")
    assert facts["apparmor"]["value"] is (aa.exists() and aa.read_text().startswith("Y"))
    if want_selinux == "disabled" and not facts["apparmor"]["value"]:
        # no labelling LSM: the kernel refuses the process label (EINVAL), as TESTING.md says
        with pytest.raises(OSError):
            Path("/proc/self/attr/current").read_text()


@pytest.mark.skipif(not Path("/proc/config.gz").exists(), reason="no /proc/config.gz")
def test_kernel_config_matches_zcat(report: tuple[int, dict[str, Any]]) -> None:
    text = subprocess.run(["zcat", "/proc/config.gz"], capture_output=True, text=True,
                          check=True).stdout
    names = set(re.findall(r"^(CONFIG_\w+)=", text, re.M)) | set(
        re.findall(r"^# (CONFIG_\w+) is not set$", text, re.M))
    facts = _facts(report[1])
    assert facts["kernel.config"]["value"] == len(names)
    assert facts["kernel.config"]["source"] == "/proc/config.gz"
    lsm = facts["lsm.active"]
    if Path("/sys/kernel/security/lsm").exists():
        assert lsm["value"] == Path("/sys/kernel/security/lsm").read_text().strip()
    elif "lsm=" not in Path("/proc/cmdline").read_text():
        want = re.search(r'^CONFIG_LSM="(.*)"$', gzip.decompress(
            Path("/proc/config.gz").read_bytes()).decode(), re.M)
        assert lsm["value"] == (want.group(1) if want else None)


def test_file_modes_match_stat(report: tuple[int, dict[str, Any]]) -> None:
    kinds = {"regular file": "file", "directory": "dir", "socket": "socket",
             "symbolic link": "link", "regular empty file": "file"}
    files = [f for n, f in _facts(report[1]).items() if n.startswith("file.")]
    for fact in files:
        path = fact["name"].removeprefix("file.")
        kind, mode, owner = subprocess.run(["stat", "-c", "%F|%a|%u:%g", path],
                                           capture_output=True, text=True,
                                           check=True).stdout.strip().split("|")
        assert fact["value"] == f"{kinds[kind]} {int(mode, 8):04o} {owner}"


SSHD = shutil.which("sshd") or ("/usr/sbin/sshd" if Path("/usr/sbin/sshd").exists() else None)


@pytest.mark.skipif(SSHD is None or not Path("/etc/ssh/sshd_config").exists()
                    or os.geteuid() != 0 or shutil.which("unshare") is None,
                    reason="needs openssh-server, root and unshare for sshd -T")
def test_this_hosts_sshd_config_matches_sshd_t() -> None:
    from ringfence.host.facts import RootReader
    from ringfence.host.sshd import KEYWORDS, load_sshd_config

    proc = subprocess.run(["unshare", "-m", "sh", "-c", "mount -t tmpfs tmpfs /run && "
                           f"mkdir /run/sshd && {SSHD} -T"], capture_output=True, text=True)
    if "no hostkeys available" in proc.stderr:
        pytest.skip("this host has no sshd host keys")
    assert proc.returncode == 0, proc.stderr
    want: dict[str, str] = {}
    for line in proc.stdout.splitlines():
        key, _, value = line.partition(" ")
        want.setdefault(key, value)
    conf = load_sshd_config(RootReader("/"))
    assert conf is not None
    got = conf.settings()
    assert {k: got[k] for k in KEYWORDS} == {k: want[k] for k in KEYWORDS}

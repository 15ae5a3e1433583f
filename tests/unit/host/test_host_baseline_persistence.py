"""HOST-112: where an intruder persists on a container host -- a preloaded library, an SSH
key, a cron job, a systemd unit -- each seeded change reported once, with its parsed value,
on a root built here."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from ringfence.host.baseline.drift import Change, compare
from ringfence.host.baseline.snapshot import take_snapshot


def _write(root: Path, path: str, text: str, mode: int = 0o644) -> Path:
    target = root / path.lstrip("/")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    target.chmod(mode)
    return target


def _changes(root: Path, change: Callable[[], object]) -> list[Change]:
    before = take_snapshot(root, live=False)
    change()
    return list(compare(before, take_snapshot(root, live=False)).changes)


@pytest.fixture()
def host(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    _write(root, "/etc/passwd", "root:x:0:0:root:/root:/bin/bash\n"
           "ops:x:1000:1000::/home/ops:/bin/bash\n")
    _write(root, "/etc/ld.so.conf", "include /etc/ld.so.conf.d/*.conf\n")
    _write(root, "/etc/ld.so.conf.d/libc.conf", "/usr/local/lib\n")
    _write(root, "/root/.ssh/authorized_keys", "ssh-ed25519 AAAAroot admin\n", 0o600)
    _write(root, "/etc/crontab", "17 * * * * root run-parts /etc/cron.hourly\n")
    _write(root, "/etc/cron.daily/logrotate", "#!/bin/sh\nlogrotate /etc/logrotate.conf\n",
           0o755)
    _write(root, "/etc/systemd/system/backup.service", "[Service]\nExecStart=/usr/bin/backup\n")
    _write(root, "/etc/systemd/system/containerd.service",
           "[Service]\nExecStart=/usr/bin/containerd\n")
    return root


def _one(changes: list[Change]) -> Change:
    assert len(changes) == 1, [c.describe() for c in changes]
    assert changes[0].rule == "HOST-112"
    return changes[0]


def test_a_preloaded_library(host: Path) -> None:
    change = _one(_changes(host, lambda: _write(host, "/etc/ld.so.preload",
                                                "/lib/libhide.so\n")))
    assert (change.domain, change.change, change.new) == ("ld.so", "added", "/lib/libhide.so")


def test_a_library_directory_through_an_included_conf(host: Path) -> None:
    change = _one(_changes(host, lambda: _write(host, "/etc/ld.so.conf.d/zz.conf",
                                                "/dev/shm/lib\n")))
    assert (change.source, change.new) == ("/etc/ld.so.conf.d/zz.conf", "/dev/shm/lib")


def test_a_key_in_root_s_authorized_keys(host: Path) -> None:
    change = _one(_changes(host, lambda: _write(
        host, "/root/.ssh/authorized_keys", "ssh-ed25519 AAAAroot admin\n"
        'command="/bin/sh" ssh-ed25519 AAAAevil x\n', 0o600)))
    assert change.new == 'command="/bin/sh" ssh-ed25519 AAAAevil x'


def test_a_user_s_authorized_keys2(host: Path) -> None:
    change = _one(_changes(host, lambda: _write(host, "/home/ops/.ssh/authorized_keys2",
                                                "ssh-rsa AAAAops x\n")))
    assert change.source == "/home/ops/.ssh/authorized_keys2"


def test_keys_where_sshd_s_authorized_keys_file_points(host: Path) -> None:
    _write(host, "/etc/ssh/sshd_config", "AuthorizedKeysFile /etc/ssh/keys/%u\n"
           "Match User ops\n  AuthorizedKeysFile /srv/keys/%U.%%\n")
    changes = _changes(host, lambda: (_write(host, "/etc/ssh/keys/root", "ssh-rsa AAAAr x\n"),
                                      _write(host, "/srv/keys/1000.%", "ssh-rsa AAAAo x\n")))
    assert sorted(c.source for c in changes if c.rule == "HOST-112") == [
        "/etc/ssh/keys/root", "/srv/keys/1000.%"]
    assert len(changes) == 2


def test_cron_jobs_and_scripts(host: Path) -> None:
    change = _one(_changes(host, lambda: _write(host, "/etc/cron.d/sync",
                                                "* * * * * root /tmp/.x\n")))
    assert change.new == "* * * * * root /tmp/.x"
    change = _one(_changes(host, lambda: _write(host, "/var/spool/cron/crontabs/ops",
                                                "@reboot /home/ops/.x\n", 0o600)))
    assert change.source == "/var/spool/cron/crontabs/ops"
    change = _one(_changes(host, lambda: _write(host, "/etc/cron.daily/logrotate",
                                                "#!/bin/sh\n/tmp/.x\n", 0o755)))
    assert (change.key, change.change) == ("/etc/cron.daily/logrotate", "changed")
    assert change.old is not None and change.new is not None
    assert change.old.startswith("mode=0755 sha256=") and change.old != change.new


def test_a_new_unit_and_the_link_that_enables_it(host: Path) -> None:
    def seed() -> None:
        _write(host, "/etc/systemd/system/agent.service", "[Service]\nExecStart=/opt/a\n")
        wants = host / "etc/systemd/system/multi-user.target.wants"
        wants.mkdir(parents=True)
        (wants / "agent.service").symlink_to("/etc/systemd/system/agent.service")

    changes = _changes(host, seed)
    assert sorted((c.key, c.new) for c in changes) == [
        ("/etc/systemd/system/agent.service Service.ExecStart", "/opt/a"),
        ("/etc/systemd/system/multi-user.target.wants/agent.service",
         "-> /etc/systemd/system/agent.service")]
    assert {c.rule for c in changes} == {"HOST-112"}


def test_a_drop_in_resetting_exec_start(host: Path) -> None:
    change = _one(_changes(host, lambda: _write(
        host, "/etc/systemd/system/backup.service.d/override.conf",
        "[Service]\nExecStart=\nExecStart=/tmp/.x\n")))
    assert change.new == "/tmp/.x"


def test_a_runtime_unit_is_host_106_s_only(host: Path) -> None:
    changes = _changes(host, lambda: _write(host, "/etc/systemd/system/containerd.service",
                                            "[Service]\nExecStart=/tmp/containerd\n"))
    assert [(c.rule, c.new) for c in changes] == [("HOST-106", "/tmp/containerd")]


def test_a_masked_unit(host: Path) -> None:
    def mask() -> None:
        (host / "etc/systemd/system/auditd.service").symlink_to("/dev/null")

    change = _one(_changes(host, mask))
    assert change.new == "-> /dev/null"


def test_a_preload_fifo_is_unknown(host: Path) -> None:
    os.mkfifo(host / "etc/ld.so.preload")
    assert dict(take_snapshot(host, live=False).problems)["/etc/ld.so.preload"] == \
        "not a regular file"


def test_merged_usr_units_drift_once_and_vendor_drop_ins_and_links_count(host: Path) -> None:
    (host / "usr/lib/systemd/system").mkdir(parents=True)
    (host / "lib").symlink_to("usr/lib")  # merged /usr: /lib/systemd/system is the same
    vendor = host / "usr/lib/systemd/system"
    _write(host, "/usr/lib/systemd/system/containerd.service", "[Service]\nExecStart=/a\n")
    _write(host, "/usr/lib/systemd/system/ssh.service", "[Service]\nExecStart=/sshd\n")
    changes = _changes(host, lambda: _write(host, "/usr/lib/systemd/system/containerd.service",
                                            "[Service]\nExecStart=/tmp/c\n"))
    assert [(c.rule, c.key) for c in changes] == [
        ("HOST-106", "/usr/lib/systemd/system/containerd.service Service.ExecStart")]

    def seed() -> None:
        _write(host, "/usr/lib/systemd/system/ssh.service.d/x.conf",
               "[Service]\nExecStartPre=/tmp/.x\n")
        (vendor / "multi-user.target.wants").mkdir()
        (vendor / "multi-user.target.wants/ssh.service").symlink_to("../ssh.service")

    changes = _changes(host, seed)
    assert sorted((c.rule, c.key) for c in changes) == [
        ("HOST-112", "/usr/lib/systemd/system/multi-user.target.wants/ssh.service"),
        ("HOST-112", "/usr/lib/systemd/system/ssh.service.d/x.conf Service.ExecStartPre")]
    # a vendor unit file itself is the package's
    assert _changes(host, lambda: _write(host, "/usr/lib/systemd/system/new.service",
                                         "[Service]\nExecStart=/x\n")) == []

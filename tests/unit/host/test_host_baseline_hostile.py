"""The host baseline attacked by the host's owner (who wants "no drift"): lines sudo reads
that look like comments, includes sudo expands, setuid programs in directories the walk
cannot list, roots where a program directory is the root itself, files that are FIFOs or
huge, terminal escapes in values, and user-data that expands through YAML aliases.

Every root is built here, in a temporary directory."""

from __future__ import annotations

import base64
import json
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ringfence.errors import InputError
from ringfence.host.baseline import sources
from ringfence.host.baseline.drift import compare
from ringfence.host.baseline.report import drift_document
from ringfence.host.baseline.snapshot import take_snapshot
from ringfence.host.declared import cloudinit
from ringfence.host.declared.model import WOULD_CHANGE
from ringfence.host.facts import RootReader
from ringfence.report.host_drift_table import render_host_drift_table


def _write(root: Path, path: str, text: str, mode: int = 0o644) -> Path:
    target = root / path.lstrip("/")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)
    target.chmod(mode)
    return target


def _drift(root: Path, change: Callable[[], object]) -> list[tuple[str, str, str]]:
    before = take_snapshot(root, live=False)
    change()
    after = take_snapshot(root, live=False)
    return [(c.rule, c.domain, c.change) for c in compare(before, after).changes]


@pytest.fixture()
def host(tmp_path: Path) -> Path:
    root = tmp_path / "root"
    _write(root, "/etc/hostname", "web1.example.org\n")
    _write(root, "/etc/sudoers", "root ALL=(ALL:ALL) ALL\n@includedir /etc/sudoers.d\n",
           0o440)
    (root / "etc/sudoers.d").mkdir()
    (root / "usr/bin").mkdir(parents=True)
    return root


def test_a_user_id_rule_is_a_sudoers_rule_not_a_comment(host: Path) -> None:
    # sudoers(5): '#' followed by digits is a user ID; the file change alone was only LOW
    changes = _drift(host, lambda: _write(host, "/etc/sudoers.d/zz", "#1000 ALL=(ALL) "
                                          "NOPASSWD: ALL\n# a comment\n", 0o440))
    assert ("HOST-103", "sudoers", "added") in changes
    assert sum(1 for c in changes if c[1] == "sudoers") == 1  # the comment is no rule


def test_includes_are_expanded_as_sudo_does(host: Path) -> None:
    _write(host, "/etc/sudoers", "root ALL=(ALL:ALL) ALL\n@include /etc/sudoers.%h\n"
           '@include "/etc/sudo ers.local"\n', 0o440)

    def seed() -> None:  # files sudo reads through the includes that were already there
        _write(host, "/etc/sudoers.web1", "mallory ALL=(ALL) NOPASSWD: ALL\n", 0o440)
        _write(host, "/etc/sudo ers.local", "eve ALL=(ALL) NOPASSWD: ALL\n", 0o440)

    changes = _drift(host, seed)
    assert changes.count(("HOST-103", "sudoers", "added")) == 2


def test_a_directory_the_setuid_search_cannot_list_is_unknown(
        host: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _write(host, "/usr/bin/hidden/tool", "x", 0o4755)
    real = os.scandir

    def refuse(path: str) -> Iterator[os.DirEntry[str]]:
        if str(path).endswith("/hidden"):
            raise PermissionError(13, "Permission denied")
        return real(path)

    monkeypatch.setattr(os, "scandir", refuse)
    snap = take_snapshot(host, live=False)
    assert ("/usr/bin/hidden" in dict(snap.problems)), snap.problems
    assert not [k for k in snap.facts if k[0] == "setuid"]


def test_a_program_directory_that_is_the_root_is_walked_once_without_proc(host: Path) -> None:
    (host / "usr/bin").rmdir()
    (host / "usr/bin").symlink_to("/")
    _write(host, "/tool", "x", 0o4755)  # /usr/bin/tool on this host
    _write(host, "/proc/1/fake", "x", 0o4755)  # a kernel filesystem is not walked
    snap = take_snapshot(host, live=False)
    assert [k for d, k in snap.facts if d == "setuid"] == ["/tool"]


def test_a_hard_linked_setuid_program_is_reported_at_each_name(host: Path) -> None:
    first = _write(host, "/usr/bin/one", "x", 0o4755)

    def link() -> None:
        os.link(first, host / "usr/bin/two")

    assert _drift(host, link) == [("HOST-102", "setuid", "added")]


@pytest.mark.parametrize("path", ["/etc/sudoers", "/etc/ssh/sshd_config", "/etc/passwd"])
def test_fifos_and_devices_are_unknowns_not_hangs(host: Path, path: str) -> None:
    target = host / path.lstrip("/")
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        target.unlink()
    os.mkfifo(target)
    assert dict(take_snapshot(host, live=False).problems)[path] == "not a regular file"
    target.unlink()
    os.mknod(target, 0o644 | stat.S_IFCHR, os.makedev(1, 5))  # /dev/zero
    assert dict(take_snapshot(host, live=False).problems)[path] == "not a regular file"


def test_a_huge_file_is_unknown(host: Path) -> None:
    with open(host / "etc/passwd", "wb") as f:
        f.truncate(sources.MAX_CONFIG + 1)
    assert "larger than" in dict(take_snapshot(host, live=False).problems)["/etc/passwd"]


def test_terminal_escapes_and_markup_in_values_do_not_reach_the_table(host: Path) -> None:
    before = take_snapshot(host, live=False)
    _write(host, "/etc/sudoers.d/x", "\x1b[2J\x1b]0;owned\x07[bold red]alice[/] ALL=(ALL) ALL\n")
    after = take_snapshot(host, live=False)
    doc = drift_document(compare(before, after), before, "2026-12-04T00:00:00+00:00", after,
                         str(host))
    table = render_host_drift_table(doc, width=200)
    assert "\x1b" not in table and "\x07" not in table
    assert "[bold red]alice[/]" in table.replace("\n", "")  # markup shown, not interpreted


def _alias_bomb(levels: int) -> bytes:
    lines = ["#cloud-config", 'a0: &a0 ["x","x","x","x","x","x","x","x","x","x"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, levels)]
    return "\n".join([*lines, f"write_files: *a{levels - 1}", ""]).encode()


def test_user_data_expanding_through_aliases_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="expands to more than"):
        cloudinit.compare(_alias_bomb(8), "user-data", RootReader(tmp_path))
    # anchors and aliases of a normal size are read
    small = (b"#cloud-config\nx: &k [ssh-ed25519 AAAA]\nusers:\n"
             b"  - {name: a, ssh_authorized_keys: *k}\n  - {name: b, ssh_authorized_keys: *k}\n")
    items = cloudinit.compare(small, "user-data", RootReader(tmp_path)).items
    assert [i.name for i in items if i.action == "users"] == ["users a", "users b"]


def _vfs_cap(version: int, effective: bool, permitted: int, inheritable: int = 0,
             rootid: int | None = None) -> bytes:
    """A ``security.capability`` value as the kernel stores it (linux/capability.h)."""
    out = ((version << 24) | int(effective)).to_bytes(4, "little")
    for word in range(1 if version == 1 else 2):
        out += (permitted >> 32 * word & 0xFFFFFFFF).to_bytes(4, "little")
        out += (inheritable >> 32 * word & 0xFFFFFFFF).to_bytes(4, "little")
    return out + (rootid.to_bytes(4, "little") if rootid is not None else b"")


def test_a_capability_given_to_a_program_is_drift(host: Path) -> None:
    # `setcap cap_setuid+ep python3`: no setuid bit, same content, same package -- root anyway
    program = _write(host, "/usr/bin/python3", "#!interpreter", 0o755)

    def setcap() -> None:
        os.setxattr(program, "security.capability", _vfs_cap(2, True, 1 << 7))

    changes = _drift(host, setcap)
    assert changes == [("HOST-102", "setuid", "added")]
    snap = take_snapshot(host, live=False)
    assert "caps=cap_setuid=ep " in snap.facts[("setuid", "/usr/bin/python3")].value


@pytest.mark.parametrize(("raw", "shown"), [
    (_vfs_cap(2, True, 1 << 7 | 1 << 13), "cap_net_raw,cap_setuid=ep"),
    (_vfs_cap(1, False, 1 << 10), "cap_net_bind_service=p"),
    (_vfs_cap(2, True, 1 << 39, 1 << 10), "cap_bpf,cap_net_bind_service=epi "
                                          "inheritable=cap_net_bind_service"),
    (_vfs_cap(3, True, 1 << 21, rootid=100000), "cap_sys_admin=ep rootid=100000"),
    (b"\x01\x00\x00\x02\x80", "unparsed:0100000280"),
])
def test_file_capabilities_are_shown_as_getcap_would(raw: bytes, shown: str) -> None:
    assert sources.file_capabilities(raw) == shown


def test_a_pam_hook_is_an_account_change_not_a_low_file_change(host: Path) -> None:
    _write(host, "/etc/pam.d/sshd", "@include common-auth\naccount required pam_nologin.so\n")
    changes = _drift(host, lambda: _write(
        host, "/etc/pam.d/sshd", "auth sufficient pam_permit.so\n@include common-auth\n"
        "account required pam_nologin.so\n# a comment\n"))
    assert changes == [("HOST-104", "pam", "added")]


def test_an_sshd_keyword_nothing_parsed_is_not_hidden_by_a_parsed_change(host: Path) -> None:
    _write(host, "/etc/ssh/sshd_config", "PermitRootLogin no\nLogLevel INFO\n"
           "Subsystem sftp internal-sftp\n")
    changes = _drift(host, lambda: _write(
        host, "/etc/ssh/sshd_config", "PermitRootLogin no\nLogLevel VERBOSE\n"
        "Subsystem sftp internal-sftp\nAuthorizedKeysCommand /tmp/.k %u\n"
        "AuthorizedKeysCommandUser root\nMatch User ops\n  TrustedUserCAKeys /tmp/ca\n"))
    assert changes == [("HOST-101", "sshd", "added")] * 3 + [("HOST-101", "sshd", "changed")]


def test_every_modprobe_command_is_a_value(host: Path) -> None:
    _write(host, "/etc/modprobe.d/x.conf", "blacklist usb_storage\n")
    changes = _drift(host, lambda: _write(host, "/etc/modprobe.d/x.conf",
                                          "blacklist usb_storage\nsoftdep ext4 pre: rootkit\n"))
    assert changes == [("HOST-105", "module.config", "added")]


def test_a_kernel_argument_in_grub_d_is_a_value(host: Path) -> None:
    _write(host, "/etc/default/grub", 'GRUB_CMDLINE_LINUX_DEFAULT="quiet"\n')
    changes = _drift(host, lambda: _write(
        host, "/etc/default/grub.d/99-x.cfg",
        'GRUB_CMDLINE_LINUX_DEFAULT="$GRUB_CMDLINE_LINUX_DEFAULT apparmor=0"\n'))
    assert changes == [("HOST-105", "kernel.cmdline", "added")]
    snap = take_snapshot(host, live=False)
    assert snap.facts[("kernel.cmdline", "apparmor")].value == "0"


def test_a_large_declared_file_is_not_diffed(tmp_path: Path) -> None:
    # interleaved repeated lines: difflib took ~110 s on 50,000 of them
    host = b"".join(b"line %d\n" % (i if i % 2 else 0) for i in range(50_000))
    want = b"".join(b"line %d\n" % (i if i % 3 else 0) for i in range(50_000))
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc/big").write_bytes(host)
    (tmp_path / "etc/passwd").write_text("root:x:0:0:root:/root:/bin/sh\n")
    (tmp_path / "etc/group").write_text("root:x:0:\n")
    user_data = (b"#cloud-config\nwrite_files:\n  - path: /etc/big\n    encoding: b64\n"
                 b"    content: " + base64.b64encode(want) + b"\n")
    [item] = [i for i in cloudinit.compare(user_data, "user-data", RootReader(tmp_path)).items
              if i.action == "write_files"]
    assert item.status == WOULD_CHANGE and "not diffed past" in item.diff


def test_an_apparmor_abstraction_every_profile_includes_is_tracked(host: Path) -> None:
    _write(host, "/etc/apparmor.d/abstractions/base", "  /etc/ld.so.cache r,\n")
    changes = _drift(host, lambda: _write(host, "/etc/apparmor.d/abstractions/base",
                                          "  /etc/ld.so.cache r,\n  / rwlkix,\n"))
    assert changes == [("HOST-109", "file", "changed")]


def test_a_large_ansible_before_after_is_not_diffed() -> None:
    from ringfence.host.declared.ansible import parse_result

    before = "".join(f"line {i if i % 2 else 0}\n" for i in range(50_000))
    after = "".join(f"line {i if i % 3 else 0}\n" for i in range(50_000))
    result = {"plays": [{"play": {"name": "all", "path": "/p/pb.yml:1"}, "tasks": [{
        "task": {"name": "big", "path": "/p/pb.yml:3"},
        "hosts": {"h": {"action": "ansible.builtin.copy", "changed": True, "diff": [
            {"before": before, "after": after, "before_header": "/etc/big",
             "after_header": "/etc/big"}]}}}]}], "stats": {}}
    state = parse_result(json.dumps(result).encode(), "/p/pb.yml")
    [item] = [i for i in state.items if i.name == "big"]
    assert item.status == WOULD_CHANGE and "not diffed past 5000 lines" in item.diff

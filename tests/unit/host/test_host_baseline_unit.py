"""Host baseline internals: the live snapshot, drift between a live and a mounted snapshot,
host identity, and the signed document refusing what it must."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from ringfence.diff.baseline import sign
from ringfence.diff.model import FileState
from ringfence.errors import InputError
from ringfence.host.baseline import document
from ringfence.host.baseline.drift import compare
from ringfence.host.baseline.model import Fact, HostSnapshot
from ringfence.host.baseline.report import drift_document
from ringfence.host.baseline.snapshot import take_snapshot
from ringfence.trust.keys import public_pem


def _snap(facts: list[Fact], files: dict[str, FileState] | None = None, live: bool = False,
          ident: dict[str, str] | None = None) -> HostSnapshot:
    return HostSnapshot(ident or {}, files or {}, {(f.domain, f.key): f for f in facts}, (),
                        live)


def test_the_live_host_is_read_through_proc() -> None:
    snap = take_snapshot("/")
    assert snap.live
    effective = {k for d, k in snap.facts if d == "sysctl.effective"}
    assert "kernel.kptr_restrict" in effective or "fs.protected_symlinks" in effective
    assert any(d == "kernel.cmdline" for d, _ in snap.facts)


def test_a_mounted_root_does_not_read_proc(tmp_path: Path) -> None:
    (tmp_path / "proc/sys/kernel").mkdir(parents=True)
    (tmp_path / "proc/sys/kernel/kptr_restrict").write_text("0\n")
    (tmp_path / "proc/cmdline").write_text("init=/bin/evil\n")
    snap = take_snapshot(tmp_path)
    assert not snap.live
    assert not [k for k in snap.facts if k[0] in ("sysctl.effective", "kernel.cmdline")]


def test_live_values_are_not_compared_across_a_live_and_a_mounted_snapshot() -> None:
    live = _snap([Fact("sysctl.effective", "kernel.kptr_restrict", "2", "/proc/sys/kernel/x"),
                  Fact("kernel.cmdline", "quiet", "", "/proc/cmdline"),
                  Fact("sshd", "permitrootlogin", "no", "/etc/ssh/sshd_config")], live=True)
    mounted = _snap([Fact("sshd", "permitrootlogin", "yes", "/etc/ssh/sshd_config")])
    drift = compare(live, mounted)
    assert drift.live_mismatch
    assert [(c.domain, c.key) for c in drift.changes] == [("sshd", "permitrootlogin")]
    doc = drift_document(drift, live, "2026-12-04T00:00:00+00:00", mounted, "/mnt")
    assert any("not compared" in u["reason"] for u in doc["unknowns"])
    # between two live snapshots the same values are compared
    drift = compare(live, _snap([], live=True))
    assert {c.domain for c in drift.changes} == {"sysctl.effective", "kernel.cmdline", "sshd"}


def test_a_file_change_is_reported_unless_a_parsed_value_explains_it() -> None:
    old_file = FileState("file", 0o644, 0, 0, 10, "a" * 64)
    new_file = FileState("file", 0o644, 0, 0, 11, "b" * 64)
    fact = Fact("sysctl", "net.ipv4.ip_forward", "0", "/etc/sysctl.d/x.conf")
    moved = Fact("sysctl", "net.ipv4.ip_forward", "1", "/etc/sysctl.d/x.conf")
    explained = compare(_snap([fact], {"/etc/sysctl.d/x.conf": old_file}),
                        _snap([moved], {"/etc/sysctl.d/x.conf": new_file}))
    assert [c.domain for c in explained.changes] == ["sysctl"]
    unexplained = compare(_snap([fact], {"/etc/sysctl.d/x.conf": old_file}),
                          _snap([fact], {"/etc/sysctl.d/x.conf": new_file}))
    assert [(c.domain, c.rule) for c in unexplained.changes] == [("file", "HOST-109")]
    chmod = FileState("file", 0o666, 0, 0, 11, "b" * 64)  # explained content, new mode
    both = compare(_snap([fact], {"/etc/sysctl.d/x.conf": old_file}),
                   _snap([moved], {"/etc/sysctl.d/x.conf": chmod}))
    assert sorted(c.domain for c in both.changes) == ["file", "sysctl"]


@pytest.mark.parametrize(("old", "new", "why"), [
    ({"machine-id": "a", "hostname": "h"}, {"machine-id": "a", "hostname": "other"}, None),
    ({"machine-id": "a"}, {"machine-id": "b"}, "machine-id"),
    ({"hostname": "h"}, {"machine-id": "b", "hostname": "g"}, "hostname"),
    ({}, {"machine-id": "b"}, None),
])
def test_hosts_are_told_apart_by_machine_id_then_hostname(
        old: dict[str, str], new: dict[str, str], why: str | None) -> None:
    result = document.same_host(_snap([], ident=old), _snap([], ident=new))
    assert (result is None) if why is None else (result is not None and why in result)


def test_the_document_is_verified_before_it_is_read() -> None:
    key, other = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    snap = _snap([Fact("user", "root", "uid=0", "/etc/passwd")], ident={"hostname": "h"})
    data = document.create(snap, key)
    back, created = document.verify(data, public_pem(key.public_key()), "b.json")
    assert back.facts == snap.facts and back.identity == {"hostname": "h"} and created
    with pytest.raises(InputError, match="signature does not verify"):
        document.verify(data, public_pem(other.public_key()), "b.json")
    image_baseline = sign({"schema": "ringfence-baseline/1", "image": "x", "files": {}}, key)
    with pytest.raises(InputError, match="not a host baseline"):
        document.verify(image_baseline, public_pem(key.public_key()), "b.json")


def test_a_problem_leaves_the_rule_of_its_values_undecided() -> None:
    from ringfence.host.baseline.coverage import undecided
    from ringfence.host.baseline.drift import HostDrift

    old = _snap([Fact("runtime", "/srv/custom.toml x", "1", "/srv/custom.toml")])
    drift = HostDrift((), (("/etc/sudoers.d/zz", "not a regular file"),
                           ("/srv/custom.toml", "larger than 8 bytes"),
                           ("/etc/machine-id", "denied")),
                      (("/usr/bin/x", "Permission denied"),))
    why = undecided(drift, old, _snap([]))
    assert set(why) == {"HOST-103", "HOST-106", "HOST-102"}  # machine-id: no rule
    assert "could not be read when the baseline was taken" in why["HOST-102"]
    # a path nothing explains may hold anything: every drift rule; a fired rule is decided
    fired = compare(_snap([Fact("sshd", "permitrootlogin", "no", "/etc/ssh/sshd_config")]),
                    _snap([Fact("sshd", "permitrootlogin", "yes", "/etc/ssh/sshd_config")]))
    drift = HostDrift(fired.changes, (("/srv/elsewhere", "denied"),), (), live_mismatch=True)
    why = undecided(drift, _snap([]), _snap([]))
    assert "HOST-101" not in why and {"HOST-102", "HOST-105", "HOST-109", "HOST-112"} <= set(why)
    assert "live kernel values not compared" in why["HOST-105"]

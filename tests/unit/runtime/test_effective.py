"""Effective state from /proc text: the real /proc/self of this test process, and snapshots
captured from real podman containers (tests/cases/RT-1*/good)."""

from __future__ import annotations

import os
from pathlib import Path

from ringfence.runtime import caps
from ringfence.runtime.effective import ProcSnapshot, effective_of, parse_mountinfo
from ringfence.runtime.facts import load_case
from ringfence.runtime.live import snapshot

CASES = Path(__file__).parents[2] / "cases"


def test_snapshot_of_this_process_matches_proc() -> None:
    snap = snapshot(os.getpid())
    eff = effective_of(snap)
    status = dict(line.split(":", 1) for line in snap.status.splitlines())
    assert caps.to_mask(eff.cap_eff) == int(status["CapEff"].strip(), 16)
    assert eff.host_namespaces >= {"pid", "network", "mount"}  # we are on the host
    assert eff.uids[0] == os.getuid()
    assert ProcSnapshot.from_dict(snap.to_dict()) == snap


def test_captured_default_and_hardened_containers() -> None:
    default = load_case(CASES / "RT-101" / "good").live[0].effective
    hard = load_case(CASES / "RT-102" / "good").live[0].effective
    assert len(default.cap_bnd) == 11 and default.seccomp_mode == 2
    # podman raises added capabilities as ambient for a non-root user: effective too
    assert hard.cap_bnd == hard.cap_eff == hard.cap_amb == {"CAP_NET_BIND_SERVICE"}
    assert hard.no_new_privs and hard.root_read_only and hard.uids == (1000,) * 4
    assert (hard.memory_limit, hard.pids_limit, hard.cpu_quota) == (64 << 20, 50, 50000)
    assert default.blocked is not None and len(default.blocked) == 22
    assert default.verdicts is not None and default.verdicts["mount"] == "ALLOW"
    assert default.verdicts["kexec_load"] == "ERRNO(1)"


def test_mountinfo_escapes_and_fields() -> None:
    line = ("36 35 98:0 /mnt\\040dir /data rw,noatime master:1 - ext3 /dev/root "
            "rw,errors=continue")
    assert parse_mountinfo(line) == [("/mnt dir", "/data", "ext3", ("rw", "noatime"))]

"""Hostile files the CLI reads itself (keys, passphrases, baselines, stdin): ``/dev/zero``
or a FIFO is exit 3 naming it, never a hang or a full memory (cli/common.read_input and the
capped stdin of cli/k8s.py). Each runs in a child with a small address-space cap, so a
failure costs a MemoryError, not the machine."""

from __future__ import annotations

from pathlib import Path

import pytest

from ringfence.trust.keys import generate
from tests.imagebuilder import Layer, Member, build_oci
from tests.unit.hostile_platform.cli import run_child

SMALL = 768 << 20


def test_sign_key_dev_zero(tmp_path: Path) -> None:
    layout = build_oci(tmp_path / "img", [Layer([Member("a", b"a")])], tag="v1")
    got = run_child("sign", f"oci:{layout}:v1", "--key", "/dev/zero", "--identity",
                    "example.com/a:v1", memory=SMALL, timeout=120)
    got.assert_clean_error(3, "/dev/zero")


@pytest.mark.parametrize("which", ["baseline", "pubkey"])
def test_baseline_check_dev_zero(tmp_path: Path, which: str) -> None:
    (tmp_path / "pub.pem").write_bytes(generate(b"").public_pem)
    (tmp_path / "baseline.json").write_text("{}")
    (tmp_path / "rootfs").mkdir()
    baseline = "/dev/zero" if which == "baseline" else str(tmp_path / "baseline.json")
    pubkey = "/dev/zero" if which == "pubkey" else str(tmp_path / "pub.pem")
    got = run_child("baseline", "check", baseline, str(tmp_path / "rootfs"), "--pubkey",
                    pubkey, memory=SMALL, timeout=120)
    got.assert_clean_error(3, "/dev/zero")


def test_k8s_stdin_dev_zero() -> None:
    got = run_child("k8s", "-", "-f", "json", stdin_path="/dev/zero", memory=SMALL,
                    timeout=120)
    got.assert_clean_error(3, "<stdin>")

"""Files named on the command line that are not what they claim (issue 18): ``/dev/zero``,
a FIFO, a deep or oversized JSON document as a seccomp profile, an OCI bundle's config.json,
a drift baseline. Each is exit 3 with one error line naming the file, at once."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from ringfence.diff import baseline as bl
from ringfence.trust.keys import generate
from tests.unit.hostile_platform.cli import run


def _special(tmp_path: Path, kind: str) -> str:
    if kind == "dev-zero":
        return "/dev/zero"
    if kind == "fifo":
        os.mkfifo(tmp_path / "profile.json")
        return str(tmp_path / "profile.json")
    f = tmp_path / "profile.json"
    if kind == "deep":
        f.write_text("[" * 100_000 + "]" * 100_000)
    elif kind == "huge":
        with f.open("wb") as fh:
            fh.truncate(17 << 20)
    else:  # wrong types everywhere
        f.write_text(json.dumps({"defaultAction": ["x"], "architectures": 5,
                                 "archMap": "x", "syscalls": {"names": 1}}))
    return str(f)


@pytest.mark.parametrize("kind", ["dev-zero", "fifo", "deep", "huge", "wrong-types"])
def test_seccomp_lint_of_a_hostile_profile(capsys: pytest.CaptureFixture[str],
                                           tmp_path: Path, kind: str) -> None:
    path = _special(tmp_path, kind)
    got = run(capsys, "seccomp", "lint", path, "-f", "json")
    got.assert_clean_error(3, path)


@pytest.mark.parametrize("kind", ["fifo", "deep", "wrong-types"])
def test_seccomp_record_of_a_hostile_bundle(capsys: pytest.CaptureFixture[str],
                                            tmp_path: Path, kind: str) -> None:
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    config = bundle / "config.json"
    if kind == "fifo":
        os.mkfifo(config)
    elif kind == "deep":
        config.write_text('{"process": ' + "[" * 100_000 + "]" * 100_000 + "}")
    else:
        config.write_text(json.dumps({"root": {"path": ["rootfs"]}, "process": []}))
    out = tmp_path / "profile.json"
    got = run(capsys, "seccomp", "record", "-o", str(out), str(bundle))
    # is_file() is false for a FIFO: the CLI then treats the directory as a command
    got.assert_clean_error(3, str(bundle))
    assert not out.exists()


def test_deep_baseline_is_exit_3(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    pair = generate(b"")
    (tmp_path / "pub.pem").write_bytes(pair.public_pem)
    deep = "[" * 100_000 + "]" * 100_000
    (tmp_path / "baseline.json").write_text(
        '{"baseline": ' + deep + ', "signature": {"algorithm": "' + bl.ALGORITHM
        + '", "value": ""}}')
    rootfs = tmp_path / "rootfs"
    rootfs.mkdir()
    got = run(capsys, "baseline", "check", str(tmp_path / "baseline.json"), str(rootfs),
              "--pubkey", str(tmp_path / "pub.pem"), "-f", "json")
    got.assert_clean_error(3, str(tmp_path / "baseline.json"))

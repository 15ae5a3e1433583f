"""``ringfence seccomp record -- PROGRAM`` for a program that cannot run (issue 18): exit 3,
one error naming it, and no profile written (it used to write one and exit 0)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.unit.hostile_platform.cli import run

pytestmark = pytest.mark.skipif(shutil.which("strace") is None, reason="needs strace")


@pytest.mark.parametrize("kind", ["missing-path", "missing-name", "not-executable",
                                  "directory", "bad-binary"])
def test_program_that_cannot_run_is_exit_3_and_writes_nothing(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, kind: str) -> None:
    if kind == "missing-path":
        program, reason = str(tmp_path / "no" / "such" / "bin"), "no such file"
    elif kind == "missing-name":
        program, reason = "ringfence-no-such-command", "no such command on PATH"
    elif kind == "not-executable":
        (tmp_path / "data").write_bytes(b"#!/bin/sh\ntrue\n")
        program, reason = str(tmp_path / "data"), "not executable"
    elif kind == "directory":
        (tmp_path / "dir").mkdir()
        program, reason = str(tmp_path / "dir"), "not a regular file"
    else:  # passes every check before the trace; the kernel refuses it
        bad = tmp_path / "bad"
        bad.write_bytes(b"\x7fELF\x00garbage")
        bad.chmod(0o755)
        program, reason = str(bad), "could not be started"
    out = tmp_path / "profile.json"
    got = run(capsys, "seccomp", "record", "-o", str(out), "--timeout", "60", "--", program)
    got.assert_clean_error(3, program, reason)
    assert not out.exists() and got.out == ""


def test_program_that_runs_still_gives_a_profile(capsys: pytest.CaptureFixture[str],
                                                 tmp_path: Path) -> None:
    out = tmp_path / "profile.json"
    got = run(capsys, "seccomp", "record", "-o", str(out), "--", "/bin/true")
    assert got.rc == 0, got.err
    assert '"execve"' in out.read_text()

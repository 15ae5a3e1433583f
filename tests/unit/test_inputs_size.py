"""read_regular trusts neither the stated size nor reserves the whole limit: a regular file
whose st_size understates its content (every /proc file says 0) is read to its end and still
refused past the limit."""

from __future__ import annotations

from pathlib import Path

import pytest

from ringfence.errors import InputError
from ringfence.inputs import read_regular

PROC = Path("/proc/self/status")


def test_file_longer_than_its_stated_size_is_read_whole() -> None:
    assert PROC.stat().st_size == 0
    data = read_regular(PROC, 1 << 20)
    assert b"\nPid:" in data and data.endswith(b"\n") and len(data) > 100


def test_file_longer_than_its_stated_size_is_still_capped() -> None:
    with pytest.raises(InputError, match="larger than 64 bytes"):
        read_regular(PROC, 64)


def test_exact_limit_is_accepted(tmp_path: Path) -> None:
    f = tmp_path / "f"
    f.write_bytes(b"x" * 4096)
    assert read_regular(f, 4096) == b"x" * 4096
    with pytest.raises(InputError):
        read_regular(f, 4095)

"""walk_tar budgets and entries at their boundaries (bench/mutation.py `layers`): the entry
count and the wanted-bytes budget refuse one more than the limit and accept the limit, name
the layer, and a whiteout entry carries no size."""

from __future__ import annotations

import io
import tarfile

import pytest

from ringfence.errors import LimitExceededError
from ringfence.layers.walk import REG, WHITEOUT, Limits, walk_tar


def _tar(members: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def _walk(data: bytes, limits: Limits, wants: bool = True) -> list[tuple[str, str, int]]:
    return [(e.path, e.kind, e.size) for e in walk_tar(io.BytesIO(data), "layer 3",
                                                        lambda p, s: wants, limits)]


def test_entry_count_limit_is_exact() -> None:
    data = _tar([(f"f{i}", b"x") for i in range(3)])
    assert len(_walk(data, Limits(max_entries=3))) == 3
    with pytest.raises(LimitExceededError) as exc:
        _walk(data, Limits(max_entries=2))
    assert (exc.value.subject, exc.value.message) == ("layer 3", "more than 2 entries")


def test_wanted_bytes_budget_is_exact() -> None:
    data = _tar([("a", b"12345"), ("b", b"67890")])
    assert [k for _, k, _ in _walk(data, Limits(max_read_bytes=10))] == [REG, REG]
    with pytest.raises(LimitExceededError) as exc:
        _walk(data, Limits(max_read_bytes=9))
    assert exc.value.subject == "layer 3"
    assert exc.value.message == "wanted files exceed 9 bytes"
    # files nobody wants are not read and cost nothing
    assert len(_walk(data, Limits(max_read_bytes=1), wants=False)) == 2


def test_whiteout_entry_has_no_size() -> None:
    data = _tar([("etc/.wh.shadow", b"some bytes")])
    assert _walk(data, Limits()) == [("/etc/shadow", WHITEOUT, 0)]

"""walk_tar budgets and entries at their boundaries (bench/mutation.py `layers`): the entry
count and the wanted-bytes budget refuse one more than the limit and accept the limit, name
the layer, and a whiteout entry carries no size."""

from __future__ import annotations

import io
import tarfile
from typing import Any

import pytest

from ringfence.errors import InputError, LimitExceededError
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


def _tar_full(members: list[tarfile.TarInfo], datas: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for info in members:
            data = datas.get(info.name)
            if data is not None:
                info.size = len(data)
            tar.addfile(info, io.BytesIO(data) if data is not None else None)
    return buf.getvalue()


def _info(name: str, kind: bytes = tarfile.REGTYPE, mode: int = 0o640, uid: int = 1000,
          gid: int = 2000, link: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.mode, info.uid, info.gid, info.linkname = kind, mode, uid, gid, link
    return info


def test_whiteout_and_opaque_entries_keep_the_member_metadata() -> None:
    data = _tar_full([_info("a/.wh.b", mode=0o600, uid=7, gid=8),
                      _info("c/.wh..wh..opq", mode=0o644, uid=9, gid=10)],
                     {"a/.wh.b": b"", "c/.wh..wh..opq": b"xyz"})
    entries = list(walk_tar(io.BytesIO(data), "l", lambda p, s: True, Limits()))
    assert [(e.path, e.kind, e.size, e.mode & 0o777, e.uid, e.gid, e.link) for e in entries] == [
        ("/a/b", WHITEOUT, 0, 0o600, 7, 8, None), ("/c", "opaque", 0, 0o644, 9, 10, None)]


def test_content_digests_of_every_regular_file() -> None:
    import hashlib

    small, big, other = b"wanted content", b"B" * 64, b"not wanted"
    data = _tar_full([_info("etc/small"), _info("etc/big"), _info("opt/other"),
                      _info("etc/link", tarfile.SYMTYPE, link="/etc/small"),
                      _info("etc/hard", tarfile.LNKTYPE, link="etc/small")],
                     {"etc/small": small, "etc/big": big, "opt/other": other})
    limits = Limits(max_file_bytes=32)
    entries = {e.path: e for e in walk_tar(io.BytesIO(data), "l",
                                           lambda p, s: p.startswith("/etc/"), limits,
                                           digests=("sha256", "sha512"))}

    def sums(content: bytes) -> tuple[tuple[str, str], ...]:
        return (("sha256", hashlib.sha256(content).hexdigest()),
                ("sha512", hashlib.sha512(content).hexdigest()))

    assert (entries["/etc/small"].kind, entries["/etc/small"].data) == (REG, small)
    assert entries["/etc/small"].digests == sums(small)
    assert (entries["/etc/big"].kind, entries["/etc/big"].data) == ("too-large", None)
    assert entries["/etc/big"].digests == sums(big) and entries["/etc/big"].wanted
    assert (entries["/opt/other"].kind, entries["/opt/other"].data) == (REG, None)
    assert entries["/opt/other"].digests == sums(other) and not entries["/opt/other"].wanted
    assert (entries["/etc/link"].link, entries["/etc/link"].digests) == ("/etc/small", ())
    assert entries["/etc/hard"].data == small and entries["/etc/hard"].digests == ()
    # at the per-file cap the file is still read (and hashed from what was read)
    exact = list(walk_tar(io.BytesIO(_tar_full([_info("etc/x")], {"etc/x": b"y" * 32})), "l",
                          lambda p, s: True, limits, digests=("sha256",)))
    assert exact[0].kind == REG and exact[0].data == b"y" * 32
    assert exact[0].digests == (("sha256", hashlib.sha256(b"y" * 32).hexdigest()),)
    # without digests nothing is hashed, and a regular file has no link
    plain = list(walk_tar(io.BytesIO(data), "l", lambda p, s: False, limits))
    assert all(e.digests == () for e in plain)
    assert [e.link for e in plain if e.kind == REG] == [None, None, None]


def test_too_large_and_regular_entries_keep_their_metadata() -> None:
    data = _tar_full([_info("etc/big", mode=0o600, uid=11, gid=12),
                      _info("etc/small", mode=0o640, uid=13, gid=14)],
                     {"etc/big": b"B" * 64, "etc/small": b"s"})
    for digests in ((), ("sha256",)):
        entries = {e.path: e for e in walk_tar(io.BytesIO(data), "l", lambda p, s: True,
                                               Limits(max_file_bytes=32), digests=digests)}
        big, small = entries["/etc/big"], entries["/etc/small"]
        assert (big.path, big.kind, big.size, big.mode & 0o777, big.uid, big.gid, big.wanted) \
            == ("/etc/big", "too-large", 64, 0o600, 11, 12, True), digests
        assert (small.kind, small.size, small.mode & 0o777, small.uid, small.gid) == (
            REG, 1, 0o640, 13, 14)


def test_unreadable_streams_name_the_layer() -> None:
    import gzip

    from ringfence.errors import InputError
    from ringfence.layers.streams import decompressed

    with pytest.raises(InputError) as exc:
        list(walk_tar(io.BytesIO(b"not a tar at all" * 64), "layer 9", lambda p, s: False,
                      Limits()))
    assert exc.value.subject == "layer 9"
    assert exc.value.message.startswith("not a readable tar stream (")
    broken = gzip.compress(_tar([("a", b"x" * 4096)]))[:-30] + b"\0" * 30
    with pytest.raises(InputError) as exc:
        list(walk_tar(decompressed(io.BytesIO(broken), "layer 9"), "layer 9",
                      lambda p, s: False, Limits()))
    assert exc.value.subject == "layer 9" and exc.value.message


def _linked_layer(files: list[tuple[str, int]], links: list[tuple[str, str]]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, size in files:
            info = tarfile.TarInfo(name)
            info.size = size
            tar.addfile(info, io.BytesIO(name[-1:].encode() * size))
        for name, target in links:
            link = tarfile.TarInfo(name)
            link.type, link.linkname = tarfile.LNKTYPE, target
            tar.addfile(link)
    return buf.getvalue()


def _carried(layer: bytes, retain: Any = None) -> dict[str, int | None]:
    from ringfence.layers.walk import HARDLINK

    entries = walk_tar(io.BytesIO(layer), "layer 1", lambda p, s: True, Limits(),
                       retain=retain)
    return {e.path: None if e.data is None else len(e.data)
            for e in entries if e.kind == HARDLINK}


def test_hardlink_to_a_file_of_exactly_the_retention_budget_carries_its_data() -> None:
    """Wanted files are kept for later links within RETAIN_BUDGET bytes in all: a link to
    one of exactly that size carries the data; one byte more is left to the second pass."""
    from ringfence.layers.walk import RETAIN_BUDGET

    for size, carried in ((RETAIN_BUDGET, RETAIN_BUDGET), (RETAIN_BUDGET + 1, None)):
        layer = _linked_layer([("etc/shadow", size)], [("etc/shadow-", "etc/shadow")])
        assert _carried(layer) == {"/etc/shadow-": carried}, size


def test_retention_drops_the_oldest_files_past_the_budget() -> None:
    """Bounded memory: the newest files are kept, the oldest dropped once the kept data
    exceeds RETAIN_BUDGET (a link to a dropped one has no data: the second pass's)."""
    from ringfence.layers.walk import RETAIN_BUDGET

    half = RETAIN_BUDGET // 2
    layer = _linked_layer([("a", half), ("b", half), ("c", 1), ("b", 2)],
                          [("la", "a"), ("lb", "b"), ("lc", "c")])
    # a + b fill it; c pushes a out; b again replaces its own copy (not counted twice)
    assert _carried(layer) == {"/la": None, "/lb": 2, "/lc": 1}
    layer = _linked_layer([("a", half), ("b", half)], [("la", "a"), ("lb", "b")])
    assert _carried(layer) == {"/la": half, "/lb": half}


def test_files_the_retain_predicate_refuses_are_not_kept() -> None:
    layer = _linked_layer([("a", 10), ("b", 10)], [("la", "a"), ("lb", "b")])
    assert _carried(layer, retain=lambda p: p != "/a") == {"/la": None, "/lb": 10}


def test_corrupt_xz_stream_is_an_input_error_naming_the_layer() -> None:
    """A decompressor's own error type (lzma.LZMAError: no OSError) is a corrupt layer
    (InputError, exit 3) naming the layer, never a traceback."""
    import lzma

    good = lzma.compress(_tar([("a", b"x" * 65536)]))
    broken = good[:8] + bytes(b ^ 0xFF for b in good[8:12]) + good[12:]  # header CRC32
    with lzma.LZMAFile(io.BytesIO(broken)) as stream, pytest.raises(InputError) as exc:
        list(walk_tar(stream, "layer 4", lambda p, s: False, Limits()))
    assert exc.value.subject == "layer 4"
    assert exc.value.message.startswith("corrupt compressed stream (")
    assert isinstance(exc.value.__cause__, lzma.LZMAError)


def test_a_link_to_a_replaced_file_never_gets_the_old_data() -> None:
    """A later member at the same path replaces the kept data (a link names the latest)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for size in (10, 50):
            info = tarfile.TarInfo("a")
            info.size = size
            tar.addfile(info, io.BytesIO(b"a" * size))
        link = tarfile.TarInfo("la")
        link.type, link.linkname = tarfile.LNKTYPE, "a"
        tar.addfile(link)
    entries = walk_tar(io.BytesIO(buf.getvalue()), "layer 1", lambda p, s: s < 20, Limits())
    assert {e.path: e.data for e in entries if e.link} == {"/la": None}

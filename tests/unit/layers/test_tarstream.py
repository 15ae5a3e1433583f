"""The streaming tar reader agrees with tarfile on every format tarfile writes."""

from __future__ import annotations

import io
import tarfile

import pytest

from ringfence.layers.tarstream import TarFormatError, TarReader

LONG = "a/" + "very-long-directory-name/" * 12 + "file.txt"


def _archive(fmt: int) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tar:
        for name, data in (("short", b"x" * 10), (LONG, b"y" * 1000), ("empty", b"")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.uid = 1000
            tar.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("l" * 150)
        link.type = tarfile.SYMTYPE
        link.linkname = "t" * 150
        tar.addfile(link)
        d = tarfile.TarInfo("dir")
        d.type = tarfile.DIRTYPE
        tar.addfile(d)
    return buf.getvalue()


@pytest.mark.parametrize("fmt", [tarfile.GNU_FORMAT, tarfile.PAX_FORMAT])
def test_members_and_data_match_tarfile(fmt: int) -> None:
    raw = _archive(fmt)
    expected = []
    with tarfile.open(fileobj=io.BytesIO(raw)) as tar:
        for m in tar:
            f = tar.extractfile(m) if m.isreg() else None
            expected.append((m.name, m.isreg(), m.issym(), m.isdir(), m.linkname, m.uid,
                             f.read() if f else None))
    got = []
    reader = TarReader(io.BytesIO(raw))
    for m in reader:
        data = reader.read_data(m.size) if m.isreg() else None
        got.append((m.name.rstrip("/"), m.isreg(), m.issym(), m.isdir(), m.linkname, m.uid, data))
    assert got == expected


def test_ustar_prefix_split_names() -> None:
    name = "p" * 90 + "/" + "q" * 90
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        info = tarfile.TarInfo(name)
        tar.addfile(info, io.BytesIO(b""))
    assert [m.name for m in TarReader(io.BytesIO(buf.getvalue()))] == [name]


def test_checksum_mismatch_is_rejected() -> None:
    raw = bytearray(_archive(tarfile.GNU_FORMAT))
    raw[0] ^= 0xFF
    with pytest.raises(TarFormatError, match="checksum"):
        list(TarReader(io.BytesIO(bytes(raw))))


def test_truncated_data_is_rejected() -> None:
    raw = _archive(tarfile.GNU_FORMAT)
    with pytest.raises(TarFormatError, match="unexpected end"):
        list(TarReader(io.BytesIO(raw[:700])))


def test_oversized_pax_header_is_rejected() -> None:
    info = tarfile.TarInfo("x")
    info.type = tarfile.XHDTYPE
    info.size = 2 << 20
    raw = info.tobuf(format=tarfile.GNU_FORMAT)
    with pytest.raises(TarFormatError, match="metadata header"):
        list(TarReader(io.BytesIO(raw + b"\0" * 4096)))

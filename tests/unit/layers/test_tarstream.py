"""The streaming tar reader agrees with tarfile on every format tarfile writes."""

from __future__ import annotations

import io
import tarfile

import pytest

from ringfence.layers.tarstream import TarFormatError, TarReader, _byte_sum

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


def test_numeric_field_fast_path_agrees_with_the_strict_parse() -> None:
    import random

    from ringfence.layers import tarstream

    def strict(field: bytes) -> int | None:
        text = field.split(b"\0", 1)[0].strip(b" \0")
        try:
            return int(text, 8) if text else 0
        except ValueError:
            return None

    rng = random.Random(5)  # noqa: S311 - test data
    alphabet = b"0123456789 \0\t+-_x"
    fields = [b"0000644\0", b"     12 \0", b"\0\0\0\0", b"", b"12\x0034", b"123\0garbage",
              b"\0\0123", b" 7 7\0", b"0o17\0", b"1_2\0"]
    fields += [bytes(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
               for _ in range(5000)]
    for field in fields:
        want = strict(field)
        if want is None:
            with pytest.raises(tarstream.TarFormatError):
                tarstream._num(field)
        else:
            assert tarstream._num(field) == want, field


@pytest.mark.parametrize("fill", [0x00, 0x01, 0x7F, 0x80, 0xFE, 0xFF])
def test_header_byte_sum_is_exact_at_the_extremes(fill: int) -> None:
    block = bytes([fill]) * 512
    assert _byte_sum(block) == sum(block)
    # one byte off either way is seen (Adler-32 halves never wrap at 256 bytes)
    for i in (0, 147, 255, 256, 511):
        other = bytearray(block)
        other[i] = (fill + 1) % 256
        assert _byte_sum(bytes(other)) == sum(other)


def test_header_byte_sum_matches_sum_on_random_headers() -> None:
    import random

    rng = random.Random(7)  # noqa: S311 - test data, not secrets
    for _ in range(2000):
        block = rng.randbytes(512)
        assert _byte_sum(block) == sum(block)


def test_a_checksum_off_by_the_adler_modulus_is_rejected() -> None:
    """A stored checksum 65,521 away from the true one (what a wrapping Adler-32 sum could
    not tell apart) is refused; a ustar checksum field is 6 octal digits (max 262,143)."""
    header = bytearray(_archive(tarfile.GNU_FORMAT)[:512])
    true = sum(header[:148]) + sum(header[156:]) + 8 * 32
    header[148:156] = b"%06o\0 " % (true + 65521)
    with pytest.raises(TarFormatError, match="checksum"):
        list(TarReader(io.BytesIO(bytes(header) + bytes(1024))))
    header[148:156] = b"%06o\0 " % true
    assert [m.name for m in TarReader(io.BytesIO(bytes(header) + bytes(4096)))][:1] == ["short"]


class _Dribble(io.RawIOBase):
    """A stream whose reads return chunks of odd, changing sizes (a decompressor may
    return fewer bytes than asked): headers and data straddle every chunk boundary."""

    def __init__(self, data: bytes, sizes: list[int]) -> None:
        self._data, self._sizes, self._pos, self._i = data, sizes, 0, 0

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        size = self._sizes[self._i % len(self._sizes)]
        self._i += 1
        out = self._data[self._pos:self._pos + min(size, n if n >= 0 else size)]
        self._pos += len(out)
        return out


def _read_all(reader: TarReader) -> list[tuple[str, bytes | None]]:
    got: list[tuple[str, bytes | None]] = []
    for i, m in enumerate(reader):
        if not m.isreg():
            got.append((m.name, None))
        elif i % 3 == 0:
            got.append((m.name, reader.read_data(m.size)))
        elif i % 3 == 1 and m.size >= 4:
            head = reader.read_head(4)
            got.append((m.name, head + b"".join(reader.iter_data(m.size - 4))))
        else:
            got.append((m.name, None))  # skipped whole
    return got


@pytest.mark.parametrize("sizes", [[1], [511, 513], [7, 1000, 3], [1 << 20], [512, 100_000]])
def test_chunk_boundaries_do_not_change_members_or_data(sizes: list[int]) -> None:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for i in range(40):
            data = bytes([i]) * (i * 97 + (300_000 if i == 7 else 0))
            info = tarfile.TarInfo(f"d/{'n' * (i * 5)}{i}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    raw = buf.getvalue()
    assert _read_all(TarReader(_Dribble(raw, sizes))) == _read_all(TarReader(io.BytesIO(raw)))
    # and a truncated stream fails the same way whatever the chunking
    with pytest.raises(TarFormatError, match="unexpected end"):
        _read_all(TarReader(_Dribble(raw[:len(raw) // 2], sizes)))

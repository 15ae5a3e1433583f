"""The layer reader threads (layers/streams.ThreadedReader, one a stage: the blob is read
and hashed, inflated, its tar hashed and counted, while the walk parses it): what goes
wrong in a thread surfaces as the error a scan without them gave (exit 3, one error line),
and no reader thread outlives the scan, whether a thread failed, the walk failed, or all
went well."""

from __future__ import annotations

import gzip
import io
import os
import tarfile
import threading
from pathlib import Path

import pytest

from ringfence.errors import DigestMismatchError, InputError, LimitExceededError
from ringfence.layers.analyze import _stream_layer
from ringfence.layers.streams import ThreadedReader
from ringfence.layers.walk import Limits
from ringfence.model.image import LayerInfo
from ringfence.scan import ScanOptions, scan_image
from tests.imagebuilder import DPKG_STATUS, OS_RELEASE, Layer, Member, build_oci, sha, write_blob
from tests.unit.hostile_image.helpers import (
    assert_one_error,
    load_layout,
    run_cli,
    sbom,
    store_layout,
)

NAME = "ringfence-layer-reader"


def _readers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith(NAME) and t.is_alive()]


def _image_with_blob(root: Path, blob: bytes, tar: bytes | None = None) -> Path:
    """An OCI layout whose one layer is ``blob`` (its digest true; its diffID that of
    ``tar`` when given)."""
    img = build_oci(root, [Layer([Member("etc/os-release", OS_RELEASE)])])
    index, manifest, config = load_layout(img)
    manifest["layers"][0]["digest"] = write_blob(img, blob)
    manifest["layers"][0]["size"] = len(blob)
    if tar is not None:
        config["rootfs"]["diff_ids"] = [sha(tar)]
    store_layout(img, index, manifest, config, rewrite_config=tar is not None)
    return img


def _big_tar() -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for i in range(64):  # 64 x 128 KiB of incompressible data: many chunks
            data = os.urandom(128 << 10)
            info = tarfile.TarInfo(f"srv/blob{i}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        info = tarfile.TarInfo("var/lib/dpkg/status")
        info.size = len(DPKG_STATUS)
        tar.addfile(info, io.BytesIO(DPKG_STATUS))
    return buf.getvalue()


def _scan(img: Path, limits: Limits | None = None) -> object:
    return scan_image(f"oci:{img}", ScanOptions(limits=limits or Limits()))


def test_corrupt_deflate_in_the_reader_thread_is_an_input_error_and_exit_3(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blob = bytearray(gzip.compress(_big_tar(), compresslevel=1))
    middle = len(blob) // 2
    blob[middle:middle + 64] = bytes(64)  # inflate fails half way, in the thread
    img = _image_with_blob(tmp_path / "img", bytes(blob))
    with pytest.raises(InputError, match="corrupt"):
        _scan(img)
    assert _readers() == []
    code, _out, err = run_cli(capsys, *sbom(f"oci:{img}"))
    assert code == 3
    assert_one_error(err, "layer")
    assert _readers() == []


def test_a_bomb_stopped_in_the_reader_thread_is_the_limit_error(tmp_path: Path) -> None:
    info = tarfile.TarInfo("zeros")
    info.size = 1 << 30
    blob = gzip.compress(info.tobuf(format=tarfile.GNU_FORMAT) + bytes(64 << 20))
    img = _image_with_blob(tmp_path / "img", blob)
    with pytest.raises(LimitExceededError, match="more than 16777216 bytes"):
        _scan(img, Limits(max_layer_bytes=16 << 20))
    assert _readers() == []


def test_a_walk_that_fails_stops_the_reader_thread(tmp_path: Path) -> None:
    tar = bytearray(_big_tar())
    with tarfile.open(fileobj=io.BytesIO(bytes(tar))) as parsed:
        at = parsed.getmembers()[32].offset
    tar[at:at + 512] = b"garbage!" * 64  # a header checksum fails half way
    img = _image_with_blob(tmp_path / "img", gzip.compress(bytes(tar)), bytes(tar))
    with pytest.raises(InputError, match="not a readable tar stream"):
        _scan(img)
    assert _readers() == []


def test_a_good_scan_leaves_no_reader_thread(tmp_path: Path) -> None:
    tar = _big_tar()
    img = _image_with_blob(tmp_path / "img", gzip.compress(tar), tar)
    result = _scan(img)
    assert [p.name for p in result.inventory.packages]  # type: ignore[attr-defined]
    assert _readers() == []


def test_an_error_raised_in_the_thread_is_raised_by_the_next_read() -> None:
    class Failing(io.RawIOBase):
        def __init__(self) -> None:
            self.reads = 0

        def readable(self) -> bool:
            return True

        def read(self, n: int = -1) -> bytes:
            self.reads += 1
            if self.reads > 2:
                raise OSError("disk on fire")
            return b"x" * 10

    reader = ThreadedReader(Failing())  # type: ignore[arg-type]
    try:
        assert reader.read(1 << 20) == b"x" * 10
        assert reader.read(4) == b"xxxx" and reader.read(100) == b"xxxxxx"
        with pytest.raises(OSError, match="disk on fire"):
            reader.read(1 << 20)
        assert reader.read(1 << 20) == b""  # and it stays at its end
    finally:
        reader.close()
    assert _readers() == []


def test_closing_early_stops_a_thread_blocked_on_a_full_queue() -> None:
    reader = ThreadedReader(io.BytesIO(bytes(64 << 20)), depth=2)  # type: ignore[arg-type]
    assert len(reader.read(1 << 20)) == 1 << 20
    reader.close()  # the thread waits on the full queue: it must notice and end
    assert _readers() == []


# --- the stages: blob read and digest, inflate, diffID (layers/analyze._stream_layer) --------

def _layer(blob: bytes, tar: bytes) -> LayerInfo:
    return LayerInfo(sha(blob), sha(tar), "application/vnd.oci.image.layer.v1.tar+gzip",
                     len(blob))


class _Source:
    """An ImageSource whose one layer blob is ``stream``."""

    def __init__(self, stream: io.RawIOBase) -> None:
        self.stream = stream

    def open_layer(self, _layer: LayerInfo) -> io.BufferedReader:
        return io.BufferedReader(self.stream)


def test_a_compressed_layer_is_read_hashed_and_inflated_in_three_stage_threads() -> None:
    tar = _big_tar()
    blob = gzip.compress(tar, compresslevel=1)
    seen: set[str] = set()

    def wants(_path: str, _size: int) -> bool:  # called in the walk, while the stages run
        seen.update(t.name for t in _readers())
        return False

    got = _stream_layer(_Source(io.BytesIO(blob)), _layer(blob, tar), "img",  # type: ignore[arg-type]
                        wants, Limits(), lambda _e: None)
    assert got.digest == sha(blob) and got.kind == "gzip"
    assert seen == {f"{NAME}-blob", f"{NAME}-inflate", f"{NAME}-diffid"}
    assert _readers() == []


def test_a_read_error_in_the_blob_stage_is_an_input_error() -> None:
    class Failing(io.RawIOBase):
        """The blob's first 4 MiB, then an I/O error (a disk, a network mount)."""

        def __init__(self, data: bytes) -> None:
            self.data, self.at = data, 0

        def readable(self) -> bool:
            return True

        def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
            if self.at >= 4 << 20:
                raise OSError("disk on fire")
            n = min(len(b), len(self.data) - self.at)
            b[:n] = self.data[self.at:self.at + n]
            self.at += n
            return n

    tar = _big_tar()
    blob = gzip.compress(tar, compresslevel=0) + bytes(8 << 20)  # the error comes mid-layer
    with pytest.raises(InputError, match="disk on fire"):
        _stream_layer(_Source(Failing(blob)), _layer(blob, tar), "img",  # type: ignore[arg-type]
                      lambda _p, _s: False, Limits(), lambda _e: None)
    assert _readers() == []


@pytest.mark.parametrize("flip", [False, True])
def test_bytes_the_decompressor_leaves_unread_count_in_the_blob_digest(flip: bool) -> None:
    """xz stops at trailing garbage without reading it (CPython's DecompressReader), so
    the rest of the blob is read after the walk: through the blob's stage, whose thread
    read ahead of the decompressor (24 MiB of garbage: more than its queue holds). A blob
    whose digest covers those bytes verifies; one byte changed there is a mismatch."""
    import lzma

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as archive:
        info = tarfile.TarInfo("var/lib/dpkg/status")
        info.size = len(DPKG_STATUS)
        archive.addfile(info, io.BytesIO(DPKG_STATUS))
    tar = buf.getvalue()
    garbage = bytearray(os.urandom(24 << 20))
    blob = lzma.compress(tar, preset=0) + bytes(garbage)
    layer = _layer(blob, tar)
    if flip:
        garbage[-1] ^= 1
    sent = lzma.compress(tar, preset=0) + bytes(garbage)
    if flip:
        with pytest.raises(DigestMismatchError, match=layer.digest):
            _stream_layer(_Source(io.BytesIO(sent)), layer, "img",  # type: ignore[arg-type]
                          lambda _p, _s: False, Limits(), lambda _e: None)
    else:
        got = _stream_layer(_Source(io.BytesIO(sent)), layer, "img",  # type: ignore[arg-type]
                            lambda _p, _s: False, Limits(), lambda _e: None)
        assert got.digest == sha(blob) and got.kind == "xz"
    assert _readers() == []


def test_reading_on_after_close_is_an_error_not_a_hang() -> None:
    reader = ThreadedReader(io.BytesIO(bytes(64 << 20)), depth=2)  # type: ignore[arg-type]
    assert len(reader.read(1 << 20)) == 1 << 20
    reader.close()  # its thread ends without putting the end marker
    with pytest.raises(ValueError, match="closed"):
        for _ in range(8):  # what the queue held, then the error
            reader.read(1 << 20)

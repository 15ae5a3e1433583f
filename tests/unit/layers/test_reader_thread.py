"""The layer reader thread (layers/streams.ThreadedReader inflates, hashes and counts a
layer while the walk parses it): what goes wrong in that thread surfaces as the error a
scan without it gave (exit 3, one error line), and no reader thread outlives the scan,
whether the thread failed, the walk failed, or all went well."""

from __future__ import annotations

import gzip
import io
import os
import tarfile
import threading
from pathlib import Path

import pytest

from ringfence.errors import InputError, LimitExceededError
from ringfence.layers.streams import ThreadedReader
from ringfence.layers.walk import Limits
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
    return [t for t in threading.enumerate() if t.name == NAME and t.is_alive()]


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

"""Issue 18, hostile content: each input gives exit 3 and one `error:` line naming it —
never a traceback, exit 1, a hang or a memory blow-up. Every input is built here.

Cases that could hang or exhaust memory if they regressed run the CLI in a child process
under RLIMIT_AS / RLIMIT_CPU (helpers.run_cli_capped); the rest run in-process.
"""

from __future__ import annotations

import io
import json
import lzma
import os
import tarfile
import zipfile
from pathlib import Path
from typing import Any

import pytest

from ringfence.errors import LimitExceededError
from ringfence.layers.walk import Limits
from ringfence.scan import ScanOptions, scan_image
from tests.imagebuilder import (
    DPKG_STATUS,
    OS_RELEASE,
    Layer,
    Member,
    build_docker_archive,
    build_oci,
    sha,
    write_blob,
)
from tests.unit.hostile_image.helpers import (
    assert_one_error,
    layer_blob,
    load_layout,
    run_cli,
    run_cli_capped,
    sbom,
    store_layout,
)

STATUS = "var/lib/dpkg/status"


def _debian(tmp_path: Path, name: str = "img") -> Path:
    return build_oci(tmp_path / name, [Layer([Member("etc/os-release", OS_RELEASE),
                                              Member(STATUS, DPKG_STATUS)])])


def _swap_layer(img: Path, blob: bytes, diff_id: str | None = None,
                media_type: str | None = None) -> None:
    """Replace the first layer's blob (and its digest, size and maybe diffID)."""
    index, manifest, config = load_layout(img)
    manifest["layers"][0].update(digest=write_blob(img, blob), size=len(blob))
    if media_type:
        manifest["layers"][0]["mediaType"] = media_type
    if diff_id:
        config["rootfs"]["diff_ids"][0] = diff_id
    store_layout(img, index, manifest, config)


# --- 3. regular files only, with size caps ----------------------------------------------

@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "fifo"
    os.mkfifo(path)
    return path


@pytest.mark.parametrize("special", ["/dev/zero", "fifo"])
def test_layer_blob_that_is_not_a_regular_file(tmp_path: Path, fifo: Path, special: str) -> None:
    img = _debian(tmp_path)
    blob = layer_blob(img)
    blob.unlink()
    if special == "fifo":
        os.mkfifo(blob)
    else:
        blob.symlink_to(special)  # a link inside blobs/ to a device
    for cache in (tmp_path / "cache", None):
        code, out, err = run_cli_capped(*sbom(f"oci:{img}", cache), mem_mib=1024, cpu_s=60)
        assert code == 3 and out == ""
        assert_one_error(err, f"oci:{img}", blob.name, "not a regular file")


@pytest.mark.parametrize("transport", ["sbom", "oci-archive", "docker-archive", "oci"])
@pytest.mark.parametrize("special", ["/dev/zero", "fifo"])
def test_reference_file_that_is_not_a_regular_file(tmp_path: Path, fifo: Path, transport: str,
                                                   special: str) -> None:
    path = str(fifo) if special == "fifo" else special
    if transport == "oci":  # the layout's index.json
        (tmp_path / "layout").mkdir()
        os.symlink(path, tmp_path / "layout" / "index.json")
        path = str(tmp_path / "layout")
    code, out, err = run_cli_capped(*sbom(f"{transport}:{path}"), mem_mib=1024, cpu_s=60)
    assert code == 3 and out == ""
    assert_one_error(err, path, "not a regular file")


def test_oversized_index_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    img = _debian(tmp_path)
    index = (img / "index.json").read_text()
    (img / "index.json").write_text(index + " " * (5 << 20))  # valid JSON, 5 MiB
    code, out, err = run_cli(capsys, *sbom(f"oci:{img}"))
    assert code == 3 and out == ""
    assert_one_error(err, "index.json", "larger than 4 MiB")


def test_oversized_docker_manifest_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                        ) -> None:
    path = tmp_path / "d.tar"
    with tarfile.open(path, "w") as tar:
        data = b"[" + b" " * (5 << 20) + b"]"
        info = tarfile.TarInfo("manifest.json")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    code, _, err = run_cli(capsys, *sbom(f"docker-archive:{path}"))
    assert code == 3
    assert_one_error(err, f"docker-archive:{path}", "manifest.json", "larger than")


# --- 4. tar members that lie about their size; huge pom.properties ----------------------

def _pax_member(name: str, pax_size: str, data: bytes) -> bytes:
    rec = f"size={pax_size}\n"
    rec = f"{len(rec) + len(str(len(rec))) + 1} {rec}"
    if len(rec.split(" ", 1)[0]) != len(str(len(rec))):
        rec = f"{len(rec) + 1} size={pax_size}\n"
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        pax = tarfile.TarInfo("./PaxHeaders/x")
        pax.type = tarfile.XHDTYPE
        pax.size = len(rec)
        tar.addfile(pax, io.BytesIO(rec.encode()))
        info = tarfile.TarInfo(name)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


@pytest.mark.parametrize("size", ["-1", "-4096", str(1 << 70), "12abc"])
def test_tar_member_declaring_a_negative_or_absurd_size(tmp_path: Path, size: str) -> None:
    raw = _pax_member(STATUS, size, DPKG_STATUS) + b"\0" * (8 << 20)
    img = build_oci(tmp_path / "img", [Layer([])], raw_layers=[raw])
    code, out, err = run_cli_capped(*sbom(f"oci:{img}"), mem_mib=768, cpu_s=60)
    assert code == 3 and out == ""
    assert_one_error(err, f"oci:{img}", "not a readable tar stream")


def test_base256_negative_size(tmp_path: Path) -> None:
    info = tarfile.TarInfo(STATUS)
    info.size = 0
    header = bytearray(info.tobuf(format=tarfile.GNU_FORMAT))
    header[124:136] = b"\xff" * 12  # base-256, sign bit set: -1
    header[148:156] = b" " * 8
    header[148:155] = b"%06o\0" % sum(header)
    img = build_oci(tmp_path / "img", [Layer([])], raw_layers=[bytes(header) + bytes(4096)])
    code, _, err = run_cli_capped(*sbom(f"oci:{img}"), mem_mib=768, cpu_s=60)
    assert code == 3
    assert_one_error(err, f"oci:{img}", "member declares size -")


def test_huge_pom_properties_is_an_unknown(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("META-INF/maven/a/b/pom.properties",
                   b"groupId=a\nartifactId=b\nversion=1\n" + b"x=" + b"y" * (64 << 20))
    img = build_oci(tmp_path / "img", [Layer([Member("app/b.jar", buf.getvalue())])])
    code, out, err = run_cli(capsys, *sbom(f"oci:{img}"))
    assert code == 0, err
    doc = json.loads(out)
    assert [u["reason"] for u in doc["unknowns"] if "pom.properties" in u["reason"]]
    assert not [p for p in doc["packages"] if p["name"] == "b"]


# --- 2. decompression bombs ---------------------------------------------------------------

def test_zstd_bomb_of_hundreds_of_gib_after_the_archive(tmp_path: Path) -> None:
    """A real bomb: a small tar, then 800 zstd frames of 256 MiB of zeros (200 GiB,
    6 MB on disk). It stops 32 MiB past the end of the archive."""
    import zstandard

    tar = Layer([Member(STATUS, DPKG_STATUS)]).tar_bytes()
    zeros = zstandard.ZstdCompressor(level=3).compress(bytes(256 << 20))
    blob = zstandard.ZstdCompressor().compress(tar) + zeros * 800
    img = _debian(tmp_path)
    _swap_layer(img, blob, sha(tar), "application/vnd.oci.image.layer.v1.tar+zstd")
    code, out, err = run_cli_capped(*sbom(f"oci:{img}"), mem_mib=1024, cpu_s=120)
    assert code == 3 and out == ""
    assert_one_error(err, f"oci:{img}", "after the end of the tar archive")


@pytest.mark.parametrize("kind", ["zstd", "gzip"])
def test_bomb_split_over_layers_stops_at_the_image_budget(tmp_path: Path, kind: str) -> None:
    """Each layer is under the per-layer cap; together they pass the per-image budget."""
    info = tarfile.TarInfo("zeros")
    info.size = 24 << 20
    raw = info.tobuf(format=tarfile.GNU_FORMAT) + bytes(info.size) + bytes(1024)
    img = build_oci(tmp_path / "img", [Layer([], compress=kind)] * 4, raw_layers=[raw] * 4)
    limits = Limits(max_layer_bytes=32 << 20, max_image_bytes=64 << 20)
    with pytest.raises(LimitExceededError, match="67108864 bytes in all"):
        scan_image(f"oci:{img}", ScanOptions(cache_dir=None, limits=limits, workers=2))


# --- 6. corrupt compressed layers -----------------------------------------------------

@pytest.mark.parametrize("magic", [b"\x1f\x8b\x08\x00", b"\x28\xb5\x2f\xfd",
                                   b"\xfd7zXZ\x00", b"BZh9"])
def test_corrupt_compressed_layer(tmp_path: Path, magic: bytes,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    img = _debian(tmp_path)
    _swap_layer(img, magic + os.urandom(4096))
    code, out, err = run_cli(capsys, *sbom(f"oci:{img}"))
    assert code == 3 and out == ""
    assert_one_error(err, f"oci:{img}")


def test_xz_layer_is_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tar = Layer([Member(STATUS, DPKG_STATUS)]).tar_bytes()
    img = _debian(tmp_path)
    _swap_layer(img, lzma.compress(tar), sha(tar))
    code, out, _ = run_cli(capsys, *sbom(f"oci:{img}"))
    assert code == 0 and len(json.loads(out)["packages"]) == 2


# --- 5. layer count ------------------------------------------------------------------------

def test_ten_thousand_layers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    img = _debian(tmp_path)
    index, manifest, config = load_layout(img)
    manifest["layers"] = manifest["layers"] * 10_000
    config["rootfs"]["diff_ids"] = config["rootfs"]["diff_ids"] * 10_000
    store_layout(img, index, manifest, config)
    code, out, err = run_cli(capsys, *sbom(f"oci:{img}"))
    assert code == 3 and out == ""
    assert_one_error(err, f"oci:{img}", "10000 layers, more than 1000")


# --- 6. wrong JSON types -----------------------------------------------------------------

def _set(doc: dict[str, Any], path: str, value: object) -> None:
    *parents, last = path.split(".")
    for p in parents:
        doc = doc[int(p)] if p.isdigit() else doc[p]  # type: ignore[index]
    doc[int(last) if last.isdigit() else last] = value  # type: ignore[index]


WRONG: list[tuple[str, str, object]] = [
    ("index", "manifests", "x"), ("index", "manifests", [1]),
    ("index", "manifests.0.digest", 5), ("index", "manifests.0.annotations", []),
    ("index", "manifests.0.mediaType", {"a": 1}),
    ("manifest", "layers", "x"), ("manifest", "layers", ["sha256:00"]),
    ("manifest", "layers.0.digest", 123), ("manifest", "layers.0.size", "big"),
    ("manifest", "layers.0.size", -1), ("manifest", "layers.0.size", True),
    ("manifest", "layers.0.mediaType", 7), ("manifest", "config", "x"),
    ("manifest", "config.digest", ["sha256:00"]),
    ("config", "rootfs", "x"), ("config", "rootfs.diff_ids", "x"),
    ("config", "rootfs.diff_ids", [1]), ("config", "history", "x"), ("config", "history", [1]),
    ("config", "history", [{"created_by": ["a"]}]),
    ("config", "config", "x"), ("config", "config.Env", "PATH=/bin"),
    ("config", "config.Env", [1]), ("config", "config.Labels", []),
    ("config", "config.Labels", {"a": 1}), ("config", "config.User", 0),
    ("config", "config.Healthcheck", {"Test": "CMD true"}), ("config", "os", 5),
    ("config", "architecture", None),
]


@pytest.mark.parametrize(("doc", "where", "value"), WRONG,
                         ids=[f"{d}.{w}={json.dumps(v)}" for d, w, v in WRONG])
def test_wrong_json_types_in_oci_documents(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           doc: str, where: str, value: object) -> None:
    img = _debian(tmp_path)
    index, manifest, config = load_layout(img)
    _set({"index": index, "manifest": manifest, "config": config}[doc], where, value)
    if doc == "index":
        (img / "index.json").write_text(json.dumps(index))
    else:
        store_layout(img, index, manifest, config, rewrite_config=where != "config.digest")
    code, out, err = run_cli(capsys, *sbom(f"oci:{img}"))
    if doc == "config" and where == "architecture":  # null is allowed: unknown platform
        assert code == 0, err
        return
    assert code == 3 and out == "", err
    assert_one_error(err, f"oci:{img}")


@pytest.mark.parametrize("entries", [["x"], [{"Config": 5}], [{"Config": "c.json", "Layers": [5]}],
                                     [{"Config": "c.json", "Layers": "l.tar"}],
                                     [{"Config": "c.json", "Layers": [], "RepoTags": "t"}],
                                     {"Config": "c.json"}, [], "[]"])
def test_wrong_json_types_in_docker_manifest_json(tmp_path: Path, entries: object,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    path = build_docker_archive(tmp_path / "d.tar", [Layer([Member(STATUS, DPKG_STATUS)])])
    with tarfile.open(path) as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar if m.isfile()}  # type: ignore[union-attr]
    members["manifest.json"] = json.dumps(entries).encode()
    members["c.json"] = json.dumps({"rootfs": {"diff_ids": []}}).encode()
    with tarfile.open(path, "w") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    code, out, err = run_cli(capsys, *sbom(f"docker-archive:{path}:test:latest"
                                           if entries == [{"Config": "c.json", "Layers": [],
                                                           "RepoTags": "t"}]
                                           else f"docker-archive:{path}"))
    assert code == 3 and out == "", err
    assert_one_error(err, f"docker-archive:{path}")


# --- 9. --platform on a single-platform image -------------------------------------------

def test_platform_mismatch_on_a_single_manifest(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    img = _debian(tmp_path)
    code, out, err = run_cli(capsys, *sbom(f"oci:{img}"), "--platform", "linux/arm64")
    assert code == 3 and out == ""
    line = assert_one_error(err, f"oci:{img}")
    assert line.endswith("image has no linux/arm64 manifest; it is linux/amd64")
    code, out, _ = run_cli(capsys, *sbom(f"oci:{img}"), "--platform", "linux/amd64")
    assert code == 0 and len(json.loads(out)["packages"]) == 2


def test_platform_mismatch_on_a_docker_archive(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    path = build_docker_archive(tmp_path / "d.tar", [Layer([Member(STATUS, DPKG_STATUS)])])
    code, _, err = run_cli(capsys, *sbom(f"docker-archive:{path}"), "--platform", "linux/arm64")
    assert code == 3
    assert_one_error(err, f"docker-archive:{path}", "no linux/arm64 manifest")


# --- deep JSON, outer archives that lie ---------------------------------------------------

DEEP = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize("where", ["index.json", "sbom", "manifest.json"])
def test_deeply_nested_json(tmp_path: Path, where: str,
                            capsys: pytest.CaptureFixture[str]) -> None:
    if where == "index.json":
        (tmp_path / "layout").mkdir()
        (tmp_path / "layout" / "index.json").write_text(DEEP)
        ref = f"oci:{tmp_path / 'layout'}"
    elif where == "sbom":
        (tmp_path / "s.json").write_text(DEEP)
        ref = f"sbom:{tmp_path / 's.json'}"
    else:
        path = tmp_path / "d.tar"
        with tarfile.open(path, "w") as tar:
            info = tarfile.TarInfo("manifest.json")
            info.size = len(DEEP)
            tar.addfile(info, io.BytesIO(DEEP.encode()))
        ref = f"docker-archive:{path}"
    code, out, err = run_cli(capsys, *sbom(ref))
    assert code == 3 and out == ""
    assert_one_error(err, ref.split(":", 1)[1])


def test_outer_archive_member_declaring_size_minus_one(tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    path = tmp_path / "d.tar"
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo("manifest.json")
        info.size = 2
        info.pax_headers = {"size": "-1"}
        tar.addfile(info, io.BytesIO(b"[]"))
    code, _, err = run_cli(capsys, *sbom(f"docker-archive:{path}"))
    assert code == 3
    assert_one_error(err, f"docker-archive:{path}", "declares size -1")


def test_outer_archive_with_too_many_members(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    from ringfence.image import archive

    monkeypatch.setattr(archive, "MAX_MEMBERS", 50)
    path = tmp_path / "d.tar"
    with tarfile.open(path, "w") as tar:
        for i in range(60):
            tar.addfile(tarfile.TarInfo(f"f{i}"))
    code, _, err = run_cli(capsys, *sbom(f"oci-archive:{path}"))
    assert code == 3
    assert_one_error(err, f"oci-archive:{path}", "more than 50 members")


def test_multi_frame_zstd_layer_is_read_to_the_end(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """zstd:chunked layers are many frames plus skippable metadata frames; all are read
    (the reader asks for read_across_frames explicitly; a guard, not a past failure)."""
    import struct

    import zstandard

    tar = Layer([Member("etc/os-release", OS_RELEASE), Member(STATUS, DPKG_STATUS)]).tar_bytes()
    skippable = struct.pack("<II", 0x184D2A50, 8) + b"manifest"
    cut = len(tar) // 2
    blob = b"".join((zstandard.ZstdCompressor().compress(tar[:cut]), skippable,
                     zstandard.ZstdCompressor().compress(tar[cut:]), skippable))
    img = _debian(tmp_path)
    _swap_layer(img, blob, sha(tar), "application/vnd.oci.image.layer.v1.tar+zstd")
    code, out, err = run_cli(capsys, *sbom(f"oci:{img}"))
    assert code == 0, err
    assert len(json.loads(out)["packages"]) == 2

"""Issue 18, "passing by a lie": a cached layer result is used only for verified bytes.

Image A warms the cache. Image B claims A's diffID (or A's blob digest) for a layer that
holds other files. Cold, B fails with a digest mismatch; warm, it must fail the same way
(before the fix it was reported with A's packages, exit 0).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import ringfence.layers.analyze as analyze_mod
from tests.imagebuilder import DPKG_STATUS, OS_RELEASE, Layer, Member, build_oci
from tests.unit.hostile_image.helpers import (
    assert_one_error,
    layer_blob,
    load_layout,
    run_cli,
    sbom,
    store_layout,
)

STATUS = "var/lib/dpkg/status"
OTHER = DPKG_STATUS.replace(b"libc6", b"evil-libc")


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every layer actually walked (analyze_layer calls)."""
    seen: list[str] = []
    real = analyze_mod.analyze_layer

    def counting(source, layer, *a, **k):  # type: ignore[no-untyped-def]
        seen.append(layer.digest)
        return real(source, layer, *a, **k)

    monkeypatch.setattr(analyze_mod, "analyze_layer", counting)
    return seen


def _image_a(tmp_path: Path) -> Path:
    return build_oci(tmp_path / "a", [Layer([Member("etc/os-release", OS_RELEASE),
                                             Member(STATUS, DPKG_STATUS)])])


def test_warm_rescan_is_served_from_the_cache(tmp_path: Path, calls: list[str],
                                              capsys: pytest.CaptureFixture[str]) -> None:
    a, cache = _image_a(tmp_path), tmp_path / "cache"
    code, first, _ = run_cli(capsys, *sbom(f"oci:{a}", cache))
    assert code == 0 and len(calls) == 1
    code, second, _ = run_cli(capsys, *sbom(f"oci:{a}", cache))
    assert code == 0 and len(calls) == 1  # hit: the blob's identity was remembered
    assert first == second
    # the same layers copied elsewhere (new inodes): hashed once, then still a hit
    shutil.copytree(a, tmp_path / "copy")
    code, third, _ = run_cli(capsys, *sbom(f"oci:{tmp_path / 'copy'}", cache))
    assert code == 0 and len(calls) == 1 and '"libc6"' in third


def test_image_claiming_a_cached_diff_id_fails_as_cold(tmp_path: Path, calls: list[str],
                                                       capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    a, cache = _image_a(tmp_path), tmp_path / "cache"
    assert run_cli(capsys, *sbom(f"oci:{a}", cache))[0] == 0
    a_diff_id = load_layout(a)[2]["rootfs"]["diff_ids"][0]
    b = build_oci(tmp_path / "b", [Layer([Member(STATUS, OTHER)])], diff_ids=[a_diff_id])
    for c in (None, cache):  # cold, then warm: the same verdict
        code, out, err = run_cli(capsys, *sbom(f"oci:{b}", c))
        assert code == 3 and out == ""
        line = assert_one_error(err, f"oci:{b}", "digest mismatch", a_diff_id)
        assert "evil" not in line


def test_image_claiming_a_cached_blob_digest_fails(tmp_path: Path, calls: list[str],
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    a, cache = _image_a(tmp_path), tmp_path / "cache"
    assert run_cli(capsys, *sbom(f"oci:{a}", cache))[0] == 0
    _, a_manifest, a_config = load_layout(a)
    # B's manifest and config claim A's layer exactly; its blob file holds other bytes
    b = build_oci(tmp_path / "b", [Layer([Member(STATUS, OTHER)])])
    b_blob = layer_blob(b)
    index, manifest, config = load_layout(b)
    manifest["layers"] = a_manifest["layers"]
    config["rootfs"] = a_config["rootfs"]
    os.rename(b_blob, b_blob.with_name(a_manifest["layers"][0]["digest"].split(":")[1]))
    store_layout(b, index, manifest, config)
    code, out, err = run_cli(capsys, *sbom(f"oci:{b}", cache))
    assert code == 3 and out == ""
    assert_one_error(err, f"oci:{b}", "digest mismatch", a_manifest["layers"][0]["digest"])


def test_blob_rewritten_in_place_is_hashed_again(tmp_path: Path, calls: list[str],
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """The remembered digest belongs to a file identity; rewriting the bytes in place
    (same inode, same size, mtime put back) changes ctime, so the bytes are hashed again."""
    a, cache = _image_a(tmp_path), tmp_path / "cache"
    assert run_cli(capsys, *sbom(f"oci:{a}", cache))[0] == 0
    blob = layer_blob(a)
    st = blob.stat()
    data = bytearray(blob.read_bytes())
    data[-20] ^= 0xFF
    with open(blob, "r+b") as f:
        f.write(data)
    os.utime(blob, ns=(st.st_atime_ns, st.st_mtime_ns))
    code, out, err = run_cli(capsys, *sbom(f"oci:{a}", cache))
    assert code == 3 and out == ""
    assert_one_error(err, f"oci:{a}", "digest mismatch")


def test_docker_archive_shares_results_only_through_a_verified_diff_id(
        tmp_path: Path, calls: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """An uncompressed blob *is* its tar: hashed, its digest is its diffID, so the result
    of the same tar reached as a gzip blob serves it; a docker archive whose layer holds
    other bytes under A's diffID does not."""
    from tests.imagebuilder import build_docker_archive

    a, cache = _image_a(tmp_path), tmp_path / "cache"
    assert run_cli(capsys, *sbom(f"oci:{a}", cache))[0] == 0
    same = build_docker_archive(tmp_path / "same.tar", [Layer([Member("etc/os-release",
                                                                      OS_RELEASE),
                                                               Member(STATUS, DPKG_STATUS)],
                                                              compress="raw")])
    code, out, _ = run_cli(capsys, *sbom(f"docker-archive:{same}", cache))
    assert code == 0 and len(calls) == 1 and '"libc6"' in out


def _docker_archive(path: Path, diff_ids: list[str], layers: dict[str, bytes]) -> Path:
    import io
    import json
    import tarfile

    config = json.dumps({"architecture": "amd64", "os": "linux",
                         "rootfs": {"type": "layers", "diff_ids": diff_ids}}).encode()
    entries = {"config.json": config, **layers,
               "manifest.json": json.dumps([{"Config": "config.json", "RepoTags": ["b:1"],
                                             "Layers": list(layers)}]).encode()}
    with tarfile.open(path, "w") as tar:
        for name, data in entries.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


@pytest.mark.parametrize("named_by_digest", [True, False])
def test_docker_archive_claiming_a_cached_diff_id_fails(tmp_path: Path, calls: list[str],
                                                        capsys: pytest.CaptureFixture[str],
                                                        named_by_digest: bool) -> None:
    a, cache = _image_a(tmp_path), tmp_path / "cache"
    assert run_cli(capsys, *sbom(f"oci:{a}", cache))[0] == 0
    a_diff_id = load_layout(a)[2]["rootfs"]["diff_ids"][0]
    other = Layer([Member(STATUS, OTHER)], compress="raw").tar_bytes()
    name = f"{a_diff_id.split(':')[1]}.tar" if named_by_digest else "layer.tar"
    b = _docker_archive(tmp_path / "b.tar", [a_diff_id], {name: other})
    for c in (None, cache):
        code, out, err = run_cli(capsys, *sbom(f"docker-archive:{b}", c))
        assert code == 3 and out == ""
        assert_one_error(err, f"docker-archive:{b}", "digest mismatch")

"""Hostile layers: each gives a clear error or an Unknown, never a crash or a hang, and
nothing is written anywhere but the cache directory."""

from __future__ import annotations

import gzip
import os
import re
import tarfile
from pathlib import Path

import pytest

from ringfence.errors import DigestMismatchError, InputError, LimitExceededError
from ringfence.layers.walk import Limits
from ringfence.scan import ScanOptions, scan_image
from tests.imagebuilder import DPKG_STATUS, OS_RELEASE, Layer, Member, build_oci, sha, write_blob

STATUS = "var/lib/dpkg/status"


def _tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def _scan(ref: str, tmp_path: Path, limits: Limits | None = None):  # type: ignore[no-untyped-def]
    return scan_image(ref, ScanOptions(cache_dir=tmp_path / "cache", limits=limits or Limits()))


@pytest.fixture
def sandbox(tmp_path: Path) -> Path:
    """A directory whose parent we watch: nothing may appear next to or above the image."""
    box = tmp_path / "box"
    box.mkdir()
    return box


def test_dotdot_and_absolute_names_are_clamped_to_the_root(sandbox: Path) -> None:
    layer = Layer([Member("../../../" + STATUS, DPKG_STATUS), Member("/etc/os-release", OS_RELEASE),
                   Member("../../escape.txt", b"x")])
    img = build_oci(sandbox / "img", [layer])
    before = _tree(sandbox.parent)
    result = _scan(f"oci:{img}", sandbox)
    assert [p.name for p in result.inventory.packages] == ["base-files", "libc6"]
    assert {loc.path for p in result.inventory.packages for loc in p.locations} == {"/" + STATUS}
    assert result.inventory.distro is not None and result.inventory.distro.id == "debian"
    added = _tree(sandbox.parent) - before
    assert added and all(a.startswith("box/cache") for a in added), added


def test_symlink_out_of_the_root_is_never_followed(sandbox: Path) -> None:
    # If followed on the host, this would read the machine's own dpkg database.
    layer = Layer([Member(STATUS, type=tarfile.SYMTYPE, linkname="../../../../../../../" + STATUS),
                   Member("etc/os-release", type=tarfile.SYMTYPE, linkname="/etc/os-release")])
    img = build_oci(sandbox / "img", [layer])
    result = _scan(f"oci:{img}", sandbox)
    assert result.inventory.packages == ()
    assert result.inventory.distro is None


def test_hardlink_to_outside_or_missing_target_reads_nothing(sandbox: Path) -> None:
    layer = Layer([Member(STATUS, type=tarfile.LNKTYPE, linkname="../../../../../etc/passwd")])
    img = build_oci(sandbox / "img", [layer])
    assert _scan(f"oci:{img}", sandbox).inventory.packages == ()


def test_hardlink_inside_the_layer_is_resolved(sandbox: Path) -> None:
    layer = Layer([Member("var/lib/dpkg/status-old", DPKG_STATUS),
                   Member(STATUS, type=tarfile.LNKTYPE, linkname="var/lib/dpkg/status-old")])
    img = build_oci(sandbox / "img", [layer])
    assert len(_scan(f"oci:{img}", sandbox).inventory.packages) == 2


def test_whiteout_of_etc_hides_everything_below_it(sandbox: Path) -> None:
    base = Layer([Member("etc/os-release", OS_RELEASE), Member(STATUS, DPKG_STATUS)])
    upper = Layer([Member("etc/.wh.etc", b""), Member(".wh.etc", b"")])
    img = build_oci(sandbox / "img", [base, upper])
    result = _scan(f"oci:{img}", sandbox)
    assert result.inventory.distro is None
    assert len(result.inventory.packages) == 2  # /var untouched


def test_huge_wanted_member_becomes_unknown_then_truncation_error(sandbox: Path) -> None:
    ten_gb = 10 << 30
    info = tarfile.TarInfo(STATUS)
    info.size = ten_gb
    header = info.tobuf(format=tarfile.GNU_FORMAT)
    raw = header + b"\0" * (1 << 20)  # claims 10 GB, carries 1 MB
    img = build_oci(sandbox / "img", [Layer([])], raw_layers=[raw])
    with pytest.raises(InputError, match="unexpected end of archive"):
        _scan(f"oci:{img}", sandbox)


def test_gzip_bomb_stops_at_the_layer_budget(sandbox: Path) -> None:
    info = tarfile.TarInfo("zeros")
    info.size = 4 << 30
    zeros = gzip.compress(b"\0" * (64 << 20), compresslevel=9)
    blob = gzip.compress(info.tobuf(format=tarfile.GNU_FORMAT)) + zeros * 64
    img = build_oci(sandbox / "img", [Layer([], compress="raw")])
    _replace_layer_blob(img, blob)
    limits = Limits(max_layer_bytes=256 << 20)
    with pytest.raises(LimitExceededError, match="more than 268435456 bytes"):
        _scan(f"oci:{img}", sandbox, limits)


def test_truncated_layer_is_an_input_error(sandbox: Path) -> None:
    layer = Layer([Member(STATUS, DPKG_STATUS * 200)])
    img = build_oci(sandbox / "img", [layer])
    blob_path = _layer_blob_path(img)
    data = blob_path.read_bytes()
    blob_path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError):
        _scan(f"oci:{img}", sandbox)


def test_layer_digest_that_lies_is_named(sandbox: Path) -> None:
    img = build_oci(sandbox / "img", [Layer([Member(STATUS, DPKG_STATUS)])])
    blob_path = _layer_blob_path(img)
    other = gzip.compress(Layer([Member(STATUS, DPKG_STATUS + b"\n")]).tar_bytes())
    blob_path.write_bytes(other)  # same name (digest), other bytes
    with pytest.raises(DigestMismatchError) as err:
        _scan(f"oci:{img}", sandbox)
    assert blob_path.name in str(err.value)


def test_diff_id_that_lies_is_named(sandbox: Path) -> None:
    lie = sha(b"not this layer")
    img = build_oci(sandbox / "img", [Layer([Member(STATUS, DPKG_STATUS)])], diff_ids=[lie])
    with pytest.raises(DigestMismatchError, match=re.escape(lie)):
        _scan(f"oci:{img}", sandbox)


def test_manifest_blob_that_lies_is_rejected(sandbox: Path) -> None:
    img = build_oci(sandbox / "img", [Layer([Member(STATUS, DPKG_STATUS)])])
    index = (img / "index.json").read_text()
    digest = index.split('"digest": "')[1].split('"')[0]
    path = img / "blobs" / "sha256" / digest.split(":")[1]
    path.write_bytes(path.read_bytes().replace(b"amd64", b"arm64") + b" ")
    with pytest.raises(DigestMismatchError):
        _scan(f"oci:{img}", sandbox)


def test_malformed_index_json_names_the_file(sandbox: Path) -> None:
    img = build_oci(sandbox / "img", [Layer([])])
    (img / "index.json").write_text("{not json")
    with pytest.raises(InputError, match=r"index\.json"):
        _scan(f"oci:{img}", sandbox)


def test_garbage_instead_of_tar_is_an_input_error(sandbox: Path) -> None:
    img = build_oci(sandbox / "img", [Layer([])], raw_layers=[os.urandom(4096)])
    with pytest.raises(InputError):
        _scan(f"oci:{img}", sandbox)


def _layer_blob_path(img: Path) -> Path:
    import json

    index = json.loads((img / "index.json").read_text())
    mdigest = index["manifests"][0]["digest"].split(":")[1]
    manifest = json.loads((img / "blobs" / "sha256" / mdigest).read_bytes())
    return img / "blobs" / "sha256" / manifest["layers"][0]["digest"].split(":")[1]


def _replace_layer_blob(img: Path, blob: bytes) -> None:
    """Point the manifest's only layer at ``blob`` (digest true, diffID unknowable)."""
    import json

    index = json.loads((img / "index.json").read_text())
    mpath = img / "blobs" / "sha256" / index["manifests"][0]["digest"].split(":")[1]
    manifest = json.loads(mpath.read_bytes())
    manifest["layers"][0]["digest"] = write_blob(img, blob)
    manifest["layers"][0]["size"] = len(blob)
    mbytes = json.dumps(manifest).encode()
    index["manifests"][0]["digest"] = write_blob(img, mbytes)
    (img / "index.json").write_text(json.dumps(index))

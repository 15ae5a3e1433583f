"""The whole-image cache (cache/image_cache.py): a warm scan of an unchanged image reads no
layer and merges nothing, and is trusted only for layer blobs proven by file identity.

A blob whose bytes change while its size and the digest the manifest claims stay the same
(mtime put back: ctime still moves) is hashed again and refused, exactly as cold; a
blob only touched (same bytes) is hashed again and served; another manifest, other code
or other options are misses; a damaged entry is recomputed.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import ringfence.scan as scan_mod
from ringfence.cache import image_cache
from ringfence.cache.layer_cache import LayerCache
from ringfence.layers import analyze as analyze_mod
from ringfence.layers import merge as merge_mod
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


@pytest.fixture
def work(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Counts what a scan did: layers walked, blobs hashed, per-layer results read, merges."""
    seen = {"walked": 0, "hashed": 0, "layer_gets": 0, "merged": 0}

    def count(module: object, name: str, key: str) -> None:
        real = getattr(module, name)

        def counting(*a, **k):  # type: ignore[no-untyped-def]
            seen[key] += 1
            return real(*a, **k)

        monkeypatch.setattr(module, name, counting)

    count(analyze_mod, "analyze_layer", "walked")
    count(analyze_mod, "hash_blob", "hashed")
    count(LayerCache, "get", "layer_gets")
    count(merge_mod, "merge_layers", "merged")
    return seen


def _image(tmp_path: Path, name: str = "a") -> Path:
    return build_oci(tmp_path / name, [Layer([Member("etc/os-release", OS_RELEASE),
                                              Member(STATUS, DPKG_STATUS)]),
                                       Layer([Member("etc/hostname", b"x\n")])])


def _packages(out: str) -> list[str]:
    return sorted(p["name"] for p in json.loads(out)["packages"])


def test_warm_scan_reads_no_layer_and_merges_nothing(tmp_path: Path, work: dict[str, int],
                                                     capsys: pytest.CaptureFixture[str]
                                                     ) -> None:
    a, cache = _image(tmp_path), tmp_path / "cache"
    code, cold, _ = run_cli(capsys, *sbom(f"oci:{a}", cache))
    assert code == 0 and work == {"walked": 2, "hashed": 0, "layer_gets": 0, "merged": 1}
    code, warm, _ = run_cli(capsys, *sbom(f"oci:{a}", cache))
    assert code == 0 and warm == cold and "libc6" in _packages(warm)
    assert work == {"walked": 2, "hashed": 0, "layer_gets": 0, "merged": 1}
    code, uncached, _ = run_cli(capsys, *sbom(f"oci:{a}"))
    assert code == 0 and uncached == cold


def test_rewritten_blob_same_size_same_claim_is_hashed_and_refused(
        tmp_path: Path, work: dict[str, int], capsys: pytest.CaptureFixture[str]) -> None:
    a, cache = _image(tmp_path), tmp_path / "cache"
    assert run_cli(capsys, *sbom(f"oci:{a}", cache))[0] == 0
    blob = layer_blob(a)
    st = blob.stat()
    data = bytearray(blob.read_bytes())
    data[-20] ^= 0xFF
    with open(blob, "r+b") as f:  # same inode, same size, same name (= claimed digest)
        f.write(data)
    os.utime(blob, ns=(st.st_atime_ns, st.st_mtime_ns))  # mtime put back; ctime moved
    assert blob.stat().st_size == st.st_size
    code, out, err = run_cli(capsys, *sbom(f"oci:{a}", cache))
    assert code == 3 and out == ""
    assert_one_error(err, f"oci:{a}", "digest mismatch")
    assert work["hashed"] == 1  # the identity was new: the bytes were hashed, not trusted


def test_touched_blob_is_hashed_again_then_served(tmp_path: Path, work: dict[str, int],
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    a, cache = _image(tmp_path), tmp_path / "cache"
    code, cold, _ = run_cli(capsys, *sbom(f"oci:{a}", cache))
    blob = layer_blob(a)
    os.utime(blob, ns=(blob.stat().st_atime_ns, blob.stat().st_mtime_ns + 10**9))
    code, warm, _ = run_cli(capsys, *sbom(f"oci:{a}", cache))
    assert code == 0 and warm == cold
    # same bytes under a new identity: hashed (not walked), per-layer results, one merge
    assert (work["walked"], work["hashed"], work["merged"]) == (2, 1, 2)
    code, again, _ = run_cli(capsys, *sbom(f"oci:{a}", cache))
    assert again == cold and (work["hashed"], work["merged"]) == (1, 2)  # now remembered


def test_another_manifest_other_code_or_options_are_misses(
        tmp_path: Path, work: dict[str, int], capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    a, cache = _image(tmp_path), tmp_path / "cache"
    code, cold, _ = run_cli(capsys, *sbom(f"oci:{a}", cache))
    # the same layers under another manifest (an annotation): layer results, a new merge
    index, manifest, config = load_layout(a)
    manifest["annotations"] = {"org.example": "other"}
    store_layout(a, index, manifest, config)
    code, out, _ = run_cli(capsys, *sbom(f"oci:{a}", cache))
    assert code == 0 and _packages(out) == _packages(cold)
    assert (work["walked"], work["merged"]) == (2, 2) and work["layer_gets"] == 2
    # other code (a module the scan ran changed since the entry was made): a miss
    import ringfence.catalog.registry

    changed = str(ringfence.catalog.registry.__file__)
    real = image_cache._signature
    monkeypatch.setattr(image_cache, "_signature",
                        lambda path: "edited" if path == changed else real(path))
    assert run_cli(capsys, *sbom(f"oci:{a}", cache))[0] == 0
    assert work["merged"] == 3
    assert run_cli(capsys, *sbom(f"oci:{a}", cache))[0] == 0
    assert work["merged"] == 3  # stored again with the code now there
    # other options (--layers all reuses the merged inventory: it keeps deleted packages)
    assert run_cli(capsys, *sbom(f"oci:{a}", cache), "--layers", "all")[0] == 0
    assert work["merged"] == 3
    assert run_cli(capsys, *sbom(f"oci:{a}", cache), "--max-image-bytes", "1g")[0] == 0
    assert work["merged"] == 4


def test_deleted_packages_round_trip(tmp_path: Path, work: dict[str, int],
                                     capsys: pytest.CaptureFixture[str]) -> None:
    img = build_oci(tmp_path / "d", [Layer([Member("etc/os-release", OS_RELEASE),
                                            Member(STATUS, DPKG_STATUS)]),
                                     Layer([Member("var/lib/dpkg/.wh.status")])])
    cache = tmp_path / "cache"
    cold = run_cli(capsys, *sbom(f"oci:{img}"), "--layers", "all")[1]
    assert json.loads(cold)["deleted_packages"]
    assert run_cli(capsys, *sbom(f"oci:{img}", cache))[0] == 0
    assert run_cli(capsys, *sbom(f"oci:{img}", cache), "--layers", "all")[1] == cold
    assert work["merged"] == 2  # the no-cache run and the first cached one


def test_damaged_entry_is_recomputed(tmp_path: Path, work: dict[str, int],
                                     capsys: pytest.CaptureFixture[str]) -> None:
    a, cache = _image(tmp_path), tmp_path / "cache"
    cold = run_cli(capsys, *sbom(f"oci:{a}", cache))[1]
    db = LayerCache(cache)
    db._db.execute("UPDATE images SET value = ?", (b"not zlib",))
    db.close()
    assert run_cli(capsys, *sbom(f"oci:{a}", cache))[1] == cold
    assert work["merged"] == 2
    assert run_cli(capsys, *sbom(f"oci:{a}", cache))[1] == cold
    assert work["merged"] == 2  # overwritten by the recomputation


def test_an_entry_records_the_code_that_ran(tmp_path: Path) -> None:
    import ringfence.catalog.registry

    code = image_cache.code_in_use()
    paths = [p for p, _ in code]
    assert str(ringfence.catalog.registry.__file__) in paths
    assert any(p.endswith("catalog.toml") for p in paths)  # the package's data files
    assert image_cache.code_unchanged(code)
    module = tmp_path / "m.py"
    module.write_text("x = 1\n")
    recorded = [[str(module), image_cache._signature(str(module)) or ""]]
    assert image_cache.code_unchanged(recorded)
    module.write_text("x = 2\n")  # same size, another mtime
    os.utime(module, ns=(1, 2))
    assert not image_cache.code_unchanged(recorded)
    module.unlink()
    assert not image_cache.code_unchanged(recorded)
    assert not image_cache.code_unchanged([])


def test_no_whole_image_result_without_a_verified_manifest_digest(tmp_path: Path) -> None:
    from dataclasses import replace

    from ringfence.image.reference import parse_reference
    from ringfence.image.resolve import OpenOptions, open_image

    src = open_image(parse_reference(f"oci:{_image(tmp_path)}"), OpenOptions())
    info = src.info()
    assert image_cache.image_key(info, "limits") is not None
    assert image_cache.image_key(replace(info, manifest_digest=None), "limits") is None
    unknown = replace(info.layers[0], digest="unknown:0")
    assert image_cache.image_key(replace(info, layers=(unknown,)), "limits") is None
    assert image_cache.image_key(info, "other") != image_cache.image_key(info, "limits")


def test_analyze_module_is_what_the_orchestrator_calls() -> None:
    # the counting fixture patches ringfence.layers.analyze; the orchestrator imports the
    # walk where it runs it (a warm scan loads none of it), so it must not hold its own copy
    assert not hasattr(scan_mod, "analyze_layer")
    assert not hasattr(scan_mod, "hash_blob")


def test_an_entry_depends_on_every_source_file_not_only_the_loaded_ones() -> None:
    """A scan served by the layer cache loads no cataloger: an entry that recorded only the
    loaded modules outlived a change to a cataloger (stale licences were served)."""
    import ringfence
    from ringfence.cache.image_cache import code_in_use

    root = Path(ringfence.__file__).parent
    listed = {p for p, _ in code_in_use()}
    sources = {str(p) for p in root.rglob("*.py") if "__pycache__" not in p.parts}
    assert str(root / "catalog" / "dpkg" / "cataloger.py") in listed
    assert sources <= listed

"""The whole-image cache (cache/image_cache.py): a warm scan of an unchanged image reads no
layer and merges nothing, and is trusted only for layer blobs proven by file identity.

A blob whose bytes change while its size and the digest the manifest claims stay the same
(mtime put back: ctime still moves) is hashed again and refused, exactly as cold; a
blob only touched (same bytes) is hashed again and served; another manifest, other versions
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
    # an edit that changes no version (a module the scan ran, touched): still a hit, the
    # versions computed again once for the new state of the code
    import ringfence.catalog.registry
    from ringfence.catalog.dpkg.cataloger import DpkgCataloger

    changed = str(ringfence.catalog.registry.__file__)
    real = image_cache._signature
    monkeypatch.setattr(image_cache, "_signature",
                        lambda entry: "edited" if entry.path == changed else real(entry))
    assert run_cli(capsys, *sbom(f"oci:{a}", cache))[0] == 0
    assert work["merged"] == 2
    # another version of a cataloger: a miss, then stored under the new versions
    monkeypatch.setattr(image_cache, "_signature",
                        lambda entry: "edited again" if entry.path == changed else real(entry))
    monkeypatch.setattr(DpkgCataloger, "version", DpkgCataloger.version + "-next")
    assert run_cli(capsys, *sbom(f"oci:{a}", cache))[0] == 0
    assert work["merged"] == 3
    assert run_cli(capsys, *sbom(f"oci:{a}", cache))[0] == 0
    assert work["merged"] == 3
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


def test_versions_are_remembered_per_state_of_the_code(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import ringfence.catalog.registry
    from ringfence.catalog.dpkg.cataloger import DpkgCataloger

    cache = LayerCache(tmp_path)
    state = image_cache.code_state()
    assert image_cache.code_state() == state
    first = image_cache.versions(cache, scan_mod.image_versions)
    assert f"dpkg={DpkgCataloger.version}" in first and ";merge=" in first
    # remembered: a version changed in memory is not seen while the code is the same
    monkeypatch.setattr(DpkgCataloger, "version", "changed")
    assert image_cache.versions(cache, scan_mod.image_versions) == first
    # an edit (a file's size or mtime) is another state: the versions are computed again
    changed = str(ringfence.catalog.registry.__file__)
    real = image_cache._signature
    monkeypatch.setattr(image_cache, "_signature",
                        lambda entry: "edited" if entry.path == changed else real(entry))
    assert image_cache.code_state() != state
    assert "dpkg=changed" in image_cache.versions(cache, scan_mod.image_versions)
    cache.close()


def test_an_unchanged_code_state_serves_the_versions_without_the_catalogers(
        tmp_path: Path) -> None:
    """What a warm scan runs: the versions come from the cache, the registry is not
    imported (a fresh interpreter, so no test has imported it before)."""
    import subprocess
    import sys

    cache = LayerCache(tmp_path)
    image_cache.versions(cache, scan_mod.image_versions)
    cache.close()
    code = ("import sys; from ringfence.cache import image_cache; "
            "from ringfence.cache.layer_cache import LayerCache; from pathlib import Path; "
            "from ringfence.scan import image_versions; "
            f"v = image_cache.versions(LayerCache(Path({str(tmp_path)!r})), image_versions); "
            "print('ringfence.catalog.registry' in sys.modules, 'dpkg=' in v)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["False", "True"]


def test_no_whole_image_result_without_a_verified_manifest_digest(tmp_path: Path) -> None:
    from dataclasses import replace

    from ringfence.image.reference import parse_reference
    from ringfence.image.resolve import OpenOptions, open_image

    src = open_image(parse_reference(f"oci:{_image(tmp_path)}"), OpenOptions())
    info = src.info()
    assert image_cache.image_key(info, "limits", "v") is not None
    assert image_cache.image_key(replace(info, manifest_digest=None), "limits", "v") is None
    unknown = replace(info.layers[0], digest="unknown:0")
    assert image_cache.image_key(replace(info, layers=(unknown,)), "limits", "v") is None
    assert image_cache.image_key(info, "other", "v") != image_cache.image_key(info, "limits", "v")
    assert image_cache.image_key(info, "limits", "w") != image_cache.image_key(info, "limits", "v")


def test_analyze_module_is_what_the_orchestrator_calls() -> None:
    # the counting fixture patches ringfence.layers.analyze; the orchestrator imports the
    # walk where it runs it (a warm scan loads none of it), so it must not hold its own copy
    assert not hasattr(scan_mod, "analyze_layer")
    assert not hasattr(scan_mod, "hash_blob")


def test_the_code_state_covers_every_source_file_not_only_the_loaded_ones(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A scan served by the layer cache loads no cataloger: versions remembered for a state
    that covered only the loaded modules outlived a cataloger's edit (and its new version)."""
    import ringfence

    root = Path(ringfence.__file__).parent
    before = image_cache.code_state()
    real = image_cache._signature
    for path in sorted((root / "catalog").rglob("*.py")):
        monkeypatch.setattr(image_cache, "_signature",
                            lambda e, edited=str(path): "edited" if e.path == edited else real(e))
        assert image_cache.code_state() != before, path

"""A registry blob has no local file identity: a cached result for it is used only after
its bytes were downloaded and hashed in this run (the registry's content addressing is a
claim like any other). The fake registry of test_registry serves the image."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

import ringfence.layers.analyze as analyze_mod
import ringfence.scan as scan_mod
from ringfence.errors import DigestMismatchError
from ringfence.image.registry import RegistrySource
from ringfence.scan import ScanOptions, scan_image
from tests.unit.image.test_registry import FakeRegistry, _isolated, layer_blob, single

__all__ = ["_isolated"]  # the autouse fixture: no real auth files, no back-off sleeps

REF = "docker://fake.test/team/app:1"


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeRegistry:
    registry = FakeRegistry(single())

    def open_fake(ref, options):  # type: ignore[no-untyped-def]
        return RegistrySource(ref, options.platform, insecure=False, auth_file=None,
                              transport=httpx.MockTransport(registry))

    monkeypatch.setattr(scan_mod, "open_image", open_fake)
    return registry


@pytest.fixture
def walked(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []
    real = analyze_mod.analyze_layer

    def counting(source, layer, *a, **k):  # type: ignore[no-untyped-def]
        seen.append(layer.digest)
        return real(source, layer, *a, **k)

    monkeypatch.setattr(analyze_mod, "analyze_layer", counting)
    return seen


def _blob_gets(fake: FakeRegistry, digest: str) -> int:
    return sum(1 for r in fake.log if r.url.path.endswith(f"/blobs/{digest}"))


def test_registry_hit_downloads_and_hashes_the_blob(tmp_path: Path, fake: FakeRegistry,
                                                    walked: list[str]) -> None:
    opts = ScanOptions(cache_dir=tmp_path / "cache")
    first = scan_image(REF, opts)
    second = scan_image(REF, opts)
    assert walked == [fake.image.layer]  # the second scan was a cache hit ...
    assert _blob_gets(fake, fake.image.layer) == 2  # ... after hashing the blob again
    assert first.inventory.packages == second.inventory.packages


def test_registry_serving_other_bytes_under_a_cached_digest(tmp_path: Path,
                                                            fake: FakeRegistry,
                                                            walked: list[str]) -> None:
    opts = ScanOptions(cache_dir=tmp_path / "cache")
    scan_image(REF, opts)
    other, _ = layer_blob({"var/lib/dpkg/status": b"Package: evil\nVersion: 1\n"})
    fake.image.blobs[fake.image.layer] = other  # same digest, other bytes
    with pytest.raises(DigestMismatchError):
        scan_image(REF, opts)
    assert walked == [fake.image.layer]

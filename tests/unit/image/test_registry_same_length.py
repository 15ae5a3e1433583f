"""A real registry on 127.0.0.1 that lies only in the bytes: every blob it serves under a
digest has the digest's length, so the Content-Length and descriptor-size checks pass and
only the digest comparison can refuse it.

The existing tampered-blob tests (test_registry.py) serve bytes of another length; with the
digest comparison removed they still failed, on Content-Length (issue 17).

Planted bug (issue 17) -> the test here that fails with it:

- registry blob digest comparison removed (BlobStream, layers)
  -> test_layer_of_the_same_length_is_a_mismatch
- manifest/config digest check removed (RegistryBlobStore.read)
  -> test_config_of_the_same_length_is_a_mismatch

The lying layer is the same tar recompressed with another gzip header (mtime), so the diffID
check of the uncompressed tar cannot catch it either; the lying config claims another
architecture in the same number of bytes. The server is an http.server on 127.0.0.1 with an
ephemeral port, stopped by the fixture.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from ringfence.catalog.dpkg.cataloger import DpkgCataloger
from ringfence.errors import DigestMismatchError
from ringfence.image import mediatypes, registry
from ringfence.image.reference import parse_reference
from ringfence.image.registry import RegistrySource
from ringfence.layers.analyze import analyze_layer
from ringfence.layers.walk import Limits

STATUS = b"Package: hello\nStatus: install ok installed\nVersion: 2.10-3\nArchitecture: amd64\n"


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def tar_of(name: str, data: bytes) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        info = tarfile.TarInfo(name)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def config_of(arch: str, diff_id: str) -> bytes:
    return json.dumps({"architecture": arch, "os": "linux",
                       "rootfs": {"type": "layers", "diff_ids": [diff_id]}}).encode()


@dataclass
class Registry:
    """What the server holds: blobs and manifests by digest, tags, and lies by digest."""

    blobs: dict[str, bytes] = field(default_factory=dict)
    manifests: dict[str, bytes] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    lies: dict[str, bytes] = field(default_factory=dict)
    served: list[str] = field(default_factory=list)

    def answer(self, path: str) -> tuple[int, dict[str, str], bytes]:
        self.served.append(path)
        if path == "/v2/":
            return 200, {"Content-Type": "application/json"}, b"{}"
        parts = path.split("/")
        if len(parts) != 6 or parts[:4] != ["", "v2", "team", "app"]:
            return 404, {}, b""
        kind, ref = parts[4], parts[5]
        if kind == "manifests":
            digest = self.tags.get(ref, ref)
            if digest not in self.manifests:
                return 404, {}, b""
            body = self.lies.get(digest, self.manifests[digest])
            return 200, {"Content-Type": mediatypes.OCI_MANIFEST,
                         "Docker-Content-Digest": digest}, body
        if kind == "blobs" and ref in self.blobs:
            return 200, {"Content-Type": "application/octet-stream"}, \
                self.lies.get(ref, self.blobs[ref])
        return 404, {}, b""


@dataclass
class Image:
    registry: Registry
    layer: str
    config: str
    good_gz: bytes
    good_config: bytes
    raw: bytes


def build() -> Image:
    reg = Registry()
    raw = tar_of("var/lib/dpkg/status", STATUS)
    gz = gzip.compress(raw, mtime=0)
    config = config_of("amd64", sha(raw))
    reg.blobs[sha(gz)] = gz
    reg.blobs[sha(config)] = config
    doc = {"schemaVersion": 2, "mediaType": mediatypes.OCI_MANIFEST,
           "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                      "digest": sha(config), "size": len(config)},
           "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                       "digest": sha(gz), "size": len(gz)}]}
    body = json.dumps(doc).encode()
    reg.manifests[sha(body)] = body
    reg.tags["1"] = sha(body)
    return Image(reg, sha(gz), sha(config), gz, config, raw)


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[tuple[Image, str]]:
    """(image, docker:// reference) served over plain HTTP on 127.0.0.1."""
    for var in ("REGISTRY_AUTH_FILE", "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME", "DOCKER_CONFIG"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setattr(registry, "BACKOFF", 0.0)
    image = build()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, headers, body = image.registry.answer(self.path.split("?")[0])
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield image, f"docker://127.0.0.1:{server.server_address[1]}/team/app:1"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _open(ref: str) -> RegistrySource:
    return RegistrySource(parse_reference(ref), None, insecure=True, auth_file=None)


def _packages(source: RegistrySource) -> list[str]:
    result = analyze_layer(source, source.info().layers[0], (DpkgCataloger(),), Limits())
    return sorted(f"{p.name}={p.version}" for r in result.records for p in r.packages)


def test_honest_registry_is_read(served: tuple[Image, str]) -> None:
    image, ref = served
    source = _open(ref)
    try:
        assert _packages(source) == ["hello=2.10-3"]
        with source.open_layer(source.info().layers[0]) as stream:
            assert stream.read() == image.good_gz
    finally:
        source.close()
    assert f"/v2/team/app/blobs/{image.layer}" in image.registry.served


def test_layer_of_the_same_length_is_a_mismatch(served: tuple[Image, str]) -> None:
    image, ref = served
    liar = gzip.compress(image.raw, mtime=1)  # same tar, same length, other bytes
    assert len(liar) == len(image.good_gz) and liar != image.good_gz
    assert gzip.decompress(liar) == image.raw  # the diffID holds: only the blob digest lies
    image.registry.lies[image.layer] = liar
    source = _open(ref)
    try:
        layer = source.info().layers[0]
        assert layer.size == len(liar)
        mismatch = f"expected {image.layer}, got {sha(liar)}"
        with source.open_layer(layer) as stream, \
                pytest.raises(DigestMismatchError, match=mismatch):
            stream.read()
        with pytest.raises(DigestMismatchError, match=image.layer):
            _packages(source)
    finally:
        source.close()


def test_config_of_the_same_length_is_a_mismatch(served: tuple[Image, str]) -> None:
    image, ref = served
    liar = config_of("arm64", sha(image.raw))
    assert len(liar) == len(image.good_config) and liar != image.good_config
    image.registry.lies[image.config] = liar
    with pytest.raises(DigestMismatchError, match=f"expected {image.config}, got {sha(liar)}"):
        _open(ref).close()

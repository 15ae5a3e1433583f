"""docker:// against a real registry (Debian's docker-registry, Distribution 2.8) filled by
skopeo, and against a hostile one (a tiny http.server) that swaps blobs."""

from __future__ import annotations

import base64
import json
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from ringfence.errors import DigestMismatchError, RegistryError
from ringfence.image.reference import parse_reference
from ringfence.image.registry import RegistrySource
from ringfence.image.resolve import OpenOptions
from ringfence.scan import ScanOptions, scan_image

pytestmark = [pytest.mark.registry, pytest.mark.slow, pytest.mark.images]

USER, PASSWORD = "alice", "correct horse"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def docker_registry(root: Path, htpasswd: Path | None = None,
                    tls: tuple[Path, Path] | None = None) -> Iterator[str]:
    """Run ``docker-registry serve`` on a free port; yield ``127.0.0.1:PORT``."""
    if shutil.which("docker-registry") is None:
        pytest.skip("docker-registry is not installed (apt-get install docker-registry)")
    host = f"127.0.0.1:{free_port()}"
    auth = (f"auth:\n  htpasswd:\n    realm: test\n    path: {htpasswd}\n" if htpasswd else "")
    certs = f"  tls:\n    certificate: {tls[0]}\n    key: {tls[1]}\n" if tls else ""
    config = root / "config.yml"
    config.write_text(f"version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n"
                      f"    rootdirectory: {root / 'storage'}\nhttp:\n  addr: {host}\n"
                      f"{certs}{auth}")
    log = (root / "registry.log").open("wb")
    proc = subprocess.Popen(["docker-registry", "serve", str(config)],
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_for(f"{'https' if tls else 'http'}://{host}/v2/", proc)
        yield host
    finally:
        proc.kill()
        proc.wait(timeout=10)
        log.close()


def _wait_for(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"docker-registry exited with {proc.returncode}")
        try:
            # readiness probe of our own registry, whose throwaway certificate is not trusted
            probe = httpx.get(url, timeout=1, verify=False)  # noqa: S501
            if probe.status_code in (200, 401):
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within 15 s")


def push(images: Path, name: str, dest: str, *extra: str) -> None:
    subprocess.run(["skopeo", "copy", "--quiet", "--dest-tls-verify=false", *extra,
                    f"oci:{images / name}.oci:latest", f"docker://{dest}"],
                   check=True, capture_output=True, timeout=120)


def insecure(auth_file: str | None = None) -> ScanOptions:
    return ScanOptions(open=OpenOptions(insecure_registry=True, auth_file=auth_file),
                       cache_dir=None)


def package_dicts(reference: str, options: ScanOptions) -> list[dict[str, Any]]:
    return [p.to_dict() for p in scan_image(reference, options).inventory.packages]


@pytest.fixture(scope="module")
def oci_packages(images_dir: Path) -> dict[str, list[dict[str, Any]]]:
    return {name: package_dicts(f"oci:{images_dir / name}.oci", ScanOptions(cache_dir=None))
            for name in ("bookworm-min", "bookworm-py")}


@pytest.fixture(scope="module")
def open_registry(images_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with docker_registry(tmp_path_factory.mktemp("registry")) as host:
        push(images_dir, "bookworm-min", f"{host}/test/bookworm-min:1")
        push(images_dir, "bookworm-py", f"{host}/test/bookworm-py:1")
        yield host


@pytest.mark.parametrize("name", ["bookworm-min", "bookworm-py"])
def test_pull_by_tag_equals_the_oci_layout(open_registry: str, name: str,
                                           oci_packages: dict[str, list[dict[str, Any]]]
                                           ) -> None:
    result = scan_image(f"docker://{open_registry}/test/{name}:1", insecure())
    assert [p.to_dict() for p in result.inventory.packages] == oci_packages[name]
    assert len(oci_packages[name]) > 0
    inspect = json.loads(subprocess.run(
        ["skopeo", "inspect", "--tls-verify=false", f"docker://{open_registry}/test/{name}:1"],
        check=True, capture_output=True, timeout=60).stdout)
    assert result.image is not None
    assert result.image.manifest_digest == inspect["Digest"]  # skopeo as the oracle
    assert [layer.digest for layer in result.image.layers] == inspect["Layers"]


def test_bookworm_min_has_its_88_debs(open_registry: str) -> None:
    packages = scan_image(f"docker://{open_registry}/test/bookworm-min:1",
                          insecure()).inventory.packages
    assert sum(p.type == "deb" for p in packages) == 88  # TESTING.md / contents.txt


def test_pull_by_digest(open_registry: str,
                        oci_packages: dict[str, list[dict[str, Any]]]) -> None:
    ref = f"docker://{open_registry}/test/bookworm-min:1"
    digest = scan_image(ref, insecure()).target.digest
    by_digest = f"docker://{open_registry}/test/bookworm-min@{digest}"
    assert package_dicts(by_digest, insecure()) == oci_packages["bookworm-min"]


def test_http_registry_without_insecure_is_a_clear_error(open_registry: str) -> None:
    with pytest.raises(RegistryError) as err:
        scan_image(f"docker://{open_registry}/test/bookworm-min:1", ScanOptions(cache_dir=None))
    assert f"https://{open_registry}/v2/" in str(err.value)
    assert err.value.hint and "--insecure-registry" in err.value.hint


def test_missing_tag_names_the_registry_error(open_registry: str) -> None:
    with pytest.raises(RegistryError, match="MANIFEST_UNKNOWN"):
        scan_image(f"docker://{open_registry}/test/bookworm-min:nope", insecure())


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ringfence.cli.main", *args],
                          capture_output=True, text=True, timeout=300, check=False)


def test_cli_sbom_json(open_registry: str, images_dir: Path) -> None:
    ref = f"docker://{open_registry}/test/bookworm-min:1"
    pulled = _cli("sbom", ref, "--insecure-registry", "-f", "json", "--no-cache")
    local = _cli("sbom", f"oci:{images_dir}/bookworm-min.oci", "-f", "json", "--no-cache")
    assert pulled.returncode == 0, pulled.stderr
    doc, want = json.loads(pulled.stdout), json.loads(local.stdout)
    assert doc["target"] == {**want["target"], "name": ref}
    assert doc["packages"] == want["packages"]
    assert doc["distro"] == want["distro"]
    refused = _cli("sbom", ref, "-f", "json", "--no-cache")
    assert refused.returncode == 3
    assert "--insecure-registry" in refused.stderr


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj",
                    "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


def test_tls_registry_with_a_self_signed_certificate(
        images_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        oci_packages: dict[str, list[dict[str, Any]]]) -> None:
    """Verified by default; unverified only with insecure (and then no fall-back to HTTP is
    needed); trusted once the certificate is in the trust store OpenSSL reads."""
    cert, key = _self_signed(tmp_path)
    with docker_registry(tmp_path, tls=(cert, key)) as host:
        push(images_dir, "bookworm-min", f"{host}/test/bookworm-min:1")
        ref = f"docker://{host}/test/bookworm-min:1"
        with pytest.raises(RegistryError, match="CERTIFICATE_VERIFY_FAILED") as err:
            scan_image(ref, ScanOptions(cache_dir=None))
        assert err.value.hint and "--insecure-registry" in err.value.hint
        source = RegistrySource(parse_reference(ref), None, insecure=True, auth_file=None)
        try:
            assert source.client.base == f"https://{host}"
        finally:
            source.close()
        assert package_dicts(ref, insecure()) == oci_packages["bookworm-min"]
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))
        assert package_dicts(ref, ScanOptions(cache_dir=None)) == oci_packages["bookworm-min"]


def _htpasswd_line(tmp_path: Path) -> Path:
    if shutil.which("htpasswd") is None:
        pytest.skip("htpasswd is not installed (apt-get install apache2-utils)")
    line = subprocess.run(["htpasswd", "-Bbn", USER, PASSWORD], check=True,
                          capture_output=True, text=True).stdout.strip()
    path = tmp_path / "htpasswd"
    path.write_text(line + "\n")
    return path


def _auth_file(path: Path, host: str, password: str) -> str:
    token = base64.b64encode(f"{USER}:{password}".encode()).decode()
    path.write_text(json.dumps({"auths": {host: {"auth": token}}}))
    return str(path)


def test_htpasswd_registry_with_an_auth_file(images_dir: Path, tmp_path: Path,
                                             oci_packages: dict[str, list[dict[str, Any]]],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("REGISTRY_AUTH_FILE", "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME", "DOCKER_CONFIG"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    with docker_registry(tmp_path, _htpasswd_line(tmp_path)) as host:
        push(images_dir, "bookworm-min", f"{host}/test/bookworm-min:1",
             "--dest-creds", f"{USER}:{PASSWORD}")
        ref = f"docker://{host}/test/bookworm-min:1"
        good = _auth_file(tmp_path / "good.json", host, PASSWORD)
        assert package_dicts(ref, insecure(good)) == oci_packages["bookworm-min"]
        with pytest.raises(RegistryError, match="requires a login"):
            scan_image(ref, insecure())
        with pytest.raises(RegistryError, match="HTTP 401"):
            scan_image(ref, insecure(_auth_file(tmp_path / "bad.json", host, "wrong")))
        pulled = _cli("sbom", ref, "--insecure-registry", "--authfile", good, "-f", "json",
                      "--no-cache")
        assert pulled.returncode == 0, pulled.stderr
        assert len(json.loads(pulled.stdout)["packages"]) == len(oci_packages["bookworm-min"])


class HostileRegistry(ThreadingHTTPServer):
    """Serves one OCI layout as ``test/img:1`` but answers some digests with other bytes
    (``swaps``) or stalls after the headers (``stalls``)."""

    daemon_threads = True

    def __init__(self, layout: Path) -> None:
        super().__init__(("127.0.0.1", 0), _HostileHandler)
        self.layout = layout
        index = json.loads((layout / "index.json").read_text())
        self.manifest_digest = str(index["manifests"][0]["digest"])
        self.swaps: dict[str, bytes] = {}
        self.stalls: set[str] = set()
        self.release = threading.Event()

    def blob(self, digest: str) -> bytes:
        return _layout_blob(self.layout, digest)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # the client hung up: expected
            super().handle_error(request, client_address)

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.server_address[1]}"


def _layout_blob(layout: Path, digest: str) -> bytes:
    return (layout / "blobs" / "sha256" / digest.removeprefix("sha256:")).read_bytes()


class _HostileHandler(BaseHTTPRequestHandler):
    server: HostileRegistry

    def do_GET(self) -> None:
        if self.path == "/v2/":
            return self._send(b"{}", "application/json")
        kind, _, ref = self.path.removeprefix("/v2/test/img/").partition("/")
        digest = self.server.manifest_digest if (kind, ref) == ("manifests", "1") else ref
        body = self.server.swaps.get(digest) or self.server.blob(digest)
        if digest in self.server.stalls:
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[:1000])
            self.wfile.flush()
            self.server.release.wait(30)
            return None
        mt = "application/vnd.oci.image.manifest.v1+json" if kind == "manifests" else "x/blob"
        return self._send(body, mt)

    def _send(self, body: bytes, media_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", media_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return None


@pytest.fixture
def hostile(images_dir: Path) -> Iterator[HostileRegistry]:
    server = HostileRegistry(images_dir / "bookworm-min.oci")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.release.set()
        server.shutdown()
        server.server_close()
        thread.join(10)


def _manifest(server: HostileRegistry) -> dict[str, Any]:
    return dict(json.loads(server.blob(server.manifest_digest)))


def test_hostile_registry_serves_the_real_image_when_honest(
        hostile: HostileRegistry, oci_packages: dict[str, list[dict[str, Any]]]) -> None:
    # the control: without swaps the same server gives the same packages
    assert package_dicts(f"docker://{hostile.host}/test/img:1", insecure()) == \
        oci_packages["bookworm-min"]


def test_hostile_registry_swapping_a_layer(hostile: HostileRegistry, images_dir: Path) -> None:
    layer = _manifest(hostile)["layers"][0]["digest"]
    py = images_dir / "bookworm-py.oci"
    py_index = json.loads((py / "index.json").read_text())
    py_manifest = json.loads(_layout_blob(py, py_index["manifests"][0]["digest"]))
    py_layer = py_manifest["layers"][-1]["digest"]  # its first layer IS bookworm-min's
    assert py_layer != layer
    hostile.swaps[layer] = _layout_blob(py, py_layer)
    with pytest.raises(DigestMismatchError, match=layer):
        scan_image(f"docker://{hostile.host}/test/img:1", insecure())


def test_hostile_registry_same_size_same_content_other_bytes(hostile: HostileRegistry) -> None:
    """Only the gzip header's MTIME differs: diffID and every file match, the digest not."""
    layer = _manifest(hostile)["layers"][0]["digest"]
    real = hostile.blob(layer)
    hostile.swaps[layer] = real[:4] + bytes([real[4] ^ 0xFF]) + real[5:]
    with pytest.raises(DigestMismatchError, match=layer):
        scan_image(f"docker://{hostile.host}/test/img:1", insecure())


def test_hostile_registry_swapping_the_config(hostile: HostileRegistry) -> None:
    config = _manifest(hostile)["config"]["digest"]
    hostile.swaps[config] = hostile.blob(config).replace(b'"amd64"', b'"arm64"')
    with pytest.raises(DigestMismatchError, match=config):
        scan_image(f"docker://{hostile.host}/test/img:1", insecure())


def test_stalled_blob_times_out(hostile: HostileRegistry) -> None:
    layer = _manifest(hostile)["layers"][0]["digest"]
    hostile.stalls.add(layer)
    source = RegistrySource(parse_reference(f"docker://{hostile.host}/test/img:1"), None,
                            insecure=True, auth_file=None, timeout=httpx.Timeout(1.0))
    start = time.monotonic()
    try:
        with source.open_layer(source.info().layers[0]) as stream, \
                pytest.raises(RegistryError, match="ReadTimeout"):
            stream.read()
    finally:
        source.close()
    assert time.monotonic() - start < 10

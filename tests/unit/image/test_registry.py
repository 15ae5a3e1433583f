"""RegistrySource against an in-process fake registry (httpx.MockTransport).

The image is built here: one gzip layer holding a dpkg status file, its config and an
OCI manifest (optionally behind an index). The fake speaks just enough of the
Distribution API v2 (ping, manifests by tag/digest, blobs, 401 challenges, a token
endpoint) and can misbehave on request.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import re
import tarfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from ringfence.catalog.dpkg.cataloger import DpkgCataloger
from ringfence.errors import DigestMismatchError, InputError, RegistryError, UsageError
from ringfence.image import mediatypes, registry
from ringfence.image.reference import parse_reference
from ringfence.image.registry import RegistrySource
from ringfence.image.registry_auth import find_credentials, parse_challenges
from ringfence.layers.analyze import analyze_layer
from ringfence.layers.walk import Limits

STATUS = """Package: hello
Status: install ok installed
Version: 2.10-3
Architecture: amd64

Package: libfoo1
Status: install ok installed
Version: 1.2-1
Architecture: amd64
"""


def sha(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def layer_blob(files: dict[str, bytes]) -> tuple[bytes, bytes]:
    """(gzip blob, uncompressed tar) with ``files``."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    raw = buf.getvalue()
    return gzip.compress(raw, mtime=0), raw


@dataclass
class Image:
    blobs: dict[str, bytes] = field(default_factory=dict)
    manifests: dict[str, bytes] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    layer: str = ""

    def add_manifest(self, status: str, arch: str = "amd64") -> tuple[str, bytes]:
        gz, raw = layer_blob({"var/lib/dpkg/status": status.encode()})
        config = json.dumps({"architecture": arch, "os": "linux",
                             "rootfs": {"type": "layers", "diff_ids": [sha(raw)]}}).encode()
        self.blobs[sha(gz)] = gz
        self.blobs[sha(config)] = config
        self.layer = sha(gz)
        doc = {"schemaVersion": 2, "mediaType": mediatypes.OCI_MANIFEST,
               "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                          "digest": sha(config), "size": len(config)},
               "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                           "digest": sha(gz), "size": len(gz)}]}
        body = json.dumps(doc).encode()
        self.manifests[sha(body)] = body
        return sha(body), body


def single(tag: str = "1") -> Image:
    img = Image()
    digest, _ = img.add_manifest(STATUS)
    img.tags[tag] = digest
    return img


@dataclass
class FakeRegistry:
    image: Image
    auth: str = "none"  # "none" | "basic" | "bearer"
    token_key: str = "token"
    override: dict[str, Callable[[], httpx.Response]] = field(default_factory=dict)
    failures: int = 0  # 503s before the first real answer
    log: list[httpx.Request] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        response = self._answer(request)
        if isinstance(response.stream, httpx.ByteStream):  # serve it as a network would
            return httpx.Response(response.status_code, headers=response.headers,
                                  stream=httpx.ByteStream(response.content))
        return response

    def _answer(self, request: httpx.Request) -> httpx.Response:
        self.log.append(request)
        if self.failures:
            self.failures -= 1
            return httpx.Response(503)
        if request.url.host == "auth.test":
            return self._token(request)
        path = request.url.path
        if path in self.override:
            return self.override[path]()
        if not self._authorized(request):
            return httpx.Response(401, headers={"WWW-Authenticate": self._challenge()})
        if path == "/v2/":
            return httpx.Response(200, json={})
        return self._content(path, request)

    def _content(self, path: str, request: httpx.Request) -> httpx.Response:
        _, _, repo_kind, ref = path.rsplit("/", 3)
        if repo_kind == "manifests":
            digest = self.image.tags.get(ref, ref)
            if digest in self.image.manifests:
                body = self.image.manifests[digest]
                mt = json.loads(body)["mediaType"]
                return httpx.Response(200, content=body, headers={
                    "Content-Type": mt, "Docker-Content-Digest": digest})
            return httpx.Response(404, json={"errors": [
                {"code": "MANIFEST_UNKNOWN", "message": "manifest unknown"}]})
        if ref in self.image.blobs:
            return httpx.Response(200, content=self.image.blobs[ref])
        return httpx.Response(404, json={"errors": [{"code": "BLOB_UNKNOWN",
                                                     "message": "blob unknown"}]})

    def _challenge(self) -> str:
        if self.auth == "basic":
            return 'Basic realm="fake"'
        return ('Bearer realm="https://auth.test/token",service="fake.test",'
                'scope="repository:team/app:pull"')

    def _authorized(self, request: httpx.Request) -> bool:
        got: str | None = request.headers.get("authorization")
        if self.auth == "basic":
            return got == basic("alice", "s3cret")
        return self.auth == "none" or got == "Bearer tok-123"

    def _token(self, request: httpx.Request) -> httpx.Response:
        if request.headers.get("authorization") != basic("alice", "s3cret"):
            return httpx.Response(401)
        assert request.url.params["scope"] == "repository:team/app:pull"
        assert request.url.params["service"] == "fake.test"
        return httpx.Response(200, json={self.token_key: "tok-123"})


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


PASSWORD = "s3cret"


def auth_file(tmp_path: Path, host: str = "fake.test", password: str = PASSWORD) -> str:
    path = tmp_path / "auth.json"
    token = base64.b64encode(f"alice:{password}".encode()).decode()
    path.write_text(json.dumps({"auths": {host: {"auth": token}}}))
    return str(path)


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No real auth files, no real back-off sleeps."""
    for var in ("REGISTRY_AUTH_FILE", "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME", "DOCKER_CONFIG"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setattr(registry, "BACKOFF", 0.0)


def open_source(fake: FakeRegistry, ref: str = "docker://fake.test/team/app:1",
                platform: str | None = None, insecure: bool = False,
                authfile: str | None = None, transport: httpx.BaseTransport | None = None
                ) -> RegistrySource:
    return RegistrySource(parse_reference(ref), platform, insecure=insecure, auth_file=authfile,
                          transport=transport or httpx.MockTransport(fake))


def packages(source: RegistrySource) -> list[str]:
    result = analyze_layer(source, source.info().layers[0], (DpkgCataloger(),), Limits())
    return sorted(f"{p.name}={p.version}" for r in result.records for p in r.packages)


def test_pull_by_tag_lists_the_layer_packages() -> None:
    fake = FakeRegistry(single())
    source = open_source(fake)
    info = source.info()
    assert info.manifest_digest == fake.image.tags["1"]
    assert info.repo_tags == ("fake.test/team/app:1",)
    assert info.repo_digests == (f"fake.test/team/app@{info.manifest_digest}",)
    assert packages(source) == ["hello=2.10-3", "libfoo1=1.2-1"]
    source.close()
    manifest_get = next(r for r in fake.log if r.url.path.endswith("/manifests/1"))
    assert set(manifest_get.headers["accept"].split(", ")) == {
        mediatypes.OCI_MANIFEST, mediatypes.OCI_INDEX, mediatypes.DOCKER_MANIFEST,
        mediatypes.DOCKER_LIST}
    assert all(r.url.scheme == "https" for r in fake.log)


def test_pull_by_digest() -> None:
    fake = FakeRegistry(single())
    digest = fake.image.tags["1"]
    source = open_source(fake, f"docker://fake.test/team/app@{digest}")
    assert source.info().manifest_digest == digest
    assert packages(source) == ["hello=2.10-3", "libfoo1=1.2-1"]
    assert any(r.url.path == f"/v2/team/app/manifests/{digest}" for r in fake.log)


def test_index_picks_the_requested_platform() -> None:
    img = Image()
    amd, amd_body = img.add_manifest(STATUS, "amd64")
    arm, arm_body = img.add_manifest("Package: armonly\nStatus: install ok installed\n"
                                     "Version: 9\nArchitecture: arm64\n", "arm64")
    index = json.dumps({"schemaVersion": 2, "mediaType": mediatypes.OCI_INDEX, "manifests": [
        {"mediaType": mediatypes.OCI_MANIFEST, "digest": d, "size": len(b),
         "platform": {"os": "linux", "architecture": a}}
        for d, b, a in ((amd, amd_body, "amd64"), (arm, arm_body, "arm64"))]}).encode()
    img.manifests[sha(index)] = index
    img.tags["multi"] = sha(index)
    source = open_source(FakeRegistry(img), "docker://fake.test/team/app:multi", "linux/arm64")
    assert source.info().manifest_digest == arm
    assert source.info().architecture == "arm64"
    assert packages(source) == ["armonly=9"]


def test_docker_content_digest_header_must_match_the_body() -> None:
    fake = FakeRegistry(single())
    body = fake.image.manifests[fake.image.tags["1"]]
    fake.override["/v2/team/app/manifests/1"] = lambda: httpx.Response(200, content=body, headers={
        "Docker-Content-Digest": sha(b"something else")})
    with pytest.raises(DigestMismatchError, match="Docker-Content-Digest"):
        open_source(fake)


def test_manifest_by_digest_with_other_bytes_is_a_mismatch() -> None:
    fake = FakeRegistry(single())
    digest = fake.image.tags["1"]
    other = fake.image.manifests[digest].replace(b'"schemaVersion": 2', b'"schemaVersion":  2')
    fake.override[f"/v2/team/app/manifests/{digest}"] = lambda: httpx.Response(200, content=other)
    with pytest.raises(DigestMismatchError) as err:
        open_source(fake, f"docker://fake.test/team/app@{digest}")
    assert err.value.expected == digest
    assert err.value.actual == sha(other)


def test_hostile_config_blob_is_a_mismatch_naming_the_blob() -> None:
    fake = FakeRegistry(single())
    config = json.loads(fake.image.manifests[fake.image.tags["1"]])["config"]["digest"]
    fake.override[f"/v2/team/app/blobs/{config}"] = lambda: httpx.Response(200, json={"os": "x"})
    with pytest.raises(DigestMismatchError, match=config):
        open_source(fake)


def test_hostile_layer_blob_is_a_mismatch_naming_the_blob() -> None:
    """A valid gzip tar, just not the one asked for: caught when the stream ends."""
    fake = FakeRegistry(single())
    source = open_source(fake)
    other, _ = layer_blob({"var/lib/dpkg/status": b"Package: evil\nVersion: 1\n"})

    fake.override[f"/v2/team/app/blobs/{fake.image.layer}"] = lambda: httpx.Response(
        200, content=other)
    with pytest.raises(DigestMismatchError, match=fake.image.layer):
        packages(source)


def test_endless_layer_stops_at_the_descriptor_size() -> None:
    fake = FakeRegistry(single())
    source = open_source(fake)

    def endless() -> Iterator[bytes]:
        while True:
            yield b"\0" * 65536

    fake.override[f"/v2/team/app/blobs/{fake.image.layer}"] = lambda: httpx.Response(
        200, content=endless())
    with source.open_layer(source.info().layers[0]) as stream, \
            pytest.raises(DigestMismatchError, match="more than the descriptor's"):
        stream.read()


def test_layer_of_another_length_is_refused_before_streaming() -> None:
    fake = FakeRegistry(single())
    source = open_source(fake)
    layer = source.info().layers[0]
    fake.override[f"/v2/team/app/blobs/{layer.digest}"] = lambda: httpx.Response(
        200, content=fake.image.blobs[layer.digest] + b"tail")
    with pytest.raises(DigestMismatchError, match=f"a blob of {layer.size + 4} bytes"):
        source.open_layer(layer)


def test_endless_manifest_stops_at_the_cap() -> None:
    def endless() -> Iterator[bytes]:
        while True:
            yield b" " * 65536

    fake = FakeRegistry(single())
    fake.override["/v2/team/app/manifests/1"] = lambda: httpx.Response(200, content=endless())
    with pytest.raises(InputError, match=f"larger than {mediatypes.MAX_MANIFEST_BYTES}"):
        open_source(fake)


@pytest.mark.parametrize("key", ["token", "access_token"])
def test_bearer_token_with_credentials_from_the_auth_file(tmp_path: Path, key: str) -> None:
    fake = FakeRegistry(single(), auth="bearer", token_key=key)
    source = open_source(fake, authfile=auth_file(tmp_path))
    assert packages(source) == ["hello=2.10-3", "libfoo1=1.2-1"]
    assert sum(r.url.host == "auth.test" for r in fake.log) == 1  # the token is reused
    unauthorized = [r for r in fake.log if r.url.host == "fake.test"
                    and "authorization" not in r.headers]
    assert [r.url.path for r in unauthorized] == ["/v2/", "/v2/team/app/manifests/1"]


def test_bearer_token_refused_without_credentials() -> None:
    with pytest.raises(RegistryError, match="token request refused: HTTP 401"):
        open_source(FakeRegistry(single(), auth="bearer"))


def test_basic_auth(tmp_path: Path) -> None:
    source = open_source(FakeRegistry(single(), auth="basic"), authfile=auth_file(tmp_path))
    assert packages(source) == ["hello=2.10-3", "libfoo1=1.2-1"]


def test_basic_auth_wrong_password_and_no_password(tmp_path: Path) -> None:
    fake = FakeRegistry(single(), auth="basic")
    with pytest.raises(RegistryError, match="HTTP 401") as err:
        open_source(fake, authfile=auth_file(tmp_path, password="wrong"))
    assert err.value.hint and "authfile" in err.value.hint
    with pytest.raises(RegistryError, match="requires a login"):
        open_source(fake)


def test_auth_file_from_registry_auth_file_env(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REGISTRY_AUTH_FILE", auth_file(tmp_path))
    assert open_source(FakeRegistry(single(), auth="basic")).info().layers


def test_credentials_never_go_to_a_plain_http_realm(tmp_path: Path) -> None:
    fake = FakeRegistry(single(), auth="bearer")
    fake.override["/v2/team/app/manifests/1"] = lambda: httpx.Response(401, headers={
        "WWW-Authenticate": 'Bearer realm="http://auth.test/token",service="fake.test"'})
    with pytest.raises(RegistryError, match="plain HTTP"):
        open_source(fake, authfile=auth_file(tmp_path))


def test_retries_5xx_then_succeeds() -> None:
    fake = FakeRegistry(single(), failures=2)
    assert open_source(fake).info().manifest_digest == fake.image.tags["1"]
    assert [r.url.path for r in fake.log[:3]] == ["/v2/"] * 3


def test_gives_up_after_bounded_retries() -> None:
    fake = FakeRegistry(single(), failures=100)
    with pytest.raises(RegistryError, match="HTTP 503"):
        open_source(fake)
    assert len(fake.log) == registry.RETRIES


def test_missing_manifest_reports_the_registry_error() -> None:
    with pytest.raises(RegistryError, match="MANIFEST_UNKNOWN: manifest unknown"):
        open_source(FakeRegistry(single()), "docker://fake.test/team/app:nope")


def test_schema1_is_refused_clearly() -> None:
    fake = FakeRegistry(single())
    fake.override["/v2/team/app/manifests/1"] = lambda: httpx.Response(
        200, json={"schemaVersion": 1, "fsLayers": []})
    with pytest.raises(InputError, match="schema 1"):
        open_source(fake)


def _https_refused(fake: FakeRegistry) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.scheme == "https":
            raise httpx.ConnectError("[SSL: WRONG_VERSION_NUMBER] wrong version number")
        return fake(request)

    return httpx.MockTransport(handler)


def test_plain_http_registry_needs_insecure() -> None:
    fake = FakeRegistry(single())
    with pytest.raises(RegistryError, match=re.escape("cannot use https://fake.test/v2/")) as err:
        open_source(fake, transport=_https_refused(fake))
    assert err.value.hint and "--insecure-registry" in err.value.hint
    assert fake.log == []  # never fell back to http on its own


def test_insecure_falls_back_to_plain_http() -> None:
    fake = FakeRegistry(single())
    source = open_source(fake, insecure=True, transport=_https_refused(fake))
    assert packages(source) == ["hello=2.10-3", "libfoo1=1.2-1"]
    assert {r.url.scheme for r in fake.log} == {"http"}


def test_insecure_reports_both_schemes_when_neither_works() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"refused {request.url.scheme}")

    with pytest.raises(RegistryError, match="refused https.* nor http://fake.test/v2/ "
                       r"\(ConnectError: refused http\)"):
        open_source(FakeRegistry(single()), insecure=True, transport=httpx.MockTransport(refuse))


def test_docker_hub_names_use_the_hub_api_host() -> None:
    fake = FakeRegistry(single())
    fake.image.tags["latest"] = fake.image.tags["1"]
    source = open_source(fake, "docker://busybox")
    assert {r.url.host for r in fake.log} == {"registry-1.docker.io"}
    assert fake.log[-1].url.path == "/v2/library/busybox/blobs/" + \
        json.loads(fake.image.manifests[fake.image.tags["1"]])["config"]["digest"]
    assert source.info().repo_tags == ("docker.io/library/busybox:latest",)


# --- credentials and challenges (registry_auth) -------------------------------------------

def _auths(path: Path, auths: dict[str, object]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"auths": auths}))
    return path


def _entry(user: str, password: str = PASSWORD) -> dict[str, str]:
    return {"auth": base64.b64encode(f"{user}:{password}".encode()).decode()}


def test_credentials_file_precedence(tmp_path: Path) -> None:
    home = tmp_path / "home"
    docker = _auths(home / ".docker" / "config.json", {"r.test": _entry("docker")})
    _auths(tmp_path / "run" / "containers" / "auth.json", {"r.test": _entry("runtime")})
    env_file = _auths(tmp_path / "env.json", {"r.test": _entry("env")})
    flag = _auths(tmp_path / "flag.json", {"r.test": _entry("flag")})
    env = {"REGISTRY_AUTH_FILE": str(env_file), "XDG_RUNTIME_DIR": str(tmp_path / "run")}

    def user(authfile: str | None, env: dict[str, str]) -> str | None:
        creds = find_credentials("r.test", "a/b", authfile, env=env, home=home)
        return creds.username if creds else None

    assert user(str(flag), env) == "flag"
    assert user(None, env) == "env"
    assert user(None, {"XDG_RUNTIME_DIR": env["XDG_RUNTIME_DIR"]}) == "runtime"
    assert user(None, {}) == "docker"
    assert user(None, {"DOCKER_CONFIG": str(tmp_path / "none")}) is None
    # a file without an entry for the registry does not stop the search
    assert user(str(_auths(tmp_path / "other.json", {"x.test": _entry("x")})), {}) == "docker"
    docker.unlink()
    assert user(None, {}) is None


def test_credentials_key_forms(tmp_path: Path) -> None:
    path = _auths(tmp_path / "a.json", {
        "r.test": _entry("host"), "r.test/team": _entry("namespace"),
        "r.test/team/app": _entry("repo"), "https://index.docker.io/v1/": _entry("hub"),
        "http://old.test/v2/": _entry("url"), "tok.test": {"identitytoken": "x"}})

    def user(registry: str, repository: str) -> str | None:
        creds = find_credentials(registry, repository, str(path), env={}, home=tmp_path)
        return creds.username if creds else None

    assert user("r.test", "team/app") == "repo"
    assert user("r.test", "team/other") == "namespace"
    assert user("r.test", "else/x") == "host"
    assert user("docker.io", "library/busybox") == "hub"
    assert user("old.test", "x") == "url"
    assert user("tok.test", "x") is None  # identitytoken entries are out of scope


def test_credentials_password_may_contain_colons(tmp_path: Path) -> None:
    path = _auths(tmp_path / "a.json", {"r.test": _entry("u", "p:a:ss")})
    creds = find_credentials("r.test", "x", str(path), env={}, home=tmp_path)
    assert creds is not None and (creds.username, creds.password) == ("u", "p:a:ss")


def test_bad_auth_files(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="not accessible"):
        find_credentials("r.test", "x", str(tmp_path / "missing.json"), env={}, home=tmp_path)
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    with pytest.raises(InputError, match="malformed auth file"):
        find_credentials("r.test", "x", str(broken), env={}, home=tmp_path)
    bad = _auths(tmp_path / "bad.json", {"r.test": {"auth": "bm9jb2xvbg=="}})  # "nocolon"
    with pytest.raises(InputError, match="USER:PASSWORD"):
        find_credentials("r.test", "x", str(bad), env={}, home=tmp_path)


def test_parse_challenges() -> None:
    got = parse_challenges([
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",'
        'scope="repository:library/alpine:pull"',
        'Basic realm="say \\"hi\\", please"', "Negotiate"])
    assert [c.scheme for c in got] == ["bearer", "basic", "negotiate"]
    assert got[0].get("realm") == "https://auth.docker.io/token"
    assert got[0].get("scope") == "repository:library/alpine:pull"
    assert got[1].get("realm") == 'say "hi", please'
    assert parse_challenges(['Bearer realm=https://a.test/t, service=s'])[0].params == (
        ("realm", "https://a.test/t"), ("service", "s"))

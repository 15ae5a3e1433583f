"""``docker://HOST[:PORT]/REPO[:TAG|@DIGEST]`` — an image pulled from a registry (API v2).

Like skopeo (containers/image): HTTPS with certificate verification against the system
trust store; with ``insecure`` TLS is not verified and plain HTTP is tried when HTTPS
fails. localhost and 127.0.0.1 get no exception (the Docker daemon's implicit
"insecure 127.0.0.0/8" is a daemon setting skopeo does not share). Every manifest and
blob is checked against its digest; layers are streamed and checked when they end.
"""

from __future__ import annotations

import hashlib
import io
import json
import ssl
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import BinaryIO

import httpx

from ringfence.errors import DigestMismatchError, InputError, RegistryError, UsageError
from ringfence.image import manifest as mf
from ringfence.image import mediatypes
from ringfence.image.registry_auth import NO_CREDENTIALS_HINT, Authenticator
from ringfence.model.image import ImageInfo, ImageRef, LayerInfo

TIMEOUT = httpx.Timeout(60.0, connect=10.0)
RETRIES = 3  # attempts per request on 5xx, 429 and connection errors
BACKOFF = 0.2  # seconds, doubled per attempt
CHUNK = 1 << 20
INSECURE_HINT = "if the registry serves plain HTTP or an untrusted certificate, " \
                "pass --insecure-registry"
SCHEMA1 = ("application/vnd.docker.distribution.manifest.v1+json",
           "application/vnd.docker.distribution.manifest.v1+prettyjws")


def api_host(registry: str) -> str:
    return "registry-1.docker.io" if registry == "docker.io" else registry


class RegistryClient:
    """HTTP for one repository: scheme detection, retries, 401 answers, error messages."""

    def __init__(self, ref: ImageRef, *, insecure: bool, auth_file: str | None,
                 transport: httpx.BaseTransport | None = None,
                 timeout: httpx.Timeout = TIMEOUT, retries: int = RETRIES) -> None:
        self.subject = str(ref)
        self.repository = str(ref.repository)
        self.retries = max(1, retries)
        self.auth = Authenticator(str(ref.registry), self.repository, auth_file, insecure)
        verify: ssl.SSLContext | bool = False if insecure else ssl.create_default_context()
        self.http = httpx.Client(transport=transport, timeout=timeout, verify=verify,
                                 follow_redirects=True,
                                 headers={"Accept-Encoding": "identity",
                                          "User-Agent": "ringfence"})
        try:
            self.base = self._detect_base(api_host(str(ref.registry)), insecure)
        except BaseException:
            self.http.close()
            raise

    def close(self) -> None:
        self.http.close()

    def _detect_base(self, host: str, insecure: bool) -> str:
        try:
            return self._ping(f"https://{host}")
        except RegistryError as exc:
            if not insecure:
                raise RegistryError(self.subject, f"cannot use https://{host}/v2/: "
                                    f"{exc.message}", hint=INSECURE_HINT) from exc
            https_failure = exc.message
        try:
            return self._ping(f"http://{host}")
        except RegistryError as exc:
            raise RegistryError(self.subject, f"cannot use https://{host}/v2/ "
                                f"({https_failure}) nor http://{host}/v2/ ({exc.message})"
                                ) from exc

    def _ping(self, base: str) -> str:
        response = self.send(self.http.build_request("GET", f"{base}/v2/"), stream=False)
        if response.status_code not in (200, 401):
            raise RegistryError(f"{base}/v2/", f"not a registry: HTTP {response.status_code}")
        return base

    def send(self, request: httpx.Request, *, stream: bool = False) -> httpx.Response:
        """Send with bounded retries on connection errors, 5xx and 429."""
        for attempt in range(self.retries):
            last = attempt + 1 == self.retries
            try:
                response = self.http.send(request, stream=stream)
            except httpx.TransportError as exc:
                if last or _tls_failure(exc):
                    raise RegistryError(str(request.url), _describe(exc)) from exc
            else:
                if last or not (response.status_code >= 500 or response.status_code == 429):
                    return response
                response.close()
            time.sleep(BACKOFF * 2**attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    def get(self, path: str, accept: str | None = None) -> httpx.Response:
        """A streamed 200 response for ``/v2/<repo>/<path>``; anything else is an error."""
        url = f"{self.base}/v2/{self.repository}/{path}"
        used = self.auth.header()
        response = self.send(self._request(url, accept, used), stream=True)
        if response.status_code == 401:
            response.close()
            used = self.auth.answer(response, self.send, used)
            response = self.send(self._request(url, accept, used), stream=True)
        if response.status_code != 200:
            raise self._status_error(response, path)
        return response

    def _request(self, url: str, accept: str | None, auth: str | None) -> httpx.Request:
        headers = {k: v for k, v in (("Accept", accept), ("Authorization", auth)) if v}
        return self.http.build_request("GET", url, headers=headers)

    def _status_error(self, response: httpx.Response, path: str) -> RegistryError:
        try:
            detail = _registry_errors(read_capped(response, 64 << 10, self.subject,
                                                  truncate=True))
        finally:
            response.close()
        code = response.status_code
        hint = NO_CREDENTIALS_HINT if code in (401, 403) else None
        return RegistryError(self.subject, f"GET {path}: HTTP {code}{detail}", hint=hint)


def _tls_failure(exc: BaseException) -> bool:
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLError):
            return True
        cause = cause.__cause__ or cause.__context__
    return False


def _describe(exc: httpx.TransportError) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _registry_errors(body: bytes) -> str:
    """The ``errors[].code/message`` of a Distribution error body, when there is one."""
    try:
        errors = json.loads(body).get("errors") or []
        text = "; ".join(f"{e.get('code')}: {e.get('message')}" for e in errors)
    except (ValueError, AttributeError, TypeError):
        return ""
    return f" ({text})" if text else ""


def read_capped(response: httpx.Response, limit: int, subject: str,
                truncate: bool = False) -> bytes:
    """Read the raw body, refusing (or cutting, for error bodies) past ``limit`` bytes."""
    chunks, size = [], 0
    try:
        for chunk in response.iter_raw(CHUNK):
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                if truncate:
                    break
                raise InputError(subject, f"larger than {limit} bytes")
    except httpx.TransportError as exc:
        raise RegistryError(subject, f"transfer failed: {_describe(exc)}") from exc
    return b"".join(chunks)[:limit]


class BlobStream(io.RawIOBase):
    """A streamed blob that fails with DigestMismatchError when its bytes end wrongly."""

    def __init__(self, response: httpx.Response, digest: str, subject: str,
                 size: int | None) -> None:
        self._response = response
        self._chunks: Iterator[bytes] = response.iter_raw(CHUNK)
        self._pending = b""
        self._hash = hashlib.new(digest.partition(":")[0])
        self._digest, self._subject, self._size, self._count = digest, subject, size, 0

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray | memoryview) -> int:  # type: ignore[override]
        if not self._pending:
            self._pending = self._next()
        n = min(len(b), len(self._pending))
        b[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n

    def _next(self) -> bytes:
        try:
            chunk = next(self._chunks, b"")
        except httpx.TransportError as exc:
            raise RegistryError(self._subject, f"transfer failed: {_describe(exc)}") from exc
        self._count += len(chunk)
        self._hash.update(chunk)
        if self._size is not None and self._count > self._size:
            raise DigestMismatchError(self._subject, self._digest,
                                      f"more than the descriptor's {self._size} bytes")
        if not chunk:
            actual = f"{self._digest.partition(':')[0]}:{self._hash.hexdigest()}"
            if actual != self._digest:
                raise DigestMismatchError(self._subject, self._digest, actual)
        return chunk

    def close(self) -> None:
        self._response.close()
        super().close()


class RegistryBlobStore:
    """``/v2/<repo>/blobs/<digest>`` or ``/v2/<repo>/manifests/<digest>``, verified."""

    def __init__(self, client: RegistryClient, kind: str) -> None:
        self.client = client
        self.kind = kind
        self.accept = mediatypes.ACCEPT if kind == "manifests" else None
        self.known: dict[str, bytes] = {}  # manifests already fetched and verified

    def _subject(self, digest: str) -> str:
        return f"{self.client.subject} {self.kind[:-1]} {digest}"

    def open(self, digest: str, size: int | None = None) -> BinaryIO:
        subject = self._subject(digest)
        _check_digest(digest, subject)
        response = self.client.get(f"{self.kind}/{digest}", self.accept)
        length = response.headers.get("content-length")
        if size is not None and length is not None and length != str(size):
            response.close()
            raise DigestMismatchError(subject, digest, f"a blob of {length} bytes, not {size}")
        return BlobStream(response, digest, subject, size)  # type: ignore[return-value]

    def read(self, digest: str, limit: int) -> bytes:
        if digest in self.known:
            return self.known[digest]
        _check_digest(digest, self._subject(digest))
        response = self.client.get(f"{self.kind}/{digest}", self.accept)
        try:
            data = read_capped(response, limit, self._subject(digest))
        finally:
            response.close()
        mf.verify_bytes(data, digest, self._subject(digest))
        return data


def _check_digest(digest: str, subject: str) -> None:
    algo, _, hexd = digest.partition(":")
    if algo not in ("sha256", "sha512") or not hexd.isalnum():
        raise InputError(subject, f"unsupported or invalid digest {digest!r}")


class RegistrySource:
    """An image in a registry; metadata is fetched on open, layers are streamed on demand."""

    def __init__(self, ref: ImageRef, platform: str | None, *, insecure: bool,
                 auth_file: str | None, transport: httpx.BaseTransport | None = None,
                 timeout: httpx.Timeout = TIMEOUT, retries: int = RETRIES) -> None:
        if ref.transport != "docker" or not ref.registry or not ref.repository:
            raise UsageError(str(ref), "not a docker:// reference")
        self.client = RegistryClient(ref, insecure=insecure, auth_file=auth_file,
                                     transport=transport, timeout=timeout, retries=retries)
        try:
            self.blobs = RegistryBlobStore(self.client, "blobs")
            self._info = self._load(ref, platform)
        except BaseException:
            self.client.close()
            raise

    def _load(self, ref: ImageRef, platform: str | None) -> ImageInfo:
        manifests = RegistryBlobStore(self.client, "manifests")
        digest, media_type = fetch_top_manifest(manifests, ref)
        desc = {"digest": digest, "mediaType": media_type}
        mdigest, manifest = mf.resolve_manifest(manifests, desc, platform, str(ref))
        name = f"{ref.registry}/{ref.repository}"
        tags = (f"{name}:{ref.tag}",) if ref.tag else ()
        info = mf.image_info(self.blobs, mdigest, manifest, str(ref), "docker", tags,
                             wanted_platform=platform)
        return replace(info, repo_digests=(f"{name}@{mdigest}",))

    def info(self) -> ImageInfo:
        return self._info

    def open_layer(self, layer: LayerInfo) -> BinaryIO:
        return self.blobs.open(layer.digest, layer.size or None)

    def blob_identity(self, layer: LayerInfo) -> str | None:
        # No local file: a cached result for a registry blob is only used after the blob
        # was downloaded and hashed in this run (scan.py), never on the registry's word.
        return None

    def close(self) -> None:
        self.client.close()


def fetch_top_manifest(store: RegistryBlobStore, ref: ImageRef) -> tuple[str, str | None]:
    """GET the manifest by digest (verified) or by tag (Docker-Content-Digest checked);
    remember its bytes in ``store`` and return (digest, media type)."""
    target = ref.digest or str(ref.tag)
    subject = f"{store.client.subject} manifest"
    if ref.digest:
        _check_digest(ref.digest, subject)
    response = store.client.get(f"manifests/{target}", mediatypes.ACCEPT)
    try:
        data = read_capped(response, mediatypes.MAX_MANIFEST_BYTES, subject)
        media_type = response.headers.get("content-type", "").partition(";")[0].strip()
        header = response.headers.get("docker-content-digest")
    finally:
        response.close()
    digest = ref.digest or f"sha256:{hashlib.sha256(data).hexdigest()}"
    mf.verify_bytes(data, digest, subject)
    if not ref.digest and header and header.startswith("sha256:") and header != digest:
        raise DigestMismatchError(f"{subject} (Docker-Content-Digest)", header, digest)
    if media_type in SCHEMA1 or mf.load_json(data, subject).get("schemaVersion") == 1:
        raise InputError(subject, "Docker schema 1 manifests are not supported",
                         hint="re-push the image with a current client (schema 2 / OCI)")
    store.known[digest] = data
    return digest, media_type or None


# --- writing (signature attachments); used by ringfence.trust ---------------------------

def registry_request(client: RegistryClient, method: str, path: str, *,
                     content: bytes | None = None,
                     headers: dict[str, str] | None = None,
                     stream: bool = False) -> httpx.Response:
    """One request to ``/v2/<repo>/<path>`` (or an absolute/rooted URL from a Location
    header) with the client's credentials; 401 is answered once; any status is returned.
    ``stream``: the body is not read (the caller reads it capped, then closes)."""
    if "://" in path:
        url = path
    elif path.startswith("/"):
        url = f"{client.base}{path}"
    else:
        url = f"{client.base}/v2/{client.repository}/{path}"

    def build(auth: str | None) -> httpx.Request:
        extra = dict(headers or {})
        if auth:
            extra["Authorization"] = auth
        return client.http.build_request(method, url, content=content, headers=extra)

    used = client.auth.header()
    response = client.send(build(used), stream=stream)
    if response.status_code == 401:
        response.close()
        used = client.auth.answer(response, client.send, used)
        response = client.send(build(used), stream=stream)
    return response


def fetch_optional_manifest(client: RegistryClient, reference: str,
                            limit: int = mediatypes.MAX_MANIFEST_BYTES) -> bytes | None:
    """The manifest at a tag or digest, or None when the registry answers 404."""
    subject = f"{client.subject} manifest {reference}"
    response = registry_request(client, "GET", f"manifests/{reference}",
                                headers={"Accept": mediatypes.ACCEPT}, stream=True)
    try:
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            body = read_capped(response, 64 << 10, subject, truncate=True)
            raise RegistryError(client.subject, f"GET manifests/{reference}: HTTP "
                                f"{response.status_code}{_registry_errors(body)}")
        return read_capped(response, limit, subject)  # never more than limit in memory
    finally:
        response.close()


def push_blob(client: RegistryClient, data: bytes) -> str:
    """Upload ``data`` as a blob (monolithic POST + PUT) unless present; return its digest."""
    digest = f"sha256:{hashlib.sha256(data).hexdigest()}"
    if registry_request(client, "HEAD", f"blobs/{digest}").status_code == 200:
        return digest
    start = registry_request(client, "POST", "blobs/uploads/")
    location = start.headers.get("location")
    if start.status_code != 202 or not location:
        raise RegistryError(client.subject, f"blob upload refused: HTTP {start.status_code}")
    sep = "&" if "?" in location else "?"
    put = registry_request(client, "PUT", f"{location}{sep}digest={digest}", content=data,
                           headers={"Content-Type": "application/octet-stream"})
    if put.status_code != 201:
        raise RegistryError(client.subject, f"blob upload failed: HTTP {put.status_code}")
    return digest


def push_manifest(client: RegistryClient, reference: str, data: bytes, media_type: str) -> None:
    put = registry_request(client, "PUT", f"manifests/{reference}", content=data,
                           headers={"Content-Type": media_type})
    if put.status_code != 201:
        raise RegistryError(client.subject, f"PUT manifests/{reference}: HTTP "
                            f"{put.status_code}{_registry_errors(put.content[:65536])}")

"""Digest verification, each check alone (bench/mutation.py `digests`): registry blobs and
manifests served by an in-process registry (httpx.MockTransport) whose bytes, lengths or
headers lie one at a time; the streaming layer hasher; and the layer cache, which must
never hand out a result for bytes it did not see hashed. Expected digests come from
hashlib over the raw bytes the fake registry serves, never from ringfence."""

from __future__ import annotations

import hashlib
import io
import json
import os
import sqlite3
import zlib
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from ringfence.cache.layer_cache import LayerCache, default_dir, variant_key
from ringfence.errors import (
    DigestMismatchError,
    InputError,
    LimitExceededError,
    RegistryError,
)
from ringfence.image import manifest as mf
from ringfence.image.reference import parse_reference
from ringfence.image.registry import (
    BlobStream,
    RegistryBlobStore,
    RegistryClient,
    fetch_top_manifest,
)
from ringfence.layers.result import LayerResult
from ringfence.layers.streams import Budget, HashingReader

REPO = "registry.invalid/team/app"
BLOB = b"layer bytes " * 1000
LIAR = b"LAYER BYTES " * 1000  # same length, other bytes


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def sha512(data: bytes) -> str:
    return "sha512:" + hashlib.sha512(data).hexdigest()


Handler = Callable[[httpx.Request], httpx.Response]


def _client(handler: Handler, ref: str = REPO + ":1") -> RegistryClient:
    def route(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v2/":
            return httpx.Response(200)
        return handler(request)
    return RegistryClient(parse_reference(ref), insecure=False, auth_file=None,
                          transport=httpx.MockTransport(route), retries=1)


def _serving(body: bytes | Iterator[bytes], headers: dict[str, str] | None = None,
             seen: list[str] | None = None) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request.url.path)
        return _response(body, headers)
    return handler


class _Chunks(httpx.SyncByteStream):
    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        yield from self._chunks


def _response(body: bytes | Iterator[bytes], headers: dict[str, str] | None = None
              ) -> httpx.Response:
    """Served as a network would: a stream not yet read (bytes also set Content-Length)."""
    if isinstance(body, bytes):
        headers = {"Content-Length": str(len(body)), **(headers or {})}
        return httpx.Response(200, headers=headers, stream=httpx.ByteStream(body))
    return httpx.Response(200, headers=headers or {}, stream=_Chunks(body))


def _read_all(stream: io.RawIOBase | object, size: int = 7) -> bytes:
    out = bytearray()
    buf = bytearray(size)
    while True:
        n = stream.readinto(buf)  # type: ignore[attr-defined]
        if not n:
            return bytes(out)
        out += buf[:n]


# --- registry blobs ----------------------------------------------------------------------

@pytest.mark.parametrize("digest_of", [sha256, sha512])
def test_blob_stream_passes_the_right_bytes_in_small_reads(
        digest_of: Callable[[bytes], str]) -> None:
    seen: list[str] = []
    store = RegistryBlobStore(_client(_serving(BLOB, seen=seen)), "blobs")
    stream = store.open(digest_of(BLOB), len(BLOB))
    assert stream.readable()
    assert _read_all(stream) == BLOB
    assert seen == [f"/v2/team/app/blobs/{digest_of(BLOB)}"]


def test_blob_stream_refuses_same_length_lying_bytes_at_the_end() -> None:
    store = RegistryBlobStore(_client(_serving(LIAR)), "blobs")
    stream = store.open(sha256(BLOB), len(BLOB))
    with pytest.raises(DigestMismatchError) as exc:
        _read_all(stream, 4096)
    assert exc.value.expected == sha256(BLOB) and exc.value.actual == sha256(LIAR)
    assert f"blob {sha256(BLOB)}" in exc.value.subject
    store512 = RegistryBlobStore(_client(_serving(LIAR)), "blobs")
    with pytest.raises(DigestMismatchError) as exc:
        _read_all(store512.open(sha512(BLOB), None), 4096)
    assert exc.value.actual == sha512(LIAR)


def test_blob_stream_longer_than_its_descriptor_is_refused_before_the_end() -> None:
    chunks = [BLOB, b"x"]
    store = RegistryBlobStore(_client(_serving(iter(chunks))), "blobs")
    stream = store.open(sha256(BLOB + b"x"), None)  # no size: only the digest decides
    assert _read_all(stream, 1 << 16) == BLOB + b"x"
    # the declared size is exact: one byte more is refused even with the right digest
    stream = BlobStream(_response(iter(chunks)), sha256(BLOB + b"x"),
                        "blob", len(BLOB))
    with pytest.raises(DigestMismatchError) as exc:
        _read_all(stream, 1 << 16)
    assert exc.value.actual == f"more than the descriptor's {len(BLOB)} bytes"
    exact = BlobStream(_response(iter(chunks)), sha256(BLOB + b"x"),
                       "blob", len(BLOB) + 1)
    assert _read_all(exact, 1 << 16) == BLOB + b"x"


def test_blob_content_length_that_differs_from_the_descriptor() -> None:
    def lying(request: httpx.Request) -> httpx.Response:
        return _response(iter([BLOB]), {"Content-Length": str(len(BLOB) + 1)})
    store = RegistryBlobStore(_client(lying), "blobs")
    with pytest.raises(DigestMismatchError) as exc:
        store.open(sha256(BLOB), len(BLOB))
    assert exc.value.actual == f"a blob of {len(BLOB) + 1} bytes, not {len(BLOB)}"
    assert exc.value.expected == sha256(BLOB)
    assert "blob " + sha256(BLOB) in exc.value.subject
    # without a descriptor size the header is not compared (the digest still is)
    assert _read_all(store.open(sha256(BLOB), None), 1 << 16) == BLOB
    honest = RegistryBlobStore(_client(_serving(BLOB)), "blobs")  # Content-Length set
    assert _read_all(honest.open(sha256(BLOB), len(BLOB)), 1 << 16) == BLOB


def test_transfer_error_mid_blob_is_a_registry_error() -> None:
    def broken() -> Iterator[bytes]:
        yield BLOB[:100]
        raise httpx.ReadError("connection reset")
    store = RegistryBlobStore(_client(_serving(broken())), "blobs")
    stream = store.open(sha256(BLOB), None)
    with pytest.raises(RegistryError) as exc:
        _read_all(stream, 1 << 16)
    assert "transfer failed" in exc.value.message and "blob" in exc.value.subject


def test_closing_a_blob_stream_closes_the_response() -> None:
    response = _response(iter([BLOB]))
    stream = BlobStream(response, sha256(BLOB), "blob", None)
    stream.close()
    assert response.is_closed and stream.closed


@pytest.mark.parametrize("digest", [
    "md5:" + "0" * 32, "sha256:", "sha256:../../etc/passwd", "sha256:ab/cd", "sha1:" + "0" * 40,
    "sha256", "", "sha256:a b"])
def test_invalid_digests_are_refused_before_any_request(digest: str) -> None:
    seen: list[str] = []
    store = RegistryBlobStore(_client(_serving(BLOB, seen=seen)), "blobs")
    with pytest.raises(InputError) as exc:
        store.open(digest, None)
    assert "unsupported or invalid digest" in exc.value.message
    assert exc.value.subject == f"docker://{REPO}:1 blob {digest}"
    with pytest.raises(InputError) as exc:
        store.read(digest, 1 << 20)
    assert exc.value.subject == f"docker://{REPO}:1 blob {digest}"
    assert seen == []


def test_manifest_store_read_verifies_and_caps() -> None:
    doc = json.dumps({"schemaVersion": 2}).encode()
    seen: list[str] = []
    store = RegistryBlobStore(_client(_serving(doc, seen=seen)), "manifests")
    assert store.read(sha256(doc), 1 << 20) == doc
    assert seen == [f"/v2/team/app/manifests/{sha256(doc)}"]
    with pytest.raises(DigestMismatchError) as exc:
        store.read(sha256(doc + b" "), 1 << 20)
    assert exc.value.actual == sha256(doc)
    assert exc.value.subject.endswith(f"manifest {sha256(doc + b' ')}")
    with pytest.raises(InputError, match="larger than 5 bytes") as big:
        store.read(sha256(doc), 5)
    assert big.value.subject == f"docker://{REPO}:1 manifest {sha256(doc)}"
    assert store.read(sha256(doc), len(doc)) == doc  # exactly at the limit
    store.known["sha256:" + "0" * 64] = b"remembered"
    before = len(seen)
    assert store.read("sha256:" + "0" * 64, 1) == b"remembered"  # verified earlier
    assert len(seen) == before


def test_store_kinds_and_accept_headers() -> None:
    accepts: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        accepts.append(request.headers.get("accept"))
        return _response(BLOB)
    client = _client(handler)
    blobs, manifests = RegistryBlobStore(client, "blobs"), RegistryBlobStore(client, "manifests")
    assert blobs.accept is None and manifests.accept
    blobs.read(sha256(BLOB), 1 << 20)
    manifests.read(sha256(BLOB), 1 << 20)
    _read_all(manifests.open(sha256(BLOB), None), 1 << 16)
    assert accepts[0] in (None, "*/*") and accepts[1] == accepts[2] == manifests.accept


# --- top manifest ------------------------------------------------------------------------

MANIFEST = json.dumps({"schemaVersion": 2, "mediaType":
                       "application/vnd.oci.image.manifest.v1+json"}).encode()


def test_top_manifest_by_digest_must_hash_to_it() -> None:
    store = RegistryBlobStore(_client(_serving(MANIFEST)), "manifests")
    ref = parse_reference(f"{REPO}@{sha256(MANIFEST)}")
    assert fetch_top_manifest(store, ref) == (sha256(MANIFEST), None)
    assert store.known == {sha256(MANIFEST): MANIFEST}
    lying = RegistryBlobStore(_client(_serving(MANIFEST + b"\n")), "manifests")
    with pytest.raises(DigestMismatchError) as exc:
        fetch_top_manifest(lying, ref)
    assert exc.value.actual == sha256(MANIFEST + b"\n") and lying.known == {}


def test_top_manifest_by_tag_checks_docker_content_digest() -> None:
    ref = parse_reference(REPO + ":1")
    ctype = {"Content-Type": "application/vnd.oci.image.manifest.v1+json; charset=utf-8"}
    ok = RegistryBlobStore(_client(_serving(MANIFEST, {
        **ctype, "Docker-Content-Digest": sha256(MANIFEST)})), "manifests")
    assert fetch_top_manifest(ok, ref) == (sha256(MANIFEST),
                                           "application/vnd.oci.image.manifest.v1+json")
    liar = RegistryBlobStore(_client(_serving(MANIFEST, {
        "Docker-Content-Digest": sha256(b"other")})), "manifests")
    with pytest.raises(DigestMismatchError) as exc:
        fetch_top_manifest(liar, ref)
    assert exc.value.expected == sha256(b"other") and exc.value.actual == sha256(MANIFEST)
    assert "Docker-Content-Digest" in exc.value.subject and liar.known == {}
    # a header of another algorithm is not comparable: the bytes' own digest is used
    other = RegistryBlobStore(_client(_serving(MANIFEST, {
        "Docker-Content-Digest": sha512(b"x")})), "manifests")
    assert fetch_top_manifest(other, ref)[0] == sha256(MANIFEST)


def test_top_manifest_invalid_digest_and_schema1() -> None:
    seen: list[str] = []
    store = RegistryBlobStore(_client(_serving(MANIFEST, seen=seen)), "manifests")
    ref = parse_reference(f"{REPO}@{sha256(MANIFEST)}")
    with pytest.raises(InputError, match="unsupported or invalid digest"):
        fetch_top_manifest(store, replace(ref, digest="md5:" + "0" * 32))
    assert seen == []
    schema1 = json.dumps({"schemaVersion": 1}).encode()
    s1 = RegistryBlobStore(_client(_serving(schema1)), "manifests")
    with pytest.raises(InputError, match="schema 1"):
        fetch_top_manifest(s1, parse_reference(REPO + ":1"))
    s1m = RegistryBlobStore(_client(_serving(MANIFEST, {
        "Content-Type": "application/vnd.docker.distribution.manifest.v1+prettyjws"})),
        "manifests")
    with pytest.raises(InputError, match="schema 1"):
        fetch_top_manifest(s1m, parse_reference(REPO + ":1"))


@pytest.mark.parametrize("digest_of", [sha256, sha512])
def test_verify_bytes(digest_of: Callable[[bytes], str]) -> None:
    mf.verify_bytes(BLOB, digest_of(BLOB), "s")
    with pytest.raises(DigestMismatchError) as exc:
        mf.verify_bytes(LIAR, digest_of(BLOB), "s")
    assert (exc.value.subject, exc.value.expected, exc.value.actual) == (
        "s", digest_of(BLOB), digest_of(LIAR))


@pytest.mark.parametrize("digest", ["sha256:", "md5:00", "sha1:" + "0" * 40, "", "sha256"])
def test_verify_bytes_refuses_unsupported_digests(digest: str) -> None:
    with pytest.raises(InputError, match="unsupported digest"):
        mf.verify_bytes(b"", digest, "s")


# --- streaming layer hash ----------------------------------------------------------------

class _ReadOnly:
    """A raw stream with read() only (no readinto)."""

    def __init__(self, data: bytes) -> None:
        self._io = io.BytesIO(data)

    def read(self, n: int = -1) -> bytes:
        return self._io.read(n)


@pytest.mark.parametrize("wrap", [io.BytesIO, _ReadOnly])
def test_hashing_reader_digest_count_and_verify(wrap: Callable[[bytes], object]) -> None:
    reader = HashingReader(wrap(BLOB), "layer")  # type: ignore[arg-type]
    assert reader.readable()
    assert reader.read(100) == BLOB[:100] and reader.count == 100
    reader.verify(sha256(BLOB))  # reads the rest first
    assert reader.count == len(BLOB) and reader.digest() == sha256(BLOB)
    liar = HashingReader(wrap(LIAR), "layer (diffID x)")  # type: ignore[arg-type]
    with pytest.raises(DigestMismatchError) as exc:
        liar.verify(sha256(BLOB))
    assert (exc.value.subject, exc.value.expected, exc.value.actual) == (
        "layer (diffID x)", sha256(BLOB), sha256(LIAR))
    r512 = HashingReader(wrap(BLOB), "l", "sha512")  # type: ignore[arg-type]
    r512.verify(sha512(BLOB))
    assert r512.algorithm == "sha512"


def test_hashing_reader_verify_without_expectation_still_reads_to_the_end() -> None:
    reader = HashingReader(io.BytesIO(BLOB), "layer")
    reader.verify(None)
    assert reader.count == len(BLOB) and reader.digest() == sha256(BLOB)


def test_hashing_reader_limit_is_exact() -> None:
    HashingReader(io.BytesIO(BLOB), "l", limit=len(BLOB)).verify(sha256(BLOB))
    with pytest.raises(LimitExceededError) as exc:
        HashingReader(io.BytesIO(BLOB), "l", limit=len(BLOB) - 1).verify(None)
    assert f"more than {len(BLOB) - 1} bytes" in exc.value.message


def test_hashing_reader_trailing_bytes_cap_is_exact() -> None:
    reader = HashingReader(io.BytesIO(BLOB), "l")
    reader.read(1000)
    reader.verify(sha256(BLOB), max_more=len(BLOB) - 1000)
    reader = HashingReader(io.BytesIO(BLOB), "l")
    reader.read(1000)
    with pytest.raises(LimitExceededError, match="after the end of the tar archive"):
        reader.verify(sha256(BLOB), max_more=len(BLOB) - 1001)


def test_hashing_reader_charges_the_shared_budget() -> None:
    budget = Budget(len(BLOB) * 2, "image")
    HashingReader(io.BytesIO(BLOB), "l1", budget=budget).verify(None)
    HashingReader(io.BytesIO(BLOB), "l2", budget=budget).verify(None)
    assert budget.used == 2 * len(BLOB)
    with pytest.raises(LimitExceededError) as exc:
        HashingReader(io.BytesIO(b"x"), "l3", budget=budget).verify(None)
    assert exc.value.subject == "image"


def test_hashing_reader_drain_reads_the_raw_stream() -> None:
    raw = io.BytesIO(BLOB * 300)  # several CHUNKs
    reader = HashingReader(raw, "l")
    reader.drain()
    assert raw.tell() == len(BLOB) * 300


# --- layer cache -------------------------------------------------------------------------

def _result(diff_id: str, files: tuple[str, ...] = ("/etc/os-release",)) -> LayerResult:
    return LayerResult(diff_id=diff_id, entries=len(files), files=files)


def test_cache_results_are_found_only_under_hashed_bytes(tmp_path: Path) -> None:
    cache = LayerCache(tmp_path / "c")
    variant = variant_key("catalogers-v1", "limits")
    blob, diff = sha256(b"gz"), sha256(b"tar")
    assert not cache.has_candidate(variant, blob, diff)
    cache.put(variant, blob, _result(diff))
    assert cache.has_candidate(variant, blob, sha256(b"?"))
    assert cache.has_candidate(variant, sha256(b"?"), diff)
    assert not cache.has_candidate(variant, sha256(b"?"), sha256(b"??"))
    assert not cache.has_candidate(variant_key("catalogers-v2", "limits"), blob, diff)
    got = cache.get(variant, blob, "gzip")
    assert got is not None and got.diff_id == diff and got.files == ("/etc/os-release",)
    assert (cache.hits, cache.misses) == (1, 0)
    # another variant, another blob, or a compressed blob claiming the diffID: nothing
    assert cache.get(variant_key("catalogers-v2", "limits"), blob, "gzip") is None
    assert cache.get(variant, sha256(b"other"), "gzip") is None
    assert cache.get(variant, diff, "gzip") is None
    assert (cache.hits, cache.misses) == (1, 3)
    # an uncompressed blob is its own tar: the result of the same tar serves it
    raw = cache.get(variant, diff, "raw")
    assert raw is not None and raw.diff_id == diff
    assert cache.get(variant, sha256(b"nothing"), "raw") is None
    assert (cache.hits, cache.misses) == (2, 4)
    cache.close()
    reopened = LayerCache(tmp_path / "c")  # persisted
    assert reopened.get(variant, blob, "gzip") is not None
    reopened.close()


def test_cache_put_replaces_and_damaged_entries_are_misses(tmp_path: Path) -> None:
    cache = LayerCache(tmp_path)
    v, blob = variant_key("f", "o"), sha256(b"gz")
    cache.put(v, blob, _result(sha256(b"t1")))
    cache.put(v, blob, _result(sha256(b"t2"), ("/a",)))
    got = cache.get(v, blob, "gzip")
    assert got is not None and got.diff_id == sha256(b"t2") and got.files == ("/a",)
    cache.close()
    db = sqlite3.connect(tmp_path / "layers.sqlite")
    with db:
        db.execute("UPDATE results SET value = ?", (b"not zlib",))
    db.close()
    cache = LayerCache(tmp_path)
    assert cache.get(v, blob, "gzip") is None and cache.misses == 1
    cache.close()
    db = sqlite3.connect(tmp_path / "layers.sqlite")
    with db:
        db.execute("UPDATE results SET value = ?", (zlib.compress(b'{"diff_id": 1}'),))
    db.close()
    cache = LayerCache(tmp_path)
    assert cache.get(v, blob, "gzip") is None
    cache.close()


def test_cache_remembers_file_identities(tmp_path: Path) -> None:
    cache = LayerCache(tmp_path)
    assert cache.verified_digest("dev:ino:size:mtime") is None
    cache.remember("dev:ino:size:mtime", sha256(b"x"), "gzip")
    cache.remember("dev:ino:size:mtime2", sha256(b"y"), "raw")
    assert cache.verified_digest("dev:ino:size:mtime") == (sha256(b"x"), "gzip")
    cache.remember("dev:ino:size:mtime", sha256(b"z"), "zstd")
    assert cache.verified_digest("dev:ino:size:mtime") == (sha256(b"z"), "zstd")
    assert cache.verified_digest("dev:ino:size:mtime2") == (sha256(b"y"), "raw")
    cache.close()


def test_cache_directory_is_private_and_schema_1_is_dropped(tmp_path: Path) -> None:
    (tmp_path / "old").mkdir()
    db = sqlite3.connect(tmp_path / "old" / "layers.sqlite")
    with db:
        db.execute("CREATE TABLE layers (diff_id TEXT PRIMARY KEY, value BLOB)")
    db.close()
    LayerCache(tmp_path / "old").close()
    db = sqlite3.connect(tmp_path / "old" / "layers.sqlite")
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    mode = db.execute("PRAGMA journal_mode").fetchone()[0]
    db.close()
    assert tables == {"results", "blobs", "images"} and mode == "wal"
    LayerCache(tmp_path / "new" / "deeper").close()
    assert (tmp_path / "new" / "deeper").stat().st_mode & 0o777 == 0o700


def test_variant_key_and_default_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    keys = {variant_key("a", "b"), variant_key("a", "c"), variant_key("b", "b"),
            variant_key("a\0b", ""), variant_key("", "a\0b")}
    assert len(keys) == 5 and all(len(k) == 64 for k in keys)
    assert variant_key("a", "b") == variant_key("a", "b")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "x"))
    assert default_dir() == tmp_path / "x" / "ringfence"
    monkeypatch.setenv("XDG_CACHE_HOME", "")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_dir() == tmp_path / "home" / ".cache" / "ringfence"
    assert os.path.isabs(default_dir())


# --- streams longer than one chunk (httpx re-chunks a response into CHUNK pieces) ----------

def test_multi_chunk_blob_is_checked_once_at_its_end_and_counted_in_total() -> None:
    from ringfence.image.registry import CHUNK

    big = bytes(range(256)) * ((2 * CHUNK + 1) // 256 + 1)
    big = big[:2 * CHUNK + 1]  # three raw chunks: CHUNK, CHUNK, 1
    store = RegistryBlobStore(_client(_serving(big)), "blobs")
    assert _read_all(store.open(sha256(big), len(big)), 1 << 16) == big
    # one byte more than the descriptor, arriving in the third chunk
    stream = BlobStream(_response(big), sha256(big), "blob x", 2 * CHUNK)
    with pytest.raises(DigestMismatchError) as exc:
        _read_all(stream, 1 << 16)
    assert (exc.value.subject, exc.value.expected, exc.value.actual) == (
        "blob x", sha256(big), f"more than the descriptor's {2 * CHUNK} bytes")


def test_transfer_error_message_names_the_cause() -> None:
    def broken() -> Iterator[bytes]:
        yield BLOB[:100]
        raise httpx.ReadError("connection reset by peer")
    stream = RegistryBlobStore(_client(_serving(broken())), "blobs").open(sha256(BLOB), None)
    with pytest.raises(RegistryError) as exc:
        _read_all(stream, 1 << 16)
    assert "connection reset by peer" in exc.value.message


def test_trailing_bytes_error_names_the_layer_and_the_bomb() -> None:
    reader = HashingReader(io.BytesIO(BLOB), "layer 2 (diffID x)")
    with pytest.raises(LimitExceededError) as exc:
        reader.verify(sha256(BLOB), max_more=10)
    assert exc.value.subject == "layer 2 (diffID x)"
    assert exc.value.hint == "a decompression bomb hidden after the archive"


def test_cache_images_and_use_from_another_thread(tmp_path: Path) -> None:
    import threading

    cache = LayerCache(tmp_path)
    assert cache.get_image("k") is None
    cache.put_image("k", b"inventory v1")
    cache.put_image("k", b"inventory v2")
    assert cache.get_image("k") == b"inventory v2" and cache.get_image("other") is None
    seen: list[object] = []
    worker = threading.Thread(target=lambda: seen.append(cache.get_image("k")))
    worker.start()
    worker.join()
    assert seen == [b"inventory v2"]  # layer threads share the connection
    cache.close()


def test_error_subjects_and_hints() -> None:
    with pytest.raises(InputError) as exc:
        mf.verify_bytes(b"", "md5:00", "blob x")
    assert exc.value.subject == "blob x"
    store = RegistryBlobStore(_client(_serving(MANIFEST)), "manifests")
    bad = parse_reference(f"{REPO}@{sha256(MANIFEST)}")
    with pytest.raises(InputError) as exc:
        fetch_top_manifest(store, replace(bad, digest="md5:" + "0" * 32))
    assert exc.value.subject == f"docker://{REPO}:1 manifest"
    lying = RegistryBlobStore(_client(_serving(MANIFEST + b" ")), "manifests")
    with pytest.raises(DigestMismatchError) as exc:
        fetch_top_manifest(lying, bad)
    assert exc.value.subject == f"docker://{REPO}:1 manifest"
    big = RegistryBlobStore(_client(_serving(b"{" + b" " * (5 << 20) + b"}")), "manifests")
    with pytest.raises(InputError) as exc:
        fetch_top_manifest(big, parse_reference(REPO + ":1"))
    assert exc.value.subject == f"docker://{REPO}:1 manifest" and "larger than" in exc.value.message
    schema1 = RegistryBlobStore(_client(_serving(json.dumps({"schemaVersion": 1}).encode())),
                                "manifests")
    with pytest.raises(InputError) as exc:
        fetch_top_manifest(schema1, parse_reference(REPO + ":1"))
    assert exc.value.subject == f"docker://{REPO}:1 manifest"
    assert exc.value.message == "Docker schema 1 manifests are not supported"
    assert exc.value.hint == "re-push the image with a current client (schema 2 / OCI)"
    notjson = RegistryBlobStore(_client(_serving(b"not json")), "manifests")
    with pytest.raises(InputError) as exc:
        fetch_top_manifest(notjson, parse_reference(REPO + ":1"))
    assert exc.value.subject == f"docker://{REPO}:1 manifest"
    with pytest.raises(LimitExceededError) as lim:
        HashingReader(io.BytesIO(BLOB), "layer 4", limit=10).verify(None)
    assert lim.value.subject == "layer 4"
    assert lim.value.hint == "a decompression bomb or a layer larger than --max-layer-bytes"

"""Download feed files with resume (HTTP Range + If-Range), ETag revalidation and checksums.

Each file is kept in a cache directory (``<db dir>/downloads``) with a ``.meta.json`` beside
it (URL, ETag, Last-Modified, size, sha256). A later download sends ``If-None-Match`` and
keeps the cached file on ``304``; an interrupted one leaves ``<file>.part`` and resumes with
``Range: bytes=N-`` (``If-Range`` guards against a changed file: the server then answers
``200`` and the download restarts). A completed file is checked against the length the
server announced and, when sent, ``Digest: sha-256=…`` / ``x-goog-hash: md5=…`` (GCS, OSV).
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import httpx

from ringfence.errors import DigestMismatchError, InputError, RegistryError

CHUNK = 1 << 16


@dataclass(frozen=True, slots=True)
class Fetched:
    url: str
    path: Path
    how: str  # "downloaded", "resumed at N", "not modified"
    sha256: str


def fetch(client: httpx.Client, url: str, dest: Path) -> Fetched:
    """Bring ``dest`` up to date with ``url``."""
    meta_path = dest.with_name(dest.name + ".meta.json")
    part = dest.with_name(dest.name + ".part")
    meta = _load_meta(meta_path)
    headers: dict[str, str] = {}
    same = meta.get("url") == url and bool(meta.get("etag"))
    offset = part.stat().st_size if part.exists() and same else 0
    if offset:
        headers |= {"Range": f"bytes={offset}-", "If-Range": str(meta["etag"])}
    elif dest.exists() and same:
        headers["If-None-Match"] = str(meta["etag"])
    try:
        with client.stream("GET", url, headers=headers) as resp:
            if resp.status_code == 304:
                return Fetched(url, dest, "not modified", str(meta.get("sha256", "")))
            if resp.status_code not in (200, 206):
                raise RegistryError(url, f"HTTP {resp.status_code}")
            resumed = resp.status_code == 206
            _save_meta(meta_path, {"url": url, "etag": resp.headers.get("etag")})
            with part.open("ab" if resumed else "wb") as out:
                for chunk in resp.iter_bytes(CHUNK):
                    out.write(chunk)
            expected = _total_length(resp, offset if resumed else 0)
            checks = _digests(resp)  # these headers describe the whole file, also on 206
    except httpx.HTTPError as exc:
        raise RegistryError(url, f"download failed: {exc}",
                            hint="run the same command again to resume") from exc
    sha256 = _verify(part, url, expected, checks)
    part.replace(dest)
    _save_meta(meta_path, {"url": url, "etag": resp.headers.get("etag"), "sha256": sha256})
    return Fetched(url, dest, f"resumed at {offset}" if resumed else "downloaded", sha256)


def _total_length(resp: httpx.Response, offset: int) -> int | None:
    length = resp.headers.get("content-length")
    return None if length is None or "content-encoding" in resp.headers else offset + int(length)


def _digests(resp: httpx.Response) -> dict[str, str]:
    """Announced digests of the whole file: {"sha256"|"md5": base64}."""
    found: dict[str, str] = {}
    for header in ("digest", "repr-digest", "x-goog-hash"):
        for item in resp.headers.get_list(header, split_commas=True):
            algo, _, value = item.strip().partition("=")
            algo = algo.lower().replace("-", "")
            if algo in ("sha256", "md5"):
                found[algo] = value.strip(":")
    return found


def _verify(part: Path, url: str, expected: int | None, checks: dict[str, str]) -> str:
    sha256, md5, size = hashlib.sha256(), hashlib.md5(usedforsecurity=False), 0
    with part.open("rb") as src:
        while chunk := src.read(CHUNK):
            sha256.update(chunk)
            md5.update(chunk)
            size += len(chunk)
    if expected is not None and size != expected:
        part.unlink()
        raise InputError(url, f"truncated download: {size} of {expected} bytes")
    for algo, digest in (("sha256", sha256), ("md5", md5)):
        want = checks.get(algo)
        got = base64.b64encode(digest.digest()).decode()
        if want is not None and want != got:
            part.unlink()
            raise DigestMismatchError(url, f"{algo}={want}", f"{algo}={got}")
    return sha256.hexdigest()


def _load_meta(path: Path) -> dict[str, object]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _save_meta(path: Path, meta: dict[str, object]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(meta))

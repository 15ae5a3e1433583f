"""``db update`` against a local HTTP server on 127.0.0.1 serving the advisory files of tests/data.

The server maps the mirror layout of ``vulndb.feeds`` onto the files in
``tests/data/advisories`` and speaks ETag / If-None-Match, Range / If-Range and
``Digest: sha-256`` like the official hosts (GCS sends ETag and x-goog-hash).
"""

from __future__ import annotations

import base64
import hashlib
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ringfence.errors import DigestMismatchError, UsageError
from ringfence.vulndb.build import update
from ringfence.vulndb.download import fetch
from ringfence.vulndb.feeds import feed_url
from ringfence.vulndb.store import VulnStore

ROUTES = {
    "/osv/crates.io/all.zip": "osv/crates.io.zip",
    "/debian-tracker/json": "debian-security-tracker/json-samples/vunnel-debian.json",
    "/alpine-secdb/v3.10/main.json": "alpine-secdb/v3.10/main.json",
}


class Mirror(http.server.BaseHTTPRequestHandler):
    root: Path
    log: list[tuple[str, int]]
    corrupt = False

    def do_GET(self) -> None:
        rel = ROUTES.get(self.path)
        if rel is None:
            self.send_error(404)
            return
        body = (self.root / rel).read_bytes()
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        status, start = 200, 0
        if self.headers.get("If-None-Match") == etag:
            self._head(304, etag, body, 0, 0)
            return
        rng = self.headers.get("Range")
        if rng and self.headers.get("If-Range") == etag:
            start, status = int(rng.removeprefix("bytes=").rstrip("-")), 206
        self._head(status, etag, body, start, len(body) - start)
        payload = body[start:]
        self.wfile.write(payload[:-1] + b"!" if self.corrupt else payload)

    def _head(self, status: int, etag: str, body: bytes, start: int, length: int) -> None:
        self.log.append((self.path, status))
        self.send_response(status)
        self.send_header("ETag", etag)
        self.send_header("Content-Length", str(length))
        digest = base64.b64encode(hashlib.sha256(body).digest()).decode()
        self.send_header("Digest", f"sha-256={digest}")
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def mirror(data_dir: Path) -> Iterator[tuple[str, type[Mirror]]]:
    handler = type("H", (Mirror,), {"root": data_dir / "advisories", "log": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", handler
    server.shutdown()
    server.server_close()


def test_update_imports_and_revalidates(tmp_path: Path, mirror: tuple[str, type[Mirror]]) -> None:
    base, handler = mirror
    db = tmp_path / "db.sqlite"
    sources = ["osv:crates.io", "debian-tracker", "alpine-secdb:v3.10/main"]
    report = update(db, base, sources)
    assert [f.split(":")[0] for f in report.fetched] == ["osv", "debian-tracker", "alpine-secdb"]
    assert all("downloaded" in f for f in report.fetched)
    with VulnStore.open(db) as store:
        eco = store.ecosystems()
        assert eco["crates.io"] == 1206 - 13  # PROVENANCE: 1206 records, 13 withdrawn
        assert eco["Alpine:v3.10"] == 1111
        origins = {s.name: s.origin for s in store.sources()}
        assert origins["osv:crates.io"] == f"{base}/osv/crates.io/all.zip"
    handler.log.clear()
    again = update(db, base, ["osv:crates.io"])
    assert handler.log == [("/osv/crates.io/all.zip", 304)]
    assert again.fetched[0].startswith("osv:crates.io: not modified") and again.kept == (
        "alpine-secdb:v3.10/main", "debian-tracker")
    with VulnStore.open(db) as store:
        assert store.ecosystems()["crates.io"] == 1206 - 13


def test_resume_with_range(tmp_path: Path, mirror: tuple[str, type[Mirror]],
                           data_dir: Path) -> None:
    base, handler = mirror
    url = f"{base}/osv/crates.io/all.zip"
    dest = tmp_path / "c.zip"
    whole = (data_dir / "advisories" / "osv" / "crates.io.zip").read_bytes()
    with httpx.Client() as client:
        first = fetch(client, url, dest)  # learn the ETag, then simulate a cut transfer
        dest.unlink()
        dest.with_name("c.zip.part").write_bytes(whole[: len(whole) // 3])
        handler.log.clear()
        got = fetch(client, url, dest)
    assert handler.log == [("/osv/crates.io/all.zip", 206)]
    assert got.how == f"resumed at {len(whole) // 3}"
    assert dest.read_bytes() == whole and got.sha256 == first.sha256


def test_checksum_mismatch_is_refused(tmp_path: Path, mirror: tuple[str, type[Mirror]]) -> None:
    base, handler = mirror
    handler.corrupt = True
    with httpx.Client() as client, pytest.raises(DigestMismatchError):
        fetch(client, f"{base}/alpine-secdb/v3.10/main.json", tmp_path / "m.json")
    assert not (tmp_path / "m.json").exists() and not (tmp_path / "m.json.part").exists()


def test_official_urls_and_unknown_source() -> None:
    assert feed_url("osv:PyPI", None) == (
        "https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip")
    assert feed_url("alpine-secdb:v3.20/main", None) == (
        "https://secdb.alpinelinux.org/v3.20/main.json")
    assert feed_url("debian-tracker", "http://m/") == "http://m/debian-tracker/json"
    with pytest.raises(UsageError):
        feed_url("nvd", None)


def test_cli_update(tmp_path: Path, mirror: tuple[str, type[Mirror]],
                    capsys: pytest.CaptureFixture[str]) -> None:
    from ringfence.cli.main import main

    base, _ = mirror
    db = str(tmp_path / "db.sqlite")
    assert main(["db", "update", "--url-base", base, "--source", "osv:crates.io",
                 "--db", db]) == 0
    assert "fetched osv:crates.io: downloaded" in capsys.readouterr().out
    assert main(["db", "status", "--db", db, "-f", "table"]) == 0
    assert "crates.io  1193" in capsys.readouterr().out  # 1206 records, 13 withdrawn
    assert main(["db", "update", "--url-base", base, "--source", "nvd", "--db", db]) == 2

"""What a fleet scans: reference files, and a registry's catalogue and tag lists through
their Link-header pagination, served by a loopback http.server that plays the registry."""

from __future__ import annotations

import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Thread
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

import pytest

from ringfence.errors import InputError, RegistryError
from ringfence.fleet.refs import list_registry, read_ref_file


class _Registry(BaseHTTPRequestHandler):
    """Pages of one name each; ``pages`` maps a path to (names field, names, next link)."""

    pages: ClassVar[dict[str, tuple[str, Any, str | None]]] = {}
    seen: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        self.seen.append(self.path)
        key = url.path + ("?" + url.query if "last" in parse_qs(url.query) else "")
        if url.path == "/v2/":
            self._send(200, b"{}")
            return
        if key not in self.pages:
            self._send(404, b'{"errors": [{"code": "NAME_UNKNOWN", "message": "no"}]}')
            return
        field, names, link = self.pages[key]
        body = names if isinstance(names, bytes) else json.dumps({field: names}).encode()
        self._send(200, body, link)

    def _send(self, code: int, body: bytes, link: str | None = None) -> None:
        self.send_response(code)
        if link:
            self.send_header("Link", f'<{link}>; rel="next"')
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def registry() -> Iterator[str]:
    _Registry.pages = {}
    _Registry.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Registry)
    thread = Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _serve(pages: dict[str, tuple[str, Any, str | None]]) -> None:
    _Registry.pages = pages


def test_catalogue_and_tags_are_followed_page_by_page(registry: str) -> None:
    _serve({
        "/v2/_catalog": ("repositories", ["apps/a", "apps/b"], "/v2/_catalog?n=1000&last=b"),
        "/v2/_catalog?n=1000&last=b": ("repositories", ["other/c"], None),
        "/v2/apps/a/tags/list": ("tags", ["1", "2"], "/v2/apps/a/tags/list?n=1000&last=2"),
        "/v2/apps/a/tags/list?n=1000&last=2": ("tags", ["3"], None),
        "/v2/apps/b/tags/list": ("tags", None, None),  # a repository without tags
        "/v2/other/c/tags/list": ("tags", ["x"], None),
    })
    refs = list_registry(registry, insecure=True)
    assert refs == [f"docker://{registry}/apps/a:1", f"docker://{registry}/apps/a:2",
                    f"docker://{registry}/apps/a:3", f"docker://{registry}/other/c:x"]
    assert list_registry(registry, "apps/*", insecure=True) == refs[:3]
    assert not any(p.startswith("/v2/other/c/tags") for p in _Registry.seen[-4:])


def test_an_endless_catalogue_stops_at_the_cap(registry: str) -> None:
    _serve({"/v2/_catalog": ("repositories", [], "/v2/_catalog?n=1000&last=z"),
            "/v2/_catalog?n=1000&last=z": ("repositories", [], "/v2/_catalog?n=1000&last=z")})
    with pytest.raises(RegistryError, match="listing not finished after 7 pages"):
        list_registry(registry, insecure=True, max_pages=7)
    assert sum(p.startswith("/v2/_catalog") for p in _Registry.seen) == 7


@pytest.mark.parametrize(("names", "why"), [
    (["ok", "../../etc"], "is not a repository or tag name"),
    (["a b"], "is not a repository or tag name"),
    ("not a list", "is not a list of names"),
    ([1, 2], "is not a list of names"),
    (b"<html>", "is not a JSON object"),
])
def test_hostile_listings_are_errors(registry: str, names: Any, why: str) -> None:
    _serve({"/v2/_catalog": ("repositories", names, None)})
    with pytest.raises(RegistryError, match=why):
        list_registry(registry, insecure=True)


def test_a_next_page_on_another_host_is_refused(registry: str) -> None:
    _serve({"/v2/_catalog": ("repositories", ["a"], "http://192.0.2.1/v2/_catalog?last=a"),
            "/v2/a/tags/list": ("tags", ["1"], None)})
    with pytest.raises(RegistryError, match="points to another host"):
        list_registry(registry, insecure=True)


def test_a_registry_error_is_reported(registry: str) -> None:
    _serve({})
    with pytest.raises(RegistryError, match="HTTP 404"):
        list_registry(registry, insecure=True)


def test_ref_file_skips_comments_and_blank_lines(tmp_path: Path) -> None:
    listing = tmp_path / "refs.txt"
    listing.write_text("# fleet\n\n  oci:/a  \ndocker://r/x:1\n#oci:/b\n")
    assert read_ref_file(listing) == ["oci:/a", "docker://r/x:1"]


def test_ref_file_must_be_a_regular_file(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        read_ref_file(tmp_path)
    with pytest.raises(InputError):
        read_ref_file(tmp_path / "missing.txt")

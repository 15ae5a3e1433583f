"""What a fleet scans: references given, read from a file, or listed from a registry.

A registry is listed through the distribution API: ``/v2/_catalog`` then
``/v2/<repo>/tags/list``, both paginated with ``n`` and followed through ``Link: <…>;
rel="next"`` headers. A registry that never stops paginating is bounded: at most
``MAX_PAGES`` pages per listing and ``MAX_REFS`` references in all, past which the listing
is an error (exit 3) naming the cap, never a silent truncation.
"""

from __future__ import annotations

import fnmatch
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Final

from ringfence.errors import InputError, RegistryError

if TYPE_CHECKING:
    from ringfence.image.registry import RegistryClient

PAGE_SIZE: Final = 1000  # ``n`` asked per page (Distribution's own maximum)
MAX_PAGES: Final = 1000  # pages per listing (the catalogue, or one repository's tags)
MAX_REFS: Final = 100_000  # references a fleet may name in all
MAX_FILE_BYTES: Final = 16 << 20  # --from-file
MAX_PAGE_BYTES: Final = 8 << 20  # one page of a listing
_LINK: Final = re.compile(r'<([^>]*)>\s*;\s*rel="?next"?')


def read_ref_file(path: Path) -> list[str]:
    """One reference per line; blank lines and ``#`` comments ignored."""
    from ringfence.inputs import read_regular

    text = read_regular(path, MAX_FILE_BYTES, str(path)).decode("utf-8", "replace")
    refs = [line.strip() for line in text.splitlines()]
    refs = [r for r in refs if r and not r.startswith("#")]
    _check_count(len(refs), str(path))
    return refs


def _check_count(count: int, subject: str) -> None:
    if count > MAX_REFS:
        raise InputError(subject, f"more than {MAX_REFS} image references (the fleet's cap)")


def list_registry(host: str, repo_filter: str | None = None, *, insecure: bool = False,
                  auth_file: str | None = None, max_pages: int = MAX_PAGES) -> list[str]:
    """``docker://HOST/REPO:TAG`` for every tag of every repository (matching the glob
    ``repo_filter``), in the registry's order."""
    from ringfence.image.registry import RegistryClient
    from ringfence.model.image import ImageRef

    subject = f"docker://{host}"
    client = RegistryClient(ImageRef("docker", registry=host, repository="_catalog"),
                            insecure=insecure, auth_file=auth_file)
    try:
        refs: list[str] = []
        for repo in _pages(client, f"/v2/_catalog?n={PAGE_SIZE}", "repositories", max_pages,
                           subject):
            if repo_filter and not fnmatch.fnmatchcase(repo, repo_filter):
                continue
            for tag in _pages(client, f"/v2/{repo}/tags/list?n={PAGE_SIZE}", "tags",
                              max_pages, f"{subject}/{repo}"):
                refs.append(f"docker://{host}/{repo}:{tag}")
                _check_count(len(refs), subject)
        return refs
    finally:
        client.close()


def _pages(client: RegistryClient, first: str, field: str, max_pages: int,
           subject: str) -> Iterator[str]:
    from ringfence.image.registry import read_capped, registry_request

    url: str | None = first
    for _ in range(max_pages):
        if url is None:
            return
        if "://" in url and not url.startswith(f"{client.base}/"):
            raise RegistryError(subject, f"listing points to another host ({url})")
        response = registry_request(client, "GET", url, stream=True)
        try:
            if response.status_code != 200:
                raise RegistryError(subject, f"GET {url}: HTTP {response.status_code}")
            body = read_capped(response, MAX_PAGE_BYTES, subject)
            link = response.headers.get("link")
        finally:
            response.close()
        yield from _names(body, field, subject)
        match = _LINK.search(link or "")
        url = match.group(1) if match else None
    if url is not None:
        raise RegistryError(subject, f"listing not finished after {max_pages} pages "
                            f"of {PAGE_SIZE} (the fleet's cap); name the images instead")


def _names(body: bytes, field: str, subject: str) -> list[str]:
    try:
        values = json.loads(body).get(field)
    except (ValueError, AttributeError) as exc:
        raise RegistryError(subject, f"listing is not a JSON object ({exc})") from exc
    if values is None:
        return []
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise RegistryError(subject, f"listing: {field!r} is not a list of names")
    for value in values:
        if not _safe_name(value):
            raise RegistryError(subject, f"listing: {value!r} is not a repository or tag name")
    return values


def _safe_name(name: str) -> bool:
    """A repository or tag name as the distribution spec allows it (others would make
    another reference than the one listed)."""
    return re.fullmatch(r"[A-Za-z0-9._/-]{1,255}", name) is not None and ".." not in name

"""The official feeds ``db update`` downloads, and the update itself.

A source name selects a feed: ``osv:<ECOSYSTEM>`` (OSV's ``<ECOSYSTEM>/all.zip``),
``debian-tracker`` (the security tracker JSON), ``alpine-secdb:<branch>/<repo>``
(``secdb.alpinelinux.org/<branch>/<repo>.json``). Without ``--url-base`` the official URLs are
used; with it every feed comes from one mirror laid out as::

    <base>/osv/<ECOSYSTEM>/all.zip
    <base>/debian-tracker/json
    <base>/alpine-secdb/<branch>/<repo>.json
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Final

import httpx

from ringfence.errors import InputError, UsageError
from ringfence.vulndb.build import ImportReport, Progress, write
from ringfence.vulndb.download import Fetched, fetch
from ringfence.vulndb.importers import alpine, debian, osv
from ringfence.vulndb.importers.record import SourceData
from ringfence.vulndb.writer import now_utc

OSV_BASE: Final = "https://osv-vulnerabilities.storage.googleapis.com"
DEBIAN_TRACKER: Final = "https://security-tracker.debian.org/tracker/data/json"
ALPINE_BASE: Final = "https://secdb.alpinelinux.org"
DEFAULT_SOURCES: Final = (
    *(f"osv:{e}" for e in ("PyPI", "npm", "Go", "crates.io", "Maven", "RubyGems", "Packagist",
                           "NuGet", "AlmaLinux", "Rocky Linux", "Ubuntu")),
    "debian-tracker",
    *(f"alpine-secdb:v3.{n}/{repo}" for n in (18, 19, 20, 21) for repo in ("main", "community")),
)


def feed_url(source: str, base_url: str | None) -> str:
    """The URL of one source's feed (official, or under the mirror ``base_url``)."""
    kind, _, rest = source.partition(":")
    base = base_url.rstrip("/") if base_url else None
    if kind == "osv" and rest:
        return f"{base}/osv/{rest}/all.zip" if base else f"{OSV_BASE}/{rest}/all.zip"
    if source == "debian-tracker":
        return f"{base}/debian-tracker/json" if base else DEBIAN_TRACKER
    if kind == "alpine-secdb" and rest.count("/") == 1:
        return f"{base}/alpine-secdb/{rest}.json" if base else f"{ALPINE_BASE}/{rest}.json"
    raise UsageError(source, "unknown source",
                     hint="osv:<ECOSYSTEM>, debian-tracker or alpine-secdb:<branch>/<repo>")


def update(db_path: Path, base_url: str | None = None, sources: Sequence[str] = (),
           progress: Progress | None = None) -> ImportReport:
    """Download ``sources`` (default: ``DEFAULT_SOURCES``) and import them atomically."""
    started = time.monotonic()
    names = tuple(sources) or DEFAULT_SOURCES
    urls = {name: feed_url(name, base_url) for name in names}
    cache = db_path.parent / "downloads"
    data: list[SourceData] = []
    fetched: list[str] = []
    with httpx.Client(follow_redirects=True, timeout=httpx.Timeout(60.0)) as client:
        for done, (name, url) in enumerate(urls.items(), 1):
            if progress is not None:
                progress(name, done, len(urls))
            got = fetch(client, url, cache / _file_name(name))
            fetched.append(f"{name}: {got.how} ({got.sha256[:12]})")
            data.append(_read(name, got))
    report = write(db_path, data, started, fetched_at=now_utc())
    return ImportReport(report.db_path, report.sources, report.kept, report.replaced,
                        report.unsupported, report.seconds, tuple(fetched))


def _file_name(source: str) -> str:
    return source.replace(":", "_").replace("/", "_").replace(" ", "_")


def _read(name: str, got: Fetched) -> SourceData:
    if name.startswith("osv:"):
        return _with_origin(osv.import_osv(got.path, name), got.url)
    raw = got.path.read_bytes()
    if name == "debian-tracker":
        return debian.import_tracker(_json(raw, got.url), name, got.url)
    return alpine.import_secdb(alpine.load(raw, got.url), got.url, name)


def _json(raw: bytes, origin: str) -> dict[str, object]:
    try:
        doc = json.loads(raw)
    except ValueError as exc:
        raise InputError(origin, f"malformed JSON: {exc}") from exc
    if not debian.is_tracker_json(doc):
        raise InputError(origin, "not the Debian security tracker JSON")
    return dict(doc)


def _with_origin(data: SourceData, url: str) -> SourceData:
    return SourceData(data.name, data.kind, url, data.records, data.skipped)

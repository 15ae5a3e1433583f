"""``changes``: the stored change sets as the ``ringfence.changes/1`` document, the
``--since`` time, and the ``--notify`` POST of that document."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from ringfence.errors import InputError
from ringfence.model.finding import Severity
from ringfence.store.changes import NEW, Change, StoredChange

NOTIFY_TIMEOUT_S: Final = 10.0
_AGO: Final = re.compile(r"^(\d{1,6})([smhdw])$")
_UNIT: Final = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_since(text: str, now: datetime | None = None) -> str:
    """``--since``: an ISO 8601 date or time (UTC unless it names an offset) or a duration
    ago (``90m``, ``24h``, ``7d``, ``2w``), as the store's ``YYYY-MM-DDTHH:MM:SSZ``."""
    value = text.strip()
    ago = _AGO.match(value)
    try:
        if ago:
            when = (now or datetime.now(UTC)) - timedelta(**{_UNIT[ago[2]]: int(ago[1])})
        else:
            when = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
        # isoformat pads the year to 4 digits (strftime's %Y does not): times compare as text
        return when.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"
    except (ValueError, OverflowError) as exc:  # OverflowError: 999999w ago, year 0001+14
        raise InputError(text, f"--since is not a time: {exc}", hint="an ISO 8601 date or "
                         "time (2026-12-01, 2026-12-01T08:00:00Z) or a duration ago (24h, 7d)"
                         ) from exc


def _severity(name: str | None) -> str | None:
    return name.lower() if name else None


def change_row(c: StoredChange) -> dict[str, Any]:
    return {"image": c.digest, "refs": list(c.refs), "change": c.change,
            "package": c.package_purl, "advisory": c.advisory_id,
            "severity": _severity(c.new_severity or c.old_severity),
            "old_severity": _severity(c.old_severity), "at": c.at, "change_set": c.change_set}


def document(store: str, rows: list[StoredChange], since: str | None,
             change_sets: int) -> dict[str, Any]:
    """``severity`` is the new severity, for a resolved finding the one it had."""
    return {"schema": "ringfence.changes/1", "store": store, "since": since,
            "change_sets": change_sets, "changes": [change_row(c) for c in rows]}


def new_severities(changes: list[StoredChange] | tuple[Change, ...]) -> list[Severity]:
    """The severities of the ``new`` findings (what the nightly gate ``--fail-on`` reads)."""
    return [Severity.parse(c.new_severity or "") for c in changes if c.change == NEW]


def notify(url: str, doc: dict[str, Any]) -> int:
    """POST ``doc`` as JSON to ``url``; the HTTP status. Unreachable, timed out or not a
    2xx answer is an error (exit 3): a notification is never silently dropped."""
    import httpx

    shown = _without_secrets(url)
    if not url.startswith(("http://", "https://")):
        raise InputError(shown, "--notify needs an http:// or https:// URL")
    try:
        response = httpx.post(url, json=doc, timeout=NOTIFY_TIMEOUT_S)
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        why = str(exc).replace(url, shown)  # the cause, without the URL's secrets
        raise InputError(shown, f"notification not delivered: {type(exc).__name__}: {why}",
                         hint="is the receiver up and the URL right?") from None
    if not 200 <= response.status_code < 300:
        raise InputError(shown, f"notification refused: HTTP {response.status_code}")
    return response.status_code


def _without_secrets(url: str) -> str:
    """``url`` for messages: a webhook's user:password and query (tokens) masked."""
    from urllib.parse import urlsplit, urlunsplit

    try:
        parts = urlsplit(url)
        netloc = parts.netloc.rsplit("@", 1)[-1]
        if "@" in parts.netloc:
            netloc = "***@" + netloc
        return urlunsplit(parts._replace(netloc=netloc, query="***" if parts.query else ""))
    except ValueError:
        return "(an unparsable URL)"

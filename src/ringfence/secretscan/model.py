"""What the secret scan reports: redacted hits with where they are and whether they are
still retrievable from the image after a later layer deleted or replaced their file."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from ringfence.model.unknown import Unknown

FILE, ENV, LABEL, HISTORY = "file", "env", "label", "history"
# How a config hit's location is written: PREFIX + variable name / label key / history index
# + SUFFIX. The one table the scanner writes them by and the allow-list reads them by.
CONFIG_LOCATIONS: Final = {ENV: ("Env[", "]"), LABEL: ("Labels[", "]"),
                           HISTORY: ("history[", "].created_by")}


def config_location(source: str, name: str) -> str:
    prefix, suffix = CONFIG_LOCATIONS[source]
    return f"{prefix}{name}{suffix}"


def config_name(source: str, location: str) -> str | None:
    """The name inside a config location of that kind (None: not of its form)."""
    prefix, suffix = CONFIG_LOCATIONS[source]
    # prefixes end with "[", suffixes start with "]": the two never overlap
    if location.startswith(prefix) and location.endswith(suffix):
        return location[len(prefix):len(location) - len(suffix)]
    return None


@dataclass(frozen=True, slots=True, order=True)
class SecretHit:
    """One secret. ``location`` is a path (files) or a config field (``Env[NAME]``,
    ``Labels[KEY]``, ``history[N].created_by``); ``redacted`` never holds the secret."""

    rule_id: str
    source: str
    location: str
    line: int
    redacted: str
    fingerprint: str
    layer: str | None = None  # diff_id of the layer holding the file
    layer_index: int | None = None
    deleted_in: str | None = None  # diff_id of the later layer that deleted/replaced it
    deleted_index: int | None = None

    @property
    def retrievable(self) -> bool:
        """Deleted or replaced by a later layer, yet still in the image's layer blobs."""
        return self.deleted_in is not None

    def describe(self, title: str) -> str:
        where = f"{self.location}:{self.line}" if self.source == FILE else self.location
        text = f"{title} ({self.redacted}) in {where}"
        if self.layer_index is not None:
            text += f", added in layer {self.layer_index + 1} ({_short(self.layer)})"
        if self.deleted_index is not None:
            text += (f"; deleted in layer {self.deleted_index + 1} ({_short(self.deleted_in)})"
                     " but still retrievable from the image")
        return text

    def to_dict(self) -> dict[str, Any]:
        return {"rule_id": self.rule_id, "source": self.source, "location": self.location,
                "line": self.line, "redacted": self.redacted, "fingerprint": self.fingerprint,
                "layer": self.layer, "deleted_in": self.deleted_in,
                "retrievable": self.retrievable}


def _short(diff_id: str | None) -> str:
    return (diff_id or "")[:19]


@dataclass(frozen=True, slots=True)
class SecretsReport:
    """Hits in every layer (visible or not), plus what was not scanned and why."""

    hits: tuple[SecretHit, ...] = ()
    scanned: int = 0
    skipped: tuple[tuple[str, int], ...] = ()  # (reason, count): binary, too-large, excluded
    suppressed: int = 0  # hits dropped by the allow-list
    # (path, why, diff_id) of files whose scan hit a budget (first bytes only, match caps)
    truncated: tuple[tuple[str, str, str | None], ...] = ()

    def skipped_count(self, reason: str) -> int:
        return dict(self.skipped).get(reason, 0)

    def unknowns(self) -> tuple[Unknown, ...]:
        """One Unknown per truncated file: a partial scan is reported, never silent."""
        return tuple(truncation_unknown(path, why, layer) for path, why, layer in self.truncated)


def truncation_unknown(location: str, why: str, layer: str | None = None) -> Unknown:
    return Unknown(location, f"secret scan truncated: {why}", "secrets", layer)

"""Secrets in an image's config: ``Env``, ``Labels`` and every history ``created_by``
(a build argument or ``ENV`` line stays in the history even after a later layer unsets it)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ringfence.model.unknown import Unknown
from ringfence.secretscan.allowlist import Allowlist
from ringfence.secretscan.model import (
    ENV,
    HISTORY,
    LABEL,
    SecretHit,
    config_location,
    truncation_unknown,
)
from ringfence.secretscan.scanner import scan_bounded


def scan_config(config: Mapping[str, Any],
                allowlist: Allowlist | None = None) -> tuple[SecretHit, ...]:
    """``config`` is the whole image config JSON (with ``config`` and ``history``)."""
    return scan_config_bounded(config, allowlist)[0]


def scan_config_bounded(config: Mapping[str, Any], allowlist: Allowlist | None = None,
                        ) -> tuple[tuple[SecretHit, ...], tuple[Unknown, ...]]:
    """The hits, and an Unknown for each field whose scan hit a budget."""
    truncated: list[Unknown] = []

    def _hits(source: str, location: str, text: str) -> list[SecretHit]:
        outcome = scan_bounded(text.encode("utf-8", "surrogateescape"))
        if outcome.truncated is not None:
            truncated.append(truncation_unknown(location, outcome.truncated))
        return [SecretHit(m.rule_id, source, location, m.line, m.redacted, m.fingerprint)
                for m in outcome.matches]

    inner = config.get("config") or {}
    out: list[SecretHit] = []
    for item in inner.get("Env") or ():
        if isinstance(item, str):
            out.extend(_hits(ENV, config_location(ENV, item.partition("=")[0]), item))
    labels = inner.get("Labels") or {}
    if isinstance(labels, dict):
        for key, value in sorted(labels.items()):
            out.extend(_hits(LABEL, config_location(LABEL, str(key)), f"{key}={value}"))
    for n, entry in enumerate(config.get("history") or ()):
        created = entry.get("created_by") if isinstance(entry, dict) else None
        if isinstance(created, str):
            out.extend(_hits(HISTORY, config_location(HISTORY, str(n)), created))
    allow = allowlist or Allowlist()
    return tuple(h for h in out if not allow.allows(h)), tuple(truncated)

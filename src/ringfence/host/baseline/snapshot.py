"""Take a :class:`HostSnapshot` of a host (``/``) or of a mounted host root."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ringfence.host.baseline import persistence
from ringfence.host.baseline.model import HostSnapshot
from ringfence.host.baseline.sources import SOURCES, Collector, identity
from ringfence.host.facts import RootReader


def take_snapshot(root: Path | str = "/", *, live: bool | None = None,
                  progress: Callable[[str, int, int], None] | None = None) -> HostSnapshot:
    """Every source of ``sources.SOURCES`` and ``persistence`` read through one reader
    confined to ``root``. ``progress(what, done, total)`` (``ringfence.scan.Progress``) is
    told each source as it starts (the setuid walk of a whole host takes seconds)."""
    collector = Collector(RootReader(root, live=live))
    ident = identity(collector)
    sources = (*SOURCES, persistence.preload, persistence.authorized_keys, persistence.cron,
               persistence.systemd_units)
    for done, source in enumerate(sources):
        if progress is not None:
            progress(f"host {source.__name__}", done, len(sources))
        source(collector)
    return HostSnapshot(ident, dict(collector.files), dict(collector.facts),
                        tuple(sorted(set(collector.problems))), collector.reader.is_live)

"""Drift of a host against its baseline snapshot: every parsed value added, removed or
changed, each reported once, plus tracked files whose change no parsed value explains."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ringfence.diff.model import FileState
from ringfence.host.baseline import model as m
from ringfence.host.baseline.scoring import FILE_RULE, RULE_OF_DOMAIN, weakens

ADDED, REMOVED, CHANGED = "added", "removed", "changed"
FILE = "file"  # the pseudo-domain of tracked-file changes
LIVE_SOURCES = ("/proc/", "/sys/")


@dataclass(frozen=True, slots=True)
class Change:
    domain: str
    key: str
    change: str  # added | removed | changed
    old: str | None
    new: str | None
    source: str
    rule: str
    weakens: tuple[str, ...] = ()

    def describe(self) -> str:
        what = (f"{self.domain} line in {self.source}" if self.domain in m.LINE_DOMAINS
                else f"{self.domain} {self.key}")
        if self.change == ADDED:
            return f"{what} added: {self.new!r}"
        if self.change == REMOVED:
            return f"{what} removed (was {self.old!r})"
        return f"{what} changed from {self.old!r} to {self.new!r}"

    def to_dict(self) -> dict[str, Any]:
        return {"domain": self.domain, "key": self.key, "change": self.change,
                "old": self.old, "new": self.new, "source": self.source, "rule": self.rule,
                "weakens": list(self.weakens)}


@dataclass(frozen=True, slots=True)
class HostDrift:
    changes: tuple[Change, ...]
    problems: tuple[tuple[str, str], ...]  # what the current host could not be read for
    baseline_problems: tuple[tuple[str, str], ...] = ()
    live_mismatch: bool = False  # one side read /proc and /sys, the other did not

    def of_rule(self, rule: str) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.rule == rule)


def _file_attributes(old: FileState | None, new: FileState | None) -> list[str]:
    if old is None or new is None:
        return ["presence"]
    out = []
    if (old.kind, old.sha256, old.size, old.link) != (new.kind, new.sha256, new.size, new.link):
        out.append("content")
    if old.mode != new.mode:
        out.append("mode")
    if (old.uid, old.gid) != (new.uid, new.gid):
        out.append("owner")
    return out


def _describe_file(state: FileState | None) -> str | None:
    if state is None:
        return None
    return (f"{state.kind} mode={state.mode:04o} uid={state.uid} gid={state.gid}"
            + (f" sha256={state.sha256}" if state.sha256 else "")
            + (f" -> {state.link}" if state.link else ""))


def compare(old: m.HostSnapshot, new: m.HostSnapshot) -> HostDrift:
    changes: list[Change] = []
    explained: set[str] = set()  # sources whose content change a parsed value accounts for
    live_mismatch = old.live != new.live
    for key in sorted(set(old.facts) | set(new.facts)):
        was, now = old.facts.get(key), new.facts.get(key)
        if was is not None and now is not None and was.value == now.value:
            continue
        domain = key[0]
        fact = now if now is not None else was
        assert fact is not None
        if live_mismatch and fact.source.startswith(LIVE_SOURCES):
            continue  # not comparable: one side was a mounted root, /proc was not read
        kind = ADDED if was is None else REMOVED if now is None else CHANGED
        source = fact.source
        explained.update(f.source for f in (was, now) if f is not None and f.source)
        changes.append(Change(domain, key[1], kind, None if was is None else was.value,
                              None if now is None else now.value, source,
                              RULE_OF_DOMAIN[domain], weakens(domain, key[1], source)))
    for path in sorted(set(old.files) | set(new.files)):
        before, after = old.files.get(path), new.files.get(path)
        attributes = _file_attributes(before, after)
        if path in explained:
            attributes = [a for a in attributes if a not in ("content", "presence")]
        if not attributes:
            continue
        kind = ADDED if before is None else REMOVED if after is None else CHANGED
        changes.append(Change(FILE, path, kind, _describe_file(before), _describe_file(after),
                              path, FILE_RULE, ()))
    return HostDrift(tuple(changes), new.problems, old.problems, live_mismatch)

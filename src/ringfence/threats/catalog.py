"""The threat catalogue (catalog.toml) parsed once into frozen values.

Which rules control a threat is not listed here: it is derived from each Rule's ``threats``
(``members``), so the rule modules stay the one source of truth."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType
from typing import Any, Final

from ringfence.errors import InputError
from ringfence.model.finding import Rule

RINGS: Final = ("image", "host", "platform")
COMBINE: Final = ("all", "any")


@dataclass(frozen=True, slots=True)
class RingPolicy:
    """How the controls of one ring combine for one threat."""

    combine: str = "all"
    alternatives: tuple[tuple[str, ...], ...] = ()
    extra: tuple[str, ...] = ()
    required: tuple[str, ...] = ()  # the ring cannot hold unless these were evaluated


@dataclass(frozen=True, slots=True)
class Threat:
    id: str
    name: str
    description: str
    techniques: tuple[str, ...]
    rings: Mapping[str, RingPolicy]


@dataclass(frozen=True, slots=True)
class ChainStep:
    label: str
    signals: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ChainSpec:
    id: str
    title: str
    outcome: str
    steps: tuple[ChainStep, ...]


@dataclass(frozen=True, slots=True)
class Catalog:
    version: int
    threats: tuple[Threat, ...]
    chains: tuple[ChainSpec, ...]

    def ids(self) -> tuple[str, ...]:
        return tuple(t.id for t in self.threats)

    def threat(self, threat_id: str) -> Threat:
        for t in self.threats:
            if t.id == threat_id:
                return t
        raise KeyError(threat_id)


def members(threat: Threat, ring: str, rules: Iterable[Rule]) -> tuple[str, ...]:
    """Control ids of ``ring`` for ``threat``: rules naming the threat, then the extras."""
    ids = [r.id for r in rules if r.ring == ring and threat.id in r.threats]
    return (*sorted(dict.fromkeys(ids)), *threat.rings[ring].extra)


def groups(threat: Threat, ring: str, rules: Iterable[Rule]) -> tuple[tuple[str, ...], ...]:
    """The controls as groups: each alternative group (members present), then singletons."""
    present = members(threat, ring, rules)
    alts = [tuple(c for c in alt if c in present) for alt in threat.rings[ring].alternatives]
    alts = [a for a in alts if a]
    grouped = {c for a in alts for c in a}
    return (*alts, *((c,) for c in present if c not in grouped))


def load_catalog(text: str | None = None) -> Catalog:
    """Parse ``text`` (default: the packaged catalog.toml)."""
    source = "threats/catalog.toml"
    if text is None:
        text = resources.files("ringfence.threats").joinpath("catalog.toml").read_text("utf-8")
    try:
        doc = tomllib.loads(text)
        return Catalog(int(doc["version"]), tuple(_threat(t) for t in doc["threat"]),
                       tuple(_chain(c) for c in doc.get("chain", [])))
    except (tomllib.TOMLDecodeError, KeyError, TypeError, ValueError) as exc:
        raise InputError(source, f"invalid threat catalogue: {type(exc).__name__}: {exc}") \
            from exc


def _threat(t: Mapping[str, Any]) -> Threat:
    rings = {ring: _policy(t["rings"].get(ring, {})) for ring in RINGS}
    return Threat(str(t["id"]), str(t["name"]), str(t.get("description", "")),
                  tuple(str(x) for x in t["techniques"]), MappingProxyType(rings))


def _policy(p: Mapping[str, Any]) -> RingPolicy:
    combine = str(p.get("combine", "all"))
    if combine not in COMBINE:
        raise ValueError(f"combine must be one of {COMBINE}, not {combine!r}")
    alts = tuple(tuple(str(c) for c in alt) for alt in p.get("alternatives", []))
    return RingPolicy(combine, alts, tuple(str(c) for c in p.get("extra", [])),
                      tuple(str(c) for c in p.get("required", [])))


def _chain(c: Mapping[str, Any]) -> ChainSpec:
    steps = tuple(ChainStep(str(s["label"]), tuple(str(x) for x in s["signals"]))
                  for s in c["steps"])
    return ChainSpec(str(c["id"]), str(c["title"]), str(c["outcome"]), steps)

"""The facts RT rules run over: declared specs (from files) and live containers (declared vs
effective). ``load_case`` turns a rule-case path into facts: a JSON file of any supported
config format, or a directory with ``config.json`` (declared) and ``proc.json`` (a
ProcSnapshot captured from a real container) per live container, or ``live-*/`` subdirs."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from ringfence.model.unknown import Unknown
from ringfence.runtime.effective import ProcSnapshot, effective_of
from ringfence.runtime.live import LiveContainer
from ringfence.runtime.load import load_file
from ringfence.runtime.parse_oci import parse_oci
from ringfence.runtime.spec import ContainerSpec


@dataclass(frozen=True, slots=True)
class RuntimeFacts:
    specs: tuple[ContainerSpec, ...] = ()
    live: tuple[LiveContainer, ...] = ()
    unknowns: tuple[Unknown, ...] = ()


def live_from_dir(path: Path) -> LiveContainer:
    snap = ProcSnapshot.from_dict(json.loads((path / "proc.json").read_bytes()))
    config = path / "config.json"
    declared = parse_oci(json.loads(config.read_bytes()), str(config), path.name) \
        if config.exists() else None
    return LiveContainer(path.name, "snapshot", declared, effective_of(snap), snap)


def load_case(path: Path) -> RuntimeFacts:
    if path.is_file():
        return RuntimeFacts(specs=load_file(path))
    if (path / "proc.json").exists():
        return RuntimeFacts(live=(live_from_dir(path),))
    subdirs = sorted(p for p in path.iterdir() if p.is_dir())
    if subdirs:
        return RuntimeFacts(live=tuple(live_from_dir(p) for p in subdirs))
    return RuntimeFacts(specs=tuple(s for f in sorted(path.glob("*.json"))
                                    for s in load_file(f)))

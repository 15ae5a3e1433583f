"""Facts for linting a seccomp profile (OCI ``linux.seccomp`` or a Docker/podman profile file).

    facts = load_profile_facts(Path("profile.json"))
    run = run_checks(SECCOMP_CHECKS, facts)   # see seccomp/rules.py

The profile is resolved as for a container **without capabilities** (Docker/podman
``includes.caps`` blocks are off): a profile is judged on what it allows by itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ringfence.errors import InputError
from ringfence.inputs import loads_json, read_regular
from ringfence.runtime.seccomp_profile import ProfileError, SeccompProfile, parse_profile


@dataclass(frozen=True, slots=True)
class ProfileFacts:
    """One profile: parsed, with every architecture and syscall name it lists."""

    source: str
    profile: SeccompProfile
    arches: tuple[str, ...]  # architectures, archMap entries and their subArchitectures
    names: tuple[str, ...]  # every syscall name any rule lists (also conditional ones)


def profile_facts(doc: Mapping[str, Any], source: str) -> ProfileFacts:
    """Facts of a parsed JSON document; InputError when it is not a seccomp profile."""
    if isinstance(doc, Mapping) and isinstance(doc.get("linux"), Mapping) \
            and isinstance(doc["linux"].get("seccomp"), Mapping):
        doc = doc["linux"]["seccomp"]  # a whole OCI config.json
    try:
        profile = parse_profile(doc, caps=None)
    except (ProfileError, TypeError, ValueError, KeyError, AttributeError,
            RecursionError) as exc:
        raise InputError(source, f"not a seccomp profile: {exc}") from exc
    return ProfileFacts(source, profile, _arches(doc), _names(doc))


MAX_PROFILE_BYTES = 16 << 20  # Docker's default profile is 20 KiB


def load_profile_facts(path: Path) -> ProfileFacts:
    """A profile file: a regular file of at most ``MAX_PROFILE_BYTES`` holding JSON."""
    doc = loads_json(read_regular(path, MAX_PROFILE_BYTES, str(path)), str(path))
    return profile_facts(doc, str(path))


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _arches(doc: Mapping[str, Any]) -> tuple[str, ...]:
    found = [a for a in _list(doc.get("architectures")) if isinstance(a, str)]
    for entry in _list(doc.get("archMap")):
        if isinstance(entry, Mapping):
            arch = entry.get("architecture")
            found.extend([arch] if isinstance(arch, str) else [])
            found.extend(s for s in _list(entry.get("subArchitectures")) if isinstance(s, str))
    return tuple(dict.fromkeys(a for a in found if a))


def _names(doc: Mapping[str, Any]) -> tuple[str, ...]:
    names: list[str] = []
    for entry in _list(doc.get("syscalls")):
        if not isinstance(entry, Mapping):
            continue
        names.extend(n for n in _list(entry.get("names")) if isinstance(n, str))
        if isinstance(entry.get("name"), str) and entry["name"]:
            names.append(entry["name"])
    return tuple(dict.fromkeys(names))

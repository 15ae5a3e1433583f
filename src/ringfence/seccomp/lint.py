"""Facts for linting a seccomp profile (OCI ``linux.seccomp`` or a Docker/podman profile file).

    facts = load_profile_facts(Path("profile.json"))
    run = run_checks(SECCOMP_CHECKS, facts)   # see seccomp/rules.py

The profile is resolved as for a container **without capabilities** (Docker/podman
``includes.caps`` blocks are off): a profile is judged on what it allows by itself.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ringfence.errors import InputError
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
    except (ProfileError, TypeError, ValueError, KeyError) as exc:
        raise InputError(source, f"not a seccomp profile: {exc}") from exc
    return ProfileFacts(source, profile, _arches(doc), _names(doc))


def load_profile_facts(path: Path) -> ProfileFacts:
    try:
        doc = json.loads(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise InputError(str(path), "cannot read the profile as JSON") from exc
    return profile_facts(doc, str(path))


def _arches(doc: Mapping[str, Any]) -> tuple[str, ...]:
    found = [str(a) for a in doc.get("architectures") or ()]
    for entry in doc.get("archMap") or ():
        found.append(str(entry.get("architecture", "")))
        found.extend(str(s) for s in entry.get("subArchitectures") or ())
    return tuple(dict.fromkeys(a for a in found if a))


def _names(doc: Mapping[str, Any]) -> tuple[str, ...]:
    names: list[str] = []
    for entry in doc.get("syscalls") or ():
        names.extend(str(n) for n in entry.get("names") or ())
        if entry.get("name"):
            names.append(str(entry["name"]))
    return tuple(dict.fromkeys(names))

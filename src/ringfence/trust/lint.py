"""Facts for ``ringfence policy lint``: the parsed policy plus what the key files look like
on this machine (readable or not), gathered once so the checks stay pure."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ringfence.trust.policy import Policy, load_policy
from ringfence.trust.requirements import Requirement, SignedBy, SigstoreSigned

OPEN_LOCAL_TRANSPORTS = ("docker-daemon", "dir", "docker-archive", "oci", "oci-archive",
                         "containers-storage")


@dataclass(frozen=True, slots=True)
class ScopedRequirement:
    transport: str  # "" for the global default
    scope: str
    requirement: Requirement

    @property
    def where(self) -> str:
        return "default" if not self.transport else f"transports.{self.transport}[{self.scope!r}]"


@dataclass(frozen=True, slots=True)
class PolicyFacts:
    source: str
    entries: tuple[ScopedRequirement, ...]
    unreadable: tuple[tuple[str, str], ...]  # (where, key path) that cannot be read
    relative: tuple[tuple[str, str], ...]  # (where, key path) relative to the working dir


def key_paths(req: Requirement) -> tuple[str, ...]:
    if isinstance(req, SignedBy):
        return req.key_paths
    if isinstance(req, SigstoreSigned):
        extra: list[str | None] = [*req.key_paths, *req.rekor_paths]
        if req.fulcio is not None:
            extra.append(req.fulcio.ca_path)
        if req.pki is not None:
            extra += [req.pki.roots_path, req.pki.intermediates_path]
        return tuple(p for p in extra if p)
    return ()


def policy_facts(policy: Policy) -> PolicyFacts:
    entries = [ScopedRequirement("", "", r) for r in policy.default]
    for transport, scopes in policy.transports.items():
        entries += [ScopedRequirement(transport, scope, r)
                    for scope, reqs in scopes.items() for r in reqs]
    unreadable, relative = [], []
    for entry in entries:
        for path in key_paths(entry.requirement):
            if not os.path.isabs(path):  # readable or not depends on the engine's cwd
                relative.append((entry.where, path))
            elif not (Path(path).is_file() and os.access(path, os.R_OK)):
                unreadable.append((entry.where, path))
    return PolicyFacts(policy.source, tuple(entries), tuple(unreadable), tuple(relative))


def load_policy_facts(path: str | Path) -> PolicyFacts:
    return policy_facts(load_policy(path))

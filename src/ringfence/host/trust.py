"""containers policy.json under the root, linted by the trust ring's own rules (IMG-201…).

The trust lint's facts are built here through the RootReader so that key files are looked
up inside the mounted root, never on the running host."""

from __future__ import annotations

import posixpath

from ringfence.errors import InputError
from ringfence.host.facts import FactError, RootReader
from ringfence.trust.lint import PolicyFacts, ScopedRequirement, key_paths
from ringfence.trust.policy import loads_policy

POLICY = "/etc/containers/policy.json"


def _readable(reader: RootReader, path: str) -> bool:
    try:
        return reader.read(path) is not None
    except FactError:
        return False


def rooted_policy_facts(reader: RootReader, path: str = POLICY) -> PolicyFacts | None:
    """The lint facts of ``path`` under the root; None when there is no policy there.
    Raises FactError when it cannot be read or parsed."""
    data = reader.read(path)
    if data is None:
        return None
    try:
        policy = loads_policy(data, path)
    except InputError as exc:
        raise FactError(path, exc.message) from exc
    entries = [ScopedRequirement("", "", r) for r in policy.default]
    for transport, scopes in policy.transports.items():
        entries += [ScopedRequirement(transport, scope, r)
                    for scope, reqs in scopes.items() for r in reqs]
    unreadable: list[tuple[str, str]] = []
    relative: list[tuple[str, str]] = []
    for entry in entries:
        for key in key_paths(entry.requirement):
            if not posixpath.isabs(key):
                relative.append((entry.where, key))
            elif not _readable(reader, key):
                unreadable.append((entry.where, key))
    return PolicyFacts(path, tuple(entries), tuple(unreadable), tuple(relative))

"""Who can do what, where: ``who-can``, secret readers per namespace, and identities whose
rights span more than one environment (library functions for the platform rules)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from ringfence.k8s.rbac.effective import RbacIndex
from ringfence.k8s.rbac.model import Grant, Subject
from ringfence.k8s.rbac.request import Request, parse_request

SECRET_VERBS = ("get", "list", "watch")


@dataclass(frozen=True, slots=True)
class Answer:
    """One subject allowed to make the request, in ``scope`` ("*" = every namespace or
    cluster-wide), and every grant that allows it."""

    subject: Subject
    scope: str
    grants: tuple[Grant, ...]


def who_can(index: RbacIndex, req: Request) -> tuple[Answer, ...]:
    """Subjects (users, groups, service accounts as bound) allowed to make ``req``,
    sorted by subject then scope."""
    by: dict[tuple[Subject, str], list[Grant]] = defaultdict(list)
    for g in index.matching(req):
        by[(g.subject, g.scope)].append(g)
    return tuple(Answer(s, scope, tuple(gs)) for (s, scope), gs in sorted(by.items()))


def who_can_text(index: RbacIndex, verb: str, resource: str, namespace: str = "",
                 subresource: str = "", name: str = "") -> tuple[Answer, ...]:
    return who_can(index, parse_request(verb, resource, namespace, subresource, name))


def secret_readers(index: RbacIndex, namespaces: Iterable[str]) -> dict[str, tuple[Answer, ...]]:
    """For each namespace, who can read every secret in it (get without a name
    restriction, list or watch): cluster-wide grants count in every namespace."""
    out: dict[str, tuple[Answer, ...]] = {}
    for ns in sorted(set(namespaces)):
        by: dict[tuple[Subject, str], dict[int, Grant]] = defaultdict(dict)
        for verb in SECRET_VERBS:
            for g in index.matching(Request(verb, "secrets", "", "", ns)):
                by[(g.subject, g.scope)].setdefault(id(g), g)
        out[ns] = tuple(Answer(s, scope, tuple(gs.values()))
                        for (s, scope), gs in sorted(by.items()))
    return out


@dataclass(frozen=True, slots=True)
class CrossEnvironment:
    """A subject holding rights in namespaces of more than one environment."""

    subject: Subject
    environments: tuple[str, ...]
    grants: tuple[Grant, ...]


def cross_environment(index: RbacIndex, environment_of: Callable[[str], str | None],
                      namespaces: Iterable[str],
                      trusted: Callable[[Subject], bool] | None = None,
                      ) -> tuple[CrossEnvironment, ...]:
    """Subjects whose grants reach namespaces of two or more environments.

    ``environment_of(namespace)`` names a namespace's environment (None: none). A
    cluster-wide grant reaches every environment that ``namespaces`` contain; grants of
    default bindings and of ``trusted`` subjects are left out."""
    env_by_ns: Mapping[str, str] = {ns: e for ns in set(namespaces)
                                    if (e := environment_of(ns)) is not None}
    every = tuple(sorted(set(env_by_ns.values())))
    out: list[CrossEnvironment] = []
    for subject in index.subjects():
        if trusted is not None and trusted(subject):
            continue
        envs: set[str] = set()
        used: list[Grant] = []
        for g in index.direct(subject):
            if g.binding.default:
                continue
            reach = every if not g.namespace else \
                ((env_by_ns[g.namespace],) if g.namespace in env_by_ns else ())
            if reach:
                envs.update(reach)
                used.append(g)
        if len(envs) > 1:
            out.append(CrossEnvironment(subject, tuple(sorted(envs)), tuple(used)))
    return tuple(out)

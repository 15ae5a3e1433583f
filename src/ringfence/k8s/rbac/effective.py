"""Effective permissions: roles (with aggregation) joined to bindings, indexed by verb and
resource so a question costs the grants that could answer it, never all pairs.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from ringfence.k8s.objects import K8sObject
from ringfence.k8s.rbac.defaults import DEFAULT_BINDINGS, DEFAULT_ROLES
from ringfence.k8s.rbac.model import (
    BINDING_KINDS,
    ROLE_KINDS,
    Binding,
    Grant,
    PolicyRule,
    Role,
    Subject,
    binding_from_object,
    role_from_object,
)
from ringfence.k8s.rbac.request import Request, allows

RoleKey = tuple[str, str, str]  # kind, namespace, name


@dataclass(frozen=True, slots=True)
class RbacIndex:
    """Every grant, by subject and by (verb, resource) including the ``*`` keys."""

    roles: Mapping[RoleKey, Role]
    bindings: tuple[Binding, ...]
    grants: tuple[Grant, ...]
    dangling: tuple[Binding, ...] = ()
    _by_subject: Mapping[Subject, tuple[Grant, ...]] = field(default_factory=dict, repr=False)
    _by_key: Mapping[tuple[str, str], tuple[Grant, ...]] = field(default_factory=dict,
                                                                  repr=False)
    _non_resource: tuple[Grant, ...] = field(default=(), repr=False)

    def subjects(self) -> list[Subject]:
        return sorted(self._by_subject)

    def direct(self, subject: Subject) -> tuple[Grant, ...]:
        return self._by_subject.get(subject, ())

    def grants_of(self, subject: Subject) -> tuple[Grant, ...]:
        """The subject's own grants plus those of the groups it is implicitly in."""
        out = list(self.direct(subject))
        for group in subject.groups():
            out.extend(self.direct(group))
        return tuple(out)

    def matching(self, req: Request, any_name: bool = False) -> list[Grant]:
        """Grants that allow ``req``: in ``req.namespace`` when set; cluster-wide only for
        cluster-scoped resources and URLs; in any namespace otherwise (see Grant.scope).
        ``any_name``: a rule restricted to resourceNames counts too, for the objects it
        names (the request asked of one of them)."""
        if req.path:
            found: Iterable[Grant] = self._non_resource
        else:
            keys = {req.combined, "*"} | ({f"*/{req.subresource}"} if req.subresource else set())
            seen: dict[int, Grant] = {}
            for verb in (req.verb, "*"):
                for key in keys:
                    for g in self._by_key.get((verb, key), ()):
                        seen.setdefault(id(g), g)
            found = seen.values()
        named = any_name and not req.path and names_apply(req)
        return [g for g in found if _in_scope(g, req) and (allows(g.rule, req) or (
            named and bool(g.rule.resource_names)
            and allows(g.rule, replace(req, name=g.rule.resource_names[0]))))]


def names_apply(req: Request) -> bool:
    """Whether a request of this verb can name its object: create of a resource (a POST
    to the collection) and deletecollection never do, so a rule restricted to
    resourceNames never allows them; create of a subresource names its object
    (``pods/exec`` of pod NAME)."""
    if req.verb == "deletecollection":
        return False
    return req.verb != "create" or bool(req.subresource)


def _in_scope(grant: Grant, req: Request) -> bool:
    if req.resource == "namespaces" and req.name and not req.path and req.group == "":
        # the API server's RequestInfo takes /namespaces/NAME as namespace NAME: a
        # RoleBinding there grants verbs on that Namespace object itself
        return grant.namespace in ("", req.name)
    if req.cluster_scoped:
        return grant.namespace == ""  # RoleBindings never grant cluster-scoped access
    return not req.namespace or grant.namespace in ("", req.namespace)


def build_index(objects: Iterable[K8sObject], defaults: bool = True) -> RbacIndex:
    """Index the RBAC objects among ``objects`` (others are ignored)."""
    roles: dict[RoleKey, Role] = {}
    bindings: dict[RoleKey, Binding] = {}
    if defaults:
        roles.update(((r.kind, r.namespace, r.name), r) for r in DEFAULT_ROLES)
        bindings.update(((b.kind, b.namespace, b.name), b) for b in DEFAULT_BINDINGS)
    for obj in objects:
        if obj.kind in ROLE_KINDS and obj.group == "rbac.authorization.k8s.io":
            r = role_from_object(obj)
            roles[(r.kind, r.namespace, r.name)] = r
        elif obj.kind in BINDING_KINDS and obj.group == "rbac.authorization.k8s.io":
            b = binding_from_object(obj)
            bindings[(b.kind, b.namespace, b.name)] = b
    return index_from(aggregate(roles), list(bindings.values()))


def aggregate(roles: Mapping[RoleKey, Role]) -> dict[RoleKey, Role]:
    """Fill each aggregated ClusterRole with the rules of the ClusterRoles its selectors
    pick (as the clusterrole-aggregation controller does, which replaces ``rules``),
    transitively, in name order."""
    cluster = {k[2]: r for k, r in roles.items() if k[0] == "ClusterRole"}
    by_label: dict[tuple[str, str], list[str]] = defaultdict(list)
    for name in sorted(cluster):
        for pair in cluster[name].labels.items():
            by_label[pair].append(name)
    # The controller replaces an aggregated role's rules with the union of the rules its
    # selectors pick *as they are now*, role by role, again whenever one changes: iterate
    # that to its fixpoint (a cycle of roles aggregating each other converges on the union
    # of everything the cycle reaches; a recursion with memoised partial answers did not).
    current = {name: role.rules for name, role in cluster.items()}
    aggregated = [n for n in sorted(cluster) if cluster[n].aggregation is not None]
    for _ in range(len(aggregated) + 2):
        changed = False
        for name in aggregated:
            out: dict[PolicyRule, None] = {}
            for sel in cluster[name].aggregation or ():
                pool = by_label.get(sel.match_labels[0], []) if sel.match_labels \
                    else sorted(cluster)
                for other in pool:
                    if other != name and sel.matches(cluster[other].labels):
                        out.update(dict.fromkeys(current[other]))
            rules = tuple(out)
            if rules != current[name]:
                current[name], changed = rules, True
        if not changed:
            break

    result = dict(roles)
    for name, role in cluster.items():
        if role.aggregation is not None:
            result[("ClusterRole", "", name)] = Role(
                role.kind, role.name, "", current[name], role.aggregation,
                role.labels, role.location, role.default)
    return result


def index_from(roles: Mapping[RoleKey, Role], bindings: Sequence[Binding]) -> RbacIndex:
    grants: list[Grant] = []
    dangling: list[Binding] = []
    for b in bindings:
        role = _resolve(roles, b)
        if role is None:
            dangling.append(b)
            continue
        grants.extend(Grant(s, rule, role, b, b.namespace)
                      for s in b.subjects for rule in role.rules)
    by_subject: dict[Subject, list[Grant]] = defaultdict(list)
    by_key: dict[tuple[str, str], list[Grant]] = defaultdict(list)
    non_resource: list[Grant] = []
    for g in grants:
        by_subject[g.subject].append(g)
        if g.rule.non_resource_urls:
            if not g.namespace:  # nonResourceURLs only count through ClusterRoleBindings
                non_resource.append(g)
            continue
        for verb in set(g.rule.verbs):
            for res in set(g.rule.resources):
                by_key[(verb, res)].append(g)
    return RbacIndex(dict(roles), tuple(bindings), tuple(grants), tuple(dangling),
                     {k: tuple(v) for k, v in by_subject.items()},
                     {k: tuple(v) for k, v in by_key.items()}, tuple(non_resource))


def _resolve(roles: Mapping[RoleKey, Role], b: Binding) -> Role | None:
    if b.role_kind == "ClusterRole":
        return roles.get(("ClusterRole", "", b.role_name))
    if b.role_kind == "Role" and b.kind == "RoleBinding":
        return roles.get(("Role", b.namespace, b.role_name))
    return None

"""Dependencies declared in a Maven ``pom.xml`` (source trees; not run on images).

Like Syft's pom cataloger: the project's own ``<dependencies>`` (every scope, test
included), with ``${property}`` references resolved from ``<properties>`` and the
project's own coordinates, and a missing version taken from the same file's
``<dependencyManagement>``. Parent POMs and repositories are not fetched (the parser reads
one file), so a version that stays unresolved skips that dependency, as Syft does; each
skip is reported as a problem. Build-plugin dependencies are not the project's and are
ignored. Parsed with defusedxml: a pom.xml is untrusted input (no DTDs, no entities).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

from ringfence.catalog import purls
from ringfence.catalog.interface import CatalogError, Parsed
from ringfence.catalog.licenses import normalize_all
from ringfence.model.package import Location, Package

_REF = re.compile(r"\$\{([^}]+)\}")
_MAX_DEPTH = 10  # properties referring to properties: stop loops like a=${b}, b=${a}


@dataclass(frozen=True, slots=True)
class Dependency:
    group: str
    artifact: str
    version: str
    scope: str


class PomXmlCataloger:
    """Maven dependencies declared in ``pom.xml``."""

    name = "java-pom"
    version = "1"

    def wants(self, path: str, size: int) -> bool:
        return path.endswith("/pom.xml")

    def parse(self, path: str, data: bytes) -> Parsed:
        project = _root(data)
        props = _properties(project)
        managed = _managed_versions(project, props)
        found: dict[tuple[str, str, str], Dependency] = {}
        problems: list[str] = []
        for dep in _children(project, "dependencies", "dependency"):
            resolved, problem = _resolve(dep, props, managed)
            if resolved is not None:
                found.setdefault((resolved.group, resolved.artifact, resolved.version),
                                 resolved)
            elif problem:
                problems.append(problem)
        return Parsed(tuple(_package(path, d) for d in found.values()), tuple(problems))


def _root(data: bytes) -> Element:
    try:
        root = fromstring(data)
    except (ParseError, DefusedXmlException) as exc:
        raise CatalogError(f"pom.xml is not readable XML: {exc}") from exc
    if _local(root.tag) != "project":
        raise CatalogError(f"pom.xml root element is <{_local(root.tag)}>, not <project>")
    return root


def pom_licenses(data: bytes) -> tuple[str, ...]:
    """``<licenses><license><name>`` of a pom.xml (the one a jar carries next to its
    pom.properties), normalised (catalog/licenses.py); nothing when it is not a POM."""
    try:
        project = _root(data)
    except CatalogError:
        return ()
    return normalize_all([_text(lic, "name") for lic in _children(project, "licenses",
                                                                    "license")])


def _local(tag: str) -> str:
    """The tag without its namespace (POMs may or may not declare the Maven one)."""
    return tag.rpartition("}")[2]


def _child(elem: Element, name: str) -> Element | None:
    return next((c for c in elem if _local(c.tag) == name), None)


def _text(elem: Element, name: str) -> str:
    child = _child(elem, name)
    return (child.text or "").strip() if child is not None else ""


def _children(elem: Element, outer: str, inner: str) -> Iterator[Element]:
    container = _child(elem, outer)
    if container is not None:
        yield from (c for c in container if _local(c.tag) == inner)


def _properties(project: Element) -> dict[str, str]:
    props = {f"project.{k}": _text(project, k) for k in ("groupId", "artifactId", "version")}
    parent = _child(project, "parent")
    if parent is not None:
        for key in ("groupId", "artifactId", "version"):
            props[f"project.parent.{key}"] = _text(parent, key)
        # A project inherits its parent's groupId and version when it declares none.
        for key in ("groupId", "version"):
            props[f"project.{key}"] = props[f"project.{key}"] or _text(parent, key)
    block = _child(project, "properties")
    if block is not None:
        props.update({_local(p.tag): (p.text or "").strip() for p in block})
    return {k: v for k, v in props.items() if v}


def interpolate(value: str, props: dict[str, str]) -> str:
    """``${name}`` replaced from ``props``; unknown references are left as they are."""
    for _ in range(_MAX_DEPTH):
        new = _REF.sub(lambda m: props.get(m[1], m[0]), value)
        if new == value:
            break
        value = new
    return value


def _managed_versions(project: Element, props: dict[str, str]) -> dict[tuple[str, str], str]:
    management = _child(project, "dependencyManagement")
    if management is None:
        return {}
    out: dict[tuple[str, str], str] = {}
    for dep in _children(management, "dependencies", "dependency"):
        key = (interpolate(_text(dep, "groupId"), props),
               interpolate(_text(dep, "artifactId"), props))
        out.setdefault(key, interpolate(_text(dep, "version"), props))
    return out


def _resolve(dep: Element, props: dict[str, str], managed: dict[tuple[str, str], str]
             ) -> tuple[Dependency | None, str]:
    """The dependency with its coordinates resolved, or None and why it was skipped."""
    group = interpolate(_text(dep, "groupId"), props)
    artifact = interpolate(_text(dep, "artifactId"), props)
    if not group or not artifact:
        return None, f"dependency without groupId or artifactId ({group}:{artifact}) skipped"
    version = interpolate(_text(dep, "version"), props) or managed.get((group, artifact), "")
    if not version or _REF.search(version) or _REF.search(group + artifact):
        return None, (f"{group}:{artifact}: version {version or '(none)'} not resolvable "
                      "from this file (parent POM or BOM not read); skipped")
    return Dependency(group, artifact, version, _text(dep, "scope")), ""


def _package(path: str, dep: Dependency) -> Package:
    meta = {"artifactId": dep.artifact, "groupId": dep.group, "scope": dep.scope}
    return Package(
        name=f"{dep.group}:{dep.artifact}",
        version=dep.version,
        type="maven",
        purl=purls.make("maven", dep.artifact, dep.version, dep.group),
        cataloger="java-pom",
        locations=(Location(path),),
        metadata=tuple(sorted((k, v) for k, v in meta.items() if v)),
    )

"""Join OS-package evidence to the squashed inventory: licences kept outside the database
record (dpkg ``copyright``) and the owner of every language package whose metadata file an
OS package installed (Debian's ``python3-requests`` dist-info, a jar under
``/usr/share/java``).

An owned language package keeps its place in the inventory with ``owner`` set to the OS
package's purl; the vulnerability matcher then leaves it to the distribution's advisories
(the distribution backports fixes without changing the upstream version), as Trivy does.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace

from ringfence.model.evidence import Evidence
from ringfence.model.package import Package

OS_TYPES = frozenset({"deb", "rpm", "apk"})
_DB_MARKERS = {"deb": "/var/lib/dpkg/", "apk": "/lib/apk/db/",
               "rpm": "/var/lib/rpm/"}


def root_of(ptype: str, path: str) -> str:
    """The root-filesystem prefix of an OS package database at ``path`` ("" for "/")."""
    marker = _DB_MARKERS.get(ptype)
    if ptype == "rpm" and "/usr/lib/sysimage/rpm/" in path:
        marker = "/usr/lib/sysimage/rpm/"
    if marker is None or marker not in path:
        return ""
    return path[:path.rindex(marker)]


DOC_DIR = "/usr/share/doc/"
_MAX_HOPS = 8  # doc-directory symlinks followed from one package (40 for a kernel's ELOOP)


def doc_links(links: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """``(root, package) -> package`` for Debian doc directories that are symlinks to a
    sibling (``/usr/share/doc/libgcc-s1 -> gcc-12-base``): the package's copyright is the
    target's, as a resolving reader (Syft) sees it."""
    out: dict[tuple[str, str], str] = {}
    for path, target in links:
        root, sep, name = path.rpartition(DOC_DIR)
        target = target.removeprefix(DOC_DIR).removeprefix("../doc/").strip("/")
        if sep and name and "/" not in name and target and "/" not in target:
            out[(root, name)] = target
    return out


def apply(packages: Sequence[Package], evidence: Iterable[Evidence | tuple[int, Evidence]],
          doc_aliases: dict[tuple[str, str], str] | None = None,
          file_layers: dict[str, int] | None = None) -> list[Package]:
    """``packages`` with licences from evidence (for OS packages that have none of their
    own; a deb whose doc directory links to another package's takes that one's) and
    ``owner`` set on every non-OS package one of whose locations an OS package of the
    inventory owns. The first owner in sorted order wins (dpkg refuses two packages
    owning one file without a diversion, so ties are corrupt databases).

    Evidence may come with the index of the layer it was read from, and ``file_layers``
    gives the layer each package's metadata file was last written in: a file written after
    the database last claimed it (``pip install --force-reinstall`` over Debian's files in
    a later layer) is no longer the OS package's, and keeps its ecosystem's advisories."""
    aliases = doc_aliases or {}
    layers = file_layers or {}
    by_name: dict[tuple[str, str, str], Package] = {}
    for p in packages:
        if p.type in OS_TYPES:
            root = root_of(p.type, p.locations[0].path) if p.locations else ""
            by_name.setdefault((p.type, root, p.name), p)
            if p.arch:
                by_name.setdefault((p.type, root, f"{p.name}:{p.arch}"), p)
    licences: dict[tuple[str, str, str], tuple[str, ...]] = {}
    owner_of: dict[str, tuple[str, int]] = {}  # path -> (owner purl, layer of the claim)
    indexed = [e if isinstance(e, tuple) else (0, e) for e in evidence]
    for layer, ev in sorted(indexed, key=lambda x: (x[1].type, x[1].root, x[1].name)):
        if ev.licenses:  # keyed by the doc directory's name, joined below
            licences.setdefault((ev.type, ev.root, ev.name), ev.licenses)
        pkg = by_name.get((ev.type, ev.root, ev.name))
        if pkg is None:
            continue  # evidence of a package not installed (removed, config-files only)
        for path in ev.files:
            owner_of.setdefault(path, (pkg.purl, layer))
    out: list[Package] = []
    for p in packages:
        if p.type in OS_TYPES:
            root = root_of(p.type, p.locations[0].path) if p.locations else ""
            found = licences.get((p.type, root, p.name))
            # followed link by link: binutils-x86-64-linux-gnu -> libbinutils ->
            # binutils-common; a loop ends after _MAX_HOPS
            alias = aliases.get((root, p.name)) if p.type == "deb" else None
            for _ in range(_MAX_HOPS):
                if found or not alias:
                    break
                found = licences.get((p.type, root, alias))
                alias = aliases.get((root, alias))
            out.append(replace(p, licenses=found) if found and not p.licenses else p)
            continue
        owner = next((owner_of[loc.path][0] for loc in p.locations if loc.path in owner_of
                      and layers.get(loc.path, 0) <= owner_of[loc.path][1]), None)
        out.append(replace(p, owner=owner) if owner else p)
    return out

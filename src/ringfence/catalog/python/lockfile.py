"""Declared Python dependencies: ``*requirements*.txt`` (exact ``==``/``===`` pins only),
``poetry.lock``, ``Pipfile.lock`` and ``uv.lock``.

These files say what a build asked for, not what is installed; Syft and Trivy skip them
when scanning images. The packages carry the cataloger name ``python-lockfile`` and
``metadata["lockfile"]`` so that reports can tell them from installed distributions.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterable, Iterator
from typing import Any

from ringfence.catalog import purls
from ringfence.catalog.interface import CatalogError, Parsed
from ringfence.model.package import Location, Package

_LOCKS = {"poetry.lock": "poetry", "Pipfile.lock": "pipfile", "uv.lock": "uv"}
_OPTION = re.compile(r"\s+-{1,2}[A-Za-z]")  # per-requirement options: --hash=…, -C …
_COMMENT = re.compile(r"(^|\s)#.*$")
_NOT_NAMED = ("-", ".", "/", "${")  # options, local paths, env-var requirements
_PINS = ("==", "===")
_UNINSTALLED_UV_SOURCES = ("virtual", "editable")  # the project itself, not a dependency

Entry = tuple[str, str, str]  # name, version, dependency group ("" when not known)


class PythonLockfileCataloger:
    name = "python-lockfile"
    version = "1"

    def wants(self, path: str, size: int) -> bool:
        if path.endswith(".txt"):
            return "requirements" in path.rsplit("/", 1)[-1]
        return path.endswith(".lock") and path.rsplit("/", 1)[-1] in _LOCKS

    def parse(self, path: str, data: bytes) -> Parsed:
        base = path.rsplit("/", 1)[-1]
        kind = _LOCKS.get(base, "requirements")
        problems: list[str] = []
        if kind == "requirements":
            entries: Iterable[Entry] = _requirements(_text(data), problems)
        elif kind == "pipfile":
            entries = _pipfile(_json(data))
        else:
            entries = _toml_packages(_toml(data), kind)
        return Parsed(tuple(_packages(path, kind, entries)), tuple(problems))


def _text(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CatalogError(f"not UTF-8 text: {exc}") from exc


def _json(data: bytes) -> dict[str, Any]:
    if not data.strip():
        raise CatalogError("empty file (expected a JSON object)")
    try:
        doc = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CatalogError(f"not JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise CatalogError(f"expected a JSON object, found {type(doc).__name__}")
    return doc


def _toml(data: bytes) -> dict[str, Any]:
    try:
        return tomllib.loads(_text(data))
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(f"not TOML: {exc}") from exc


def _packages(path: str, kind: str, entries: Iterable[Entry]) -> Iterator[Package]:
    from packaging.utils import canonicalize_name  # a lock file's first package: 8 ms

    groups: dict[tuple[str, str], set[str]] = {}
    names: dict[tuple[str, str], str] = {}
    for name, version, group in entries:
        key = (str(canonicalize_name(name)), version)
        names.setdefault(key, name)
        groups.setdefault(key, set()).update([group] if group else [])
    for (canonical, version), group_set in groups.items():
        meta = [("lockfile", kind)] + ([("groups", ",".join(sorted(group_set)))]
                                       if group_set else [])
        yield Package(name=names[(canonical, version)], version=version, type="pypi",
                      purl=purls.make("pypi", canonical, version),
                      cataloger=PythonLockfileCataloger.name,
                      locations=(Location(path),), metadata=tuple(meta))


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """Lines with comments removed and backslash continuations joined (pip's rules)."""
    buf, start = "", 0
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = _COMMENT.sub("", raw)
        if not buf:
            start = lineno
        if line.endswith("\\"):
            buf += line[:-1] + " "
            continue
        buf += line
        if buf.strip():
            yield start, buf.strip()
        buf = ""
    if buf.strip():
        yield start, buf.strip()


def _requirements(text: str, problems: list[str]) -> Iterator[Entry]:
    # loaded by the first requirements file (lock files are read on dir: sources only)
    from packaging.requirements import InvalidRequirement, Requirement

    for lineno, line in _logical_lines(text):
        spec = _OPTION.split(line, 1)[0].strip()
        if spec.startswith(_NOT_NAMED) or "${" in spec or "://" in spec:
            continue
        try:
            req = Requirement(spec)
        except InvalidRequirement as exc:
            problems.append(f"line {lineno}: not a requirement {spec!r}: {exc}")
            continue
        specs = list(req.specifier)
        if req.url or len(specs) != 1 or specs[0].operator not in _PINS:
            continue  # not pinned to one exact version
        if "*" in specs[0].version:
            continue  # ==1.2.* is a range
        yield req.name, specs[0].version, ""


def _pipfile(doc: dict[str, Any]) -> Iterator[Entry]:
    for group in ("default", "develop"):
        section = doc.get(group)
        if not isinstance(section, dict):
            continue
        for name, info in section.items():
            version = info.get("version") if isinstance(info, dict) else None
            if isinstance(version, str) and version.startswith("=="):
                yield name, version.removeprefix("==").removeprefix("="), group


def _toml_packages(doc: dict[str, Any], kind: str) -> Iterator[Entry]:
    packages = doc.get("package", [])
    if not isinstance(packages, list):
        raise CatalogError(f"{kind} lock: 'package' is not an array of tables")
    for pkg in packages:
        if not isinstance(pkg, dict):
            continue
        name, version = pkg.get("name"), pkg.get("version")
        if not isinstance(name, str) or not isinstance(version, str) or not version:
            continue
        source = pkg.get("source")
        if kind == "uv" and isinstance(source, dict) and \
                any(k in source for k in _UNINSTALLED_UV_SOURCES):
            continue
        yield name, version, _poetry_group(pkg) if kind == "poetry" else ""


def _poetry_group(pkg: dict[str, Any]) -> str:
    if pkg.get("optional") is True:
        return "optional"
    category = pkg.get("category")
    return category if isinstance(category, str) and category != "main" else ""

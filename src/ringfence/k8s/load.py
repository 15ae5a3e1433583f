"""Read Kubernetes manifests: multi-document YAML and JSON, ``List`` kinds, directories, stdin.

Each YAML stream is split at its ``---`` markers first (a marker at column 0 always starts
a document, even inside a block scalar), so one broken document becomes an Unknown naming
its file and line and the rest of the file still loads. Documents are parsed with LibYAML's
safe loader (no arbitrary tags). Anchors and aliases are allowed, but a document whose
alias expansion would exceed a node budget (a "billion laughs") or that refers to itself is
rejected: checks walk the expanded tree.
"""

from __future__ import annotations

import gc
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ringfence.k8s.objects import K8sObject, make_object
from ringfence.model.unknown import Unknown

PLUGIN = "k8s.load"
SUFFIXES = (".yaml", ".yml", ".json")
MAX_FILE_BYTES = 64 * 1024 * 1024
MIN_NODE_BUDGET = 100_000  # expanded nodes always allowed per document
NODES_PER_CHAR = 4  # beyond that, a document may expand to 4 nodes per character of text

_MARKER = re.compile(r"^---(?=[ \t\r\n]|$)", re.MULTILINE)
_Base: type[Any] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_Base):  # type: ignore[misc]  # the C loader has no stubs to subclass
    """LibYAML's safe loader; a plain ``=`` is the string "=" (as in Kubernetes' own YAML
    library), not YAML 1.1's ``!!value`` tag, which real CRDs use in enums."""


_Loader.add_constructor("tag:yaml.org,2002:value", _Base.construct_yaml_str)


@dataclass(frozen=True, slots=True)
class Manifests:
    """Objects in reading order, and each document or file we could not use."""

    objects: tuple[K8sObject, ...]
    unknowns: tuple[Unknown, ...] = ()
    files: int = 0


class _Reject(Exception):
    """A document parsed but is unusable; the message becomes the Unknown's reason."""


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Parsing builds millions of acyclic dicts and lists that all stay alive: every cyclic
    collection would walk them all again (measured: 3x the parse time at 3,600 objects).
    Reference counting still frees garbage; the collector is restored afterwards."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def load_paths(paths: Iterable[str | Path]) -> Manifests:
    """Load files and directories (recursively: *.yaml, *.yml, *.json, sorted)."""
    with _no_cyclic_gc():
        return _load_paths(paths)


def _load_paths(paths: Iterable[str | Path]) -> Manifests:
    objects: list[K8sObject] = []
    unknowns: list[Unknown] = []
    files = 0
    for file in _expand(paths, unknowns):
        files += 1
        try:
            data = _read(file)
        except OSError as exc:
            unknowns.append(Unknown(str(file), f"cannot read: {exc.strerror or exc}", PLUGIN))
            continue
        _load_into(data, str(file), objects, unknowns)
    return Manifests(tuple(objects), tuple(unknowns), files)


def load_bytes(data: bytes, source: str = "<stdin>") -> Manifests:
    """Load one stream (a file's bytes, or stdin)."""
    objects: list[K8sObject] = []
    unknowns: list[Unknown] = []
    with _no_cyclic_gc():
        _load_into(data, source, objects, unknowns)
    return Manifests(tuple(objects), tuple(unknowns), 1)


def load_value(doc: Any, source: str, line: int = 0) -> Manifests:
    """Objects of one already-parsed document (an object or a List), e.g. a live list
    response; an unusable document becomes an Unknown."""
    objects: list[K8sObject] = []
    unknowns: list[Unknown] = []
    try:
        _collect(doc, source, line, objects, unknowns)
    except _Reject as exc:
        unknowns.append(Unknown(source, str(exc), PLUGIN))
    return Manifests(tuple(objects), tuple(unknowns), 0)


def _expand(paths: Iterable[str | Path], unknowns: list[Unknown]) -> Iterator[Path]:
    for p in map(Path, paths):
        if p.is_dir():
            yield from sorted(f for f in p.rglob("*") if f.suffix.lower() in SUFFIXES
                              and f.is_file())
        elif p.exists():
            yield p
        else:
            unknowns.append(Unknown(str(p), "no such file or directory", PLUGIN))


def _read(file: Path) -> bytes:
    with file.open("rb") as fh:
        data = fh.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise OSError(0, f"larger than {MAX_FILE_BYTES} bytes")
    return data


def _load_into(data: bytes, source: str, objects: list[K8sObject],
               unknowns: list[Unknown]) -> None:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        unknowns.append(Unknown(f"{source}:1", f"not UTF-8 text: {exc.reason}", PLUGIN))
        return
    for line, doc in _documents(text, source, unknowns):
        try:
            _collect(doc, source, line, objects, unknowns)
        except _Reject as exc:
            unknowns.append(Unknown(f"{source}:{line}", str(exc), PLUGIN))


def _documents(text: str, source: str, unknowns: list[Unknown]) -> Iterator[tuple[int, Any]]:
    """(first line, parsed value) of every non-empty document."""
    stripped = text.lstrip()
    if stripped[:1] in ("{", "["):
        try:
            yield _first_line(text, 0), json.loads(text)
            return
        except ValueError:
            pass  # JSON-looking YAML (or broken JSON): let the YAML parser judge it
    for start, chunk in _split(text):
        line = _first_line(chunk, start)
        try:
            doc = yaml.load(chunk, Loader=_Loader)  # noqa: S506 - a safe loader (CSafeLoader)
            if "&" in chunk:
                _check_expansion(doc, MIN_NODE_BUDGET + NODES_PER_CHAR * len(chunk))
        except yaml.YAMLError as exc:
            unknowns.append(Unknown(f"{source}:{_error_line(exc, start, line)}",
                                    f"YAML does not parse: {_problem(exc)}", PLUGIN))
            continue
        except _Reject as exc:
            unknowns.append(Unknown(f"{source}:{line}", str(exc), PLUGIN))
            continue
        if doc is not None:
            yield line, doc


def _split(text: str) -> Iterator[tuple[int, str]]:
    """(0-based line of the chunk's start, chunk) for each ``---``-separated chunk."""
    pos, line = 0, 0
    for m in _MARKER.finditer(text):
        if m.start() > pos:
            yield line, text[pos:m.start()]
        line += text.count("\n", pos, m.start())
        pos = m.start()
    yield line, text[pos:]


def _first_line(chunk: str, start: int) -> int:
    """1-based line of the first line holding content (not blank, comment or marker)."""
    for i, raw in enumerate(chunk.split("\n", 64)[:64]):
        s = raw.strip()
        if s and not s.startswith("#") and s != "---":
            return start + i + 1
    return start + 1


def _error_line(exc: yaml.YAMLError, start: int, fallback: int) -> int:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    return start + int(mark.line) + 1 if mark is not None else fallback


def _problem(exc: yaml.YAMLError) -> str:
    problem = getattr(exc, "problem", None)
    return str(problem) if problem else str(exc).splitlines()[0]


def _check_expansion(doc: Any, budget: int) -> None:
    """Count the nodes of the fully expanded tree (shared nodes counted at every use,
    memoised per object so counting stays linear); reject cycles and blow-ups."""
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(node: Any) -> int:
        if not isinstance(node, dict | list):
            return 1
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in active:
            raise _Reject("recursive alias (the document contains itself)")
        active.add(key)
        children = node.values() if isinstance(node, dict) else node
        total = 1 + sum(size(c) for c in children)
        if total > budget:
            raise _Reject(f"alias expansion exceeds {budget} nodes (alias bomb?)")
        active.discard(key)
        sizes[key] = total
        return total

    size(doc)


def _collect(doc: Any, source: str, line: int, out: list[K8sObject],
             unknowns: list[Unknown]) -> None:
    if not isinstance(doc, Mapping):
        raise _Reject(f"not a Kubernetes object (a {type(doc).__name__}, not a mapping)")
    kind, api = doc.get("kind"), doc.get("apiVersion")
    if not isinstance(kind, str) or not isinstance(api, str) or not kind or not api:
        raise _Reject("not a Kubernetes object (no apiVersion and kind)")
    items = doc.get("items")
    if not (kind.endswith("List") and isinstance(items, list)):
        out.append(make_object(doc, source, line))
        return
    item_kind = kind[:-4] or None  # PodList items may omit their kind; List items may not
    for i, item in enumerate(items):
        if isinstance(item, Mapping) and (item.get("kind") or item_kind):
            out.append(make_object(item, source, line, api, item_kind))
        else:
            unknowns.append(Unknown(f"{source}:{line}", f"{kind} item {i} is not an object "
                                    "with a kind", PLUGIN))

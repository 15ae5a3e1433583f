"""Read Kubernetes manifests: multi-document YAML and JSON, ``List`` kinds, directories, stdin.

Each YAML stream is split at its ``---`` markers first (a marker at column 0 always starts
a document, even inside a block scalar), so one broken document becomes an Unknown naming
its file and line and the rest of the file still loads. Documents are parsed with LibYAML's
safe loader (no arbitrary tags). Anchors and aliases are allowed, but a document whose
alias expansion would exceed a node budget (a "billion laughs") or that refers to itself is
rejected: checks walk the expanded tree. The budget grows with the document's own node
count (not its length, so comment padding buys nothing), and nesting deeper than
``MAX_DEPTH`` is an InputError (checks, reports and the JSON encoder would recurse into it).

Hostile paths: a path the user names that is missing, unreadable, not a regular file or a
directory (a FIFO, ``/dev/zero``) or larger than ``MAX_FILE_BYTES`` is an InputError (exit 3):
a gate must not pass because its input was not there. Inside a directory, which is walked
iteratively (no recursion on its depth) without following symlinked directories, such a file
becomes an Unknown naming it, and so does a directory deeper than ``MAX_DIR_DEPTH``.
"""

from __future__ import annotations

import gc
import json
import os
import re
import stat
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import yaml

from ringfence.errors import InputError
from ringfence.inputs import read_regular
from ringfence.k8s.objects import K8sObject, make_object
from ringfence.model.unknown import Unknown

PLUGIN = "k8s.load"
SUFFIXES = (".yaml", ".yml", ".json")
MAX_FILE_BYTES = 64 * 1024 * 1024
MIN_NODE_BUDGET = 100_000  # expanded nodes always allowed per document
NODES_PER_NODE = 4  # beyond that, a document may expand to 4x its own (unexpanded) nodes
MAX_DEPTH = 256  # nested mappings/sequences in one document (real manifests: < 40)
MAX_LIST_DEPTH = 32  # List inside List inside ... (kubectl flattens any depth)
MAX_DIR_DEPTH = 256  # directory levels below a PATH given on the command line
PARSER_STACK_BYTES = 256 << 20  # virtual; LibYAML uses ~400 bytes per nesting level
COMPOSER_SAFE_DEPTH = 100_000  # levels the composer may reach on that stack (~40 MiB)
_STACK_LOCK = threading.Lock()
_T = TypeVar("_T")

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


def _on_big_stack(func: Callable[[], _T]) -> _T:
    """Run ``func`` in a thread with a ``PARSER_STACK_BYTES`` stack: LibYAML's composer
    recurses in C once per nesting level and overflows the main thread's 8 MiB stack (a
    segfault, not an exception) at about 25,000 levels. ``_documents`` refuses documents
    that could nest deeper than ``COMPOSER_SAFE_DEPTH`` before composing them."""
    result: list[_T] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            result.append(func())
        except BaseException as exc:  # re-raised in the caller's thread
            failure.append(exc)

    with _STACK_LOCK:
        previous = threading.stack_size(PARSER_STACK_BYTES)
        try:
            worker = threading.Thread(target=run, name="ringfence-k8s-load", daemon=True)
            worker.start()
        finally:
            threading.stack_size(previous)
    worker.join()
    if failure:
        raise failure[0]
    return result[0]


def load_paths(paths: Iterable[str | Path]) -> Manifests:
    """Load files and directories (recursively: *.yaml, *.yml, *.json, sorted)."""
    paths = list(paths)

    def load() -> Manifests:
        with _no_cyclic_gc():
            return _load_paths(paths)

    return _on_big_stack(load)


def _load_paths(paths: Iterable[str | Path]) -> Manifests:
    objects: list[K8sObject] = []
    unknowns: list[Unknown] = []
    files = 0
    for source, dir_fd, name in _expand(paths, unknowns):
        try:
            data = read_regular(name, MAX_FILE_BYTES, source, dir_fd=dir_fd)
        except InputError as exc:
            if dir_fd is None:
                raise
            unknowns.append(Unknown(source, exc.message, PLUGIN))
            continue
        files += 1
        _load_into(data, source, objects, unknowns)
    return Manifests(tuple(objects), tuple(unknowns), files)


def load_bytes(data: bytes, source: str = "<stdin>") -> Manifests:
    """Load one stream (a file's bytes, or stdin)."""
    objects: list[K8sObject] = []
    unknowns: list[Unknown] = []

    def load() -> None:
        with _no_cyclic_gc():
            _load_into(data, source, objects, unknowns)

    _on_big_stack(load)
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


def _expand(paths: Iterable[str | Path],
            unknowns: list[Unknown]) -> Iterator[tuple[str, int | None, str]]:
    """(source, directory fd or None, name to open) of every file to read; the fd is None
    for a path named on the command line. A named path that does not exist or cannot be
    listed is an InputError."""
    for p in map(Path, paths):
        try:
            st = p.stat()
        except OSError as exc:
            reason = "no such file or directory" if isinstance(exc, FileNotFoundError) \
                else (exc.strerror or str(exc))
            raise InputError(str(p), reason, hint="give existing manifest files or "
                             "directories (- for stdin)") from exc
        if stat.S_ISDIR(st.st_mode):
            yield from _walk(p, unknowns)
        else:
            yield str(p), None, str(p)  # read_regular refuses FIFOs, devices and sockets


_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC


def _walk(root: Path, unknowns: list[Unknown]) -> Iterator[tuple[str, int | None, str]]:
    """Manifest files under ``root`` in path order (what ``sorted(Path.rglob(...))`` gave),
    depth first with an explicit stack of directory fds: no recursion, and paths longer
    than PATH_MAX are opened relative to their directory. Symlinked directories are not
    followed; a directory deeper than ``MAX_DIR_DEPTH`` or that cannot be listed is an
    Unknown (the named root itself: an InputError)."""
    try:
        fd = os.open(root, _DIR_FLAGS)
        names = sorted(os.listdir(fd))
    except OSError as exc:
        raise InputError(str(root), f"cannot list the directory: {exc.strerror or exc}") \
            from exc
    stack: list[tuple[int, str, Iterator[str]]] = [(fd, str(root), iter(names))]
    try:
        while stack:
            dir_fd, dir_path, it = stack[-1]
            for name in it:
                path = os.path.join(dir_path, name)
                try:
                    st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
                except OSError:
                    continue  # removed while we walk
                if stat.S_ISDIR(st.st_mode):
                    if len(stack) > MAX_DIR_DEPTH:
                        unknowns.append(Unknown(path, f"deeper than {MAX_DIR_DEPTH} "
                                                "directory levels: not read", PLUGIN))
                        continue
                    try:
                        child = os.open(name, _DIR_FLAGS | os.O_NOFOLLOW, dir_fd=dir_fd)
                    except OSError as exc:
                        unknowns.append(Unknown(path, f"cannot list: {exc.strerror or exc}",
                                                PLUGIN))
                        continue
                    try:
                        children = sorted(os.listdir(child))
                    except OSError as exc:
                        os.close(child)
                        unknowns.append(Unknown(path, f"cannot list: {exc.strerror or exc}",
                                                PLUGIN))
                        continue
                    stack.append((child, path, iter(children)))
                    break
                if os.path.splitext(name)[1].lower() not in SUFFIXES:
                    continue
                if stat.S_ISLNK(st.st_mode):
                    try:
                        st = os.stat(name, dir_fd=dir_fd)
                    except OSError:
                        continue  # a dangling link: rglob's is_file() skipped it too
                    if stat.S_ISDIR(st.st_mode):
                        continue
                if stat.S_ISREG(st.st_mode):
                    yield path, dir_fd, name
                else:
                    unknowns.append(Unknown(path, "not a regular file: not read", PLUGIN))
            else:
                os.close(stack.pop()[0])
    finally:
        for dir_fd, _, _ in stack:
            os.close(dir_fd)


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
            doc = json.loads(text)
        except RecursionError as exc:
            raise InputError(source, f"JSON nested deeper than {MAX_DEPTH} levels") from exc
        except ValueError:
            pass  # JSON-looking YAML (or broken JSON): let the YAML parser judge it
        else:
            line = _first_line(text, 0)
            try:
                _check_shape(doc, 0, f"{source}:{line}")
            except _Reject as exc:
                unknowns.append(Unknown(f"{source}:{line}", str(exc), PLUGIN))
                return
            yield line, doc
            return
    for start, chunk in _split(text):
        line = _first_line(chunk, start)
        try:
            if _may_nest_deeper(chunk, COMPOSER_SAFE_DEPTH) and _event_depth(chunk) > MAX_DEPTH:
                raise InputError(f"{source}:{line}", f"nested deeper than {MAX_DEPTH} levels")
            doc = yaml.load(chunk, Loader=_Loader)  # noqa: S506 - a safe loader (CSafeLoader)
            _check_shape(doc, MIN_NODE_BUDGET if "&" in chunk else 0, f"{source}:{line}")
        except yaml.YAMLError as exc:
            if "nesting depth" in _problem(exc):  # LibYAML >= 0.2.5's own nesting limit
                raise InputError(f"{source}:{line}",
                                 f"YAML nested deeper than {MAX_DEPTH} levels") from exc
            unknowns.append(Unknown(f"{source}:{_error_line(exc, start, line)}",
                                    f"YAML does not parse: {_problem(exc)}", PLUGIN))
            continue
        except _Reject as exc:
            unknowns.append(Unknown(f"{source}:{line}", str(exc), PLUGIN))
            continue
        except RecursionError as exc:  # LibYAML's composer on pathological nesting
            raise InputError(f"{source}:{line}",
                             f"YAML nested deeper than {MAX_DEPTH} levels") from exc
        if doc is not None:
            yield line, doc


def _may_nest_deeper(chunk: str, depth: int) -> bool:
    """Cheap and sound: False only when the YAML in ``chunk`` cannot nest ``depth`` levels.
    Flow nesting needs a ``[``/``{`` per level; block nesting needs an indentation step or
    an indicator (``-``, ``?``, ``:``) on one line per one or two levels."""
    flow = chunk.count("[") + chunk.count("{")
    if flow >= depth:
        return True
    longest = max(map(len, chunk.split("\n")), default=0)
    return flow + 2 * longest + 2 >= depth


_OPEN = (yaml.SequenceStartEvent, yaml.MappingStartEvent)
_CLOSE = (yaml.SequenceEndEvent, yaml.MappingEndEvent)


def _event_depth(chunk: str) -> int:
    """The exact nesting of ``chunk`` from LibYAML's event stream (iterative in C), stopping
    as soon as it passes ``MAX_DEPTH``."""
    depth = 0
    for event in yaml.parse(chunk, Loader=_Loader):
        if isinstance(event, _OPEN):
            depth += 1
            if depth > MAX_DEPTH:
                return depth
        elif isinstance(event, _CLOSE):
            depth -= 1
    return 0


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


def _check_shape(doc: Any, min_budget: int, where: str) -> None:
    """Walk the parsed value once, iteratively: nesting deeper than ``MAX_DEPTH`` is an
    InputError. With ``min_budget`` (the document has anchors), also count the nodes of the
    fully expanded tree (shared nodes counted at every use, memoised per object so counting
    stays linear in the unexpanded document) and reject a document that contains itself or
    expands beyond ``min_budget + NODES_PER_NODE * its own nodes`` (a "billion laughs")."""
    if not isinstance(doc, dict | list):
        return
    if not min_budget:  # no sharing possible: a level-by-level depth count is enough
        level: list[Any] = [doc]
        for _ in range(MAX_DEPTH):
            below: list[Any] = []
            for node in level:
                below.extend([c for c in (node.values() if type(node) is dict else node)
                              if type(c) is dict or type(c) is list])
            if not below:
                return
            level = below
        raise InputError(where, f"nested deeper than {MAX_DEPTH} levels")
    aliases = True
    sizes: dict[int, tuple[int, int]] = {}  # id -> (expanded nodes, height)
    active: set[int] = set()
    own = 1 + len(doc)  # nodes of the unexpanded graph: containers and their edges
    # frame: [node, children iterator, expanded nodes so far, height of its tallest child]
    stack: list[list[Any]] = [[doc, iter(doc.values() if isinstance(doc, dict) else doc),
                               1, 0]]
    active.add(id(doc))
    while stack:
        frame = stack[-1]
        for child in frame[1]:
            if not isinstance(child, dict | list):
                frame[2] += 1
                continue
            key = id(child)
            if key in sizes:
                nodes, height = sizes[key]
                if len(stack) + height > MAX_DEPTH:
                    raise InputError(where, f"nested deeper than {MAX_DEPTH} levels")
                frame[2] += nodes
                frame[3] = max(frame[3], height)
                continue
            if key in active:
                raise _Reject("recursive alias (the document contains itself)")
            if len(stack) >= MAX_DEPTH:
                raise InputError(where, f"nested deeper than {MAX_DEPTH} levels")
            if aliases:
                active.add(key)
            own += 1 + len(child)
            stack.append([child, iter(child.values() if isinstance(child, dict) else child),
                          1, 0])
            break
        else:
            stack.pop()
            if aliases:
                key = id(frame[0])
                active.discard(key)
                sizes[key] = (frame[2], frame[3] + 1)
            if stack:
                stack[-1][2] += frame[2]
                stack[-1][3] = max(stack[-1][3], frame[3] + 1)
            elif aliases:
                budget = min_budget + NODES_PER_NODE * own
                if frame[2] > budget:
                    raise _Reject(f"alias expansion exceeds {budget} nodes (alias bomb?)")


def _collect(doc: Any, source: str, line: int, out: list[K8sObject],
             unknowns: list[Unknown]) -> None:
    """One object, or every object of a ``List``/``*List``, flattened at any nesting (a List
    inside a List, as ``kubectl`` flattens it) with an explicit stack, up to
    ``MAX_LIST_DEPTH`` levels."""
    if not isinstance(doc, Mapping):
        raise _Reject(f"not a Kubernetes object (a {type(doc).__name__}, not a mapping)")
    kind, api = doc.get("kind"), doc.get("apiVersion")
    if not isinstance(kind, str) or not isinstance(api, str) or not kind or not api:
        raise _Reject("not a Kubernetes object (no apiVersion and kind)")
    # (object, inherited apiVersion, inherited kind, List nesting, what it is inside)
    pending: list[tuple[Mapping[str, Any], str | None, str | None, int, str]] = [
        (doc, None, None, 0, "")]
    while pending:
        obj, inherited_api, inherited_kind, depth, where = pending.pop()
        obj_kind = obj.get("kind") or inherited_kind
        items = obj.get("items")
        if not (isinstance(obj_kind, str) and obj_kind.endswith("List")
                and isinstance(items, list)):
            out.append(make_object(obj, source, line, inherited_api, inherited_kind))
            continue
        if depth >= MAX_LIST_DEPTH:
            unknowns.append(Unknown(f"{source}:{line}", f"{where}{obj_kind} nested deeper "
                                    f"than {MAX_LIST_DEPTH} Lists: not read", PLUGIN))
            continue
        list_api = obj.get("apiVersion") or inherited_api
        list_api = list_api if isinstance(list_api, str) else None
        item_kind = obj_kind[:-4] or None  # PodList items may omit their kind; List's may not
        children = []
        for i, item in enumerate(items):
            if isinstance(item, Mapping) and isinstance(item.get("kind") or item_kind, str) \
                    and (item.get("kind") or item_kind):
                children.append((item, list_api, item_kind, depth + 1,
                                 f"{where}{obj_kind} item {i}: "))
            else:
                unknowns.append(Unknown(f"{source}:{line}", f"{where}{obj_kind} item {i} is "
                                        "not an object with a kind", PLUGIN))
        pending.extend(reversed(children))

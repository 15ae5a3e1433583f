"""Tamper-evident inventory: dpkg's own digests (``/var/lib/dpkg/info/*.md5sums`` and the
``Conffiles`` md5s in ``status``) against the files actually in the image's squashed view,
plus executables that no package lists (``info/*.list``). Gathered in the single layer
pass: md5 of every regular file is streamed by the walk, the dpkg files are read.

Paths dpkg records are resolved through the image's directory symlinks (merged /usr:
dpkg says ``/bin/bash``, the file is ``/usr/bin/bash``). Conffile edits are reported apart:
dpkg itself expects administrators (and maintainer scripts) to change them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from ringfence.catalog.rfc822 import paragraphs
from ringfence.diff.model import RUNTIME_OWNED
from ringfence.image.paths import is_under, normalize, resolve_link
from ringfence.layers import walk
from ringfence.layers.analyzer import SquashView
from ringfence.layers.walk import Entry

INFO: Final = "/var/lib/dpkg/info/"
STATUS: Final = "/var/lib/dpkg/status"
# dpkg's own bookkeeping (maintainer scripts are executable but belong to no package list),
# and the files a container runtime replaces at start (debootstrap leaves /etc/hostname and
# /etc/resolv.conf with mode 0755 in bookworm-min: not a program anyone runs)
NOT_CHECKED: Final = ("/var/lib/dpkg", *RUNTIME_OWNED)
MAX_LINKS: Final = 40


@dataclass(frozen=True, slots=True)
class TamperFinding:
    path: str
    kind: str  # modified | missing | conffile-modified | unowned-executable
    package: str | None
    detail: str


@dataclass(frozen=True, slots=True)
class TamperReport:
    findings: tuple[TamperFinding, ...]
    packages_checked: int
    files_checked: int

    def of(self, kind: str) -> tuple[TamperFinding, ...]:
        return tuple(f for f in self.findings if f.kind == kind)


class _State:
    def __init__(self) -> None:
        self.files: dict[str, list[Any]] = {}  # path -> [kind, md5, mode, link]
        self.docs: dict[str, str] = {}  # dpkg info/status path -> text

    def observe(self, entry: Entry) -> None:
        if entry.data is not None and _is_dpkg_doc(entry.path):
            self.docs[entry.path] = entry.data.decode("utf-8", "surrogateescape")
        if entry.kind in (walk.REG, walk.TOO_LARGE):
            self.files[entry.path] = ["file", dict(entry.digests).get("md5"),
                                      entry.mode & 0o7777, None]
        elif entry.kind == walk.HARDLINK:
            target = self.files.get(entry.link or "")
            self.files[entry.path] = list(target) if target else ["link", None, 0, entry.link]
        elif entry.kind == walk.SYMLINK:
            self.files[entry.path] = ["symlink", None, 0, entry.link]
        elif entry.kind == walk.DIR:
            self.files[entry.path] = ["dir", None, entry.mode & 0o7777, None]

    def facts(self) -> Any:
        return {"files": self.files, "docs": self.docs}


def _is_dpkg_doc(path: str) -> bool:
    return path == STATUS or (path.startswith(INFO) and path.endswith((".md5sums", ".list")))


class DpkgTamperAnalyzer:
    name = "dpkg-tamper"
    version = "1"
    digests = ("md5",)

    def wants(self, path: str, size: int) -> bool:
        return _is_dpkg_doc(path)

    def new_state(self) -> _State:
        return _State()

    def merge(self, layers: Sequence[tuple[str, Any]], view: SquashView) -> TamperReport:
        files: dict[str, list[Any]] = {}
        docs: dict[str, str] = {}
        for i, (_d, facts) in enumerate(layers):
            for path, value in (facts or {}).get("files", {}).items():
                if view.visible(path, i):
                    files[path] = value
            for path, text in (facts or {}).get("docs", {}).items():
                if view.visible(path, i):
                    docs[path] = text
        return check(files, docs)


def check(files: dict[str, list[Any]], docs: dict[str, str]) -> TamperReport:
    resolve = _Resolver(files)
    findings: list[TamperFinding] = []
    owned: set[str] = set()
    checked = 0
    packages = set()
    for doc, text in sorted(docs.items()):
        pkg = doc[len(INFO):].rsplit(".", 1)[0] if doc.startswith(INFO) else ""
        if doc.endswith(".list"):
            owned.update(resolve(line) for line in text.splitlines() if line.startswith("/"))
        elif doc.endswith(".md5sums"):
            packages.add(pkg)
            for rel, md5 in _md5sums(text):
                checked += 1
                findings.extend(_compare(resolve("/" + rel), md5, pkg, "modified", files))
    for pkg, path, md5 in _conffiles(docs.get(STATUS, "")):
        findings.extend(_compare(resolve(path), md5, pkg, "conffile-modified", files))
    for path, (kind, _md5, mode, _link) in sorted(files.items()):
        if kind == "file" and mode & 0o111 and path not in owned \
                and not any(is_under(path, d) for d in NOT_CHECKED):
            findings.append(TamperFinding(path, "unowned-executable", None,
                                          f"mode {mode:04o}; no dpkg package lists it"))
    return TamperReport(tuple(sorted(findings, key=lambda f: (f.kind, f.path))),
                        len(packages), checked)


def _compare(path: str, md5: str, pkg: str, kind: str,
             files: dict[str, list[Any]]) -> list[TamperFinding]:
    state = files.get(path)
    if state is None:
        return [TamperFinding(path, "missing", pkg, "listed by the package, absent")]
    if state[0] == "file" and state[1] is not None and state[1] != md5:
        return [TamperFinding(path, kind, pkg, f"md5 {state[1]}, package says {md5}")]
    return []


def _md5sums(text: str) -> list[tuple[str, str]]:
    out = []
    for line in text.splitlines():
        md5, sep, rel = line.partition("  ")
        if sep and len(md5) == 32:
            out.append((rel, md5))
    return out


def _conffiles(status: str) -> list[tuple[str, str, str]]:
    out = []
    for _line, fields in paragraphs(status):
        if "installed" not in fields.get("Status", "").split():
            continue
        for line in fields.get("Conffiles", "").splitlines():
            parts = line.split()
            # "newconffile" marks a conffile not yet written; obsolete ones are not shipped
            if len(parts) >= 2 and len(parts[1]) == 32 and "obsolete" not in parts[2:]:
                out.append((fields.get("Package", ""), parts[0], parts[1]))
    return out


class _Resolver:
    """Resolve directory symlinks of a path inside the image (clamped at ``/``)."""

    def __init__(self, files: dict[str, list[Any]]) -> None:
        self.files = files

    def __call__(self, path: str) -> str:
        parts = [p for p in normalize(path).split("/") if p]
        current = ""
        hops = 0
        while parts:
            current = f"{current}/{parts.pop(0)}"
            state = self.files.get(current)
            if parts and state is not None and state[0] == "symlink" and state[3]:
                hops += 1
                if hops > MAX_LINKS:
                    return normalize(path)
                target = resolve_link(current, str(state[3]))
                parts = [p for p in target.split("/") if p] + parts
                current = ""
        return current or "/"

#!/usr/bin/env python3
"""Print the Debian archive and security mirrors this machine's apt already uses.

    apt_mirrors.py [--root DIR]   ->   "ARCHIVE_URI SECURITY_URI" on one line, exit 0
                                       a reason on stderr, exit 1, when either is missing

Reads both formats apt accepts (sources.list(5)): deb822 stanzas in
``etc/apt/sources.list.d/*.sources`` and one-line entries in ``etc/apt/sources.list`` and
``etc/apt/sources.list.d/*.list``. Only ``deb`` entries that are enabled and whose URI
debootstrap can fetch from (http, https, file) count. The archive mirror is the first entry
that carries a plain release suite (``bookworm``, ``stable``...); the security mirror is the
first entry that carries a ``*-security`` (or old-style ``*/updates``) suite. Files apt
itself ignores (other extensions, ``*.disabled``...) are ignored here too. No host name is
built in: the answer is whatever the machine is configured with.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

FETCHABLE = ("http://", "https://", "file:")
SECURITY_SUITE = re.compile(r"^([a-z]+)(-security|/updates)$")
CHANNEL_SUITE = re.compile(r"^([a-z]+)(-security|/updates|-updates|-backports|-proposed-updates)$")
ALIASES = {"stable", "oldstable", "oldoldstable", "testing", "unstable", "sid"}


@dataclass(frozen=True)
class Entry:
    uris: tuple[str, ...]
    suites: tuple[str, ...]
    origin: str


def deb822_entries(path: Path) -> list[Entry]:
    """The enabled ``Types: deb`` stanzas of one ``.sources`` file."""
    entries: list[Entry] = []
    stanza: dict[str, str] = {}
    key = ""

    def flush() -> None:
        types = stanza.get("types", "").split()
        enabled = stanza.get("enabled", "yes").strip().lower() not in ("no", "false", "0")
        if "deb" in types and enabled:
            entries.append(Entry(tuple(stanza.get("uris", "").split()),
                                 tuple(stanza.get("suites", "").split()), str(path)))
        stanza.clear()

    for raw in [*path.read_text(errors="replace").splitlines(), ""]:
        if raw.startswith("#"):
            continue
        if not raw.strip():
            if stanza:
                flush()
            key = ""
            continue
        if raw[0] in " \t":  # continuation of a multi-line field
            if key:
                stanza[key] += " " + raw.strip()
            continue
        name, sep, value = raw.partition(":")
        if sep:
            key = name.strip().lower()
            stanza[key] = value.strip()
    return entries


def one_line_entries(path: Path) -> list[Entry]:
    """The ``deb`` lines of one ``sources.list``-style file (options in ``[...]`` skipped)."""
    entries: list[Entry] = []
    for raw in path.read_text(errors="replace").splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line.startswith("deb") or line.startswith("deb-src"):
            continue
        line = re.sub(r"\[[^\]]*\]", " ", line[3:])
        fields = line.split()
        if len(fields) >= 2:
            entries.append(Entry((fields[0],), (fields[1],), str(path)))
    return entries


def entries(root: Path) -> list[Entry]:
    apt = root / "etc" / "apt"
    found: list[Entry] = []
    if (apt / "sources.list").is_file():
        found += one_line_entries(apt / "sources.list")
    parts = apt / "sources.list.d"
    for path in sorted(parts.glob("*")) if parts.is_dir() else []:
        if path.suffix == ".list" and path.is_file():
            found += one_line_entries(path)
        elif path.suffix == ".sources" and path.is_file():
            found += deb822_entries(path)
    return found


def releases(root: Path, found: list[Entry]) -> set[str]:
    """Suite names that denote a Debian release on this machine."""
    names = set(ALIASES)
    for entry in found:
        names.update(m.group(1) for s in entry.suites if (m := CHANNEL_SUITE.match(s)))
    os_release = root / "etc" / "os-release"
    if os_release.is_file():
        for line in os_release.read_text(errors="replace").splitlines():
            if line.startswith("VERSION_CODENAME="):
                names.add(line.split("=", 1)[1].strip().strip('"'))
    names.discard("")
    return names


def pick(found: list[Entry], wanted: Callable[[str], bool]) -> str | None:
    for entry in found:
        if any(wanted(s) for s in entry.suites):
            for uri in entry.uris:
                if uri.startswith(FETCHABLE):
                    return uri.rstrip("/")
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--root", type=Path, default=Path("/"),
                        help="file system root whose etc/apt is read (default /)")
    args = parser.parse_args(argv)
    found = entries(args.root)
    names = releases(args.root, found)
    archive = pick(found, names.__contains__)
    security = pick(found, lambda s: SECURITY_SUITE.match(s) is not None)
    if archive is None or security is None:
        what = " and ".join(n for n, u in (("archive", archive), ("security", security))
                            if u is None)
        print(f"apt_mirrors: no Debian {what} mirror among the enabled deb entries of "
              f"{args.root / 'etc/apt'} (set MIRROR and SECURITY_MIRROR)", file=sys.stderr)
        return 1
    print(archive, security)
    return 0


if __name__ == "__main__":
    sys.exit(main())

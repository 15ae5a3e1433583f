"""Read what hardening needs from an image in one pass over its layers: the config (user,
ports, volumes, WorkingDir, entrypoint), its directories and its /etc/passwd.

    workload = image_workload("oci:/path/img.oci", OpenOptions())
"""

from __future__ import annotations

import posixpath
from collections.abc import Sequence
from typing import Any

from ringfence.harden.workload import ImageFiles, Workload, parse_passwd, workload_from_config
from ringfence.image.resolve import OpenOptions
from ringfence.layers.analyzer import SquashView
from ringfence.layers.walk import DIR, Entry
from ringfence.scan import ScanOptions, scan_image

USERS_FILE = "/etc/passwd"


class _State:
    def __init__(self) -> None:
        self.dirs: set[str] = set()
        self.parents: set[str] = set()
        self.passwd: str | None = None

    def observe(self, entry: Entry) -> None:
        if entry.kind == DIR:
            self.dirs.add(entry.path)
        self.parents.add(posixpath.dirname(entry.path))
        if entry.path == USERS_FILE and entry.data is not None:
            self.passwd = entry.data.decode("utf-8", "replace")

    def facts(self) -> Any:
        return {"dirs": sorted(self.dirs), "parents": sorted(self.parents),
                "passwd": self.passwd}


class HardenFilesAnalyzer:
    """Directories, non-empty directories and users of the image (a LayerAnalyzer).
    Whiteouts are not applied to directories: a directory deleted by a later layer still
    counts, which only makes the tmpfs heuristic mount one more (empty) tmpfs."""

    name = "harden-files"
    version = "1"

    def wants(self, path: str, size: int) -> bool:
        return path == USERS_FILE and size < 4 * 1024 * 1024

    def new_state(self) -> _State:
        return _State()

    def merge(self, layers: Sequence[tuple[str, Any]], view: SquashView) -> ImageFiles:
        dirs: set[str] = set()
        parents: set[str] = set()
        passwd = ""
        for i, (_, facts) in enumerate(layers):
            if not facts:
                continue
            dirs.update(facts["dirs"])
            parents.update(facts["parents"])
            if facts["passwd"] is not None and view.visible(USERS_FILE, i):
                passwd = facts["passwd"]
        return ImageFiles(frozenset(dirs), frozenset(parents), parse_passwd(passwd))


def image_workload(reference: str, open_options: OpenOptions | None = None) -> Workload:
    options = ScanOptions(open=open_options or OpenOptions(), catalogers=(),
                          analyzers=(HardenFilesAnalyzer(),))
    result = scan_image(reference, options)
    files = result.analysis("harden-files")
    config = result.image.config if result.image else {}
    return workload_from_config(config, reference,
                                files if isinstance(files, ImageFiles) else None)

"""What cataloging one layer produced: a value, cached under the digest of the verified
blob bytes it was computed from (cache/layer_cache.py), with its verified ``diff_id``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ringfence.model.evidence import Evidence
from ringfence.model.inventory import Distro
from ringfence.model.package import Package
from ringfence.model.unknown import Unknown


@dataclass(frozen=True, slots=True)
class FileRecord:
    """The packages (and OS-package evidence) one cataloger found in one file of one layer."""

    path: str
    cataloger: str
    packages: tuple[Package, ...]
    evidence: tuple[Evidence, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "cataloger": self.cataloger,
                "packages": [p.to_dict() for p in self.packages],
                "evidence": [e.to_dict() for e in self.evidence]}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> FileRecord:
        return cls(d["path"], d["cataloger"], tuple(Package.from_dict(p) for p in d["packages"]),
                   tuple(Evidence.from_dict(e) for e in d.get("evidence", ())))


@dataclass(frozen=True, slots=True)
class LayerResult:
    """Per-layer facts needed to build the squashed view without reading the layer again.

    ``touched`` lists non-directory paths of this layer that a cataloger wanted
    (they hide the same path in lower layers even when nothing was found in them).
    """

    diff_id: str
    records: tuple[FileRecord, ...] = ()
    distros: tuple[tuple[str, Distro], ...] = ()
    whiteouts: tuple[str, ...] = ()
    opaque_dirs: tuple[str, ...] = ()
    touched: tuple[str, ...] = ()
    unknowns: tuple[Unknown, ...] = ()
    entries: int = 0
    # every non-directory path and every directory of the layer (squashed visibility for
    # the package merge and analyzers), and each analyzer's JSON-able facts by name
    files: tuple[str, ...] = ()
    dirs: tuple[str, ...] = ()
    facts: tuple[tuple[str, Any], ...] = ()
    # symlinks of the layer (path, target as written): resolved within the image root at
    # merge time, across layers, as the container would (scan.py, layers/symlinks.py)
    links: tuple[tuple[str, str], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "diff_id": self.diff_id,
            "records": [r.to_dict() for r in self.records],
            "distros": [[p, d.to_dict()] for p, d in self.distros],
            "whiteouts": list(self.whiteouts),
            "opaque_dirs": list(self.opaque_dirs),
            "touched": list(self.touched),
            "unknowns": [u.to_dict() for u in self.unknowns],
            "entries": self.entries,
            "files": list(self.files),
            "dirs": list(self.dirs),
            "facts": [[name, value] for name, value in self.facts],
            "links": [list(x) for x in self.links],
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> LayerResult:
        return cls(
            diff_id=d["diff_id"],
            records=tuple(FileRecord.from_dict(r) for r in d["records"]),
            distros=tuple((p, Distro.from_dict(x)) for p, x in d["distros"]),
            whiteouts=tuple(d["whiteouts"]),
            opaque_dirs=tuple(d["opaque_dirs"]),
            touched=tuple(d["touched"]),
            unknowns=tuple(Unknown.from_dict(u) for u in d["unknowns"]),
            entries=int(d.get("entries", 0)),
            files=tuple(d.get("files", ())),
            dirs=tuple(d.get("dirs", ())),
            facts=tuple((str(n), v) for n, v in d.get("facts", ())),
            links=tuple((str(p), str(t)) for p, t in d.get("links", ())),
        )

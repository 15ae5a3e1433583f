"""What an OS package database says about a package outside its own record.

dpkg keeps the files a package owns in ``info/<pkg>.list`` and its licences in
``/usr/share/doc/<pkg>/copyright``: other files than the status database, found by other
entries of the layer walk. rpm and apk keep both in the database itself. Either way a
cataloger hands them over as :class:`Evidence`, joined to the package after the layers are
squashed (``catalog/ownership.py``), so a file deleted or replaced by a later layer stops
counting exactly as the package record would.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ringfence.model.license import from_json, spdx_of


@dataclass(frozen=True, slots=True)
class Evidence:
    """Files owned by, or licences of, the OS package ``name`` of purl type ``type``.

    ``root`` is the prefix of the root filesystem the database lives in ("" for the image's
    own; a chroot kept inside the image has its own). ``files`` are absolute paths inside
    the image (with ``root`` prepended). ``name`` is the package name as its database
    spells it (dpkg info files of ``Multi-Arch: same`` packages add ``:arch``).
    """

    type: str
    name: str
    root: str = ""
    files: tuple[str, ...] = ()
    licenses: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, "name": self.name, "root": self.root,
                "files": list(self.files), "licenses": list(self.licenses),
                "spdx_licenses": spdx_of(self.licenses)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Evidence:
        return cls(str(d["type"]), str(d["name"]), str(d.get("root", "")),
                   tuple(d.get("files", ())),
                   from_json(d.get("licenses", ()), d.get("spdx_licenses", ())))

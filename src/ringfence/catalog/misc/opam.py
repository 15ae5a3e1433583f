"""OCaml opam: ``<name>.<version>/opam`` and ``*.opam`` files; ``name:``/``version:``
fields win over the directory name."""

from __future__ import annotations

import re

from ringfence.catalog.interface import Parsed
from ringfence.catalog.misc.common import basename, package, parent, text

_FIELD = r"^{key}:\s*\"(?P<value>[^\"]*)\""
_NAME = re.compile(_FIELD.format(key="name"), re.MULTILINE)
_VERSION = re.compile(_FIELD.format(key="version"), re.MULTILINE)
_LICENSE = re.compile(_FIELD.format(key="license"), re.MULTILINE)
_DIR = re.compile(r"^(?P<name>[^.]+(?:\.[^.\d][^.]*)*)\.(?P<version>v?\d.*)$")


class OpamCataloger:
    name = "opam"
    version = "2"  # 2: licences normalised (catalog/licenses.py)

    def wants(self, path: str, size: int) -> bool:
        name = basename(path)
        return name == "opam" or (name.endswith(".opam") and len(name) > 5)

    def parse(self, path: str, data: bytes) -> Parsed:
        source = text(data)
        if "opam-version:" not in source:
            return Parsed()
        d = _DIR.match(parent(path)) if basename(path) == "opam" else None
        name_m, version_m = _NAME.search(source), _VERSION.search(source)
        name = name_m["value"] if name_m else (d["name"] if d else basename(path)[:-5])
        version = version_m["value"] if version_m else (d["version"] if d else "")
        if not name or not version:
            return Parsed()
        lic = _LICENSE.search(source)
        return Parsed((package(self.name, "opam", name, version, path,
                               licenses=(lic["value"],) if lic else ()),))

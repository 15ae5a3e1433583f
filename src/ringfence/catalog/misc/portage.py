"""Gentoo portage: ``/var/db/pkg/<category>/<name>-<version>/CONTENTS``; the package is
named by its directory, as in Syft (``app-containers/skopeo`` 1.5.1)."""

from __future__ import annotations

import re

from ringfence.catalog.interface import CatalogError, Parsed
from ringfence.catalog.misc.common import package

_CPV = re.compile(r"/var/db/pkg/(?P<category>[^/]+)/(?P<pf>[^/]+)/CONTENTS$")
# Gentoo: the version starts at the last "-<digit>" that is not the "-rN" revision.
_PF = re.compile(r"^(?P<name>.+?)-(?P<version>\d[^-]*(?:-r\d+)?)$")


class PortageCataloger:
    name = "portage"
    version = "1"
    path_suffixes = ("/CONTENTS",)  # wants() is true only for such paths

    def wants(self, path: str, size: int) -> bool:
        return _CPV.search(path) is not None

    def parse(self, path: str, data: bytes) -> Parsed:
        m = _CPV.search(path)
        pf = _PF.match(m["pf"]) if m else None
        if m is None or pf is None:
            raise CatalogError("portage directory name is not <name>-<version>")
        name = f"{m['category']}/{pf['name']}"
        pkg = package(self.name, "ebuild", name, pf["version"], path,
                      namespace=m["category"], purl_name=pf["name"])
        return Parsed((pkg,))

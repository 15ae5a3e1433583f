"""R: the ``DESCRIPTION`` of an installed package (``<library>/<Package>/DESCRIPTION``).

Any file named DESCRIPTION is offered (R libraries live anywhere); it counts only when it
is a DCF record whose ``Package`` field names its own directory, as R installs them."""

from __future__ import annotations

from ringfence.catalog.interface import Parsed
from ringfence.catalog.misc.common import basename, package, parent, text
from ringfence.catalog.rfc822 import paragraphs


class RDescriptionCataloger:
    name = "r-description"
    version = "2"  # 2: licences normalised (catalog/licenses.py)
    path_suffixes = ("/DESCRIPTION",)  # wants() is true only for such paths

    def wants(self, path: str, size: int) -> bool:
        return basename(path) == "DESCRIPTION" and path.count("/") >= 2

    def parse(self, path: str, data: bytes) -> Parsed:
        first = next(iter(paragraphs(text(data))), None)
        if first is None:
            return Parsed()
        fields = first[1]
        name, version = fields.get("Package", ""), fields.get("Version", "")
        if not name or not version or name != parent(path):
            return Parsed()
        license_ = fields.get("License", "")
        return Parsed((package(self.name, "cran", name, version, path,
                               licenses=(license_,) if license_ else ()),))

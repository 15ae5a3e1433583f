"""A licence value: an SPDX expression, or a name kept as declared.

``catalog/licenses.normalize`` decides once, with license-expression's SPDX list, whether
a licence text is a valid SPDX expression (``SpdxLicense``, in the library's canonical
rendering: ``MIT``, ``GPL-2.0-or-later WITH Texinfo-exception``, ``MIT OR Apache-2.0``) or
a name (a plain ``str``: ``BSD License``, ``public-domain``). The SBOM writers need only
that answer (a CycloneDX ``license.id``/``expression``/``name``, an SPDX expression or a
``LicenseRef-``), so a warm render never loads the SPDX list again. ``SpdxLicense`` is a
``str``: it compares, hashes, sorts and serialises as its text, and everything that shows
licences keeps working on text. Anything that builds a new string from it gets a plain
``str`` back: a name, which is the safe reading (never an expression it was not checked
to be).

In JSON (``Package``/``Evidence.to_dict``), ``licenses`` lists every text and
``spdx_licenses`` those that are SPDX expressions; a document without the latter (older
caches and reports) reads as names only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Final

# an SPDX license-id (the SPDX spec's idstring); a single id in canonical form, unlike an
# expression (operators are separated by spaces) or a LicenseRef (no id of the list)
_ID: Final = re.compile(r"[A-Za-z0-9.\-]+")


class SpdxLicense(str):
    """A valid SPDX expression, in canonical form (see the module docstring)."""

    __slots__ = ()

    @property
    def is_id(self) -> bool:
        """A single SPDX list id (``MIT``), not a compound expression or a LicenseRef."""
        return _ID.fullmatch(self) is not None and not self.startswith("LicenseRef-")


def spdx_of(values: Iterable[str]) -> list[str]:
    """The values that are SPDX expressions, sorted without duplicates (JSON)."""
    return sorted({str(v) for v in values if isinstance(v, SpdxLicense)})


def from_json(values: Iterable[Any], spdx: Iterable[Any]) -> tuple[str, ...]:
    """Licences read back from JSON: those listed in ``spdx`` as ``SpdxLicense``."""
    valid = {str(v) for v in spdx}
    return tuple(SpdxLicense(v) if v in valid else str(v) for v in values)

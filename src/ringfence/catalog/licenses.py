"""One place that turns a raw licence string from package metadata into an SPDX expression.

``license-expression`` (the SPDX licence list, case-insensitive ids, ``or``/``and``/``with``,
deprecated ``GPL-2.0+`` forms) parses and renders it canonically (``mit`` -> ``MIT``,
``(MIT or apache-2.0)`` -> ``MIT OR Apache-2.0``). A few names metadata uses instead of ids
(PyPI Trove classifiers, common spellings, Fedora/RHEL's pre-2022 rpm short names such as
``GPLv2+`` and ``ASL 2.0``, Alpine's pre-SPDX ``GPL2+``) map to their id, also between the
operators of an expression (``GPLv2+ and ASL 2.0``), which the SPDX parser then validates.
The table is hand-written: no PyPI package maps these names (Fedora's own mapping lives
in its fedora-license-data repository, not in a library). Anything else is kept as
written: the raw text is the fact, and the SBOM writers mark it as a name (CycloneDX
``license.name``) or a ``LicenseRef-`` with its text (SPDX), never as an id it is not.

The answer travels with the value: a valid SPDX expression is returned as a
``model.license.SpdxLicense`` (validated as spdx-tools and cyclonedx-python-lib validate
one), anything else as a plain ``str``. This is the cold path (a cataloger's run); the
result is in the layer cache, and the SBOM writers read the answer from the value instead
of loading the SPDX list again (0.02-0.04 s, most of a warm ``sbom -f cyclonedx``).
"""

from __future__ import annotations

import functools
import re
from typing import Any, Final

from ringfence.model.license import SpdxLicense

MAX_LENGTH: Final = 512  # longer "licences" are licence texts: kept raw, never parsed

# Names (lower case) that are not SPDX ids but name exactly one licence. Trove classifier
# leaves that name a family ("BSD License", "GNU General Public License (GPL)") are not
# here: their version is unknown, so they stay as written.
_NAMES: Final = {
    "mit license": "MIT",
    "the mit license": "MIT",
    "apache 2.0": "Apache-2.0",
    "apache-2": "Apache-2.0",
    "apache 2": "Apache-2.0",
    "apache license 2.0": "Apache-2.0",
    "apache license, version 2.0": "Apache-2.0",
    "the apache software license, version 2.0": "Apache-2.0",  # most Maven POMs
    "the apache license, version 2.0": "Apache-2.0",
    "apache software license 2.0": "Apache-2.0",
    "isc license (iscl)": "ISC",
    "isc license": "ISC",
    "mozilla public license 2.0 (mpl 2.0)": "MPL-2.0",
    "python software foundation license": "PSF-2.0",
    "the unlicense (unlicense)": "Unlicense",
    "gplv2": "GPL-2.0-only",
    "gplv2+": "GPL-2.0-or-later",
    "gplv3": "GPL-3.0-only",
    "gplv3+": "GPL-3.0-or-later",
    "lgplv2+": "LGPL-2.0-or-later",
    # no version named: any version, as for "GPL" (what SPDX tools read these as too)
    "lgpl": "LGPL-2.0-or-later",
    "lgplv3+": "LGPL-3.0-or-later",
    "bsd-3": "BSD-3-Clause",
    "bsd-2": "BSD-2-Clause",
    # rpm License tags in Fedora/RHEL's short names from before their 2022 move to SPDX
    # (LGPLv2 as Fedora's list reads it: 2.0, the version named)
    "gpl+": "GPL-1.0-or-later",
    "lgplv2": "LGPL-2.0-only",
    "lgplv2.1": "LGPL-2.1-only",
    "lgplv2.1+": "LGPL-2.1-or-later",
    "lgplv3": "LGPL-3.0-only",
    "agplv3": "AGPL-3.0-only",
    "agplv3+": "AGPL-3.0-or-later",
    "asl 1.0": "Apache-1.0",
    "asl 1.1": "Apache-1.1",
    "asl 2.0": "Apache-2.0",
    "mplv1.0": "MPL-1.0",
    "mplv1.1": "MPL-1.1",
    "mplv2.0": "MPL-2.0",
    "cc0": "CC0-1.0",
    "cc0 1.0": "CC0-1.0",
    "boost": "BSL-1.0",
    # Eclipse Distribution License 1.0: SPDX's BSD-3-Clause (no id of its own)
    "edl-1.0": "BSD-3-Clause",
    "eclipse distribution license - v 1.0": "BSD-3-Clause",
    # apk L: names Alpine used before SPDX ("GPL2+", as Syft reads them too)
    "gpl2": "GPL-2.0-only",
    "gpl2+": "GPL-2.0-or-later",
    "gpl3": "GPL-3.0-only",
    "gpl3+": "GPL-3.0-or-later",
    "lgpl2": "LGPL-2.0-only",
    "lgpl2+": "LGPL-2.0-or-later",
    "lgpl2.1": "LGPL-2.1-only",
    "lgpl2.1+": "LGPL-2.1-or-later",
    "lgpl3": "LGPL-3.0-only",
    "lgpl3+": "LGPL-3.0-or-later",
}
# an expression's operators and parentheses, to map the names between them one by one
# ("GPLv2+ and ASL 2.0" -> "GPL-2.0-or-later AND Apache-2.0")
_OPERATORS: Final = re.compile(r"(\s+(?:and|or|with)\s+|\(|\))", re.IGNORECASE)

# SPDX's deprecated "licence-with-exception" ids (Trivy and older metadata emit them, with a
# "+" for "or later") as the WITH expression that replaced them
_DEPRECATED_WITH: Final = re.compile(r"GPL-([23])\.0-with-(\w+)-exception(\+)?", re.IGNORECASE)
_DEPRECATED_EXCEPTIONS: Final = {
    ("autoconf", "2"): "Autoconf-exception-2.0", ("autoconf", "3"): "Autoconf-exception-3.0",
    ("bison", "2"): "Bison-exception-2.2", ("classpath", "2"): "Classpath-exception-2.0",
    ("font", "2"): "Font-exception-2.0", ("gcc", "2"): "GCC-exception-2.0",
    ("gcc", "3"): "GCC-exception-3.1"}


def _deprecated_with(text: str) -> str | None:
    m = _DEPRECATED_WITH.fullmatch(text)
    exception = m and _DEPRECATED_EXCEPTIONS.get((m.group(2).lower(), m.group(1)))
    if not m or not exception:
        return None
    return f"GPL-{m.group(1)}.0-{'or-later' if m.group(3) else 'only'} WITH {exception}"


@functools.cache
def _licensing() -> Any:
    from license_expression import get_spdx_licensing  # type: ignore[import-untyped]

    return get_spdx_licensing()


@functools.lru_cache(maxsize=4096)
def normalize(raw: str) -> str:
    """The canonical SPDX expression for ``raw``, or ``raw`` stripped when it is none."""
    text = raw.strip()
    if not text or len(text) > MAX_LENGTH:
        return text
    mapped = _NAMES.get(text.lower()) or _deprecated_with(text)
    if mapped is not None:
        return _checked(_parse(mapped) or mapped)
    rendered = _parse(text)
    if rendered is None and _OPERATORS.search(text):
        rendered = _parse(_map_operands(text))
    return text if rendered is None else _checked(rendered)


def _checked(rendered: str) -> str:
    """``rendered`` as an ``SpdxLicense`` when it is a valid SPDX expression: what the SBOM
    libraries check before they write an expression (a lone exception such as
    ``Classpath-exception-2.0`` parses, but is no licence: it stays a name)."""
    try:
        errors = _licensing().validate(rendered).errors
    except Exception:  # hostile text must not cost the scan: a name
        return rendered
    return rendered if errors else SpdxLicense(rendered)


def _map_operands(text: str) -> str:
    """``text`` with each name between operators mapped through ``_NAMES`` (operators in
    upper case); the result still goes through the SPDX parser and its validation."""
    out = []
    for part in _OPERATORS.split(text):
        if _OPERATORS.fullmatch(part):
            out.append(f" {part.strip().upper()} " if part.strip() not in "()" else part)
        elif part.strip():
            out.append(_NAMES.get(part.strip().lower()) or _deprecated_with(part.strip())
                       or part.strip())
    return "".join(out)


def _parse(text: str) -> str | None:
    try:
        expr = _licensing().parse(text, validate=True, strict=False)
    except Exception:  # ExpressionError and friends: hostile text must not cost the scan
        return None
    if expr is None or _licensing().unknown_license_keys(expr):
        return None
    rendered: str = expr.render()
    return rendered


def and_terms(text: str) -> tuple[str, ...]:
    """The top-level AND operands of SPDX expression ``text`` (a parenthesised group is one
    operand), or ``(text,)`` when it is no AND or does not parse."""
    if len(text) > MAX_LENGTH:
        return (text,)
    try:
        expr = _licensing().parse(text, validate=True, strict=False)
    except Exception:  # ExpressionError and friends on hostile text
        return (text,)
    if not isinstance(expr, _licensing().AND):
        return (text,)
    return tuple(str(term) for term in expr.args)


def normalize_all(values: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """Each value normalised, empty ones dropped, first-seen order without duplicates."""
    return tuple(dict.fromkeys(v for v in (normalize(x) for x in values) if v))

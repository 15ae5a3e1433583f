"""Licences of a Debian package from ``/usr/share/doc/<pkg>/copyright``.

Machine-readable files (DEP-5, "copyright-format/1.0": the first field is ``Format:``
naming that specification) declare licences in the ``License:`` field of the header
paragraph and of each ``Files`` paragraph; its first line is the licence's short name or
an expression of them (``GPL-2+ or Artistic``, ``LGPL-2.1+ with OpenSSL exception``).
Stand-alone ``License`` paragraphs only hold the text of licences named there, so they add
nothing. A file in the older free-form style declares nothing machine-readable; as Syft and
Trivy do, its ``License:`` lines and the licences it points at in
``/usr/share/common-licenses/`` are taken.

Each declared expression is rewritten as an SPDX expression (:func:`to_spdx`: DEP-5's short
names -- ``GPL-2+``, ``Expat``, ``BSD-3-clause``, ``or``/``and``/``with ... exception`` -- to
SPDX identifiers, validated with ``license-expression``); one that has a name with no SPDX
equivalent (``public-domain``, ``GPL`` without a version, ``permissive``) is kept as written.

Hand-written: no maintained Python library parses DEP-5 (``python-debian``'s
``debian.copyright`` needs the whole ``python-debian`` stack and raises on the malformed
files that exist in the archive; this parser never raises).
"""

from __future__ import annotations

import functools
import re
from typing import Final

from ringfence.catalog.rfc822 import paragraphs

_FORMAT = re.compile(r"^Format(?:-Specification)?:\s*\S*copyright-format", re.IGNORECASE)
# as Trivy's pattern: the name ends with a letter, digit or '+' (not the sentence's '.')
_COMMON = re.compile(r"/usr/share/common-licenses/([0-9A-Za-z_.+-]*[0-9A-Za-z+])")
_MAX_NAME = 200  # a longer "short name" is prose, not a licence name


# DEP-5 "Short name" table entries whose SPDX identifier is spelled differently; names SPDX
# knows as written (any case: ISC, Zlib, MPL-2.0, CC0-1.0, X11, FSFAP ...) need no entry.
_NAMES: Final = {"expat": "MIT", "apache-2": "Apache-2.0", "apache-1": "Apache-1.0",
                 "artistic": "Artistic-1.0", "artistic-1": "Artistic-1.0",
                 "artistic-2": "Artistic-2.0", "python": "Python-2.0", "zope": "ZPL-2.1",
                 "perl": "Artistic-1.0-Perl OR GPL-1.0-or-later", "mit/x11": "MIT",
                 "bsd-2-clause": "BSD-2-Clause", "bsd-3-clause": "BSD-3-Clause",
                 "bsd-4-clause": "BSD-4-Clause", "cc0": "CC0-1.0",
                 "boost": "BSL-1.0",  # the one Boost licence
                 # the Eclipse Distribution License 1.0 is BSD-3-Clause (SPDX lists it
                 # among that licence's sources instead of giving it an id)
                 "edl-1": "BSD-3-Clause", "edl-1.0": "BSD-3-Clause"}
# GNU family: GPL-2+, LGPL-2.1, GFDL-NIV-1.3+, AGPL-3 (and the GPL-2.0+ spelling)
_GNU: Final = re.compile(r"(A?GPL|LGPL|GFDL|GFDL-NIV)-?v?(\d)(?:\.(\d))?(?:\.0)?(\+)?",
                         re.IGNORECASE)
_EXCEPTIONS: Final = {("bison", "3"): "Bison-exception-2.2", ("autoconf", "2"):
                      "Autoconf-exception-2.0", ("autoconf", "3"): "Autoconf-exception-3.0",
                      ("linux-syscall-note", "2"): "Linux-syscall-note",
                      ("libtool", "2"): "Libtool-exception",
                      ("classpath", "2"): "Classpath-exception-2.0",
                      ("font", "2"): "Font-exception-2.0", ("font", "3"): "Font-exception-2.0",
                      ("gcc-runtime", "3"): "GCC-exception-3.1"}
# "GPL-2+ with Texinfo exception"; perl writes "GPL-3+-WITH-BISON-EXCEPTION"
_WITH: Final = re.compile(r"(.+?)(?:\s+|-)with(?:\s+|-)(\S+?)(?:\s+|-)exception",
                          re.IGNORECASE)
# "License: none" (DEP-5 files of generated data: "No copyright to license") grants nothing
_NO_LICENCE: Final = frozenset({"none"})


def _gnu(name: str) -> tuple[str, str] | None:
    """(SPDX id, major version) of a GNU licence short name."""
    m = _GNU.fullmatch(name)
    if m is None:
        return None
    family, major, minor, plus = m.group(1).upper(), m.group(2), m.group(3), m.group(4)
    if family == "LGPL" and major == "2" and minor is None:
        minor = "0"
    version = f"{major}.{minor or 0}"
    if family == "GFDL-NIV":
        return f"GFDL-{version}-no-invariants-{'or-later' if plus else 'only'}", major
    return f"{family}-{version}-{'or-later' if plus else 'only'}", major


@functools.cache
def _spdx_ids() -> dict[str, str]:
    from license_expression import get_spdx_licensing  # type: ignore[import-untyped]

    licensing = get_spdx_licensing()
    return {str(k).lower(): str(k) for k in licensing.known_symbols}


def _operand(text: str) -> str | None:
    text = text.strip().strip("()")
    if len(text) > _MAX_NAME:  # no licence name is this long; the patterns stay cheap
        return None
    m = _WITH.fullmatch(text)
    if m is not None:
        base = _gnu(m.group(1).strip())
        keyword = m.group(2).lower()
        exception = (_EXCEPTIONS.get((keyword, base[1]))
                     or _spdx_ids().get(f"{keyword}-exception")) if base else None
        return f"{base[0]} WITH {exception}" if base and exception else None
    gnu = _gnu(text)
    if gnu is not None:
        return gnu[0]
    mapped = _NAMES.get(text.lower())
    if mapped is not None:
        return mapped if " " not in mapped else f"({mapped})"
    lower = text.lower()
    # a major version only ("MPL-2", "CC-BY-SA-3") names the ".0" release, as "Apache-2"
    found = _spdx_ids().get(lower) or _spdx_ids().get(f"{lower}.0")
    if found is None and lower.endswith(" license"):  # "CC0 license"
        return _operand(text[: -len(" license")])
    return found


def to_spdx(expression: str) -> str | None:
    """The SPDX expression for a DEP-5 ``License`` synopsis, or None when a name in it has
    no SPDX identifier. DEP-5 precedence: ``A or B, and C`` is ``(A OR B) AND C``."""
    if len(expression) > _MAX_NAME:
        return None
    groups: list[str] = []
    for group in re.split(r",\s*and\s+", expression, flags=re.IGNORECASE):
        alternatives: list[str] = []
        for alt in re.split(r"\s+or\s+|,\s*or\s+", group, flags=re.IGNORECASE):
            parts = [_operand(p) for p in re.split(r"\s+and\s+", alt, flags=re.IGNORECASE)]
            if not parts or any(p is None for p in parts):
                return None
            alternatives.append(" AND ".join(p for p in parts if p))
        joined = " OR ".join(alternatives)
        groups.append(f"({joined})" if len(alternatives) > 1 and "," in expression else joined)
    return " AND ".join(groups)


def is_machine_readable(text: str) -> bool:
    for line in text.splitlines():
        if line.strip():
            return bool(_FORMAT.match(line))
    return False


def licenses(text: str) -> tuple[str, ...]:
    """The licences ``text`` declares, in first-seen order, without duplicates."""
    found: list[str] = []
    if is_machine_readable(text):
        for index, (_, fields) in enumerate(paragraphs(text)):
            if index and "Files" not in fields:
                continue  # a stand-alone License paragraph: licence text only
            synopsis = fields.get("License", "").split("\n", 1)[0].strip()
            if synopsis.lower() in _NO_LICENCE:
                continue
            if synopsis and len(synopsis) <= _MAX_NAME:
                found.append(to_spdx(synopsis) or synopsis)
    else:  # as Syft and Trivy: License: lines wherever they are, and common-licenses paths
        for line in text.splitlines():
            if line.startswith("License:"):
                synopsis = line[len("License:"):].strip()
                if synopsis and len(synopsis) <= _MAX_NAME:
                    found.append(to_spdx(synopsis) or synopsis)
        found.extend(to_spdx(n) or n for n in (m.group(1) for m in _COMMON.finditer(text))
                     if len(n) <= _MAX_NAME)
    return tuple(dict.fromkeys(found))

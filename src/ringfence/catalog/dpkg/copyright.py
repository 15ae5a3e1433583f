"""Licences of a Debian package from ``/usr/share/doc/<pkg>/copyright``.

Machine-readable files (DEP-5, "copyright-format/1.0": the first field is ``Format:``
naming that specification) declare licences in the ``License:`` field of the header
paragraph and of each ``Files`` paragraph; its first line is the licence's short name or
an expression of them (``GPL-2+ or Artistic``, ``LGPL-2.1+ with OpenSSL exception``).
Stand-alone ``License`` paragraphs only hold the text of licences named there, so they add
nothing. A file in the older free-form style declares nothing machine-readable; as Syft and
Trivy do, the licences it points at in ``/usr/share/common-licenses/`` are taken.

Hand-written: no maintained Python library parses DEP-5 (``python-debian``'s
``debian.copyright`` needs the whole ``python-debian`` stack and raises on the malformed
files that exist in the archive; this parser never raises).
"""

from __future__ import annotations

import re

from ringfence.catalog.rfc822 import paragraphs

_FORMAT = re.compile(r"^Format(?:-Specification)?:\s*\S*copyright-format", re.IGNORECASE)
# as Trivy's pattern: the name ends with a letter, digit or '+' (not the sentence's '.')
_COMMON = re.compile(r"/usr/share/common-licenses/([0-9A-Za-z_.+-]*[0-9A-Za-z+])")
_MAX_NAME = 200  # a longer "short name" is prose, not a licence name


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
            if synopsis and len(synopsis) <= _MAX_NAME:
                found.append(synopsis)
    else:
        found.extend(m.group(1) for m in _COMMON.finditer(text))
    return tuple(dict.fromkeys(found))

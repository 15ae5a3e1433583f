"""Untrusted text is data: the one place that makes input strings safe for a terminal.

Every string that came from an input (a package name, an os-release field, a manifest
annotation, a file path inside an image) may hold rich markup (``[/]``, ``[link=…]``) or
terminal control sequences (ESC, CSI, OSC, BEL, backspace, carriage return).  Text
renderers pass each such string through :func:`plain` (plain text output) or
:func:`markup` (text that rich will interpret).  JSON output keeps the exact value.
"""

from __future__ import annotations

import re

# C0 controls except tab and newline, DEL, and C1 controls (0x80-0x9f: 8-bit CSI/OSC).
# ESC (0x1b) is one of them, so no escape sequence can survive.  Line and paragraph
# separators and the bidi overrides are removed too: they reorder or hide text on screen.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def plain(value: object, *, newlines: bool = False) -> str:
    """``value`` as text with every control character replaced by ``?``.

    Newlines are kept only when ``newlines`` is true (multi-line notes), otherwise they
    become a space so that one record stays on one line.
    """
    text = value if isinstance(value, str) else str(value)
    if not newlines:
        text = text.replace("\n", " ").replace("\t", " ")
    return _CONTROL.sub("?", text)


def markup(value: object, *, newlines: bool = False) -> str:
    """``plain(value)`` with rich markup escaped, for strings rich will interpret."""
    from rich.markup import escape  # rich is only loaded by the text renderers

    return escape(plain(value, newlines=newlines))

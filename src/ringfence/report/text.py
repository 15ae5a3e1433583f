"""Untrusted text is data: the one place that makes input strings safe for a terminal.

Every string that came from an input (a package name, an os-release field, a manifest
annotation, a file path inside an image) may hold rich markup (``[/]``, ``[link=…]``) or
terminal control sequences (ESC, CSI, OSC, BEL, backspace, carriage return).  Text
renderers pass each such string through :func:`plain` (plain text output) or
:func:`markup` (text that rich will interpret).  JSON output keeps the exact value.
"""

from __future__ import annotations

import os
import re
import sys
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

# C0 controls except tab and newline, DEL, and C1 controls (0x80-0x9f: 8-bit CSI/OSC).
# ESC (0x1b) is one of them, so no escape sequence can survive.  Line and paragraph
# separators and the bidi overrides are removed too: they reorder or hide text on screen.
# Lone surrogates (a non-UTF-8 file name decoded with surrogateescape, a "\ud800" escape in
# JSON) cannot be written to a UTF-8 stream at all: they would crash the output.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069"
                      "\ud800-\udfff]")


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


def cell(value: object, style: str = "") -> Text:
    """An untrusted string as a rich ``Text``: controls replaced, never read as markup or
    emoji codes whatever the console's settings.  Use it for every table cell and title."""
    from rich.text import Text

    return Text(plain(value), style=style)


def text_console(file: IO[str], width: int, color: bool = False) -> Console:
    """A console for a report: no markup, no emoji codes, no highlighting of input text
    (styles come from ``Text`` objects), colours only when asked."""
    from rich.console import Console

    return Console(file=file, width=width, force_terminal=color, no_color=not color,
                   color_system="standard" if color else None, highlight=False,
                   markup=False, emoji=False)


def finish(output: str, color: bool = False) -> str:
    """The last guard of a text report: without colour, no control character but newline
    and tab leaves (a string a renderer forgot cannot reach the terminal); the padding
    rich puts at the end of table lines is dropped."""
    text = output if color else plain(output, newlines=True)
    return "\n".join(line.rstrip(" ") for line in text.split("\n"))


def default_width() -> int:
    """The terminal's width when stdout is one, else ``$COLUMNS``, else 120 (a pipe or a
    file gets lines a reader can still take in)."""
    try:
        if sys.stdout.isatty():
            return max(40, os.get_terminal_size(sys.stdout.fileno()).columns)
    except (OSError, ValueError, AttributeError):
        pass
    columns = os.environ.get("COLUMNS", "")
    return int(columns) if columns.isdigit() and int(columns) >= 40 else 120

"""Deb822-style paragraphs (dpkg status, apk is different), parsed leniently."""

from __future__ import annotations

from collections.abc import Iterator


def paragraphs(text: str) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield ``(line_number, fields)`` per paragraph; continuation lines are joined."""
    fields: dict[str, str] = {}
    start = 1
    last: str | None = None
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            if fields:
                yield start, fields
            fields, last, start = {}, None, lineno + 1
            continue
        if line[0] in " \t":
            if last is not None:
                fields[last] += "\n" + line[1:]
            continue
        key, sep, value = line.partition(":")
        if not sep:
            continue
        last = key.strip()
        fields[last] = value.strip()
    if fields:
        yield start, fields

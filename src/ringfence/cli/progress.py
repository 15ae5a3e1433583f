"""Rich progress bars on a TTY, nothing otherwise.

One bar for the whole command: each call of the yielded ``update(what, done, total)``
names the current stage (``layers``, ``files``, a feed file) and its count; a ``total``
of 0 means unknown (a directory walk), shown as a count with a pulsing bar. Stages that
tick per file call it every few thousand files (see ``ringfence.scan.TICK``), so the bar
costs nothing measurable on a million-file ``dir:/``.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from ringfence.scan import Progress as ProgressFn


@contextmanager
def layer_progress(*, enabled: bool = True) -> Iterator[ProgressFn | None]:
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console  # loaded only when a terminal will show it
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    from ringfence.report.text import markup as plain  # layer names come from the image

    console = Console(stderr=True, emoji=False)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, transient=True) as bar:
        task = bar.add_task("starting", total=None)

        def update(what: str, done: int, total: int) -> None:
            bar.update(task, description=plain(what), completed=done,
                       total=total if total > 0 else None)

        yield update

"""Rich progress bars on a TTY, nothing otherwise."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from ringfence.report.text import markup as plain  # layer names come from the image
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

    console = Console(stderr=True, emoji=False)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, transient=True) as bar:
        task = bar.add_task("layers", total=None)

        def update(what: str, done: int, total: int) -> None:
            bar.update(task, description=plain(what), completed=done, total=total)

        yield update

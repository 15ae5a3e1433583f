"""The Dask client of a fleet run: an existing scheduler (``--scheduler tcp://HOST:PORT``)
or an embedded ``LocalCluster`` (worker processes, one per core unless told, one thread
each: the layer analysis is CPU-bound Python; the dashboard on 127.0.0.1 only)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Final

from ringfence.errors import Error

if TYPE_CHECKING:
    from distributed import Client

CONNECT_TIMEOUT: Final = 10  # seconds to reach a scheduler
INSTALL_HINT: Final = "install the fleet extra: pip install 'ringfence[fleet]'"


class SchedulerError(Error):
    """The Dask scheduler cannot be reached or the cluster cannot start (exit 3)."""


@contextmanager
def dask_client(scheduler: str | None, workers: int = 0) -> Iterator[Client]:
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:
        raise Error("fleet", f"Dask is not installed ({exc})", hint=INSTALL_HINT) from exc
    if scheduler:
        try:
            client = Client(  # type: ignore[no-untyped-call]
                scheduler, timeout=CONNECT_TIMEOUT, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise SchedulerError(scheduler, f"cannot reach the Dask scheduler: {exc}",
                                 hint="start one (`dask scheduler`) or leave out "
                                 "--scheduler for a local cluster") from exc
        try:
            yield client
        finally:
            client.close()  # type: ignore[no-untyped-call]
        return
    n = workers or os.cpu_count() or 1
    try:
        cluster = LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
            dashboard_address="127.0.0.1:0", silence_logs=50)
    except (OSError, TimeoutError, RuntimeError) as exc:
        raise SchedulerError("fleet", f"cannot start a local Dask cluster: {exc}") from exc
    try:
        client = Client(cluster, set_as_default=False)  # type: ignore[no-untyped-call]
        try:
            yield client
        finally:
            client.close()  # type: ignore[no-untyped-call]
    finally:
        cluster.close()

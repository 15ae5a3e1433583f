"""The Dask client of a fleet run: an existing scheduler (``--scheduler tcp://HOST:PORT``)
or an embedded ``LocalCluster`` (worker processes, one per core unless told, one thread
each: the layer analysis is CPU-bound Python; the dashboard on 127.0.0.1 only).

"One per core" is the cores this process may use -- ``dask.system.CPU_COUNT``, which
heeds the CPU affinity mask and a cgroup CPU quota -- not ``os.cpu_count()``, the host's:
in a CI pod limited to 2 CPUs on a 64-core node that was 64 workers time-sliced over 2
(each a ~0.6 s CPU start, its own imports, layer results shipped between them). Measured
in issue 14: when the cores are not there, a second worker costs +25 % CPU (50 images:
18.1 vs 14.3 s) and makes the fleet slower, not faster (52.0 vs 33.6 s with other jobs
keeping 1.6 of the 2 cores busy; 9.8 vs 12.2 s, faster, when the machine was free)."""

from __future__ import annotations

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


def default_workers() -> int:
    """One worker per core this process may use (affinity and cgroup quota heeded)."""
    from dask.system import CPU_COUNT

    return max(1, int(CPU_COUNT))


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
    n = workers or default_workers()
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

"""The embedded cluster's default size: one worker per core this process may use
(``dask.system.CPU_COUNT``: affinity mask and cgroup quota), never the host's count."""

from __future__ import annotations

from typing import Any

import dask.system
import distributed
import pytest

from ringfence.fleet import cluster


class _Refused(OSError):
    pass


def _sized(monkeypatch: pytest.MonkeyPatch, workers: int) -> int:
    seen: dict[str, Any] = {}

    def fake(**kw: Any) -> None:
        seen.update(kw)
        raise _Refused("not started in a unit test")

    monkeypatch.setattr(distributed, "LocalCluster", fake)
    with pytest.raises(cluster.SchedulerError), cluster.dask_client(None, workers):
        pass
    return int(seen["n_workers"])


def test_default_is_the_usable_cores_not_the_hosts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dask.system, "CPU_COUNT", 3)
    monkeypatch.setattr("os.cpu_count", lambda: 64)  # the host: not what a pod may use
    assert cluster.default_workers() == 3
    assert _sized(monkeypatch, 0) == 3


def test_told_count_wins_and_never_zero(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dask.system, "CPU_COUNT", 3)
    assert _sized(monkeypatch, 1) == 1
    monkeypatch.setattr(dask.system, "CPU_COUNT", 0)
    assert cluster.default_workers() == 1

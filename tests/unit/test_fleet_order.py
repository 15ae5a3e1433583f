"""Fleet scheduling (issue 14): unique layers run largest first, whatever image names them
first -- the biggest base layer is a fleet's critical path, so it must not wait for its
image's turn. On a real in-process Dask cluster with one worker thread, the analyses
are recorded in the order they ran."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from distributed import Client, LocalCluster

from ringfence.fleet import run
from ringfence.fleet.tasks import FleetOptions, ImageOutcome, LayerOutcome, Resolved
from ringfence.model.image import LayerInfo
from ringfence.scan import ScanOptions

RAN: list[int] = []  # layer sizes, in the order their analyses ran
_LOCK = threading.Lock()

# image i: a shared base (size 10), a layer of its own; image 2's base is the biggest
_LAYERS = {
    "img0": [(10, "a"), (1, "x0")],
    "img1": [(10, "a"), (2, "x1")],
    "img2": [(500, "big"), (3, "x2")],
    "img3": [(40, "mid"), (10, "a"), (4, "x3")],
}


def _layer(size: int, name: str) -> LayerInfo:
    return LayerInfo(f"sha256:{name:0>64}", f"sha256:{name:1>64}",
                     "application/vnd.oci.image.layer.v1.tar+gzip", size)


def fake_resolve(ref: str, options: object) -> Resolved:
    return Resolved(ref, f"sha256:{ref:0>64}",
                    tuple(_layer(s, n) for s, n in _LAYERS[ref]))


def fake_analyse(ref: str, layer: LayerInfo, options: object, sharing: object = None
                 ) -> LayerOutcome:
    with _LOCK:
        RAN.append(layer.size)
    return LayerOutcome(None, analysed=True)


def fake_scan(ref: str, layers: list[LayerOutcome], options: object) -> ImageOutcome:
    return ImageOutcome(ref, f"sha256:{ref:0>64}", None)


@pytest.fixture
def client() -> Iterator[Client]:
    cluster = LocalCluster(n_workers=1, threads_per_worker=1, processes=False,  # type: ignore[no-untyped-call]
                           dashboard_address=None)
    try:
        with Client(cluster, set_as_default=False) as c:  # type: ignore[no-untyped-call]
            yield c
    finally:
        cluster.close()


def test_layers_run_largest_first(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(run, "resolve", fake_resolve)
    monkeypatch.setattr(run, "analyse_layer", fake_analyse)
    monkeypatch.setattr(run, "scan_one", fake_scan)
    RAN.clear()
    result = run.run_fleet(client, list(_LAYERS), FleetOptions(ScanOptions()))
    assert result.unique_layers == 7 and result.layers_analysed == 7
    assert [i.ref for i in result.images] == list(_LAYERS)
    assert RAN == sorted(RAN, reverse=True) == [500, 40, 10, 4, 3, 2, 1]

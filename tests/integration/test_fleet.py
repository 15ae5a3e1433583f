"""``ringfence fleet`` end to end: a real ``dask scheduler`` and two ``dask worker``
processes on 127.0.0.1, and a real docker-registry holding 50 images derived from the
fixture images (bookworm-min, bookworm-py) by one small distinct layer each (umoci), pushed
with skopeo. Built once per module, in tmp."""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Thread
from typing import Any

import jsonschema
import pytest

from ringfence.cli.main import main
from ringfence.schemas import SCHEMAS
from tests.integration.test_registry import docker_registry, free_port

pytestmark = [pytest.mark.registry, pytest.mark.slow, pytest.mark.images]

BASES = ("bookworm-min", "bookworm-py")
PER_BASE = 25  # 50 images
VULNERABLE_BELOW = 3  # left-pad 1.<i>.0 with i < 3 is under the advisory's fix (1.3.0)


@dataclass(frozen=True)
class Fleet:
    host: str
    refs: tuple[str, ...]
    local: tuple[str, ...]  # the same images in their OCI layouts (oci:DIR:TAG)
    storage: Path
    db: Path
    work: Path


def _run(*argv: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), check=True, capture_output=True, text=True,
                          timeout=timeout)


def _db(tmp: Path) -> Path:
    osv = {"id": "GHSA-aaaa-bbbb-cccc", "modified": "2026-11-01T00:00:00Z", "affected": [{
        "package": {"ecosystem": "npm", "name": "left-pad"},
        "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "1.3.0"}]}]}]}
    feed = tmp / "osv.json"
    feed.write_text(json.dumps(osv))
    assert main(["db", "import", str(feed), "--db", str(tmp / "db.sqlite"), "-q"]) == 0
    return tmp / "db.sqlite"


def _add_layer(layout: Path, tag: str, path: str, data: bytes, work: Path) -> None:
    """``tag`` := latest plus one layer holding ``path``. (umoci 0.4.7's ``insert`` writes
    a truncated tar here -- member data unpadded, no end marker -- which ringfence and
    Python's tarfile both refuse; ``raw add-layer`` takes a tar made by tarfile.)"""
    tar = work / f"{tag}.tar"
    with tarfile.open(tar, "w", format=tarfile.PAX_FORMAT) as out:
        info = tarfile.TarInfo(path)
        info.size, info.mode, info.mtime = len(data), 0o644, 1_700_000_000
        out.addfile(info, io.BytesIO(data))
    _run("umoci", "raw", "add-layer", "--image", f"{layout}:latest", "--tag", tag, str(tar))


def _derive(images: Path, work: Path) -> list[tuple[str, Path, str]]:
    """(repo, layout, tag): each base plus one layer with a distinct package.json."""
    out = []
    for base in BASES:
        layout = work / f"{base}.oci"
        shutil.copytree(images / f"{base}.oci", layout)
        for i in range(PER_BASE):
            data = json.dumps({"name": "left-pad", "version": f"1.{i}.0"}).encode()
            _add_layer(layout, f"v{i}", "srv/node_modules/left-pad/package.json", data, work)
            out.append((f"fleet/{base}", layout, f"v{i}"))
    return out


@pytest.fixture(scope="module")
def fleet(images_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    for tool in ("umoci", "skopeo"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed")
    root = tmp_path_factory.mktemp("fleet-registry")
    work = tmp_path_factory.mktemp("fleet-work")
    derived = _derive(images_dir, work)
    with docker_registry(root) as host:
        refs = []
        for repo, layout, tag in derived:
            _run("skopeo", "copy", "--quiet", "--dest-tls-verify=false",
                 f"oci:{layout}:{tag}", f"docker://{host}/{repo}:{tag}", timeout=120)
            refs.append(f"docker://{host}/{repo}:{tag}")
        local = tuple(f"oci:{layout}:{tag}" for _repo, layout, tag in derived)
        yield Fleet(host, tuple(refs), local, root / "storage", _db(work), work)


@dataclass
class Cluster:
    address: str
    workers: list[subprocess.Popen[bytes]]


def _wait_for_workers(address: str, count: int) -> None:
    code = ("import sys; from distributed import Client\n"
            f"c = Client({address!r}, timeout=30)\n"
            f"c.wait_for_workers({count}, timeout=60); c.close()")
    subprocess.run([sys.executable, "-W", "ignore", "-c", code], check=True, timeout=90,
                   capture_output=True)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """``dask scheduler`` and two ``dask worker`` processes (one thread each) on 127.0.0.1."""
    with dask_cluster(tmp_path_factory.mktemp("dask")) as started:
        yield started


@contextmanager
def dask_cluster(logs: Path, worker_env: list[dict[str, str]] | None = None
                 ) -> Iterator[Cluster]:
    """The scheduler and two workers (``worker_env``: each worker's extra environment)."""
    envs = worker_env or [{}, {}]
    logs.mkdir(parents=True, exist_ok=True)
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    procs: list[subprocess.Popen[bytes]] = []
    commands = [["dask", "scheduler", "--host", "127.0.0.1", "--port", str(port),
                 "--no-dashboard"]]
    commands += [["dask", "worker", address, "--nworkers", "1", "--nthreads", "1",
                  "--host", "127.0.0.1", "--no-dashboard", "--name", f"w{n}"]
                 for n in range(2)]
    try:
        for n, argv in enumerate(commands):
            env = {**os.environ, **envs[n - 1]} if n else None
            with (logs / f"{n}.log").open("wb") as log:
                procs.append(subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                              env=env))
        _wait_for_workers(address, 2)
        yield Cluster(address, procs[1:])
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


def fleet_cli(*argv: str, timeout: float = 240) -> tuple[int, dict[str, Any] | None, str]:
    """Run ``ringfence fleet`` (its own process: the Dask client lives there)."""
    proc = subprocess.run([sys.executable, "-m", "ringfence.cli.main", "fleet", *argv,
                           "--insecure-registry", "-f", "json", "-q"],
                          capture_output=True, text=True, timeout=timeout)
    doc = json.loads(proc.stdout) if proc.stdout.strip() else None
    if doc is not None:
        jsonschema.Draft202012Validator(SCHEMAS["fleet"]).validate(doc)
    return proc.returncode, doc, proc.stderr


def image_alone(ref: str, db: Path, cache: Path, out: Path) -> dict[str, Any]:
    code = main(["image", ref, "--insecure-registry", "--db", str(db), "--cache-dir",
                 str(cache), "-f", "json", "-o", str(out), "-q"])
    assert code == 0, code
    doc: dict[str, Any] = json.loads(out.read_text())
    return doc


@pytest.fixture(scope="module")
def first_runs(fleet: Fleet, cluster: Cluster, tmp_path_factory: pytest.TempPathFactory
               ) -> tuple[dict[str, Any], dict[str, Any], Path]:
    cache = tmp_path_factory.mktemp("fleet-cache")
    runs = []
    for _ in range(2):
        code, doc, err = fleet_cli(*fleet.refs, "--scheduler", cluster.address,
                                   "--cache-dir", str(cache), "--db", str(fleet.db))
        assert doc is not None, err
        assert code == 0, [i.get("error") for i in doc["images"]][:2]
        runs.append(doc)
    return runs[0], runs[1], cache


def test_every_image_equals_ringfence_image_alone(fleet: Fleet,
                                                  first_runs: tuple[dict[str, Any], ...],
                                                  tmp_path: Path) -> None:
    """Each of the 50 against ``ringfence image`` on the same image: from its OCI layout
    (the same manifest digest; local blobs keep this module's time down; only the finding
    about the registry reference itself differs), and for the first image of each base
    also pulled from the registry by the same reference (then everything is equal)."""
    doc = first_runs[0]
    assert [i["ref"] for i in doc["images"]] == list(fleet.refs)
    vulnerable = 0
    pulled = {0, PER_BASE}
    for n, (entry, local) in enumerate(zip(doc["images"], fleet.local, strict=True)):
        assert "error" not in entry
        for ref in (local, entry["ref"]) if n in pulled else (local,):
            alone = image_alone(ref, fleet.db, tmp_path / "cache", tmp_path / "one.json")
            findings = entry["findings"]
            if ref == local:  # IMG-010 (a docker:// tag without a digest) names the ref
                by_tag = [f for f in findings if f["location"] == entry["ref"]]
                assert [f["rule"] for f in by_tag] == ["IMG-010"]
                findings = [f for f in findings if f not in by_tag]
            assert entry["digest"] == alone["target"]["digest"]
            assert entry["packages"] == alone["packages"]
            assert findings == alone["findings"]
            assert entry["vulnerabilities"] == alone["vulnerabilities"]
            assert entry["unknowns"] == alone["unknowns"]
        assert len(entry["packages"]) > 80
        vulnerable += bool(entry["vulnerabilities"])
    assert vulnerable == VULNERABLE_BELOW * len(BASES)


def test_each_unique_layer_analysed_once_across_workers_and_runs(
        first_runs: tuple[dict[str, Any], dict[str, Any], Path]) -> None:
    first, second, _ = first_runs
    # bookworm-py's first layer is bookworm-min's, and image i of each base adds the same
    # small layer (same bytes, same digest): 4 base layers + PER_BASE small ones
    unique = 4 + PER_BASE
    assert first["summary"] == {"images": 50, "unique_images": 50, "unique_layers": unique,
                                "layers_analysed": unique, "failed": 0}
    assert second["summary"] == {**first["summary"], "layers_analysed": 0}
    assert second["images"] == first["images"]


def test_duplicates_are_scanned_once(fleet: Fleet, cluster: Cluster,
                                     first_runs: tuple[dict[str, Any], dict[str, Any], Path],
                                     tmp_path: Path) -> None:
    first = first_runs[0]
    by_ref = {i["ref"]: i for i in first["images"]}
    one, other = fleet.refs[0], fleet.refs[PER_BASE]
    by_digest = f"{one.rsplit(':', 1)[0]}@{by_ref[one]['digest']}"
    listing = tmp_path / "refs.txt"
    listing.write_text(f"# three names of one image, twice\n{one}\n{one}\n{by_digest}\n"
                       f"{other}\n\n{other}\n")
    code, doc, err = fleet_cli("--from-file", str(listing), "--scheduler", cluster.address,
                               "--cache-dir", str(tmp_path / "cache"), "--db",
                               str(fleet.db))
    assert code == 0, err
    assert doc is not None
    assert [i["ref"] for i in doc["images"]] == [one, by_digest, other]
    # bookworm-min's layer (bookworm-py's first) + bookworm-py's 3 + the small layer both
    # v0 images add (the same bytes)
    assert doc["summary"] == {"images": 3, "unique_images": 2, "unique_layers": 5,
                              "layers_analysed": 5, "failed": 0}
    assert doc["images"][1]["packages"] == doc["images"][0]["packages"] \
        == by_ref[one]["packages"]


def _blob_data(storage: Path, digest: str) -> Path:
    hexd = digest.partition(":")[2]
    return storage / "docker/registry/v2/blobs/sha256" / hexd[:2] / hexd / "data"


def _push_broken(fleet: Fleet, base: str, name: str, damage: str) -> str:
    """Push a derived image to its own repository, then damage its own small layer."""
    layout = fleet.work / f"{base}.oci"
    _add_layer(layout, name, "srv/broken.json", name.encode() * 1000, fleet.work)
    ref = f"docker://{fleet.host}/broken/{name}:1"
    _run("skopeo", "copy", "--quiet", "--dest-tls-verify=false", f"oci:{layout}:{name}", ref)
    manifest = json.loads(_run("skopeo", "inspect", "--raw", "--tls-verify=false",
                               ref).stdout)
    data = _blob_data(fleet.storage, manifest["layers"][-1]["digest"])
    if damage == "missing":
        data.unlink()
    else:
        raw = bytearray(data.read_bytes())
        raw[len(raw) // 2] ^= 0xFF
        data.write_bytes(bytes(raw))
    return ref


def test_a_failing_image_is_reported_while_the_others_complete(
        fleet: Fleet, cluster: Cluster, tmp_path: Path) -> None:
    corrupt = _push_broken(fleet, "bookworm-min", "corrupt", "flip")
    missing = _push_broken(fleet, "bookworm-py", "missing", "missing")
    good = fleet.refs[1], fleet.refs[PER_BASE + 1]
    argv = [good[0], corrupt, missing, good[1], "--scheduler", cluster.address,
            "--cache-dir", str(tmp_path / "cache")]
    code, doc, err = fleet_cli(*argv)
    assert code == 3, err
    assert "2 of 4 images could not be scanned" in err
    assert doc is not None
    errors = {i["ref"]: i.get("error", "") for i in doc["images"]}
    assert errors[good[0]] == errors[good[1]] == ""
    assert "digest" in errors[corrupt].lower()
    assert "404" in errors[missing] or "BLOB_UNKNOWN" in errors[missing]
    assert doc["summary"]["failed"] == 2
    assert all(len(i["packages"]) > 80 for i in doc["images"] if i["ref"] in good)
    code, doc, err = fleet_cli(*argv, "--keep-going")
    assert code == 0, err
    assert doc is not None and doc["summary"]["failed"] == 2
    code, _, err = fleet_cli(*argv, "--keep-going", "--fail-on", "low")
    assert code == 3 and "without a vulnerability database" in err  # cannot gate: 3


def test_unreachable_scheduler_is_a_clear_error(fleet: Fleet) -> None:
    code, doc, err = fleet_cli(fleet.refs[0], "--scheduler", f"tcp://127.0.0.1:{free_port()}")
    assert code == 3
    assert doc is None
    assert "cannot reach the Dask scheduler" in err
    assert "Traceback" not in err


class _Endless(BaseHTTPRequestHandler):
    """A registry whose catalogue always has a next page."""

    def do_GET(self) -> None:
        body = b"{}"
        self.send_response(200)
        if self.path.startswith("/v2/_catalog"):
            body = json.dumps({"repositories": [f"r{time.monotonic_ns()}"]}).encode()
            self.send_header("Link", '</v2/_catalog?n=1000&last=x>; rel="next"')
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_a_registry_that_paginates_forever_is_bounded() -> None:
    from ringfence.fleet.refs import MAX_PAGES

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Endless)
    thread = Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        host = f"127.0.0.1:{server.server_address[1]}"
        code, doc, err = fleet_cli("--registry", host, timeout=120)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
    assert code == 3
    assert doc is None
    assert f"listing not finished after {MAX_PAGES} pages" in err
    assert "Traceback" not in err


def test_a_killed_worker_has_its_tasks_rerun(fleet: Fleet, cluster: Cluster,
                                             first_runs: tuple[dict[str, Any], ...],
                                             tmp_path: Path) -> None:
    """Cold cache (every layer analysed), 20 images: worker w0's process is killed while
    it runs a layer task; Dask re-runs its tasks (on w1, or on the process w0's nanny
    starts again) and every image's result is still the same."""
    chosen = [*fleet.refs[:10], *fleet.refs[PER_BASE:PER_BASE + 10]]
    proc = subprocess.Popen(
        [sys.executable, "-m", "ringfence.cli.main", "fleet", *chosen, "--scheduler",
         cluster.address, "--cache-dir", str(tmp_path / "cache"), "--db", str(fleet.db),
         "--insecure-registry", "-f", "json", "-q"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        _wait_until_busy(cluster.address, "w0")
        assert _kill_children(cluster.workers[0].pid) > 0
        out, err = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    assert proc.returncode == 0, err
    doc = json.loads(out)
    assert doc["summary"]["failed"] == 0
    expected = {i["ref"]: i for i in first_runs[0]["images"]}
    assert doc["images"] == [expected[ref] for ref in chosen]


def _wait_until_busy(address: str, name: str) -> None:
    """Until the worker called ``name`` is processing a fleet task."""
    code = ("import sys, time; from distributed import Client\n"
            f"c = Client({address!r}, timeout=30)\n"
            "end = time.monotonic() + 120\n"
            "while time.monotonic() < end:\n"
            "    info = c.scheduler_info()['workers']\n"
            f"    busy = [a for a, w in info.items() if w.get('name') == {name!r}]\n"
            "    p = c.processing(workers=busy) if busy else {}\n"
            "    if any(any(str(k).startswith('rf-layer') for k in v) for v in p.values()):\n"
            "        c.close(); sys.exit(0)\n"
            "    time.sleep(0.05)\n"
            "sys.exit(1)\n")
    subprocess.run([sys.executable, "-W", "ignore", "-c", code], check=True, timeout=150,
                   capture_output=True)


def _kill_children(pid: int) -> int:
    """SIGKILL the worker process(es) ``dask worker`` (a nanny) runs; the nanny lives on
    and starts a new one, as it would in production."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    for child in children:
        os.kill(int(child), signal.SIGKILL)
    return len(children)


def test_local_cluster_table_and_store(images_dir: Path, tmp_path: Path) -> None:
    """The embedded default (a LocalCluster, here of 2 worker processes), the table, and
    --store recording each image as `inventory add` does."""
    refs = [f"oci:{images_dir / name}.oci" for name in BASES]
    store = f"sqlite:///{tmp_path / 'store.sqlite'}"
    argv = [sys.executable, "-m", "ringfence.cli.main", "fleet", *refs, "--workers", "2",
            "--cache-dir", str(tmp_path / "cache"), "--store", store]
    table = subprocess.run([*argv, "-f", "table", "-q"], capture_output=True, text=True,
                           timeout=300)
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[-1] == ("Total: 2 images (2 unique), 4 unique layers, 4 analysed now, "
                         "0 failed")
    assert all(len(line) <= 80 for line in lines)
    code, doc, err = fleet_cli(*refs, "--workers", "1", "--cache-dir",
                               str(tmp_path / "cache"))
    assert code == 0, err
    assert doc is not None and doc["summary"]["layers_analysed"] == 0  # the cache, shared
    # a SQLite store shares layer results as PostgreSQL does: a new, empty cache directory
    code, shared, err = fleet_cli(*refs, "--workers", "1", "--cache-dir",
                                  str(tmp_path / "other-cache"), "--store", store)
    assert code == 0, err
    assert shared is not None and shared["summary"]["layers_analysed"] == 0
    assert shared["images"] == doc["images"]
    code, alone, err = fleet_cli(*refs, "--workers", "1", "--cache-dir",
                                 str(tmp_path / "third-cache"))
    assert code == 0, err
    assert alone is not None and alone["summary"]["layers_analysed"] == 4  # no store: all
    out = tmp_path / "list.json"
    assert main(["inventory", "list", "--store", store, "-f", "json", "-o", str(out)]) == 0
    stored = {i["digest"]: i for i in json.loads(out.read_text())["images"]}
    assert set(stored) == {i["digest"] for i in doc["images"]}
    for image in doc["images"]:
        assert stored[image["digest"]]["packages"] == len(image["packages"]) > 80
        assert stored[image["digest"]]["refs"] == [image["ref"]]


SHARED = 5  # images per base in the store test: 4 base layers + SHARED small ones


def _store_rows(url: str) -> list[tuple[str, str, str, str]]:
    import psycopg

    with psycopg.connect(url) as conn:
        return [tuple(r) for r in conn.execute(
            "SELECT variant, blob, diff_id, value FROM layer_results ORDER BY blob")]


def _set_row(url: str, variant: str, blob: str, diff_id: str, value: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("INSERT INTO layer_results (variant, blob, diff_id, value) VALUES "
                     "(%s, %s, %s, %s) ON CONFLICT (variant, blob) DO UPDATE SET "
                     "diff_id=excluded.diff_id, value=excluded.value",
                     (variant, blob, diff_id, value))


def test_layer_results_shared_through_postgresql(
        fleet: Fleet, first_runs: tuple[dict[str, Any], dict[str, Any], Path],
        tmp_path: Path) -> None:
    """Two workers, each with its own cache directory (XDG_CACHE_HOME; no --cache-dir), a
    real PostgreSQL store: the workers' caches are emptied before each run, so only the
    store carries layer results from one run (and worker) to the next. Poisoned rows are
    analysed again; a row under the claimed digest of a blob that does not hash to it is
    never read."""
    from ringfence.store import layer_results
    from tests.integration.postgres_support import create_database, postgres_server

    refs = [*fleet.refs[:SHARED], *fleet.refs[PER_BASE:PER_BASE + SHARED]]
    homes = [tmp_path / "w0", tmp_path / "w1"]
    expected = {i["ref"]: i for i in first_runs[0]["images"]}  # each = `ringfence image`
    unique = 4 + SHARED
    with postgres_server() as sock, dask_cluster(
            tmp_path / "logs", [{"XDG_CACHE_HOME": str(h)} for h in homes]) as cluster:
        url = create_database(sock, "fleet")

        def run(*names: str) -> tuple[int, dict[str, Any] | None, str]:
            for home in homes:
                shutil.rmtree(home, ignore_errors=True)
            return fleet_cli(*names, "--scheduler", cluster.address, "--store", url,
                             "--db", str(fleet.db), "--keep-going")

        code, first, err = run(*refs)
        assert code == 0 and first is not None, err
        assert first["summary"] == {"images": 2 * SHARED, "unique_images": 2 * SHARED,
                                    "unique_layers": unique, "layers_analysed": unique,
                                    "failed": 0}
        assert [i["ref"] for i in first["images"]] == refs
        assert all(i == expected[i["ref"]] for i in first["images"])
        alone = image_alone(refs[-1], fleet.db, tmp_path / "cache", tmp_path / "one.json")
        assert first["images"][-1]["packages"] == alone["packages"]
        assert first["images"][-1]["vulnerabilities"] == alone["vulnerabilities"]
        assert any((h / "ringfence" / "layers.sqlite").is_file() for h in homes)
        rows = _store_rows(url)
        assert len(rows) == unique

        code, second, err = run(*refs)
        assert code == 0 and second is not None, err
        assert second["summary"] == {**first["summary"], "layers_analysed": 0}
        assert second["images"] == first["images"]

        # poisoned: another layer's row copied under a key; a row consistent in itself
        # whose result has another diffID than the layer's
        (variant, b0, d0, v0), (_, b1, _, v1) = rows[0], rows[1]
        _set_row(url, variant, b0, d0, v1)
        other = layer_results.decode(v0, variant, b0, d0)
        assert other is not None
        _set_row(url, variant, b1, d0, layer_results.encode(variant, b1, other[0], 1))
        code, third, err = run(*refs)
        assert code == 0 and third is not None, err
        assert third["summary"] == {**first["summary"], "layers_analysed": 2}
        assert third["images"] == first["images"]
        assert _store_rows(url) == rows  # overwritten with what the analysis found

        # a blob whose bytes do not hash to the digest its manifest claims, with a
        # well-formed row (of another layer's result) under that claimed digest
        corrupt = _push_broken(fleet, "bookworm-min", "poisoned", "flip")
        manifest = json.loads(_run("skopeo", "inspect", "--raw", "--tls-verify=false",
                                   corrupt).stdout)
        config = json.loads(_run("skopeo", "inspect", "--config", "--raw",
                                 "--tls-verify=false", corrupt).stdout)
        claimed, claimed_diff = manifest["layers"][-1]["digest"], config["rootfs"]["diff_ids"][-1]
        forged = replace(other[0], diff_id=claimed_diff)
        _set_row(url, variant, claimed, claimed_diff,
                 layer_results.encode(variant, claimed, forged, 1))
        code, doc, err = run(corrupt)
        assert code == 0 and doc is not None, err
        assert doc["summary"]["failed"] == 1
        assert "digest" in doc["images"][0]["error"].lower()


def _inflated_sizes(layout: Path) -> list[int]:
    import gzip

    def blob(digest: str) -> Path:
        return layout / "blobs" / digest.replace(":", "/")

    index = json.loads((layout / "index.json").read_text())
    manifest = json.loads(blob(index["manifests"][0]["digest"]).read_text())
    sizes = []
    for layer in manifest["layers"]:
        with gzip.open(blob(layer["digest"])) as tar:
            sizes.append(sum(len(chunk) for chunk in iter(lambda t=tar: t.read(1 << 20), b"")))
    return sizes


def test_max_image_bytes_holds_for_the_whole_image(images_dir: Path, cluster: Cluster,
                                                   tmp_path: Path) -> None:
    """Each of bookworm-py's layers decompresses to less than the cap, all of them to
    more: the image is refused, as `ringfence image` refuses it; above the sum it passes."""
    layout = images_dir / "bookworm-py.oci"
    sizes = _inflated_sizes(layout)
    assert len(sizes) >= 2
    cap = max(sizes) + (sum(sizes) - max(sizes)) // 2
    ref = f"oci:{layout}"
    for limit, refused in ((cap, True), (2 * sum(sizes), False)):
        code, doc, err = fleet_cli(ref, "--scheduler", cluster.address, "--cache-dir",
                                   str(tmp_path / f"cache-{limit}"), "--max-image-bytes",
                                   str(limit), "--keep-going", "--scanners", "config")
        assert code == 0 and doc is not None, err
        alone = main(["image", ref, "--cache-dir", str(tmp_path / f"alone-{limit}"),
                      "--max-image-bytes", str(limit), "--scanners", "config", "-q", "-o",
                      str(tmp_path / "alone.json")])
        if refused:
            assert "decompress to more than" in doc["images"][0]["error"]
            assert alone == 3
        else:
            assert "error" not in doc["images"][0] and len(doc["images"][0]["packages"]) > 80
            assert alone == 0

"""``ringfence harden REF|FILE -f docker|podman|oci|k8s|seccomp``: hardened settings for an
image, a container spec (docker/podman inspect, OCI config.json, crictl inspect) or a
Kubernetes workload manifest (YAML, ``-f k8s``: the manifest comes back hardened)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click
import yaml

from ringfence.cli.common import size_bytes
from ringfence.errors import InputError, UsageError
from ringfence.harden.emit_docker import run_command
from ringfence.harden.emit_k8s import harden_manifest, k8s_notes, pod_patch
from ringfence.harden.emit_oci import oci_patch
from ringfence.harden.image import image_workload
from ringfence.harden.plan import HardenOptions, Plan, make_plan
from ringfence.harden.workload import Workload, workload_from_container, workload_from_spec
from ringfence.inputs import loads_json, read_regular, read_regular_text
from ringfence.outputs import write_output
from ringfence.report.jsontext import json_text
from ringfence.runtime.load import load_file

FORMATS = ["docker", "podman", "oci", "k8s", "seccomp"]
def parse_size(text: str) -> int:
    size = size_bytes(text)
    if size is None:
        raise UsageError(text, "expected a size such as 512m, 1g or 67108864")
    return size


def _json(path: Path) -> Any:
    return loads_json(read_regular(path, 64 << 20, str(path)), str(path))


def _workload(target: str, ports: tuple[int, ...]) -> tuple[Workload, Any]:
    """(workload, the parsed JSON when TARGET is a config file)."""
    path = Path(target)
    if path.is_file():
        specs = load_file(path)
        return workload_from_spec(specs[0], ports), _json(path)
    return image_workload(target), None


def _render(plan: Plan, fmt: str, base: Any, seccomp_path: str, localhost: str | None) -> str:
    if fmt in ("docker", "podman"):
        return run_command(plan, fmt, seccomp_path) + "\n"
    if fmt == "oci":
        is_oci = isinstance(base, dict) and ("process" in base or "ociVersion" in base)
        return json_text(oci_patch(plan, base if is_oci else None))
    if fmt == "k8s":
        doc = pod_patch(plan, plan.workload.name or "app", localhost)
        return json_text({"spec": doc})
    return json_text(dict(plan.seccomp))


def _manifest(path: Path, options: HardenOptions, localhost: str | None) -> tuple[str, list[str]]:
    try:
        docs = [d for d in yaml.safe_load_all(read_regular_text(path, 64 << 20)) if d]
    except yaml.YAMLError as exc:
        raise InputError(str(path), f"not a readable manifest: {exc}") from exc
    out, notes = [], []
    for doc in docs:
        hardened, doc_notes = harden_manifest(
            doc, lambda c: make_plan(workload_from_container(c), options), localhost)
        out.append(hardened)
        name = f"{doc.get('kind')}/{(doc.get('metadata') or {}).get('name')}"
        notes += [f"{name}: {n}" for n in doc_notes]
    return yaml.safe_dump_all(out, sort_keys=False), notes


@click.command("harden")
@click.option("-f", "--format", "fmt", type=click.Choice(FORMATS), required=True)
@click.option("--writable", multiple=True, metavar="PATH", help="Also mount a tmpfs here.")
@click.option("--memory", help="Memory limit (default 512m, or the spec's).")
@click.option("--pids", type=int, help="Pids limit (default 256, or the spec's).")
@click.option("--user", help="uid[:gid] (or a user of the image) to run as.")
@click.option("--port", type=int, multiple=True, help="An exposed port the input omits.")
@click.option("--tmpfs-size", default="64m", show_default=True)
@click.option("--seccomp-path", default="seccomp.json", show_default=True,
              help="Profile path the docker/podman flags name (write it with -f seccomp).")
@click.option("--seccomp-profile", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Use this profile (e.g. from `seccomp record`) instead of the generated.")
@click.option("--localhost-profile", help="k8s: seccompProfile Localhost path instead of "
                                          "RuntimeDefault.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("target")
def harden_cmd(fmt: str, writable: tuple[str, ...], memory: str | None, pids: int | None,
               user: str | None, port: tuple[int, ...], tmpfs_size: str, seccomp_path: str,
               seccomp_profile: Path | None, localhost_profile: str | None,
               output: Path | None, target: str) -> None:
    """Hardened settings for TARGET (an image reference, a container config JSON, or with
    -f k8s a workload manifest): read-only root with tmpfs where it writes, all capabilities
    dropped but the needed ones, no-new-privileges, a non-root user, pids/memory limits,
    seccomp. -f oci prints an RFC 6902 JSON Patch; -f k8s a pod spec fragment (or, for a
    manifest, the hardened manifest). Decisions that need a look are printed as notes."""
    options = HardenOptions(
        writable=writable, memory=parse_size(memory) if memory else None, pids=pids,
        tmpfs_size=tmpfs_size, user=user, ports=port,
        seccomp=_json(seccomp_profile) if seccomp_profile else None)
    path = Path(target)
    if path.suffix in (".yaml", ".yml") and os.path.lexists(path):  # read_regular refuses a FIFO
        if fmt != "k8s":
            raise UsageError(fmt, "a Kubernetes manifest is hardened with -f k8s")
        text, notes = _manifest(path, options, localhost_profile)
    else:
        workload, base = _workload(target, port)
        plan = make_plan(workload, options)
        text = _render(plan, fmt, base, seccomp_path, localhost_profile)
        notes = [*plan.notes, *(k8s_notes(plan) if fmt == "k8s" else [])]
    if output is None:
        click.echo(text, nl=False)
    else:
        write_output(output, text.encode("utf-8"))
    for note in notes:
        click.echo(f"note: {note}", err=True)

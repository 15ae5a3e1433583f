"""``ringfence scan``: every workload of manifests (or a live cluster) across the image,
host and platform rings, as a defense-in-depth report. Exit codes: 0 ok, 1 a workload has a
threat at depth below --fail-below, 2 usage, 3 could not complete, 4 rings not evaluated
under --strict."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from ringfence.cli.common import (
    DOCUMENT_BYTES,
    ReportOptions,
    emit,
    finish,
    read_input,
    report_options,
)
from ringfence.cli.progress import layer_progress
from ringfence.errors import UsageError
from ringfence.k8s.load import Manifests, load_paths
from ringfence.model.finding import Severity
from ringfence.report.jsontext import json_text
from ringfence.scan import ScanOptions
from ringfence.scan_all import ScanAllOptions, scan_all
from ringfence.threats.document import depth_document


def _manifests(paths: tuple[str, ...], kubeconfig: str | None) -> Manifests:
    if bool(paths) == bool(kubeconfig):
        raise UsageError("scan", "give --k8s PATH (repeatable) or --kubeconfig FILE")
    if kubeconfig:
        from ringfence.k8s.live import read_cluster  # loads the kubernetes client

        return read_cluster(kubeconfig, None)
    return load_paths(paths)


def _image_map(pairs: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        name, sep, ref = pair.partition("=")
        if not sep or not name or not ref:
            raise UsageError(pair, "--image-map takes NAME=REF (e.g. nginx:1.27=oci:/tmp/n)")
        out[name] = ref
    return out


def _render(doc: dict[str, Any], fmt: str) -> str:
    if fmt == "json":
        from ringfence.report.depth_json import render_depth_json

        return render_depth_json(doc)
    if fmt == "sarif":
        from ringfence.report.depth_sarif import render_depth_sarif

        return json_text(render_depth_sarif(doc))
    if fmt == "html":
        from ringfence.report.html_report import render_depth_html

        return render_depth_html(doc)
    from ringfence.report.depth_table import render_depth_table

    return render_depth_table(doc)


@click.command("scan")
@click.option("--k8s", "k8s_paths", multiple=True, help="Manifest file or directory.")
@click.option("--kubeconfig", help="Read the workloads of this cluster instead.")
@click.option("--host", "host_live", is_flag=True, help="Audit this machine as the host.")
@click.option("--host-root", type=click.Path(path_type=Path), help="Audit a mounted host root.")
@click.option("--host-baseline", type=click.Path(dir_okay=False, path_type=Path),
              help="Signed host baseline (`ringfence host baseline create`): the host's drift "
                   "(HOST-101..112) joins the host ring. Needs --host or --host-root and "
                   "--pubkey.")
@click.option("--pubkey", type=click.Path(dir_okay=False, path_type=Path),
              help="With --host-baseline: the public key it must be signed with.")
@click.option("--runtime", is_flag=True, help="Include the runtime state of the containers.")
@click.option("--live", is_flag=True, help="With --runtime: read running containers (/proc).")
@click.option("--images-from", type=click.Choice(["manifests", "none"]), default="manifests",
              show_default=True, help="Scan the images the manifests name, or none.")
@click.option("--image-map", multiple=True, metavar="NAME=REF",
              help="Scan REF (oci:DIR, docker-archive:FILE…) for manifest image NAME.")
@click.option("--db", "db_path", type=click.Path(path_type=Path),
              help="Vulnerability database (without it the vulnerability control is not "
                   "evaluated).")
@click.option("--allowed-registry", "registries", multiple=True,
              help="Registry (or registry/path prefix) images may come from; repeatable.")
@click.option("--policy", "trust_policy", type=click.Path(dir_okay=False),
              help="containers-policy.json: its rules (IMG-201..205) join the image ring.")
@click.option("--fail-below", type=click.IntRange(0, 3), default=None,
              help="Exit 1 when a threat of a workload is held by fewer rings.")
@report_options(["table", "json", "sarif", "html"],
                strict_help="Exit 4 when a ring cell is not evaluated or only partly "
                "evaluated, or something could not be read.")
def scan_cmd(k8s_paths: tuple[str, ...], kubeconfig: str | None, host_live: bool,
             host_root: Path | None, host_baseline: Path | None, pubkey: Path | None,
             runtime: bool, live: bool, images_from: str,
             image_map: tuple[str, ...], db_path: Path | None, registries: tuple[str, ...],
             trust_policy: str | None, fail_below: int | None, report: ReportOptions) -> None:
    """Defense in depth per workload: for each threat, which rings hold."""
    if host_live and host_root is not None:
        raise UsageError("scan", "give --host or --host-root, not both")
    if (host_baseline is None) != (pubkey is None):
        raise UsageError("scan", "--host-baseline needs --pubkey (and --pubkey needs "
                         "--host-baseline)")
    if host_baseline is not None and not host_live and host_root is None:
        raise UsageError("scan", "--host-baseline needs --host or --host-root")
    if runtime != live:
        raise UsageError("scan", "--runtime needs --live (and --live needs --runtime)")
    options = ScanAllOptions(
        host_root="/" if host_live else (str(host_root) if host_root is not None else None),
        runtime_live=runtime, images_from=images_from, image_map=_image_map(image_map),
        scan=ScanOptions(), db_path=db_path, allowed_registries=registries,
        trust_policy=trust_policy,
        host_baseline=None if host_baseline is None
        else read_input(host_baseline, "host baseline", DOCUMENT_BYTES),
        host_baseline_key=b"" if pubkey is None else read_input(pubkey, "public key"),
        host_baseline_name=str(host_baseline or ""))
    manifests = _manifests(k8s_paths, kubeconfig)
    with layer_progress(enabled=not report.quiet) as progress:
        doc = depth_document(scan_all(manifests, options, progress=progress))
    emit(_render(doc, report.format()), report.output)
    summary = doc["summary"]
    undecided = summary.get("undecided_cells", summary["not_evaluated_cells"])
    severities = [Severity.parse(f["severity"]) for w in doc["workloads"]
                  for f in w.get("findings", ())]
    if fail_below is not None and any(t["depth"] < fail_below for w in doc["workloads"]
                                      for t in w["threats"]):
        severities.append(Severity.CRITICAL)
        report = replace(report, fail_on=report.fail_on or "critical")
    finish(report, severities=severities, unknowns=undecided + len(doc.get("unknowns", ())))

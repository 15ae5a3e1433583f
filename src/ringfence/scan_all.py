"""``scan_all``: one scan of every workload across the three rings, joined to the threat
catalogue. Sequencing only: each ring's own orchestrator gathers facts and runs its checks;
threats/ attributes, combines and finds chains."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from ringfence.checks.engine import CheckRun, run_checks
from ringfence.k8s.facts import facts_from_objects
from ringfence.k8s.load import Manifests
from ringfence.k8s.netpol.parse import build_cluster
from ringfence.k8s.netpol.rules import NETPOL_CHECKS, NetpolFacts
from ringfence.k8s.podview import PodView
from ringfence.k8s.rbac import facts as rbac_facts
from ringfence.k8s.rbac.rules import RBAC_CHECKS
from ringfence.k8s.rules.rules import K8S_CHECKS
from ringfence.model.finding import Finding
from ringfence.model.unknown import Unknown
from ringfence.scan import ScanOptions
from ringfence.threats import attribute as attr
from ringfence.threats.catalog import Catalog, load_catalog
from ringfence.threats.chains import find_chains
from ringfence.threats.depth import threat_depths
from ringfence.threats.images import ImageOutcome, scan_workload_image
from ringfence.threats.model import ControlStatus, DepthReport, WorkloadDepth
from ringfence.threats.rings import across_images, enforcing_namespaces, platform_facts
from ringfence.threats.rules import all_rules, domain_rule_ids
from ringfence.threats.runtime import RuntimeView, gather_runtime

NO_HOST = "no host access (--host or --host-root not given)"
# why a platform rule is not evaluated when its ``applies`` is false (the input lacks it)
NO_APISERVER = "no kube-apiserver static pod in the input"
NO_KUBELET = "no KubeletConfiguration in the input"
PLATFORM_NEEDS: Final = {
    "K8S-032": "no registry allow-list (--allowed-registry)",
    "K8S-041": "no ConfigMap in the input",
    "K8S-053": "the input does not show production beside another environment",
    **{f"K8S-{n}": NO_APISERVER for n in range(100, 107)},
    "K8S-110": NO_KUBELET, "K8S-111": NO_KUBELET,
}


@dataclass(frozen=True, slots=True)
class ScanAllOptions:
    host_root: str | None = None  # None: the host ring is not evaluated
    runtime_live: bool = False
    images_from: str = "manifests"  # "manifests" | "none"
    image_map: Mapping[str, str] = field(default_factory=dict)  # manifest image -> REF
    scan: ScanOptions = field(default_factory=ScanOptions)
    db_path: Path | None = None
    allowed_registries: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class _Platform:
    findings: dict[str, tuple[Finding, ...]]
    runs: tuple[tuple[tuple[str, ...], CheckRun], ...]
    facts: dict[str, dict[str, bool | None]]
    unknowns: tuple[Unknown, ...]


def scan_all(manifests: Manifests, options: ScanAllOptions,
             catalog: Catalog | None = None) -> DepthReport:
    catalog = catalog or load_catalog()
    k8s = facts_from_objects(manifests.objects, manifests.unknowns, options.allowed_registries)
    pods = k8s.pods
    platform = _platform(manifests, pods, options)
    host_run, host_reason = _host(options.host_root)
    runtime = gather_runtime() if options.runtime_live else None
    images = _images(pods, options)
    workloads = tuple(_workload(p, catalog, platform, host_run, host_reason, runtime, images)
                      for p in pods)
    unknowns = (*platform.unknowns, *(host_run.unknowns if host_run else ()),
                *(u for o in images.values() for u in o.unknowns))
    return DepthReport(catalog.version, tuple((t.id, t.name, t.techniques)
                                              for t in catalog.threats),
                       workloads, all_rules(), _sources(options, host_reason, images),
                       tuple(sorted(set(unknowns))))


def _platform(manifests: Manifests, pods: Sequence[PodView],
              options: ScanAllOptions) -> _Platform:
    objects = manifests.objects
    k8s = facts_from_objects(objects, manifests.unknowns, options.allowed_registries)
    rbac = rbac_facts.gather(objects, manifests.unknowns)
    runs = ((domain_rule_ids("k8s"), run_checks(K8S_CHECKS, k8s)),
            (domain_rule_ids("netpol"), run_checks(NETPOL_CHECKS,
                                                   NetpolFacts(build_cluster(objects)))),
            (domain_rule_ids("rbac"), run_checks(RBAC_CHECKS, rbac)))
    keys = [attr.WorkloadKey(p.ref, p.obj.kind, p.obj.name, p.namespace, p.service_account)
            for p in pods]
    findings = attr.attribute((f for _, r in runs for f in r.findings), keys)
    facts = platform_facts(pods, rbac, enforcing_namespaces(objects))
    unknowns = (*manifests.unknowns, *(u for _, r in runs for u in r.unknowns))
    return _Platform(findings, runs, facts, tuple(unknowns))


def _host(root: str | None) -> tuple[CheckRun | None, str]:
    if root is None:
        return None, NO_HOST
    if not os.path.isdir(root) or not os.access(root, os.R_OK | os.X_OK):
        return None, f"host root {root} cannot be read"
    from ringfence.host.gather import gather_host_facts
    from ringfence.host.rules import HOST_CHECKS

    facts = gather_host_facts(root)
    run = run_checks(HOST_CHECKS, facts, f"host:{facts.root}")
    return CheckRun(run.findings, run.evaluated, (*facts.unknowns, *run.unknowns)), (
        f"the facts it needs could not be read under host root {root}")


def _images(pods: Sequence[PodView], options: ScanAllOptions) -> dict[str, ImageOutcome]:
    names = dict.fromkeys(c.image for p in pods for c in p.containers if c.image)
    return {name: scan_workload_image(name, options.image_map.get(name),
                                      options.images_from == "manifests", options.scan,
                                      options.db_path) for name in names}


def _workload(pod: PodView, catalog: Catalog, platform: _Platform, host_run: CheckRun | None,
              host_reason: str, runtime: RuntimeView | None,
              images: Mapping[str, ImageOutcome]) -> WorkloadDepth:
    mine = platform.findings.get(pod.ref, ())
    failed = {f.rule_id for f in mine}
    statuses: dict[str, ControlStatus] = {}
    for ids, run in platform.runs:
        statuses.update(attr.statuses(ids, run, failed, "not run", PLATFORM_NEEDS))
    host_findings = host_run.findings if host_run else ()
    statuses.update(attr.statuses(domain_rule_ids("host"), host_run,
                                  {f.rule_id for f in host_findings}, host_reason,
                                  absent_default=host_reason))
    rt_run, rt_reason = (runtime.run_for(pod) if runtime is not None else
                         (None, "no runtime state (--runtime --live not given)"))
    rt_findings = rt_run.findings if rt_run else ()
    statuses.update(attr.statuses(domain_rule_ids("runtime"), rt_run,
                                  {f.rule_id for f in rt_findings}, rt_reason))
    statuses.update(attr.statuses(domain_rule_ids("seccomp"), None, (),
                                  "no seccomp profile given (lint it with `ringfence seccomp "
                                  "lint`)"))
    outcomes = [images[c.image] for c in pod.containers if c.image in images]
    statuses.update(across_images([o.statuses for o in outcomes], _image_ids()))
    names = dict.fromkeys(c.image for c in pod.containers if c.image in images)
    findings = (*mine, *host_findings, *rt_findings,
                *(f for n in names for f in images[n].findings))
    return WorkloadDepth(
        pod.ref, pod.namespace, pod.location,
        tuple(dict.fromkeys(c.image for c in pod.containers)),
        threat_depths(catalog, all_rules(), statuses),
        find_chains(catalog.chains, statuses, platform.facts.get(pod.ref, {})),
        tuple(findings))


def _image_ids() -> tuple[str, ...]:
    return (*domain_rule_ids("imageconfig"), *domain_rule_ids("secrets"),
            *domain_rule_ids("trust"), "vulnerabilities")


def _sources(options: ScanAllOptions, host_reason: str,
             images: Mapping[str, ImageOutcome]) -> tuple[tuple[str, str], ...]:
    host = (f"host root {options.host_root}" if options.host_root is not None
            and host_reason.startswith("the facts") else host_reason)
    out = [("platform", "manifests"), ("host", host),
           ("runtime", "live /proc" if options.runtime_live else "not requested")]
    # o.source says "image NAME not scanned (…)" when the image was not read
    out += [(f"image {name}", o.source.removeprefix(f"image {name} "))
            for name, o in images.items()]
    return tuple(out)


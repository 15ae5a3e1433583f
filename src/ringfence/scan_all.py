"""``scan_all``: one scan of every workload across the three rings, joined to the threat
catalogue. Sequencing only: each ring's orchestrator (rings/) gathers its facts and runs its
checks; threats/ attributes, combines and finds chains."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from ringfence.k8s.load import Manifests
from ringfence.k8s.podview import PodView
from ringfence.k8s.psa import PssSelection
from ringfence.model.finding import Finding, Rule
from ringfence.model.result import ScanResult
from ringfence.rings.host import NO_HOST, host_ring
from ringfence.rings.host_drift import host_drift_ring
from ringfence.rings.image import VULN, image_ring, trust_ring
from ringfence.rings.platform import PlatformFacts, platform_ring
from ringfence.rings.report import RingReport
from ringfence.rings.runtime import RuntimeView, runtime_ring, workload_run
from ringfence.rules import HOST_BASELINE
from ringfence.scan import Progress, ScanOptions
from ringfence.threats import attribute as attr
from ringfence.threats.catalog import Catalog, load_catalog
from ringfence.threats.chains import find_chains
from ringfence.threats.depth import threat_depths
from ringfence.threats.model import ControlStatus, DepthReport, WorkloadDepth
from ringfence.threats.rules import all_rules, domain_rule_ids

NO_SECCOMP: Final = "no seccomp profile given (lint it with `ringfence seccomp lint`)"
__all__ = ["NO_HOST", "ScanAllOptions", "scan_all"]


@dataclass(frozen=True, slots=True)
class ScanAllOptions:
    host_root: str | None = None  # None: the host ring is not evaluated
    runtime_live: bool = False
    images_from: str = "manifests"  # "manifests" | "none"
    image_map: Mapping[str, str] = field(default_factory=dict)  # manifest image -> REF
    scan: ScanOptions = field(default_factory=ScanOptions)
    db_path: Path | None = None
    allowed_registries: tuple[str, ...] = ()
    trust_policy: str | None = None  # containers policy.json for the IMG-2NN rules
    # a signed host baseline (its bytes, the public key, its name): HOST-101..112 in the
    # host ring; None: they are not part of the report
    host_baseline: bytes | None = None
    host_baseline_key: bytes = b""
    host_baseline_name: str = ""


@dataclass(frozen=True, slots=True)
class _Rings:
    platform: RingReport[PlatformFacts]
    attributed: dict[str, tuple[Finding, ...]]  # platform findings per workload ref
    host: RingReport[Any]
    runtime: RingReport[RuntimeView]
    images: dict[str, RingReport[ScanResult]]  # per manifest image name
    trust: RingReport[Any]  # the trust policy (image ring, the same for every image)
    drift: RingReport[Any]  # the host against its signed baseline (host ring)
    rules: tuple[Rule, ...]  # the rules of this report (the drift rules when given)


SPEC_GRANTS: Final = PssSelection("restricted", "latest")


def scan_all(manifests: Manifests, options: ScanAllOptions,
             catalog: Catalog | None = None, progress: Progress | None = None) -> DepthReport:
    """``progress``: told each image (``image N/M``) and its layers as they are scanned."""
    catalog = catalog or load_catalog()
    # the threat chains ask what a pod spec grants, whatever its namespace lets through (PSA
    # enforcement is the separate pods-not-refused fact): every control, newest definition
    platform = platform_ring(manifests, options.allowed_registries, SPEC_GRANTS)
    assert platform.facts is not None and platform.run is not None  # always evaluated
    pods = platform.facts.pods
    keys = [attr.WorkloadKey(p.ref, p.obj.kind, p.obj.name, p.namespace, p.service_account)
            for p in pods]
    charged = platform.facts.charged if platform.facts else {}
    drift = host_drift_ring(options.host_baseline, options.host_baseline_key,
                            options.host_baseline_name, options.host_root)
    given = (HOST_BASELINE,) if drift.evaluated else ()
    rings = _Rings(platform, attr.attribute(platform.run.findings, keys, charged),
                   host_ring(options.host_root), runtime_ring(options.runtime_live),
                   _images(pods, options, progress), trust_ring(options.trust_policy),
                   drift, all_rules(given))
    workloads = tuple(_workload(p, catalog, rings) for p in pods)
    unknowns = (*platform.unknowns, *rings.host.unknowns, *rings.runtime.unknowns,
                *(u for r in rings.images.values() for u in r.unknowns),
                *rings.trust.unknowns, *drift.unknowns)
    return DepthReport(catalog.version, tuple((t.id, t.name, t.techniques)
                                              for t in catalog.threats),
                       workloads, rings.rules, _sources(rings), tuple(sorted(set(unknowns))))


def _images(pods: Sequence[PodView], options: ScanAllOptions, progress: Progress | None = None,
            ) -> dict[str, RingReport[ScanResult]]:
    names = dict.fromkeys(c.image for p in pods for c in p.containers if c.image)
    trust = domain_rule_ids("trust")
    rings = {}
    for i, name in enumerate(names, 1):
        stage = None
        if progress is not None:
            stage = _stage(progress, f"image {i}/{len(names)}")
            stage("", 0, 0)
        rings[name] = image_ring(name, options.image_map.get(name),
                                 options.images_from == "manifests", options.scan,
                                 options.db_path, trust, stage)
    return rings


def _stage(progress: Progress, prefix: str) -> Progress:
    """``progress`` with each stage's name prefixed (the image being scanned)."""
    def update(what: str, done: int, total: int) -> None:
        progress(f"{prefix} {what}".rstrip(), done, total)
    return update


def _statuses(ids: Sequence[str], ring: RingReport[Any], failed: set[str], not_run: str = "",
              ) -> dict[str, ControlStatus]:
    return attr.statuses(ids, ring.run, failed, not_run or ring.reason, ring.absent,
                         ring.absent_default)


def _image_ids() -> tuple[str, ...]:
    return (*domain_rule_ids("imageconfig"), *domain_rule_ids("secrets"),
            *domain_rule_ids("trust"), VULN)


def _workload(pod: PodView, catalog: Catalog, rings: _Rings) -> WorkloadDepth:
    mine = rings.attributed.get(pod.ref, ())
    failed = {f.rule_id for f in mine}
    statuses: dict[str, ControlStatus] = {}
    for domain in ("k8s", "netpol", "rbac"):
        statuses.update(_statuses(domain_rule_ids(domain), rings.platform, failed))
    host = rings.host
    statuses.update(_statuses(domain_rule_ids("host"), host,
                              {f.rule_id for f in host.findings}))
    drift = rings.drift
    if drift.evaluated:  # otherwise its rules are not in the report (rings.rules)
        statuses.update(_statuses(domain_rule_ids("hostdrift"), drift,
                                  {f.rule_id for f in drift.findings}))
    rt_run, rt_reason = workload_run(rings.runtime, pod)
    rt_findings = rt_run.findings if rt_run else ()
    statuses.update(attr.statuses(domain_rule_ids("runtime"), rt_run,
                                  {f.rule_id for f in rt_findings}, rt_reason))
    statuses.update(attr.statuses(domain_rule_ids("seccomp"), None, (), NO_SECCOMP))
    names = dict.fromkeys(c.image for c in pod.containers if c.image in rings.images)
    per_image = [_statuses(_image_ids(), rings.images[n],
                           {f.rule_id for f in rings.images[n].findings},
                           f"image {n} {rings.images[n].reason}") for n in names]
    statuses.update(attr.across_images(per_image, _image_ids()))
    trust = rings.trust
    if trust.evaluated:  # the engine's policy: it holds or fails whatever the image
        statuses.update(_statuses(domain_rule_ids("trust"), trust,
                                  {f.rule_id for f in trust.findings}))
    findings = (*mine, *host.findings, *drift.findings, *rt_findings, *trust.findings,
                *(f for n in names for f in rings.images[n].findings))
    chain_facts = rings.platform.facts.chain_facts if rings.platform.facts else {}
    return WorkloadDepth(
        pod.ref, pod.namespace, pod.location,
        tuple(dict.fromkeys(c.image for c in pod.containers)),
        threat_depths(catalog, rings.rules, statuses),
        find_chains(catalog.chains, statuses, chain_facts.get(pod.ref, {})),
        tuple(findings))


def _sources(rings: _Rings) -> tuple[tuple[str, str], ...]:
    def status(ring: RingReport[Any], evaluated: str) -> str:
        return evaluated if ring.evaluated or ring.facts is not None else ring.reason

    out = [("platform", "manifests"),
           ("host", status(rings.host, f"host root {rings.host.subject}")),
           ("runtime", status(rings.runtime, "live /proc"))]
    out += [(f"image {name}", status(r, r.subject)) for name, r in rings.images.items()]
    out.append(("trust policy", status(rings.trust, rings.trust.subject)))
    if rings.drift.evaluated:
        out.append(("host baseline", rings.drift.subject))
    return tuple(out)

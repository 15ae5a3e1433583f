"""The image ring of one manifest image: scan it (mapped to a local REF, or pulled by its
registry reference), run the image checks, match vulnerabilities; when it cannot be read,
every image control is not evaluated with the reason."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Final

from ringfence.checks.engine import CheckRun
from ringfence.errors import Error
from ringfence.model.finding import Finding, Severity
from ringfence.model.result import ScanResult
from ringfence.model.unknown import Unknown
from ringfence.scan import ScanOptions
from ringfence.threats import attribute as attr
from ringfence.threats.model import ControlStatus, State
from ringfence.threats.rules import domain_rule_ids

VULN: Final = "vulnerabilities"
VULN_THRESHOLD: Final = Severity.HIGH
NO_TRUST = "no trust policy given (the IMG-2NN rules lint a containers policy.json)"


@dataclass(frozen=True, slots=True)
class ImageOutcome:
    source: str  # what was scanned, or why nothing was
    statuses: dict[str, ControlStatus]
    findings: tuple[Finding, ...] = ()
    unknowns: tuple[Unknown, ...] = ()


def _ids() -> tuple[str, ...]:
    return (*domain_rule_ids("imageconfig"), *domain_rule_ids("secrets"))


def not_scanned(why: str) -> ImageOutcome:
    ids = (*_ids(), *domain_rule_ids("trust"), VULN)
    return ImageOutcome(why, {i: ControlStatus(State.NOT_EVALUATED, why) for i in ids})


def scan_workload_image(name: str, mapped: str | None, pull: bool, options: ScanOptions,
                        db_path: Path | None) -> ImageOutcome:
    ref = mapped or (name if pull else None)
    if ref is None:
        return not_scanned(f"image {name} not scanned (--images-from none)")
    from ringfence.image_checks import analyzers_for, check_image
    from ringfence.scan import scan_image

    try:
        result = scan_image(ref, replace(options, analyzers=analyzers_for(("secret",
                                                                            "config"))))
    except (Error, OSError) as exc:
        return not_scanned(f"image {name} not reachable ({ref}): {exc}")
    run = check_image(result)
    statuses = attr.statuses(_ids(), run, {f.rule_id for f in run.findings}, "not run")
    statuses.update({i: ControlStatus(State.NOT_EVALUATED, NO_TRUST)
                     for i in domain_rule_ids("trust")})
    vuln, findings, result = _vulnerabilities(result, db_path)
    statuses[VULN] = vuln
    return ImageOutcome(ref, statuses, (*_located(run, name), *findings), result.unknowns)


def _located(run: CheckRun, name: str) -> tuple[Finding, ...]:
    return tuple(replace(f, location=f"{name}: {f.location}") for f in run.findings)


def _vulnerabilities(result: ScanResult, db_path: Path | None,
                     ) -> tuple[ControlStatus, tuple[Finding, ...], ScanResult]:
    if db_path is None:
        return ControlStatus(State.NOT_EVALUATED, "no vulnerability database (--db)"), (), result
    from ringfence.report.processors import Filters
    from ringfence.scan import add_vulnerabilities

    try:
        result = add_vulnerabilities(result, db_path, Filters())
    except (Error, OSError) as exc:
        return ControlStatus(State.NOT_EVALUATED, f"vulnerability database: {exc}"), (), result
    bad = [m for m in result.vulnerabilities
           if m.suppressed_by is None and m.severity >= VULN_THRESHOLD]
    findings = tuple(Finding(VULN, f"{m.advisory_id} in {m.package_name} "
                                   f"{m.installed_version} ({m.severity.name.lower()})",
                             f"{result.target.name}: {m.location}", m.severity) for m in bad)
    state = State.FAILS if bad else State.HOLDS
    return ControlStatus(state, f"{len(bad)} high or critical" if bad else ""), findings, result

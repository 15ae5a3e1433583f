"""The image ring of one workload image: scan it (mapped to a local REF, or pulled by its
registry reference), run the image checks (IMG-0NN config, IMG-1NN secrets) and match
vulnerabilities. "vulnerabilities" is a control of its own: evaluated when a database was
given and it covers every package of the image, failed by a match of high or critical
severity. Trust (IMG-2NN) lints the containers policy.json the engine pulls with
(``trust_ring``): without one, those rules are not evaluated, with the reason."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Final

from ringfence.checks.engine import CheckRun
from ringfence.errors import Error
from ringfence.model.finding import Finding, Severity
from ringfence.model.result import ScanResult
from ringfence.rings.report import RingReport, not_evaluated
from ringfence.scan import Progress, ScanOptions

VULN: Final = "vulnerabilities"
VULN_THRESHOLD: Final = Severity.HIGH
NO_DB: Final = "no vulnerability database (--db)"
NO_TRUST: Final = "no trust policy given (the IMG-2NN rules lint a containers policy.json)"


def image_ring(name: str, mapped: str | None, pull: bool, options: ScanOptions,
               db_path: Path | None, trust_ids: tuple[str, ...] = (),
               progress: Progress | None = None) -> RingReport[ScanResult]:
    """``name`` as the manifest names it; ``mapped``: the local REF to scan instead;
    ``pull`` False: only mapped images are read. ``trust_ids``: the trust rules, reported
    not evaluated (no policy). ``progress``: told the layers of the scan."""
    ref = mapped or (name if pull else None)
    if ref is None:
        return not_evaluated("image", name, "not scanned (--images-from none)")
    from ringfence.image_checks import analyzers_for, check_image
    from ringfence.scan import scan_image

    try:
        result = scan_image(ref, replace(options, analyzers=analyzers_for(("secret",
                                                                            "config"))),
                            progress)
    except (Error, OSError) as exc:
        return not_evaluated("image", name, f"not reachable ({ref}): {exc}")
    run = check_image(result)
    located = tuple(replace(f, location=f"{name}: {f.location}") for f in run.findings)
    vuln = _vulnerabilities(result, db_path)
    result = vuln.result
    absent = dict.fromkeys(trust_ids, NO_TRUST)
    if vuln.why:
        absent[VULN] = vuln.why
    merged = CheckRun((*located, *vuln.findings),
                      (*run.evaluated, *((VULN,) if not vuln.why else ())),
                      run.unknowns)
    return RingReport("image", ref, result, merged, absent=absent,
                      unknowns=(*result.unknowns, *run.unknowns))


@dataclass(frozen=True, slots=True)
class _Vulns:
    result: ScanResult
    findings: tuple[Finding, ...] = ()
    why: str = ""  # not evaluated: why


def _vulnerabilities(result: ScanResult, db_path: Path | None) -> _Vulns:
    """Findings of high or critical matches; ``why`` set when the control is not evaluated
    (no database, it failed, or it has no advisories for some of the packages) and no
    match decides it."""
    if db_path is None:
        return _Vulns(result, why=NO_DB)
    from ringfence.report.processors import Filters
    from ringfence.scan import add_vulnerabilities

    try:
        result = add_vulnerabilities(result, db_path, Filters())
    except (Error, OSError) as exc:
        return _Vulns(result, why=f"vulnerability database: {exc}")
    bad = [m for m in result.vulnerabilities
           if m.suppressed_by is None and m.severity >= VULN_THRESHOLD]
    findings = tuple(Finding(VULN, f"{m.advisory_id} in {m.package_name} "
                                   f"{m.installed_version} ({m.severity.name.lower()})",
                             f"{result.target.name}: {m.location}", m.severity) for m in bad)
    if findings:
        return _Vulns(result, findings)
    gaps = "; ".join(g.describe() for g in result.coverage.uncovered) if result.coverage \
        else ""
    return _Vulns(result, why=f"the vulnerability database cannot check: {gaps}"
                  if gaps else "")


def trust_ring(policy: str | Path | None) -> RingReport[Any]:
    """The trust rules (IMG-2NN) over the containers policy.json at ``policy``, as
    ``ringfence policy lint`` runs them (None: not evaluated). A policy that cannot be read
    raises InputError: a named input is never silently skipped."""
    if policy is None:
        return not_evaluated("image", "", NO_TRUST)
    from ringfence.checks.engine import run_checks
    from ringfence.trust.lint import load_policy_facts
    from ringfence.trust.rules import TRUST_CHECKS

    facts = load_policy_facts(policy)
    run = run_checks(TRUST_CHECKS, facts, str(policy))
    return RingReport("image", str(policy), facts, run, unknowns=run.unknowns)

"""Ring-1 checks of a scanned image: image-config rules (IMAGE_CHECKS) and secret rules
(SECRET_CHECKS) over facts gathered from a ScanResult. No I/O beyond what the scan did.
Provenance rules (PROVENANCE_CHECKS) gather their own facts: trust/provenance.py."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from ringfence.checks.engine import CheckRun, run_checks
from ringfence.imageconfig.facts import image_facts
from ringfence.imageconfig.filemeta import FileMetaAnalyzer
from ringfence.imageconfig.rules import IMAGE_CHECKS
from ringfence.layers.analyzer import LayerAnalyzer
from ringfence.model.finding import Rule
from ringfence.model.result import ScanResult
from ringfence.secretscan.allowlist import Allowlist
from ringfence.secretscan.analyzer import SecretsAnalyzer
from ringfence.secretscan.checks import SECRET_CHECKS, SecretFacts
from ringfence.secretscan.config import scan_config_bounded
from ringfence.trust.provenance import ProvenanceOptions, provenance_facts
from ringfence.trust.provenance_rules import PROVENANCE_CHECKS
from ringfence.trust.provenance_section import provenance_section

SECRET, CONFIG, PROVENANCE = "secret", "config", "provenance"


def analyzers_for(scanners: Collection[str],
                  allowlist: Allowlist | None = None) -> tuple[LayerAnalyzer, ...]:
    """The layer analyzers the chosen scanners need (to put in ScanOptions.analyzers)."""
    out: list[LayerAnalyzer] = []
    if SECRET in scanners:
        out.append(SecretsAnalyzer(allowlist=allowlist))
    if CONFIG in scanners:
        out.append(FileMetaAnalyzer())
    return tuple(out)


def rules_for(scanners: Collection[str]) -> tuple[Rule, ...]:
    config = [c.rule for c in IMAGE_CHECKS] if CONFIG in scanners else []
    secret = [c.rule for c in SECRET_CHECKS] if SECRET in scanners else []
    provenance = [c.rule for c in PROVENANCE_CHECKS] if PROVENANCE in scanners else []
    return (*config, *secret, *provenance)


def secret_facts(result: ScanResult, allowlist: Allowlist | None = None) -> SecretFacts:
    config = result.image.config if result.image else {}
    hits, truncated = scan_config_bounded(config, allowlist)
    return SecretFacts(result.analysis("secrets"), hits, truncated)


def check_image(result: ScanResult, scanners: Collection[str] = (SECRET, CONFIG),
                allowlist: Allowlist | None = None) -> CheckRun:
    runs: list[CheckRun] = []
    subject = result.target.name
    if CONFIG in scanners:
        runs.append(run_checks(IMAGE_CHECKS, image_facts(result, allowlist), subject))
    if SECRET in scanners:
        facts = secret_facts(result, allowlist)
        run = run_checks(SECRET_CHECKS, facts, subject)
        # a secret scan that hit a budget is partial: never reported as clean
        runs.append(CheckRun(run.findings, run.evaluated, (*run.unknowns, *facts.unknowns())))
    return CheckRun(tuple(f for r in runs for f in r.findings),
                    tuple(e for r in runs for e in r.evaluated),
                    tuple(u for r in runs for u in r.unknowns))


def check_provenance(result: ScanResult,
                     options: ProvenanceOptions) -> tuple[CheckRun, dict[str, Any]]:
    """IMG-210…214 findings and the provenance section of the report."""
    facts, unknowns = provenance_facts(result, options)
    run = run_checks(PROVENANCE_CHECKS, facts, result.target.name)
    return (CheckRun(run.findings, run.evaluated, (*run.unknowns, *unknowns)),
            provenance_section(facts))

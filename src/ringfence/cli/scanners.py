"""``ringfence image --scanners vuln,secret,config,provenance`` and ``--secret-allowlist``:
which ring-1 scanners run, their layer analyzers, and the findings they add to the result.
Provenance options: ``--trusted-registry`` (repeatable), ``--policy``, ``--registries-d``."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from ringfence.image_checks import analyzers_for, check_image, check_provenance, rules_for
from ringfence.model.result import ScanResult
from ringfence.report.interface import Renderer
from ringfence.secretscan.allowlist import Allowlist
from ringfence.trust.provenance import ProvenanceOptions
from ringfence.trust.verify import VerifyOptions

SCANNERS = ("vuln", "secret", "config", "provenance")


def _parse(_ctx: click.Context, _param: click.Parameter, value: str) -> frozenset[str]:
    chosen = frozenset(s.strip() for s in value.split(",") if s.strip())
    unknown = sorted(chosen - set(SCANNERS))
    if unknown:
        raise click.BadParameter(f"unknown scanners {unknown}; choose from {list(SCANNERS)}")
    return chosen


def scanner_options(func: Callable[..., Any]) -> Callable[..., Any]:
    @click.option("--scanners", default=",".join(SCANNERS), show_default=True,
                  callback=_parse, help="Comma-separated scanners to run.")
    @click.option("--secret-allowlist", type=click.Path(dir_okay=False, path_type=Path),
                  help="TOML allow-list of accepted secrets: rules, fingerprints, paths "
                  "(file path globs, Env[NAME], Labels[KEY], history[N]; '*' and '?' the "
                  "only wildcards).")
    @click.option("--trusted-registry", "trusted_registries", multiple=True,
                  metavar="HOST[/PATH]", help="Registry or repository prefix images may come "
                  "from (repeatable); others are IMG-210 findings.")
    @click.option("--policy", "policy_path", type=click.Path(dir_okay=False, path_type=Path),
                  help="containers-policy.json: its verdict is a finding (IMG-214) and its "
                  "sigstoreSigned keys verify attestations (IMG-213).")
    @click.option("--registries-d", type=click.Path(file_okay=False),
                  help="registries.d directory (lookaside stores, sigstore attachments).")
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    return wrapper


def allowlist(path: Path | None) -> Allowlist | None:
    return Allowlist.load(path) if path else None


def analyzers(scanners: frozenset[str], allow: Allowlist | None) -> tuple[Any, ...]:
    return analyzers_for(scanners, allow)


def add_findings(result: ScanResult, scanners: frozenset[str],
                 allow: Allowlist | None) -> ScanResult:
    if not scanners & {"secret", "config"} or result.image is None:
        return result
    run = check_image(result, scanners, allow)
    return replace(result, findings=(*result.findings, *run.findings),
                   unknowns=tuple(sorted({*result.unknowns, *run.unknowns})))


def add_provenance(result: ScanResult, scanners: frozenset[str],
                   options: ProvenanceOptions) -> ScanResult:
    """IMG-210…214 findings, plus the history/provenance section under analyses."""
    if "provenance" not in scanners or result.image is None:
        return result
    run, section = check_provenance(result, options)
    return replace(result, findings=(*result.findings, *run.findings),
                   unknowns=tuple(sorted({*result.unknowns, *run.unknowns})),
                   analyses=(*result.analyses, ("provenance", section)))


def provenance_options(trusted: tuple[str, ...], policy_path: Path | None,
                       registries_d: str | None, kw: dict[str, Any]) -> ProvenanceOptions:
    from ringfence.trust.policy import load_policy

    return ProvenanceOptions(
        tuple(trusted), load_policy(policy_path) if policy_path else None,
        VerifyOptions(registries_d, bool(kw.get("insecure_registry")), kw.get("authfile")))


def renderer(fmt: str, scanners: frozenset[str], default: Callable[[str], Renderer],
             packages: bool = False) -> Renderer:
    if fmt == "sarif":
        from ringfence.report.sarif import SarifRenderer

        return SarifRenderer(rules=rules_for(scanners))
    if fmt == "table":
        from ringfence.report.table import TableRenderer  # loads rich

        # the fix: line of each finding; the package list only when asked for
        return TableRenderer(rules=rules_for(scanners), packages=packages)
    return default(fmt)



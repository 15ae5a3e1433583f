"""``ringfence image --scanners vuln,secret,config`` and ``--secret-allowlist``: which ring-1
scanners run, their layer analyzers, and the findings they add to the result."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from ringfence.image_checks import analyzers_for, check_image, rules_for
from ringfence.model.finding import Severity
from ringfence.model.result import ScanResult
from ringfence.report.interface import Renderer
from ringfence.secretscan.allowlist import Allowlist

SCANNERS = ("vuln", "secret", "config")


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
                  help="TOML allow-list of accepted secrets (rules, paths, fingerprints).")
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


def renderer(fmt: str, scanners: frozenset[str], default: Callable[[str], Renderer]) -> Renderer:
    if fmt == "sarif":
        from ringfence.report.sarif import SarifRenderer

        return SarifRenderer(rules=rules_for(scanners))
    return default(fmt)


def findings_failed(result: ScanResult, fail_on: str) -> bool:
    threshold = Severity[fail_on.upper()]
    return any(f.severity >= threshold for f in result.findings)

"""Output format name -> renderer (the explicit list of formats)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ringfence.errors import UsageError

if TYPE_CHECKING:
    from ringfence.report.interface import Renderer


def renderer_for(fmt: str) -> Renderer:
    if fmt == "table":
        from ringfence.report.table import TableRenderer  # loads rich

        return TableRenderer()
    if fmt == "json":
        from ringfence.report.json_report import JsonRenderer  # each format its own imports

        return JsonRenderer()
    if fmt == "cyclonedx":
        from ringfence.sbom.cyclonedx import CycloneDxRenderer  # loads cyclonedx-python-lib

        return CycloneDxRenderer()
    if fmt == "sarif":
        from ringfence.report.sarif import SarifRenderer

        return SarifRenderer()
    if fmt == "spdx":
        from ringfence.sbom.spdx import SpdxRenderer  # loads spdx-tools

        return SpdxRenderer()
    raise UsageError(fmt, "unknown output format")

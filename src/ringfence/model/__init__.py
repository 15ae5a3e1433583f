"""Frozen values passed between stages. No I/O here."""

from ringfence.model.advisory import Advisory, Affected, AffectedRange, Event, VulnerabilityMatch
from ringfence.model.finding import Finding, Rule, Severity
from ringfence.model.image import ImageInfo, ImageRef, LayerInfo
from ringfence.model.inventory import Distro, Inventory
from ringfence.model.package import Location, Package
from ringfence.model.result import ScanResult, Target
from ringfence.model.unknown import Unknown

__all__ = [
    "Advisory",
    "Affected",
    "AffectedRange",
    "Distro",
    "Event",
    "Finding",
    "ImageInfo",
    "ImageRef",
    "Inventory",
    "LayerInfo",
    "Location",
    "Package",
    "Rule",
    "ScanResult",
    "Severity",
    "Target",
    "Unknown",
    "VulnerabilityMatch",
]

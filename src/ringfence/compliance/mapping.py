"""The one table of compliance mappings: every platform and host rule (``rules.DOMAINS``
rings ``platform`` and ``host``) to the controls of three frameworks, or explicitly not
mapped with a reason. ``tests/unit/compliance`` checks that no such rule is missing.

Frameworks and the granularity used (control ids are what the views print):

- ``nsa``: NSA/CISA Kubernetes Hardening Guide v1.2 (August 2022), one control per
  subsection of its "Kubernetes Pod security", "Network separation and hardening",
  "Authentication and authorization" and "Audit logging and threat detection" parts.
- ``cis``: CIS Kubernetes Benchmark v1.9.0, by section (``1.2`` API Server, ``4.2``
  Kubelet, ``5.2`` Pod Security Standards, ...): recommendation numbers move between
  releases, sections do not. Rules whose subject is the container host (a Docker daemon,
  the kernel) map to the CIS Docker Benchmark in their own references, not here.
- ``mitre``: MITRE ATT&CK for Containers (Enterprise v15) techniques a failing rule
  leaves open. A rule may name no technique of that matrix (egress, availability).

A rule maps to at least one control of one framework, or is in ``NOT_MAPPED`` with why.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final


@dataclass(frozen=True, slots=True)
class Framework:
    id: str
    title: str
    controls: Mapping[str, str]  # control id -> title, in report order


FRAMEWORKS: Final[Mapping[str, Framework]] = MappingProxyType({
    "nsa": Framework("nsa", "NSA/CISA Kubernetes Hardening Guide v1.2", MappingProxyType({
        "POD-1": "Non-root containers and rootless container engines",
        "POD-2": "Immutable container file systems",
        "POD-3": "Building secure container images",
        "POD-4": "Pod security enforcement",
        "POD-5": "Protecting Pod service account tokens",
        "POD-6": "Hardening container environments",
        "NET-1": "Namespaces",
        "NET-2": "Network policies",
        "NET-3": "Resource policies",
        "NET-4": "Control plane hardening",
        "NET-5": "Worker node segmentation",
        "NET-6": "Encryption",
        "NET-7": "Secrets",
        "AUTH-1": "Authentication",
        "AUTH-2": "Role-based access control",
        "LOG-1": "Logging",
    })),
    "cis": Framework("cis", "CIS Kubernetes Benchmark v1.9.0", MappingProxyType({
        "1.2": "API Server",
        "3.2": "Logging",
        "4.2": "Kubelet",
        "5.1": "RBAC and Service Accounts",
        "5.2": "Pod Security Standards",
        "5.3": "Network Policies and CNI",
        "5.4": "Secrets Management",
        "5.5": "Extensible Admission Control",
        "5.7": "General Policies",
    })),
    "mitre": Framework("mitre", "MITRE ATT&CK for Containers", MappingProxyType({
        "T1190": "Exploit Public-Facing Application",
        "T1133": "External Remote Services",
        "T1078": "Valid Accounts",
        "T1078.001": "Valid Accounts: Default Accounts",
        "T1609": "Container Administration Command",
        "T1610": "Deploy Container",
        "T1053.007": "Scheduled Task/Job: Container Orchestration Job",
        "T1204.003": "User Execution: Malicious Image",
        "T1525": "Implant Internal Image",
        "T1098.006": "Account Manipulation: Additional Container Cluster Roles",
        "T1611": "Escape to Host",
        "T1068": "Exploitation for Privilege Escalation",
        "T1562.001": "Impair Defenses: Disable or Modify Tools",
        "T1070": "Indicator Removal",
        "T1110": "Brute Force",
        "T1528": "Steal Application Access Token",
        "T1552.007": "Unsecured Credentials: Container API",
        "T1613": "Container and Resource Discovery",
        "T1046": "Network Service Discovery",
        "T1496": "Resource Hijacking",
        "T1499": "Endpoint Denial of Service",
        # ATT&CK Enterprise (Linux) persistence on the host itself (HOST-112)
        "T1053.003": "Scheduled Task/Job: Cron",
        "T1098.004": "Account Manipulation: SSH Authorized Keys",
        "T1543.002": "Create or Modify System Process: Systemd Service",
        "T1574.006": "Hijack Execution Flow: Dynamic Linker Hijacking",
    })),
})


@dataclass(frozen=True, slots=True)
class Mapped:
    nsa: tuple[str, ...] = ()
    cis: tuple[str, ...] = ()
    mitre: tuple[str, ...] = ()

    def controls(self, framework: str) -> tuple[str, ...]:
        value: tuple[str, ...] = getattr(self, framework)
        return value


def _m(nsa: str = "", cis: str = "", mitre: str = "") -> Mapped:
    return Mapped(tuple(nsa.split()), tuple(cis.split()), tuple(mitre.split()))


_POD = "POD-4"
_ESC = "T1611"
MAPPINGS: Final[Mapping[str, Mapped]] = MappingProxyType({
    # host: kernel and LSM facilities containers rely on
    "HOST-001": _m("POD-6", mitre=_ESC),
    "HOST-002": _m("POD-6", mitre=_ESC),
    "HOST-003": _m("POD-6 NET-3", mitre="T1499"),
    "HOST-004": _m("POD-6", mitre="T1611 T1068"),
    "HOST-005": _m("POD-6", mitre="T1068"),
    "HOST-006": _m("POD-6", mitre="T1611 T1068"),
    "HOST-007": _m("POD-6", mitre="T1068"),
    "HOST-008": _m("POD-6", mitre="T1068"),
    "HOST-009": _m("POD-6"),
    "HOST-010": _m("NET-5"),
    "HOST-011": _m("POD-6", mitre="T1068"),
    # host: remote access to the node
    "HOST-020": _m("NET-5 AUTH-1", mitre="T1133 T1110"),
    "HOST-021": _m("NET-5 AUTH-1", mitre="T1133 T1110"),
    "HOST-022": _m("NET-5 AUTH-1", mitre="T1133 T1078"),
    "HOST-023": _m("NET-5", mitre="T1133"),
    # host: container runtimes
    "HOST-030": _m("NET-2", mitre="T1046"),
    "HOST-031": _m("POD-1", mitre=_ESC),
    "HOST-032": _m("POD-6", mitre="T1068"),
    "HOST-034": _m("LOG-1", mitre="T1070"),
    "HOST-035": _m("NET-5 AUTH-1", mitre="T1133 T1610 T1611"),
    "HOST-036": _m("POD-3", mitre="T1525 T1204.003"),
    "HOST-037": _m("POD-6", mitre="T1562.001 T1611"),
    "HOST-038": _m("POD-3", mitre="T1204.003"),
    "HOST-039": _m("POD-3", "5.5", "T1525 T1204.003"),
    "HOST-040": _m("POD-6", mitre="T1610 T1611"),
    "HOST-041": _m("POD-6", mitre="T1562.001"),
    "HOST-042": _m("LOG-1", mitre="T1070"),
    # host: drift against the signed host baseline (controlled configuration)
    "HOST-101": _m("NET-5 AUTH-1", mitre="T1133 T1078"),
    "HOST-102": _m("POD-6", mitre="T1068"),
    "HOST-103": _m("AUTH-2", mitre="T1078 T1068"),
    "HOST-104": _m("AUTH-1", mitre="T1078"),
    "HOST-105": _m("POD-6", mitre="T1611 T1562.001"),
    "HOST-106": _m("POD-6", mitre="T1562.001 T1611"),
    "HOST-107": _m("LOG-1", mitre="T1070 T1562.001"),
    "HOST-108": _m("POD-6", mitre="T1068"),
    "HOST-109": _m("POD-6", mitre="T1562.001"),
    "HOST-110": _m("POD-6", mitre="T1562.001"),
    "HOST-112": _m("POD-6 AUTH-1", mitre="T1574.006 T1098.004 T1053.003 T1543.002"),
    "HOST-111": _m("POD-6 AUTH-1", mitre="T1562.001 T1078"),
    # runtime: running containers as declared and as observed
    "RT-001": _m(_POD, mitre=_ESC),
    "RT-002": _m(_POD, mitre=_ESC),
    "RT-003": _m(_POD, mitre=_ESC),
    "RT-004": _m("POD-6", mitre=_ESC),
    "RT-005": _m("POD-6", mitre="T1562.001"),
    "RT-006": _m(_POD, mitre="T1068"),
    "RT-007": _m("POD-2"),
    "RT-008": _m("POD-1", mitre=_ESC),
    "RT-009": _m(_POD, mitre=_ESC),
    "RT-010": _m("POD-1", mitre=_ESC),
    "RT-011": _m(_POD, mitre="T1610 T1611"),
    "RT-012": _m(_POD, mitre=_ESC),
    "RT-013": _m(_POD, mitre=_ESC),
    "RT-014": _m("NET-3", mitre="T1499 T1496"),
    "RT-015": _m("NET-3", mitre="T1499"),
    "RT-016": _m("NET-3", mitre="T1496"),
    "RT-017": _m(_POD, mitre=_ESC),
    "RT-101": _m("POD-6", mitre="T1562.001"),
    "RT-102": _m("POD-6", mitre="T1562.001"),
    "RT-103": _m("POD-6", mitre="T1562.001"),
    "RT-104": _m("POD-6", mitre="T1562.001"),
    "RT-105": _m("POD-2", mitre="T1562.001"),
    "RT-106": _m("POD-6", mitre="T1562.001"),
    "RT-107": _m("POD-1", mitre="T1562.001"),
    "RT-108": _m("NET-3", mitre="T1499"),
    "RT-109": _m("POD-6", mitre="T1562.001"),
    "RT-110": _m("POD-6", mitre=_ESC),
    # seccomp profiles
    "RT-201": _m("POD-6", mitre=_ESC),
    "RT-202": _m("POD-6", mitre="T1611 T1068"),
    "RT-203": _m("POD-6", mitre=_ESC),
    "RT-204": _m("POD-6"),
    "RT-205": _m("POD-6"),
    # platform: Pod Security Standards
    "K8S-001": _m(_POD, "5.2", _ESC),
    "K8S-002": _m(_POD, "5.2", _ESC),
    "K8S-003": _m(_POD, "5.2", _ESC),
    "K8S-004": _m(_POD, "5.2", _ESC),
    "K8S-005": _m(_POD, "5.2", _ESC),
    "K8S-006": _m(f"{_POD} NET-2", "5.2"),
    "K8S-007": _m(f"{_POD} POD-6", "5.2", "T1562.001"),
    "K8S-008": _m(f"{_POD} POD-6", "5.2", "T1562.001"),
    "K8S-009": _m(_POD, "5.2", _ESC),
    "K8S-010": _m(f"{_POD} POD-6", "5.2", "T1562.001"),
    "K8S-011": _m(_POD, "5.2", _ESC),
    "K8S-012": _m(_POD, "5.2", "T1046"),
    "K8S-013": _m(_POD, "5.2", "T1610"),
    "K8S-014": _m(_POD, "5.2", "T1610"),
    "K8S-020": _m(_POD, "5.2", _ESC),
    "K8S-021": _m(_POD, "5.2", "T1068"),
    "K8S-022": _m(f"POD-1 {_POD}", "5.2", _ESC),
    "K8S-023": _m(f"POD-1 {_POD}", "5.2", _ESC),
    "K8S-024": _m(f"{_POD} POD-6", "5.2", _ESC),
    "K8S-025": _m(_POD, "5.2", _ESC),
    "K8S-026": _m(_POD, "5.2", _ESC),
    # platform: images, resources, tokens, file systems
    "K8S-030": _m("POD-3", "5.5", "T1525 T1204.003"),
    "K8S-031": _m("POD-3", "5.5", "T1525"),
    "K8S-032": _m("POD-3", "5.5", "T1525 T1204.003"),
    "K8S-033": _m("NET-3", "5.7", "T1496"),
    "K8S-034": _m("NET-3", "5.7", "T1499"),
    "K8S-035": _m("POD-5", "5.1", "T1528"),
    "K8S-036": _m("POD-2", "5.7"),
    "K8S-040": _m("NET-7", "5.4", "T1552.007"),
    "K8S-041": _m("NET-7", "5.4", "T1552.007"),
    "K8S-042": _m("NET-7", "5.4", "T1552.007"),
    "K8S-050": _m("NET-1 NET-3", "5.7", "T1499"),
    "K8S-051": _m("NET-3", "5.7", "T1499"),
    "K8S-052": _m("POD-5 AUTH-2", "5.1", "T1528"),
    "K8S-053": _m("NET-1 NET-5", "5.7"),
    # platform: control plane and kubelets
    "K8S-100": _m("NET-4 AUTH-1", "1.2", "T1078"),
    "K8S-101": _m("NET-4 AUTH-2", "1.2", "T1078"),
    "K8S-102": _m(f"NET-4 {_POD}", "1.2", "T1610"),
    "K8S-103": _m("NET-6 NET-7", "1.2", "T1552.007"),
    "K8S-104": _m("LOG-1", "1.2 3.2", "T1070"),
    "K8S-105": _m("NET-4", "1.2", "T1613"),
    "K8S-106": _m("AUTH-1", "1.2", "T1078"),
    "K8S-107": _m("NET-4 AUTH-1", "1.2", "T1190 T1133"),
    "K8S-110": _m("NET-4 AUTH-1", "4.2", "T1609 T1133"),
    "K8S-111": _m("NET-4", "4.2", "T1613"),
    "K8S-112": _m("POD-6", "4.2"),
    # platform: RBAC
    "K8S-201": _m("AUTH-2", "5.1", "T1098.006 T1078"),
    "K8S-202": _m("AUTH-2", "5.1", _ESC),
    "K8S-203": _m("AUTH-2", "5.1", "T1098.006"),
    "K8S-204": _m("AUTH-2 NET-7", "5.1", "T1552.007"),
    "K8S-205": _m("AUTH-2", "5.1", "T1610 T1053.007"),
    "K8S-206": _m("AUTH-2", "5.1", "T1609"),
    "K8S-207": _m("AUTH-2", "5.1", "T1098.006"),
    "K8S-208": _m("AUTH-2", "5.1", "T1609"),
    "K8S-209": _m("AUTH-1 AUTH-2", "5.1", "T1078"),
    "K8S-210": _m("AUTH-2", "5.1 5.5", "T1562.001"),
    "K8S-211": _m("POD-5 AUTH-2", "5.1", "T1528"),
    "K8S-212": _m("POD-5 AUTH-2", "5.1", "T1078.001"),
    "K8S-213": _m("AUTH-2", "5.1", "T1098.006"),
    # platform: network separation
    "K8S-301": _m("NET-2", "5.3"),
    "K8S-302": _m("NET-2", "5.3"),
    "K8S-303": _m("NET-2", "5.3", "T1190 T1133"),
    "K8S-304": _m("NET-2", "5.3"),
    "K8S-305": _m("NET-1 NET-2", "5.3"),
})

NOT_MAPPED: Final[Mapping[str, str]] = MappingProxyType({
    "HOST-033": "availability (containers keep running while dockerd restarts), not a "
                "hardening control of these frameworks",
})

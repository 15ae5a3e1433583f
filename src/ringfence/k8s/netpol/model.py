"""The values NetworkPolicy analysis works on, parsed once from manifests (see parse.py)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from ringfence.k8s.netpol.ipblocks import IPSet
from ringfence.k8s.netpol.selectors import LabelSelector

NS_NAME_LABEL = "kubernetes.io/metadata.name"
_EMPTY: Mapping[str, str] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class PortSpec:
    """One ``ports`` item: protocol (default TCP), a number, a name, or None (every port)."""

    protocol: str = "TCP"
    port: int | str | None = None
    end_port: int | None = None


@dataclass(frozen=True, slots=True)
class PeerSpec:
    """One ``from``/``to`` item. ``valid`` is False for a peer the API server would reject
    (no field set, or ipBlock combined with a selector, or an unparseable CIDR): it selects
    nothing."""

    pod_selector: LabelSelector | None = None
    namespace_selector: LabelSelector | None = None
    ip_block: IPSet | None = None
    valid: bool = True


@dataclass(frozen=True, slots=True)
class PolicyRule:
    """An ingress or egress rule: empty ``peers`` means every peer, empty ``ports`` every port."""

    peers: tuple[PeerSpec, ...] = ()
    ports: tuple[PortSpec, ...] = ()

    @property
    def all_peers(self) -> bool:
        return not self.peers


@dataclass(frozen=True, slots=True)
class NetworkPolicy:
    namespace: str
    name: str
    pod_selector: LabelSelector
    ingress: tuple[PolicyRule, ...] = ()
    egress: tuple[PolicyRule, ...] = ()
    policy_types: tuple[str, ...] = ()
    location: str = ""

    @property
    def affects_ingress(self) -> bool:
        """policyTypes given: as listed; absent: Ingress always."""
        return "Ingress" in self.policy_types or not self.policy_types

    @property
    def affects_egress(self) -> bool:
        """policyTypes given: as listed; absent: Egress only when egress rules exist."""
        return "Egress" in self.policy_types if self.policy_types else bool(self.egress)

    @property
    def ref(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True, slots=True)
class ContainerPort:
    port: int
    name: str = ""
    protocol: str = "TCP"


@dataclass(frozen=True, slots=True)
class Workload:
    """A pod owner (or a bare Pod): every pod it runs has these labels and ports."""

    namespace: str
    name: str
    kind: str
    labels: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    ports: tuple[ContainerPort, ...] = ()
    location: str = ""

    @property
    def ref(self) -> str:
        """netpol-analyzer's peer name: ``ns/name[Kind]``."""
        return f"{self.namespace}/{self.name}[{self.kind}]"

    def named_port(self, name: str) -> ContainerPort | None:
        return next((p for p in self.ports if p.name == name), None)


@dataclass(frozen=True, slots=True)
class ServicePort:
    port: int
    name: str = ""
    target: int | str | None = None


@dataclass(frozen=True, slots=True)
class Service:
    namespace: str
    name: str
    selector: Mapping[str, str] | None
    ports: tuple[ServicePort, ...] = ()


@dataclass(frozen=True, slots=True)
class Backend:
    """A Service an Ingress or Route sends traffic to, with the port it names (if any).
    ``strict_name`` is True for Ingress backends, whose port name matches only a Service
    port's name (a Route's targetPort also matches a Service targetPort name)."""

    service: str
    port: int | str | None = None
    strict_name: bool = False


@dataclass(frozen=True, slots=True)
class IngressRoute:
    """A Kubernetes Ingress or an OpenShift Route: traffic from the ingress controller."""

    namespace: str
    name: str
    kind: str
    backends: tuple[Backend, ...] = ()


@dataclass(frozen=True, slots=True)
class Cluster:
    """Everything NetworkPolicy analysis needs, with namespace labels resolved (every
    namespace carries ``kubernetes.io/metadata.name``, as the API server sets it)."""

    namespaces: Mapping[str, Mapping[str, str]]
    workloads: tuple[Workload, ...] = ()
    policies: tuple[NetworkPolicy, ...] = ()
    services: tuple[Service, ...] = ()
    routes: tuple[IngressRoute, ...] = ()
    problems: tuple[str, ...] = ()

    def namespace_labels(self, name: str) -> Mapping[str, str]:
        return self.namespaces.get(name) or MappingProxyType({NS_NAME_LABEL: name})

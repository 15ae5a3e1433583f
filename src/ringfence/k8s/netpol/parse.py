"""Manifests (K8sObject) -> Cluster: workloads as pod owners, policies, services, routes.

Workload kinds become one peer each, named after the workload (as netpol-analyzer names
them). A bare Pod with a controlling ownerReference joins its owner's peer (a Pod listed from
a live cluster is named after its ReplicaSet/DaemonSet); the first pod seen gives the labels.
Objects without a namespace land in ``default``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

from ringfence.k8s.netpol.ipblocks import ip_block
from ringfence.k8s.netpol.model import (
    NS_NAME_LABEL,
    Backend,
    Cluster,
    ContainerPort,
    IngressRoute,
    NetworkPolicy,
    PeerSpec,
    PolicyRule,
    PortSpec,
    Service,
    ServicePort,
    Workload,
)
from ringfence.k8s.netpol.selectors import EVERYTHING, parse_selector
from ringfence.k8s.objects import K8sObject
from ringfence.k8s.podview import template_path

WORKLOAD_KINDS = ("Deployment", "ReplicaSet", "StatefulSet", "DaemonSet",
                  "ReplicationController", "Job", "CronJob")
UNSUPPORTED_KINDS = ("AdminNetworkPolicy", "BaselineAdminNetworkPolicy")


def _map(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _int_or_str(value: object) -> int | str | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = str(value)
    # ASCII digits only ("²".isdigit() is true) and few of them (int() refuses > 4300)
    return int(text) if text.isascii() and text.isdigit() and len(text) < 20 else text


def _port_number(value: object) -> int:
    """A Service port: an int, or 0 when the manifest holds anything else."""
    number = _int_or_str(value)
    return number if isinstance(number, int) else 0


def build_cluster(objects: Iterable[K8sObject]) -> Cluster:
    namespaces: dict[str, Mapping[str, str]] = {}
    workloads: dict[tuple[str, str, str], Workload] = {}
    policies: list[NetworkPolicy] = []
    services: list[Service] = []
    routes: list[IngressRoute] = []
    problems: list[str] = []
    for obj in objects:
        kind = obj.kind
        try:
            if kind == "Namespace":
                namespaces[obj.name] = _ns_labels(obj.name, obj.labels)
            elif kind == "NetworkPolicy" and obj.group.startswith("networking.k8s.io"):
                policy = _policy(obj, problems)
                policies.append(policy)
            elif kind in WORKLOAD_KINDS or kind == "Pod" or (
                    kind not in ("PodTemplate", "Route", "Ingress", "Service")
                    and template_path(obj) is not None):  # DeploymentConfig, Rollout, CRDs
                wl = _workload(obj)
                workloads.setdefault((wl.namespace, wl.kind, wl.name), wl)
            elif kind == "Service" and not obj.group:
                services.append(_service(obj))
            elif kind in ("Route", "Ingress"):
                routes.append(_route(obj))
            elif kind in UNSUPPORTED_KINDS:
                problems.append(f"{obj.ref} ({obj.location}): {kind} is not evaluated; "
                                "connectivity ignores it")
        except Exception as exc:  # a field of a type no manifest should hold: skip that object
            problems.append(f"{obj.ref} ({obj.location}): not evaluated, malformed "
                            f"({type(exc).__name__}: {exc})")
    for wl in workloads.values():
        namespaces.setdefault(wl.namespace, _ns_labels(wl.namespace, {}))
    return Cluster(MappingProxyType(namespaces), tuple(workloads.values()), tuple(policies),
                   tuple(services), tuple(routes), tuple(problems))


def _ns_labels(name: str, labels: Mapping[str, str]) -> Mapping[str, str]:
    merged = dict(labels)
    merged.setdefault(NS_NAME_LABEL, name)
    return MappingProxyType(merged)


def _pod_template(obj: K8sObject) -> Mapping[str, Any]:
    node: Mapping[str, Any] = obj.raw
    for key in template_path(obj) or ():
        node = _map(node.get(key))
    return node


def _workload(obj: K8sObject) -> Workload:
    template = _pod_template(obj)
    labels = obj.labels if obj.kind == "Pod" else \
        MappingProxyType({str(k): str(v) for k, v in
                          _map(_map(template.get("metadata")).get("labels")).items()})
    name, kind = obj.name, obj.kind
    if obj.kind == "Pod":
        owner = _controller(obj.raw)
        if owner is not None:
            kind, name = owner
    ports = tuple(_container_port(p) for c in _list(_map(template.get("spec")).get("containers"))
                  for p in _list(_map(c).get("ports")) if isinstance(p, Mapping))
    return Workload(obj.in_namespace(), name, kind, labels, ports, obj.location)


def _controller(raw: Mapping[str, Any]) -> tuple[str, str] | None:
    for ref in _list(_map(raw.get("metadata")).get("ownerReferences")):
        ref = _map(ref)
        if ref.get("controller") is True:
            kind, name = ref.get("kind"), ref.get("name")
            if not (isinstance(kind, str) and kind and isinstance(name, str) and name):
                return None  # kind and name are required: the Pod stands for itself
            return None if kind == "Node" else (kind, name)
    return None


def _container_port(raw: Mapping[str, Any]) -> ContainerPort:
    port = raw.get("containerPort")
    return ContainerPort(port if isinstance(port, int) else 0, str(raw.get("name") or ""),
                         str(raw.get("protocol") or "TCP"))


def _policy(obj: K8sObject, problems: list[str]) -> NetworkPolicy:
    spec = obj.spec
    ref = f"NetworkPolicy {obj.in_namespace()}/{obj.name}"
    return NetworkPolicy(
        namespace=obj.in_namespace(), name=obj.name,
        pod_selector=parse_selector(spec.get("podSelector")) or EVERYTHING,
        ingress=tuple(_rule(r, "from", ref, problems) for r in _list(spec.get("ingress"))),
        egress=tuple(_rule(r, "to", ref, problems) for r in _list(spec.get("egress"))),
        policy_types=tuple(str(t) for t in _list(spec.get("policyTypes"))),
        location=obj.location)


def _rule(raw: object, key: str, ref: str, problems: list[str]) -> PolicyRule:
    rule = _map(raw)
    peers = tuple(_peer(p, ref, problems) for p in _list(rule.get(key)))
    return PolicyRule(peers, tuple(_port(p) for p in _list(rule.get("ports"))))


def _peer(raw: object, ref: str, problems: list[str]) -> PeerSpec:
    peer = _map(raw)
    pods = parse_selector(peer.get("podSelector"))
    nss = parse_selector(peer.get("namespaceSelector"))
    block = _map(peer.get("ipBlock")) if peer.get("ipBlock") is not None else None
    if block is None:
        if pods is None and nss is None:
            problems.append(f"{ref}: a peer sets none of podSelector/namespaceSelector/ipBlock")
            return PeerSpec(valid=False)
        return PeerSpec(pods, nss)
    if pods is not None or nss is not None:
        problems.append(f"{ref}: ipBlock combined with a selector in one peer")
        return PeerSpec(valid=False)
    try:
        ips = ip_block(str(block.get("cidr", "")), [str(e) for e in _list(block.get("except"))])
    except ValueError as exc:
        problems.append(f"{ref}: invalid ipBlock: {exc}")
        return PeerSpec(valid=False)
    return PeerSpec(ip_block=ips)


def _port(raw: object) -> PortSpec:
    port = _map(raw)
    end = port.get("endPort")
    return PortSpec(str(port.get("protocol") or "TCP"), _int_or_str(port.get("port")),
                    end if isinstance(end, int) else None)


def _service(obj: K8sObject) -> Service:
    spec = obj.spec
    sel = spec.get("selector")
    selector = {str(k): str(v) for k, v in sel.items()} if isinstance(sel, Mapping) else None
    ports = tuple(ServicePort(_port_number(p.get("port")), str(p.get("name") or ""),
                              _int_or_str(p.get("targetPort")))
                  for p in map(_map, _list(spec.get("ports"))))
    return Service(obj.in_namespace(), obj.name, selector, ports)


def _route(obj: K8sObject) -> IngressRoute:
    spec = obj.spec
    backends: list[Backend] = []
    if obj.kind == "Route":
        port = _int_or_str(_map(spec.get("port")).get("targetPort"))
        for target in [_map(spec.get("to")), *map(_map, _list(spec.get("alternateBackends")))]:
            if str(target.get("kind") or "Service") == "Service" and target.get("name"):
                backends.append(Backend(str(target["name"]), port))
    else:
        default = _map(_map(spec.get("defaultBackend")).get("service"))
        paths = [_map(_map(p).get("backend")).get("service")
                 for r in _list(spec.get("rules"))
                 for p in _list(_map(_map(r).get("http")).get("paths"))]
        for svc in ([default] if default else []) + [_map(s) for s in paths if s]:
            svc_port = _map(svc.get("port"))
            name = svc_port.get("name")
            wanted = str(name) if name else _int_or_str(svc_port.get("number"))
            backends.append(Backend(str(svc.get("name", "")), wanted, strict_name=True))
    return IngressRoute(obj.in_namespace(), obj.name, obj.kind, tuple(backends))

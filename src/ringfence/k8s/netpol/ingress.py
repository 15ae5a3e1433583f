"""Connections from the ingress controller, inferred from Ingress and Route objects as
netpol-analyzer infers them: backend Service -> the workloads its selector picks in its
namespace -> the pod port the Service port leads to, allowed only when a container declares
that port (TCP). The result is then limited by the workloads' ingress policies.
"""

from __future__ import annotations

from ringfence.k8s.netpol.conns import NONE, Conns
from ringfence.k8s.netpol.model import Backend, IngressRoute, Service, ServicePort, Workload


def ingress_targets(services: tuple[Service, ...], routes: tuple[IngressRoute, ...],
                    workloads: tuple[Workload, ...]) -> dict[int, Conns]:
    """Workload index -> TCP ports the ingress controller is sent to."""
    svc_peers: dict[tuple[str, str], tuple[Service, list[int]]] = {}
    for svc in services:
        if svc.selector is None:  # a Service without selector: endpoints unknown, ignored
            continue
        picked = [i for i, wl in enumerate(workloads) if wl.namespace == svc.namespace
                  and all(wl.labels.get(k) == v for k, v in svc.selector.items())]
        if picked:
            svc_peers[(svc.namespace, svc.name)] = (svc, picked)
    out: dict[int, Conns] = {}
    for route in routes:
        for backend in route.backends:
            found = svc_peers.get((route.namespace, backend.service))
            if found is None:
                continue
            svc, picked = found
            for idx in picked:
                conns = _backend_conns(svc, backend, workloads[idx])
                out[idx] = out.get(idx, NONE).union(conns)
    return out


def _backend_conns(svc: Service, backend: Backend, wl: Workload) -> Conns:
    ports: list[tuple[int, int]] = []
    declared = {p.port for p in wl.ports}
    for access in _access_ports(svc.ports, backend):
        if isinstance(access, str):
            cport = wl.named_port(access)
            if cport is None or cport.protocol != "TCP":
                continue
            access = cport.port
        if access in declared:
            ports.append((access, access))
    return Conns.of({"TCP": ports}) if ports else NONE


def _access_ports(ports: tuple[ServicePort, ...], backend: Backend) -> list[int | str]:
    """The pod ports a backend reaches: every Service port's target when the backend names
    no port, else the target of the first Service port it names."""
    wanted = backend.port
    out: list[int | str] = []
    for sp in ports:
        access = sp.target if sp.target is not None else sp.port
        if wanted is None:
            out.append(access)
        elif _names(sp, wanted, backend.strict_name):
            return [access]
    return out


def _names(sp: ServicePort, wanted: int | str, strict_name: bool) -> bool:
    if isinstance(wanted, str):
        return (sp.name != "" and sp.name == wanted) or (not strict_name and sp.target == wanted)
    return sp.port == wanted or sp.target == wanted

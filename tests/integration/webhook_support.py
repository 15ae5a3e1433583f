"""Helpers for the webhook tests and benchmark: a CA and serving certificate made with
cryptography, AdmissionReview documents, and a real uvicorn server on 127.0.0.1 (in a
thread, or the CLI in a subprocess)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ringfence.admission.app import WebhookApp
from ringfence.admission.server import make_server

GROUPS = {"Pod": ("", "v1", "pods"), "Deployment": ("apps", "v1", "deployments"),
          "StatefulSet": ("apps", "v1", "statefulsets"),
          "DaemonSet": ("apps", "v1", "daemonsets"),
          "ReplicaSet": ("apps", "v1", "replicasets"), "Job": ("batch", "v1", "jobs"),
          "CronJob": ("batch", "v1", "cronjobs")}


@dataclass(frozen=True)
class Tls:
    ca: Path
    cert: Path
    key: Path

    def context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca))


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def make_tls(directory: Path) -> Tls:
    """A CA and a serving certificate for 127.0.0.1 and the in-cluster service name."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(_name("ringfence test CA"))
          .issuer_name(_name("ringfence test CA")).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number())
          .not_valid_before(now - dt.timedelta(minutes=5))
          .not_valid_after(now + dt.timedelta(days=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False,
                                       False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
                         critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    san = x509.SubjectAlternativeName([
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        x509.DNSName("ringfence-webhook.ringfence.svc")])
    cert = (x509.CertificateBuilder().subject_name(_name("ringfence-webhook"))
            .issuer_name(ca.subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(san, critical=False)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    tls = Tls(directory / "ca.pem", directory / "tls.crt", directory / "tls.key")
    tls.ca.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    tls.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    tls.key.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                          serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    return tls


def review(obj: Mapping[str, Any] | None, *, kind: str | None = None, namespace: str = "apps",
           operation: str = "CREATE", user: str = "alice", uid: str | None = None
           ) -> dict[str, Any]:
    """An AdmissionReview v1 request as the API server sends it."""
    kind = kind or str((obj or {}).get("kind"))
    group, version, resource = GROUPS.get(kind, ("", "v1", kind.lower() + "s"))
    meta = (obj or {}).get("metadata") or {}
    return {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {
        "uid": uid or str(uuid.uuid4()),
        "kind": {"group": group, "version": version, "kind": kind},
        "resource": {"group": group, "version": version, "resource": resource},
        "requestKind": {"group": group, "version": version, "kind": kind},
        "requestResource": {"group": group, "version": version, "resource": resource},
        "name": meta.get("name", ""), "namespace": namespace, "operation": operation,
        "userInfo": {"username": user, "groups": ["system:authenticated"]},
        "object": obj, "oldObject": None, "dryRun": False,
        "options": {"apiVersion": "meta.k8s.io/v1", "kind": f"{operation.title()}Options"}}}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def running(app: WebhookApp, tls: Tls) -> Iterator[str]:
    """Serve ``app`` with uvicorn in a thread; yields the base URL."""
    port = free_port()
    server = make_server(app, f"127.0.0.1:{port}", str(tls.cert), str(tls.key))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("webhook server did not start")
        time.sleep(0.01)
    try:
        yield f"https://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@dataclass
class CliServer:
    url: str
    proc: subprocess.Popen[bytes]
    stderr: str = ""  # filled when the server has stopped


@contextmanager
def cli_server(tls: Tls, policy: Path, *options: str) -> Iterator[CliServer]:
    """The real CLI, ``ringfence webhook serve`` in a subprocess on 127.0.0.1, until ready;
    stopped (and its stderr collected) on exit."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "ringfence.cli.main", "webhook", "serve", "--tls-cert",
         str(tls.cert), "--tls-key", str(tls.key), "--policy", str(policy),
         "--listen", f"127.0.0.1:{port}", *options],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    server = CliServer(f"https://127.0.0.1:{port}", proc)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(f"{server.url}/readyz", verify=tls.context()).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("webhook server did not start")
            time.sleep(0.05)
        yield server
    finally:
        proc.terminate()
        try:
            _, err = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
        server.stderr = err.decode(errors="replace")

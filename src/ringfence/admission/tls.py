"""The webhook's serving certificate: generated (a private CA and a leaf for the in-cluster
service name) or given, and checked the way the API server will check it before any
manifest is written: the key matches, the chain verifies to the caBundle for the service's
DNS name, and the certificate is valid now. A pair the API server would refuse makes every
admission call fail, which failurePolicy Fail turns into "every pod denied"."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError

from ringfence.errors import InputError

DEFAULT_DAYS: Final = 365


@dataclass(frozen=True, slots=True)
class TlsMaterial:
    """PEM bytes: ``ca`` goes into the webhook's caBundle; ``cert`` and ``key`` (None when
    the Secret is managed elsewhere) into the TLS Secret."""

    ca: bytes
    cert: bytes | None = None
    key: bytes | None = None


def service_names(service: str, namespace: str) -> tuple[str, ...]:
    """The DNS names the API server may use for the Service (it dials ``NAME.NS.svc``)."""
    return (f"{service}.{namespace}.svc", f"{service}.{namespace}.svc.cluster.local")


def generate_tls(service: str, namespace: str, days: int = DEFAULT_DAYS,
                 now: dt.datetime | None = None) -> TlsMaterial:
    """A fresh private CA (P-256) and a serving certificate for the Service's names."""
    now = now or dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = _name(f"{service}.{namespace} webhook CA")
    ca = (_builder(ca_name, ca_name, ca_key.public_key(), now, days)
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False,
                                       False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
                         critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    names = service_names(service, namespace)
    cert = (_builder(_name(names[0]), ca_name, key.public_key(), now, days)
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(True, False, False, False, False, False, False,
                                         False, False), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    return TlsMaterial(ca.public_bytes(pem), cert.public_bytes(pem), key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))


def check_tls(tls: TlsMaterial, service: str, namespace: str, source: str,
              now: dt.datetime | None = None) -> None:
    """Raise InputError (naming ``source``) unless the API server would accept the pair:
    ``cert`` (leaf first, then any intermediates) verifies to ``ca`` as a server certificate
    for ``SERVICE.NAMESPACE.svc`` and ``key`` is the leaf's key."""
    roots = _certs(tls.ca, f"{source}: CA bundle")
    if tls.cert is None:
        return
    chain = _certs(tls.cert, f"{source}: certificate")
    host = service_names(service, namespace)[0]
    verifier = (PolicyBuilder().store(Store(roots)).time(now or dt.datetime.now(dt.UTC))
                .build_server_verifier(x509.DNSName(host)))
    try:
        verifier.verify(chain[0], chain[1:])
    except VerificationError as exc:
        raise InputError(source, f"the certificate does not verify to the CA bundle as a "
                         f"server certificate for {host}: {exc}") from exc
    if tls.key is not None and _public(chain[0]) != _public_of_key(tls.key, source):
        raise InputError(source, "the private key does not belong to the certificate")


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _builder(subject: x509.Name, issuer: x509.Name, public: ec.EllipticCurvePublicKey,
             now: dt.datetime, days: int) -> x509.CertificateBuilder:
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
            .public_key(public).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=days)))


def _certs(pem: bytes, what: str) -> list[x509.Certificate]:
    try:
        certs = x509.load_pem_x509_certificates(pem)
    except ValueError as exc:
        raise InputError(what, f"not a PEM certificate: {exc}") from exc
    if not certs:
        raise InputError(what, "no PEM certificate")
    return certs


def _public(cert: x509.Certificate) -> bytes:
    return cert.public_key().public_bytes(serialization.Encoding.DER,
                                          serialization.PublicFormat.SubjectPublicKeyInfo)


def _public_of_key(pem: bytes, source: str) -> bytes:
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise InputError(f"{source}: private key",
                         f"not an unencrypted PEM private key: {exc}") from exc
    return key.public_key().public_bytes(serialization.Encoding.DER,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)

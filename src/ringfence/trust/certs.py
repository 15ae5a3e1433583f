"""Certificates of keyless (Fulcio) and private-PKI sigstore signatures: the leaf from the
``dev.sigstore.cosign/certificate`` annotation, a chain built through the annotation's
intermediates (and the policy's) to a trusted root, validity at the Rekor integrated time
(Fulcio) or now (PKI), and the subject (email, hostname, OIDC issuer) the policy demands.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.x509.oid import ObjectIdentifier

from ringfence.trust.payload import Rejected, read_referenced
from ringfence.trust.requirements import SigstoreSigned

if TYPE_CHECKING:
    from ringfence.trust.sigstore import SigstoreSignature

CERTIFICATE = "dev.sigstore.cosign/certificate"
OIDC_ISSUER_V1 = ObjectIdentifier("1.3.6.1.4.1.57264.1.1")
OIDC_ISSUER_V2 = ObjectIdentifier("1.3.6.1.4.1.57264.1.8")
MAX_DEPTH = 8


def _pems(data: bytes, what: str) -> list[x509.Certificate]:
    if not data.strip():
        return []
    try:
        return x509.load_pem_x509_certificates(data)
    except ValueError as exc:
        raise Rejected(f"{what}: not PEM certificates") from exc


def leaf_certificate(sig: SigstoreSignature) -> x509.Certificate:
    if CERTIFICATE not in sig.annotations:
        raise Rejected("missing certificate annotation")
    certs = _pems(sig.annotations[CERTIFICATE].encode(), "certificate annotation")
    if len(certs) != 1:
        raise Rejected("the certificate annotation must hold exactly one certificate")
    return certs[0]


def _source(path: str | None, data: bytes | None) -> bytes:
    if path is None:
        return data or b""
    return read_referenced(path)


def _valid_at(cert: x509.Certificate, when: dt.datetime) -> bool:
    return cert.not_valid_before_utc <= when <= cert.not_valid_after_utc


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def _issued(child: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        child.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, Exception):
        return False
    return True


def _chains(cert: x509.Certificate, pool: list[x509.Certificate],
            roots: list[x509.Certificate], when: dt.datetime, depth: int = 0) -> bool:
    if not _valid_at(cert, when) or depth > MAX_DEPTH:
        return False
    for root in roots:
        if _is_ca(root) and _valid_at(root, when) and _issued(cert, root):
            return True
    return any(_is_ca(mid) and mid != cert and _issued(cert, mid)
               and _chains(mid, pool, roots, when, depth + 1) for mid in pool)


def verify_certificate(req: SigstoreSigned, cert: x509.Certificate, chain: bytes,
                       integrated: int | None) -> None:
    pool = _pems(chain, "chain annotation")
    if req.fulcio is not None:
        if integrated is None:
            raise Rejected("Fulcio certificates need a Rekor integrated time")
        when = dt.datetime.fromtimestamp(integrated, dt.UTC)
        roots = _pems(_source(req.fulcio.ca_path, req.fulcio.ca_data), "Fulcio CA")
        emails, _ = _names(cert)
        if req.fulcio.subject_email not in emails:
            raise Rejected(f"certificate is not for {req.fulcio.subject_email}")
        if _issuer(cert) != req.fulcio.oidc_issuer:
            raise Rejected(f"certificate OIDC issuer is not {req.fulcio.oidc_issuer}")
    elif req.pki is not None:
        when = dt.datetime.now(dt.UTC)
        roots = _pems(_source(req.pki.roots_path, req.pki.roots_data), "PKI roots")
        pool += _pems(_source(req.pki.intermediates_path, req.pki.intermediates_data),
                      "PKI intermediates")
        emails, hosts = _names(cert)
        if req.pki.subject_email and req.pki.subject_email not in emails:
            raise Rejected(f"certificate is not for {req.pki.subject_email}")
        if req.pki.subject_hostname and req.pki.subject_hostname not in hosts:
            raise Rejected(f"certificate is not for host {req.pki.subject_hostname}")
    else:  # pragma: no cover - callers only pass certificates for fulcio/pki
        raise Rejected("no certificate authority configured")
    if not roots or not _chains(cert, pool, roots, when):
        raise Rejected("certificate does not chain to a trusted root at the signing time")


def _names(cert: x509.Certificate) -> tuple[list[str], list[str]]:
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return [], []
    return san.get_values_for_type(x509.RFC822Name), san.get_values_for_type(x509.DNSName)


def _issuer(cert: x509.Certificate) -> str | None:
    for ext in cert.extensions:
        if ext.oid == OIDC_ISSUER_V1 and isinstance(ext.value, x509.UnrecognizedExtension):
            return ext.value.value.decode("utf-8", "replace")
        if ext.oid == OIDC_ISSUER_V2 and isinstance(ext.value, x509.UnrecognizedExtension):
            raw = ext.value.value  # DER UTF8String: tag 0x0c, short length
            return raw[2:].decode("utf-8", "replace") if raw[:1] == b"\x0c" else None
    return None

"""Policy requirements: small frozen values, one per ``type`` of containers-policy.json(5)."""

from __future__ import annotations

from dataclasses import dataclass

from ringfence.trust.identity import IdentityMatch


@dataclass(frozen=True, slots=True)
class Reject:
    type: str = "reject"


@dataclass(frozen=True, slots=True)
class InsecureAcceptAnything:
    type: str = "insecureAcceptAnything"


@dataclass(frozen=True, slots=True)
class SignedBy:
    """GPG simple signing. Exactly one key source: ``keyPath``, ``keyPaths`` or ``keyData``."""

    key_type: str
    key_source: str
    key_paths: tuple[str, ...]
    key_data: bytes | None
    identity: IdentityMatch
    type: str = "signedBy"


@dataclass(frozen=True, slots=True)
class SignedBaseLayer:
    """Parsed for compatibility; containers/image does not implement it and rejects."""

    identity: IdentityMatch
    type: str = "signedBaseLayer"


@dataclass(frozen=True, slots=True)
class Fulcio:
    ca_path: str | None
    ca_data: bytes | None
    oidc_issuer: str
    subject_email: str


@dataclass(frozen=True, slots=True)
class Pki:
    roots_path: str | None
    roots_data: bytes | None
    intermediates_path: str | None
    intermediates_data: bytes | None
    subject_email: str
    subject_hostname: str


@dataclass(frozen=True, slots=True)
class SigstoreSigned:
    """Sigstore (cosign) signatures: public keys, Fulcio or a private PKI, maybe Rekor."""

    key_source: str  # keyPath | keyPaths | keyData | keyDatas | fulcio | pki
    key_paths: tuple[str, ...]
    key_datas: tuple[bytes, ...]
    fulcio: Fulcio | None
    pki: Pki | None
    rekor_paths: tuple[str, ...]
    rekor_datas: tuple[bytes, ...]
    identity: IdentityMatch
    type: str = "sigstoreSigned"

    @property
    def uses_rekor(self) -> bool:
        return bool(self.rekor_paths or self.rekor_datas)


Requirement = Reject | InsecureAcceptAnything | SignedBy | SignedBaseLayer | SigstoreSigned

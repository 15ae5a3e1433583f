"""Sigstore/cosign keys: ECDSA P-256 pairs, the encrypted private-key PEM that cosign and
skopeo read (scrypt + NaCl secretbox over PKCS#8, as go-securesystemslib writes it), and
public keys in PEM (SubjectPublicKeyInfo or PKCS#1 RSA) or DER.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from ringfence.errors import InputError
from ringfence.inputs import read_regular

PUBLIC_KEY = (ec.EllipticCurvePublicKey | rsa.RSAPublicKey | ed25519.Ed25519PublicKey)
PEM_TYPES = ("ENCRYPTED SIGSTORE PRIVATE KEY", "ENCRYPTED COSIGN PRIVATE KEY")
SCRYPT_N, SCRYPT_R, SCRYPT_P = 32768, 8, 1
MAX_KEY_BYTES = 1 << 20


@dataclass(frozen=True, slots=True)
class KeyPair:
    private_pem: bytes  # encrypted
    public_pem: bytes


def public_pem(key: PUBLIC_KEY) -> bytes:
    return key.public_bytes(serialization.Encoding.PEM,
                            serialization.PublicFormat.SubjectPublicKeyInfo)


def read_key_file(path: str | os.PathLike[str]) -> bytes:
    """A key file named by the user (``sign --key``, ``baseline --pubkey``): a regular file
    of at most ``MAX_KEY_BYTES``; ``/dev/zero`` or a FIFO is an InputError at once."""
    return read_regular(path, MAX_KEY_BYTES, str(path))


def load_public_key(data: bytes, subject: str) -> PUBLIC_KEY:
    """A PEM (PUBLIC KEY or RSA PUBLIC KEY) or DER public key; anything else is an error."""
    key: Any
    try:
        if data.lstrip().startswith(b"-----BEGIN"):
            key = serialization.load_pem_public_key(data)
        else:
            key = serialization.load_der_public_key(data)
    except (ValueError, TypeError) as exc:
        raise InputError(subject, "not a public key") from exc
    if not isinstance(key, ec.EllipticCurvePublicKey | rsa.RSAPublicKey |
                      ed25519.Ed25519PublicKey):
        raise InputError(subject, f"unsupported public key type {type(key).__name__}")
    return key


def _secretbox() -> Any:
    from nacl import secret  # PyNaCl: the secretbox cosign's format uses

    return secret


def generate(password: bytes) -> KeyPair:
    private = ec.generate_private_key(ec.SECP256R1())
    der = private.private_bytes(serialization.Encoding.DER,
                                serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return KeyPair(encrypt_private(der, password), public_pem(private.public_key()))


def encrypt_private(der: bytes, password: bytes) -> bytes:
    salt, nonce = os.urandom(32), os.urandom(24)
    key = hashlib.scrypt(password, salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P,
                         maxmem=64 << 20, dklen=32)
    box = _secretbox().SecretBox(key)
    ciphertext = box.encrypt(der, nonce).ciphertext
    doc = {"kdf": {"name": "scrypt", "params": {"N": SCRYPT_N, "r": SCRYPT_R, "p": SCRYPT_P},
                   "salt": base64.b64encode(salt).decode()},
           "cipher": {"name": "nacl/secretbox", "nonce": base64.b64encode(nonce).decode()},
           "ciphertext": base64.b64encode(ciphertext).decode()}
    body = base64.encodebytes(json.dumps(doc, separators=(",", ":")).encode()).decode()
    return f"-----BEGIN {PEM_TYPES[0]}-----\n{body}-----END {PEM_TYPES[0]}-----\n".encode()


def _pem_body(data: bytes, subject: str) -> bytes:
    text = data.decode("ascii", "replace")
    for kind in PEM_TYPES:
        begin, end = f"-----BEGIN {kind}-----", f"-----END {kind}-----"
        if begin in text and end in text:
            inner = text.split(begin, 1)[1].split(end, 1)[0]
            try:
                return base64.b64decode("".join(inner.split()), validate=True)
            except ValueError as exc:
                raise InputError(subject, "corrupt PEM body") from exc
    raise InputError(subject, "not an encrypted sigstore/cosign private key")


def decrypt_private(data: bytes, password: bytes, subject: str) -> ec.EllipticCurvePrivateKey:
    try:
        doc = json.loads(_pem_body(data, subject))
        kdf, cipher = doc["kdf"], doc["cipher"]
        params = kdf["params"]
        if kdf["name"] != "scrypt" or cipher["name"] != "nacl/secretbox":
            raise InputError(subject, f"unsupported key encryption {kdf['name']}/"
                             f"{cipher['name']}")
        key = hashlib.scrypt(password, salt=base64.b64decode(kdf["salt"]),
                             n=int(params["N"]), r=int(params["r"]), p=int(params["p"]),
                             maxmem=256 << 20, dklen=32)
        nonce = base64.b64decode(cipher["nonce"])
        sealed = base64.b64decode(doc["ciphertext"])
    except (ValueError, KeyError, TypeError, RecursionError, OverflowError) as exc:
        raise InputError(subject, "malformed encrypted private key") from exc
    secret = _secretbox()
    try:
        der = secret.SecretBox(key).decrypt(sealed, nonce)
    except Exception as exc:  # nacl.exceptions.CryptoError: wrong password or tampered
        raise InputError(subject, "cannot decrypt the private key (wrong password?)") from exc
    private = serialization.load_der_private_key(der, password=None)
    if not isinstance(private, ec.EllipticCurvePrivateKey):
        raise InputError(subject, "only ECDSA private keys are supported for signing")
    return private

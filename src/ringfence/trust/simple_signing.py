"""GPG simple signing (containers-signature(5)) through the ``gpg`` binary.

Verification runs in a throw-away GNUPGHOME holding only the policy's keys, so a signature
is accepted only when made by one of them (subkey signatures count for their primary key,
as gpgme reports them). Expired, revoked, bad or multiple signatures are rejected.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ringfence.errors import InputError, UsageError
from ringfence.trust.payload import Rejected

PREFIX = b"\x00simple-signing\n"
GPG_TIMEOUT = 60
_FAIL = ("BADSIG", "EXPSIG", "EXPKEYSIG", "REVKEYSIG", "ERRSIG", "NO_PUBKEY", "FAILURE")


@dataclass(frozen=True, slots=True)
class GpgVerified:
    content: bytes
    fingerprint: str  # primary key fingerprint


def _gpg(home: str | None, args: list[str], data: bytes) -> subprocess.CompletedProcess[bytes]:
    exe = shutil.which("gpg")
    if exe is None:
        raise UsageError("gpg", "the gpg binary is needed for simple signing",
                         hint="apt-get install gnupg")
    argv = [exe, "--batch", "--no-tty", "--status-fd", "2"]
    if home is not None:
        argv += ["--homedir", home]
    return subprocess.run(argv + args, input=data, capture_output=True,
                          timeout=GPG_TIMEOUT, check=False)


def _status(stderr: bytes) -> list[list[str]]:
    lines = stderr.decode("utf-8", "replace").splitlines()
    return [ln.split()[1:] for ln in lines if ln.startswith("[GNUPG:] ")]


def import_keys(home: str, blobs: list[bytes]) -> tuple[str, ...]:
    """Import key blobs (binary or armored); return the imported primary fingerprints."""
    found: list[str] = []
    for blob in blobs:
        done = _gpg(home, ["--import"], blob)
        for status in _status(done.stderr):
            if status[:1] == ["IMPORT_OK"] and len(status) > 2 and status[2] not in found:
                found.append(status[2])
    return tuple(found)


def verify_blob(blob: bytes, keys: list[bytes]) -> GpgVerified:
    """Verify an OpenPGP signed message against ``keys`` only; return content and signer."""
    if blob.startswith(PREFIX):
        blob = blob[len(PREFIX):]
    with tempfile.TemporaryDirectory(prefix="ringfence-gpg-") as home:
        Path(home).chmod(0o700)
        trusted = import_keys(home, keys)
        if not trusted:
            raise Rejected("no public keys imported")
        done = _gpg(home, ["--trust-model", "always", "--decrypt"], blob)
    statuses = _status(done.stderr)
    failures = [s[0] for s in statuses if s and s[0] in _FAIL]
    valid = [s for s in statuses if s and s[0] == "VALIDSIG"]
    good = [s for s in statuses if s and s[0] == "GOODSIG"]
    if failures:
        raise Rejected(f"invalid GPG signature ({', '.join(sorted(set(failures)))})")
    if done.returncode != 0 or len(valid) != 1 or len(good) != 1:
        raise Rejected("not exactly one good GPG signature")
    fingerprint = valid[0][-1] if len(valid[0]) >= 10 else valid[0][1]
    if fingerprint not in trusted:
        raise Rejected(f"signature by {fingerprint}, not a trusted key")
    return GpgVerified(done.stdout, fingerprint)


def sign_blob(payload: bytes, key: str, *, home: str | None = None,
              passphrase: bytes | None = None) -> bytes:
    """An OpenPGP binary signed message of ``payload`` made by ``key`` (a fingerprint)."""
    with tempfile.TemporaryDirectory(prefix="ringfence-sign-") as tmp:
        source = Path(tmp) / "payload"
        source.write_bytes(payload)
        args = ["--pinentry-mode", "loopback", "--passphrase-fd", "0", "--local-user", key,
                "--output", "-", "--sign", str(source)]
        done = _gpg(home, args, (passphrase or b"") + b"\n")
    if done.returncode != 0 or not done.stdout:
        detail = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise InputError(f"gpg key {key}", "signing failed: " +
                         "; ".join(ln for ln in detail if not ln.startswith("[GNUPG:]"))[-300:])
    return done.stdout

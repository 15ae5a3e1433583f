"""The signed host baseline document: a snapshot in the envelope image baselines use
(``ringfence.diff.baseline.sign`` / ``open_signed``: ECDSA P-256 over canonical JSON)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

from cryptography.hazmat.primitives.asymmetric import ec

from ringfence.diff.baseline import open_signed, sign
from ringfence.errors import InputError
from ringfence.host.baseline.model import HostSnapshot

SCHEMA: Final = "ringfence-host-baseline/1"


def create(snapshot: HostSnapshot, key: ec.EllipticCurvePrivateKey,
           created: datetime | None = None) -> bytes:
    body = {"schema": SCHEMA,
            "created": (created or datetime.now(UTC)).isoformat(timespec="seconds"),
            "host": snapshot.to_doc()}
    return sign(body, key)


def verify(data: bytes, public_key: bytes, subject: str) -> tuple[HostSnapshot, str]:
    """The snapshot and creation time of a host baseline whose signature verifies."""
    body: Any = open_signed(data, public_key, subject)
    try:
        if body["schema"] != SCHEMA:
            raise InputError(subject, f"not a host baseline (schema {body['schema']!r}); "
                             "image baselines are checked with `ringfence baseline check`")
        return HostSnapshot.from_doc(body["host"]), str(body["created"])
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InputError(subject, "malformed host baseline body") from exc


def same_host(baseline: HostSnapshot, current: HostSnapshot) -> str | None:
    """Why ``current`` is not the host ``baseline`` was taken of, or None. Hosts are told
    apart by machine-id, else by hostname; a side that records neither is not compared."""
    for key in ("machine-id", "hostname"):
        was, now = baseline.identity.get(key), current.identity.get(key)
        if was is not None and now is not None:
            return None if was == now else f"{key} is {now!r}, the baseline's is {was!r}"
    return None

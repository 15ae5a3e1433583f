"""The webhook's serving pair: generated for the Service's names and checked as the API
server would (chain to the caBundle, DNS name, key)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from ringfence.admission.tls import TlsMaterial, check_tls, generate_tls, service_names
from ringfence.errors import InputError
from tests.integration.webhook_support import make_tls


def test_generated_pair_verifies_for_the_service() -> None:
    tls = generate_tls("ringfence-webhook", "sec")
    assert tls.cert is not None and tls.key is not None
    check_tls(tls, "ringfence-webhook", "sec", "generated")
    assert service_names("ringfence-webhook", "sec")[0] == "ringfence-webhook.sec.svc"
    with pytest.raises(InputError, match=r"ringfence-webhook\.other\.svc"):
        check_tls(tls, "ringfence-webhook", "other", "generated")
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=400)
    with pytest.raises(InputError, match="does not verify"):
        check_tls(tls, "ringfence-webhook", "sec", "generated", now=later)


def test_given_pair_checked(tmp_path: Path) -> None:
    given = make_tls(tmp_path)
    tls = TlsMaterial(given.ca.read_bytes(), given.cert.read_bytes(), given.key.read_bytes())
    check_tls(tls, "ringfence-webhook", "ringfence", "given")
    other = generate_tls("ringfence-webhook", "ringfence")
    with pytest.raises(InputError, match="does not verify"):  # another CA
        check_tls(TlsMaterial(other.ca, tls.cert, tls.key), "ringfence-webhook",
                  "ringfence", "given")
    assert other.key is not None
    with pytest.raises(InputError, match="does not belong"):
        check_tls(TlsMaterial(tls.ca, tls.cert, other.key), "ringfence-webhook",
                  "ringfence", "given")
    with pytest.raises(InputError, match=r"not a PEM certificate|no PEM"):
        check_tls(TlsMaterial(b"junk", tls.cert), "ringfence-webhook", "ringfence", "given")
    check_tls(TlsMaterial(tls.ca), "ringfence-webhook", "ringfence", "ca only")

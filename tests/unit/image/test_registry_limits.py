"""Bodies a registry sends are read capped, streamed: a huge manifest (or signature
attachment manifest) is refused after the cap, never held whole."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from ringfence.errors import InputError
from ringfence.image.reference import parse_reference
from ringfence.image.registry import RegistryClient, fetch_optional_manifest
from tests.unit.image.test_registry import FakeRegistry, _isolated, single

__all__ = ["_isolated"]


def test_optional_manifest_is_read_capped() -> None:
    sent = []

    def endless() -> Iterator[bytes]:
        for _ in range(1 << 12):  # 4 GiB if read to the end
            sent.append(1)
            yield b"{" * (1 << 20)

    fake = FakeRegistry(single())
    fake.override["/v2/team/app/manifests/sig"] = lambda: httpx.Response(
        200, stream=_Stream(endless()))
    client = RegistryClient(parse_reference("docker://fake.test/team/app:1"), insecure=False,
                            auth_file=None, transport=httpx.MockTransport(fake))
    try:
        with pytest.raises(InputError, match="larger than 4194304 bytes"):
            fetch_optional_manifest(client, "sig")
    finally:
        client.close()
    assert len(sent) <= 8  # stopped just past the 4 MiB cap


class _Stream(httpx.SyncByteStream):
    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        yield from self._chunks

"""Image lookups for admission: signature verdicts through the image ring's verifier,
cached by digest with a TTL (thread-safe: the webhook verifies in worker threads)."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Final

from ringfence.admission.policy import TrustSettings
from ringfence.errors import UsageError
from ringfence.image.reference import parse_reference
from ringfence.model.image import ImageRef
from ringfence.trust.evaluate import Verdict
from ringfence.trust.policy import Policy
from ringfence.trust.verify import VerifyOptions, verify

MAX_ENTRIES: Final = 10_000
Verifier = Callable[[ImageRef, Policy, VerifyOptions], Verdict]


def image_digest(image: str) -> str:
    """The ``sha256:…`` digest an image reference is pinned to, or ""."""
    _, _, digest = image.partition("@")
    return digest if digest.startswith("sha256:") else ""


class TrustChecker:
    """``check(image)`` -> the trust policy's Verdict. Verdicts are cached under the image's
    digest when the reference is pinned (the signed content cannot change), otherwise under
    the reference itself (a tag may move: the TTL bounds how long an old answer is used).
    Lookup failures raise and are never cached."""

    def __init__(self, settings: TrustSettings, verifier: Verifier = verify,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._settings = settings
        self._options = VerifyOptions(registries_d=settings.registries_d)
        self._verify = verifier
        self._clock = clock
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, tuple[float, Verdict]] = OrderedDict()
        self.lookups = 0

    def check(self, image: str) -> Verdict:
        ref = _docker_ref(image)
        key = ref.digest or str(ref)
        now = self._clock()
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None and hit[0] > now:
                return hit[1]
        verdict = self._verify(ref, self._settings.policy, self._options)
        with self._lock:
            self.lookups += 1
            self._cache[key] = (now + self._settings.cache_ttl_seconds, verdict)
            self._cache.move_to_end(key)
            while len(self._cache) > MAX_ENTRIES:
                self._cache.popitem(last=False)
        return verdict


def _docker_ref(image: str) -> ImageRef:
    ref = parse_reference(image if image.startswith("docker://") else f"docker://{image}")
    if ref.transport != "docker":  # pragma: no cover - the prefix above forces docker
        raise UsageError(image, "pod images are registry references")
    return ref

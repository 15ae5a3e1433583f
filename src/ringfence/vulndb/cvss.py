"""CVSS base score and severity from a vector string (v2, v3.0, v3.1, v4.0).

Scoring is done by the maintained ``cvss`` library (RedHatProductSecurity/cvss); this module
only picks the version from the vector prefix and maps the library's rating onto our
``Severity``. An invalid vector yields ``score=None`` and the library's reason, never an
exception: a bad vector in one advisory must not stop a scan.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from cvss import CVSS2, CVSS3, CVSS4
from cvss.exceptions import CVSSError

from ringfence.model.finding import Severity


@dataclass(frozen=True, slots=True)
class CvssScore:
    vector: str
    version: str | None  # "2.0", "3.0", "3.1", "4.0"; None when unrecognised
    score: float | None
    severity: Severity
    reason: str | None = None  # why score is None


def _version(vector: str) -> str | None:
    if vector.startswith("CVSS:3.0/"):
        return "3.0"
    if vector.startswith("CVSS:3.1/"):
        return "3.1"
    if vector.startswith("CVSS:4.0/"):
        return "4.0"
    if vector.startswith("CVSS:"):
        return None
    return "2.0"  # v2 vectors carry no prefix ("AV:N/AC:L/Au:N/C:P/I:P/A:P")


def _score(vector: str, version: str) -> tuple[float, str]:
    """Base score and the library's qualitative rating for that CVSS version (NVD's v2
    scale tops out at High; v3/v4 use FIRST's Low/Medium/High/Critical)."""
    if version == "4.0":
        v4 = CVSS4(vector)
        return float(v4.base_score), str(v4.severity)
    if version == "2.0":
        v2 = CVSS2(vector)
        return float(v2.base_score), str(v2.severities()[0])
    v3 = CVSS3(vector)
    return float(v3.base_score), str(v3.severities()[0])


@lru_cache(maxsize=4096)
def evaluate(vector: str) -> CvssScore:
    """Base score of ``vector``; ``score`` is None (with ``reason``) when it is invalid."""
    text = vector.strip()
    version = _version(text)
    if version is None:
        return CvssScore(text, None, None, Severity.UNKNOWN, "unsupported CVSS version prefix")
    try:
        score, rating = _score(text, version)
    except (CVSSError, ValueError, KeyError, IndexError) as exc:
        return CvssScore(text, version, None, Severity.UNKNOWN, f"invalid CVSS {version} "
                         f"vector: {exc}")
    return CvssScore(text, version, score, Severity.parse(rating))


def best(vectors: tuple[str, ...]) -> CvssScore | None:
    """The valid score of the newest CVSS version among ``vectors`` (v4 > v3.1 > v3.0 > v2)."""
    order = {"4.0": 3, "3.1": 2, "3.0": 1, "2.0": 0}
    scored = [evaluate(v) for v in vectors]
    valid = [s for s in scored if s.score is not None]
    if not valid:
        return None
    return max(valid, key=lambda s: order.get(s.version or "", -1))

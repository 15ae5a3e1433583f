"""Node.js Security Working Group vulnerability DB (``nodejs/security-wg``, ``vuln/npm/*.json``;
native JSON, not OSV), as a tarball of the repository or the JSON files themselves.

Each npm record names ``module_name`` and ``vulnerable_versions``, a node-semver range. The
range becomes OSV SEMVER ranges in the ``npm`` ecosystem, one per ``||`` alternative:
``>=X`` introduced X; ``>X`` introduced at the next version above X (``1.2.4-0`` for
``1.2.3``: no semver version lies between them); ``<X`` fixed X; ``<=X`` last_affected X;
an exact version is listed in ``versions``; ``*``/``x`` and partial versions, ``~`` and
``^`` expand as node-semver expands them. What cannot be expressed (hyphen ranges, two
lower bounds in one alternative, garbage) is a listed skip, never a guess. node-semver
leaves prereleases out of a range unless a bound names the same release; OSV ranges (and
this import) do not: a prerelease inside a range is reported as affected.

The ``core`` and ``deps`` records describe Node.js itself and its bundled libraries, which
no cataloger reports as npm packages: they are skipped with that reason.
"""

from __future__ import annotations

import gzip
import io
import json
import re
import tarfile
from typing import Any, Final

from ringfence.errors import InputError
from ringfence.model.advisory import Advisory, Affected, AffectedRange, Event
from ringfence.model.finding import Severity
from ringfence.vulndb.importers.record import Record, Skip, SourceData
from ringfence.vulndb.names import normalize

NAME: Final = "nodejs-security-wg"
MAX_MEMBER: Final = 1 << 20  # one advisory JSON; the largest upstream is ~6 KiB
MAX_UNPACKED: Final = 256 << 20  # the whole tarball unpacked (upstream: ~2 MiB)
MAX_MEMBERS: Final = 100_000
_OP: Final = re.compile(r"(<=|>=|<|>|=|\^|~>?)?\s*v?(\S*)")
_PARTIAL: Final = re.compile(r"(\d+|[xX*])(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?"
                             r"(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?")


class RangeError(ValueError):
    """A node-semver range this importer does not translate."""


def is_npm_record(doc: Any) -> bool:
    return isinstance(doc, dict) and "module_name" in doc and "vulnerable_versions" in doc


class _Capped(io.RawIOBase):
    """The unpacked tar stream, refusing to go past ``MAX_UNPACKED`` bytes."""

    def __init__(self, inner: io.BufferedIOBase, origin: str) -> None:
        self.inner, self.origin, self.count = inner, origin, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buf: Any) -> int:
        data = self.inner.read(len(buf))
        self.count += len(data)
        if self.count > MAX_UNPACKED:
            raise InputError(self.origin, f"unpacks to more than {MAX_UNPACKED} bytes")
        buf[:len(data)] = data
        return len(data)


def import_tarball(raw: bytes, origin: str) -> SourceData:
    """The records of a ``security-wg`` tarball (``.tar.gz``), read as a capped stream."""
    records: list[Record] = []
    skipped: list[Skip] = []
    seen = 0
    try:
        stream = _Capped(gzip.GzipFile(fileobj=io.BytesIO(raw)), origin)
        with tarfile.open(fileobj=io.BufferedReader(stream), mode="r|") as tar:
            for member in tar:
                seen += 1
                if seen > MAX_MEMBERS:
                    raise InputError(origin, f"more than {MAX_MEMBERS} members")
                where = f"{origin}:{member.name}"
                kind = _kind(member.name)
                if kind is None or not member.isfile():
                    continue
                if kind != "npm":
                    skipped.append(Skip(where, f"Node.js {kind} advisory: not an npm package"))
                    continue
                if member.size > MAX_MEMBER:
                    skipped.append(Skip(where, f"{member.size} bytes, over {MAX_MEMBER}"))
                    continue
                handle = tar.extractfile(member)
                data = handle.read() if handle is not None else b""
                _add(data, where, records, skipped)
    except (OSError, EOFError, tarfile.TarError, gzip.BadGzipFile) as exc:
        raise InputError(origin, f"not a readable .tar.gz: {exc}") from exc
    if not records and not skipped:
        raise InputError(origin, "no vuln/npm/*.json records of the Node.js security WG")
    return SourceData(NAME, NAME, origin, tuple(records), tuple(skipped))


def import_record(doc: dict[str, Any], where: str) -> SourceData:
    """One ``vuln/npm/<id>.json`` file (a part of the source, joined by the caller)."""
    records: list[Record] = []
    skipped: list[Skip] = []
    try:
        records.append(parse_record(doc))
    except (RangeError, KeyError, TypeError, ValueError) as exc:
        skipped.append(Skip(where, f"{type(exc).__name__}: {exc}"))
    return SourceData(NAME, "nodejs-wg-part", where, tuple(records), tuple(skipped))


def _kind(name: str) -> str | None:
    parts = name.split("/")
    if len(parts) >= 3 and parts[-3] == "vuln" and parts[-1].endswith(".json"):
        return parts[-2] if parts[-1] != "index.json" else None
    return None


def _add(data: bytes, where: str, records: list[Record], skipped: list[Skip]) -> None:
    try:
        doc = json.loads(data)
        if not is_npm_record(doc):
            raise RangeError("no module_name / vulnerable_versions")
        records.append(parse_record(doc))
    except (RangeError, KeyError, TypeError, ValueError) as exc:
        skipped.append(Skip(where, f"{type(exc).__name__}: {exc}"))


def parse_record(doc: dict[str, Any]) -> Record:
    adv_id = f"NSWG-ECO-{int(doc['id'])}"
    module = doc["module_name"]
    if not isinstance(module, str) or not module.strip():
        raise RangeError("empty module_name")
    ranges, versions = parse_range(str(doc["vulnerable_versions"]))
    cves = tuple(str(c) for c in doc.get("cves") or () if isinstance(c, str))
    vector = doc.get("cvss_vector") if isinstance(doc.get("cvss_vector"), str) else None
    score = doc.get("cvss_score")
    adv = Advisory(
        id=adv_id, source=NAME, aliases=cves, summary=str(doc.get("title") or ""),
        severity=_severity(score), cvss_vector=vector or None,
        published=_date(doc.get("publish_date") or doc.get("created_at")),
        modified=_date(doc.get("updated_at") or doc.get("publish_date")),
        references=tuple(str(r) for r in doc.get("references") or () if isinstance(r, str)))
    affected = Affected(adv_id, "npm", normalize("npm", module.strip()), ranges, versions)
    return Record(adv, (affected,), (("CVSS_V3", vector),) if vector else ())


def _date(value: Any) -> str | None:
    if not isinstance(value, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}.*", value):
        return None
    return value if "T" in value else f"{value[:10]}T00:00:00Z"


def _severity(score: Any) -> Severity:
    """CVSS v3 qualitative rating of ``cvss_score`` (used when the vector does not score)."""
    if not isinstance(score, int | float) or isinstance(score, bool):
        return Severity.UNKNOWN
    for floor, sev in ((9.0, Severity.CRITICAL), (7.0, Severity.HIGH),
                       (4.0, Severity.MEDIUM), (0.1, Severity.LOW)):
        if score >= floor:
            return sev
    return Severity.UNKNOWN


def parse_range(text: str) -> tuple[tuple[AffectedRange, ...], tuple[str, ...]]:
    """OSV SEMVER ranges and exact versions for a node-semver range (module docstring)."""
    if len(text) > 1000:
        raise RangeError("range longer than 1000 characters")
    ranges: list[AffectedRange] = []
    versions: list[str] = []
    for alternative in text.split("||"):
        exact, rng = _alternative(alternative.strip())
        if exact is not None:
            versions.append(exact)
        if rng is not None:
            ranges.append(rng)
    if not ranges and not versions:
        raise RangeError(f"empty range {text!r}")
    return tuple(ranges), tuple(versions)


def _alternative(text: str) -> tuple[str | None, AffectedRange | None]:
    if " - " in text:
        raise RangeError(f"hyphen range {text!r} not translated")
    tokens = [m.group(0) for m in re.finditer(r"(<=|>=|<|>|=|\^|~>?)?\s*[^\s<>=^~]+", text)]
    if not text or text in ("*", "x", "X"):
        return None, AffectedRange("SEMVER", (Event("introduced", "0"),))
    lower: str | None = None
    upper: Event | None = None
    for token in tokens:
        m = _OP.fullmatch(token.strip())
        if m is None:
            raise RangeError(f"unreadable comparator {token!r}")
        op, version = m.group(1) or "", m.group(2)
        low, high, exact = _bounds(op, version)
        if exact is not None:
            if len(tokens) == 1:
                return exact, None
            raise RangeError(f"exact version inside a compound range {text!r}")
        if low is not None:
            if lower is not None:
                raise RangeError(f"two lower bounds in {text!r}")
            lower = low
        if high is not None:
            if upper is not None:
                raise RangeError(f"two upper bounds in {text!r}")
            upper = high
    events = [Event("introduced", lower or "0")]
    if upper is not None:
        events.append(upper)
    return None, AffectedRange("SEMVER", tuple(events))


def _bounds(op: str, text: str) -> tuple[str | None, Event | None, str | None]:
    """(inclusive lower bound, upper event, exact version) of one comparator."""
    m = _PARTIAL.fullmatch(text)
    if m is None:
        raise RangeError(f"not a version {text!r}")
    parts = [m.group(1), m.group(2), m.group(3)]
    pre = m.group(4)
    wild = [p is None or p in ("x", "X", "*") for p in parts]
    nums = [0 if w else int(p) for p, w in zip(parts, wild, strict=True)]
    full = ".".join(map(str, nums)) + (f"-{pre}" if pre else "")
    if wild[0]:
        return None, None, None  # "*": no bound
    if op in ("", "=") and not any(wild):
        return None, None, full
    given = wild.index(True) if any(wild) else 3  # parts written before the first wildcard
    if op in ("", "="):  # x-range / partial: 1.2.x is [1.2.0, 1.3.0-0)
        return full, Event("fixed", _next(nums, given - 1)), None
    if op.startswith("~"):  # ~1.2.3 and ~1.2: [1.2.x, 1.3.0-0); ~1: [1.0.0, 2.0.0-0)
        return full, Event("fixed", _next(nums, 1 if given >= 2 else 0)), None
    if op == "^":  # the first non-zero written part may not change
        first = next((i for i in range(given) if nums[i]), given - 1)
        return full, Event("fixed", _next(nums, first)), None
    if op == ">=":
        return full, None, None
    if op == ">":
        if any(wild):  # >1.2 means >=1.3.0
            given = wild.index(True)
            return _next(nums, given - 1), None, None
        return (f"{full}.0" if pre else f"{nums[0]}.{nums[1]}.{nums[2] + 1}-0"), None, None
    if op == "<":
        return None, Event("fixed", f"{full}" if not any(wild) else f"{full}-0"), None
    if op == "<=":
        if any(wild):  # <=1.2 means <1.3.0-0
            return None, Event("fixed", _next(nums, wild.index(True) - 1)), None
        return None, Event("last_affected", full), None
    raise RangeError(f"operator {op!r}")


def _next(nums: list[int], index: int) -> str:
    """The lowest version above every version whose first ``index + 1`` parts are these."""
    out = [*nums[:index], nums[index] + 1, 0, 0][:3]
    return ".".join(map(str, out)) + "-0"

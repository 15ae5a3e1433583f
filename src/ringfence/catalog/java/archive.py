"""Walk a Java archive held in memory, nested archives included, within a budget.

Each archive yields the Maven coordinates of its ``pom.properties`` files (a fat jar
keeps one per shaded dependency); when it has none, its ``META-INF/MANIFEST.MF``
main section is used with Trivy's precedence (group: Implementation-Vendor-Id,
Bundle-SymbolicName minus its last dot-segment, Implementation-Vendor,
Specification-Vendor; artifact: Implementation-Title, Specification-Title,
Bundle-Name; version: Implementation-Version, Specification-Version, Bundle-Version).
Archives inside archives (``WEB-INF/lib``, ``BOOT-INF/lib``, ``lib/`` ...) are read
from bytes up to ``MAX_DEPTH`` levels and ``MAX_TOTAL`` uncompressed bytes in all,
so a zip bomb costs at most the budget.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field

ARCHIVE_EXTENSIONS = (".jar", ".war", ".ear", ".par", ".sar", ".jpi", ".hpi")
MAX_DEPTH = 16
MAX_TOTAL = 512 * 1024 * 1024
# pom.properties and MANIFEST.MF are a few hundred bytes; a bigger one is not parsed
# (it becomes a problem, i.e. an Unknown) rather than split into lines in memory.
MAX_METADATA_BYTES = 1 << 20
MIN_ZIP = 22  # an empty zip: the end-of-central-directory record alone
MANIFEST = "META-INF/MANIFEST.MF"
_MAVEN_ID = re.compile(r"[A-Za-z0-9_.\-]+")


@dataclass(frozen=True, slots=True)
class Coordinates:
    group: str
    artifact: str
    version: str
    archive: str  # "outer.jar" or "outer.war!/WEB-INF/lib/inner.jar"
    source: str  # the member the coordinates came from


@dataclass
class Walk:
    """Mutable state of one walk: results, problems and the bytes left to inflate."""

    found: list[Coordinates] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    budget: int = MAX_TOTAL


class BudgetExceeded(Exception):
    pass


def walk_archive(z: zipfile.ZipFile, label: str, depth: int, state: Walk) -> None:
    infos = [i for i in z.infolist() if not i.is_dir()]
    poms = [i for i in infos if i.filename.rpartition("/")[2] == "pom.properties"]
    found = [c for i in poms if (c := _from_pom(z, i, label, state)) is not None]
    if not found:
        man = next((i for i in infos if i.filename == MANIFEST), None)
        if man is not None and (c := _from_manifest(z, man, label, state)) is not None:
            found.append(c)
    state.found.extend(found)
    for info in infos:
        if info.filename.lower().endswith(ARCHIVE_EXTENSIONS) and info.file_size >= MIN_ZIP:
            _nested(z, info, f"{label}!/{info.filename}", depth + 1, state)


def _read(z: zipfile.ZipFile, info: zipfile.ZipInfo, state: Walk) -> bytes:
    if info.file_size > state.budget:
        raise BudgetExceeded
    with z.open(info) as f:
        data = f.read(state.budget + 1)  # do not trust the declared size
    if len(data) > state.budget:
        raise BudgetExceeded
    state.budget -= len(data)
    return data


def _read_metadata(z: zipfile.ZipFile, info: zipfile.ZipInfo, label: str,
                   state: Walk) -> str | None:
    if info.file_size <= MAX_METADATA_BYTES:
        if info.file_size > state.budget:
            raise BudgetExceeded
        with z.open(info) as f:  # do not trust the declared size
            data = f.read(min(MAX_METADATA_BYTES, state.budget) + 1)
        if len(data) > state.budget:
            raise BudgetExceeded
        if len(data) <= MAX_METADATA_BYTES:
            state.budget -= len(data)
            return data.decode("utf-8", "replace")
    state.problems.append(f"{label}!/{info.filename}: larger than {MAX_METADATA_BYTES} "
                          "bytes; not parsed")
    return None


def _nested(z: zipfile.ZipFile, info: zipfile.ZipInfo, label: str, depth: int,
            state: Walk) -> None:
    if depth > MAX_DEPTH:
        state.problems.append(f"{label}: archives nested deeper than {MAX_DEPTH} levels")
        return
    data = _read(z, info, state)
    try:
        inner = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError) as exc:
        state.problems.append(f"{label}: not a readable archive: {exc}")
        return
    with inner:
        walk_archive(inner, label, depth, state)


def parse_properties(text: str) -> dict[str, str]:
    """Java ``.properties`` subset used by Maven: ``key=value`` / ``key: value``, comments."""
    out: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#!":
            continue
        cut = min((i for i in (line.find("="), line.find(":")) if i >= 0), default=-1)
        if cut > 0:
            out[line[:cut].strip()] = line[cut + 1:].strip()
    return out


def _from_pom(z: zipfile.ZipFile, info: zipfile.ZipInfo, label: str,
              state: Walk) -> Coordinates | None:
    text = _read_metadata(z, info, label, state)
    if text is None:
        return None
    props = parse_properties(text)
    group, artifact, version = (props.get(k, "") for k in ("groupId", "artifactId", "version"))
    if not (group and artifact and version):
        return None
    return Coordinates(group, artifact, version, label, info.filename)


def parse_manifest(text: str) -> dict[str, str]:
    """Main section of a MANIFEST.MF: continuation lines start with one space."""
    attrs: dict[str, str] = {}
    key = None
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if not line:
            if attrs:
                break
            continue
        if line.startswith(" ") and key is not None:
            attrs[key] += line[1:]
            continue
        key, sep, value = line.partition(":")
        if not sep:
            key = None
            continue
        key = key.strip()
        attrs[key] = value[1:] if value.startswith(" ") else value
    return attrs


def _first(candidates: list[str], valid: re.Pattern[str] | None = None) -> str:
    return next((c.strip() for c in candidates
                 if c.strip() and (valid is None or valid.fullmatch(c.strip()))), "")


def manifest_coordinates(attrs: dict[str, str]) -> tuple[str, str, str] | None:
    """Trivy's precedence, skipping values that are not Maven ids (scalibr rejects
    "Guava: Google Core Libraries for Java" as an artifactId too)."""
    bsn = attrs.get("Bundle-SymbolicName", "").split(";")[0].strip()
    group = _first([attrs.get("Implementation-Vendor-Id", ""), bsn.rpartition(".")[0] or bsn,
                    attrs.get("Implementation-Vendor", ""),
                    attrs.get("Specification-Vendor", "")], _MAVEN_ID)
    artifact = _first([attrs.get(k, "") for k in
                       ("Implementation-Title", "Specification-Title", "Bundle-Name")],
                      _MAVEN_ID)
    version = _first([attrs.get(k, "") for k in
                      ("Implementation-Version", "Specification-Version", "Bundle-Version")])
    return (group, artifact, version) if group and artifact and version else None


def _from_manifest(z: zipfile.ZipFile, info: zipfile.ZipInfo, label: str,
                   state: Walk) -> Coordinates | None:
    text = _read_metadata(z, info, label, state)
    if text is None:
        return None
    attrs = parse_manifest(text)
    coords = manifest_coordinates(attrs)
    if coords is None:
        return None
    return Coordinates(*coords, label, info.filename)

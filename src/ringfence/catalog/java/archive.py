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
    licenses: tuple[str, ...] = ()  # from the pom.xml beside pom.properties


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
        attrs = _manifest(z, man, label, state) if man is not None else {}
        c = _identify(attrs, label, man.filename if man is not None else "")
        if c is not None:
            found.append(c)
        elif any(i.filename.endswith(".class") for i in infos):
            # code of its own that cannot be named (a wrapper holding only archives, or an
            # archive without classes, is not an unidentified package)
            state.problems.append(f"{label}: Java archive not identified (no pom.properties, "
                                  "no MANIFEST name and version, no versioned file name)")
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
    pom_xml = info.filename.rpartition("/")[0] + "/pom.xml"
    licenses: tuple[str, ...] = ()
    try:
        xml_info = z.getinfo(pom_xml)
    except KeyError:
        pass
    else:
        # the XML parser (defusedxml, xml.etree: ~4 ms of imports) only for a jar with a pom
        from ringfence.catalog.java.pomxml import pom_licenses

        xml = _read_metadata(z, xml_info, label, state)
        licenses = pom_licenses(xml.encode()) if xml is not None else ()
    return Coordinates(group, artifact, version, label, info.filename, licenses)


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
    "Guava: Google Core Libraries for Java" as an artifactId too). The group is "" when
    no attribute gives one that is a Maven id: none is better than a guessed one."""
    bsn = attrs.get("Bundle-SymbolicName", "").split(";")[0].strip()
    group = _first([attrs.get("Implementation-Vendor-Id", ""), bsn.rpartition(".")[0],
                    attrs.get("Implementation-Vendor", ""),
                    attrs.get("Specification-Vendor", "")], _MAVEN_ID)
    artifact = _first([attrs.get(k, "") for k in
                       ("Implementation-Title", "Specification-Title", "Bundle-Name")],
                      _MAVEN_ID) or (bsn.rpartition(".")[2] if bsn else "")
    version = _first([attrs.get(k, "") for k in
                      ("Implementation-Version", "Specification-Version", "Bundle-Version")])
    return (group, artifact, version) if artifact and version else None


# ``commons-lang3-3.12.0.jar``, ``netty-codec-4.1.100.Final.jar``: name words, then a version
# starting with a digit (Syft's archive file-name rule, simplified).
_FILE_NAME = re.compile(r"(?P<name>[A-Za-z][\w.]*(?:-[A-Za-z][\w.]*)*)-(?P<version>\d[\w.+-]*)")


def filename_coordinates(label: str) -> tuple[str, str] | None:
    base = label.rpartition("/")[2].rpartition("!")[2]
    stem = base.rpartition(".")[0] if "." in base else base
    m = _FILE_NAME.fullmatch(stem)
    return (m["name"], m["version"]) if m else None


def _manifest(z: zipfile.ZipFile, info: zipfile.ZipInfo, label: str,
              state: Walk) -> dict[str, str]:
    text = _read_metadata(z, info, label, state)
    return parse_manifest(text) if text is not None else {}


def _identify(attrs: dict[str, str], label: str, manifest: str) -> Coordinates | None:
    """MANIFEST coordinates, else (and for what the MANIFEST lacks) the file name."""
    coords = manifest_coordinates(attrs)
    if coords is not None:
        return Coordinates(*coords, label, manifest)
    named = filename_coordinates(label)
    if named is None:
        return None
    group = _first([attrs.get("Implementation-Vendor-Id", "")], _MAVEN_ID)
    return Coordinates(group, named[0], named[1], label, "file name")

"""Version strings found in the shared advisory data, and seeded pair corpora built from them.

Real strings: OSV range events (introduced/fixed/last_affected/limit, the "0" sentinel left
out) and `versions` lists of every zip and sample, Debian DSA/DLA fixed versions, Alpine
secdb secfixes, and the version numbers in the Node.js security WG ranges.
"""

from __future__ import annotations

import json
import random
import re
import tarfile
import zipfile
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path

Pair = tuple[str, str]
_EVENTS = ("introduced", "fixed", "last_affected", "limit")
_DISTRO_LINE = re.compile(r"^\s+\[[\w-]+\]\s+-\s+\S+\s+([^\s<]\S*)", re.M)
_NODE_VERSION = re.compile(r"\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?")


def _scheme(ecosystem: str, range_type: str) -> str | None:
    base = ecosystem.split(":")[0]
    if range_type == "SEMVER":
        return "semver"
    if range_type != "ECOSYSTEM":
        return None
    return {"Debian": "dpkg", "Ubuntu": "dpkg", "AlmaLinux": "rpm", "Rocky Linux": "rpm",
            "Red Hat": "rpm", "PyPI": "pep440", "npm": "semver", "Alpine": "apk",
            "Go": "semver", "crates.io": "semver"}.get(base)


def _records(adv: Path) -> Iterator[dict[str, object]]:
    for z in sorted((adv / "osv").glob("*.zip")):
        with zipfile.ZipFile(z) as zf:
            for name in zf.namelist():
                yield json.loads(zf.read(name))
    for p in sorted((adv / "osv-samples").rglob("*.json")):
        yield json.loads(p.read_text())


def _osv(adv: Path, out: dict[str, set[str]]) -> None:
    for rec in _records(adv):
        for aff in rec.get("affected", []):  # type: ignore[union-attr]
            eco = aff.get("package", {}).get("ecosystem", "")
            for rng in aff.get("ranges", []):
                scheme = _scheme(eco, rng["type"])
                for ev in rng.get("events", []) if scheme else ():
                    out[scheme].update(v for k, v in ev.items() if k in _EVENTS and v != "0")
            scheme = _scheme(eco, "ECOSYSTEM")
            if scheme:
                out[scheme].update(aff.get("versions", []))


@cache
def real_versions(adv: Path) -> dict[str, frozenset[str]]:
    out: dict[str, set[str]] = {k: set() for k in ("dpkg", "rpm", "pep440", "semver", "apk")}
    _osv(adv, out)
    for name in ("DSA-list", "DLA-list"):
        text = (adv / "debian-security-tracker" / name).read_text(errors="replace")
        out["dpkg"].update(_DISTRO_LINE.findall(text))
    for p in sorted((adv / "alpine-secdb").glob("*/*.json")):
        for pkg in json.loads(p.read_text())["packages"]:
            out["apk"].update(pkg["pkg"]["secfixes"])
    with tarfile.open(adv / "nodejs-security-wg.tar.gz") as tf:
        for member in tf.getmembers():
            f = tf.extractfile(member) if member.name.endswith(".json") else None
            if f is not None and "/npm/" in member.name:
                rec = json.loads(f.read())
                for field in ("vulnerable_versions", "patched_versions"):
                    out["semver"].update(_NODE_VERSION.findall(str(rec.get(field) or "")))
    return {k: frozenset(v) for k, v in out.items()}


def mutate(rng: random.Random, v: str, alphabet: str, suffixes: tuple[str, ...]) -> str:
    """One random edit of a real version: bump/replace a digit, insert, delete, append."""
    op = rng.randrange(6)
    i = rng.randrange(len(v) + 1)
    if op == 0 and v:
        digits = [k for k, c in enumerate(v) if c.isdigit()]
        if digits:
            k = rng.choice(digits)
            return v[:k] + str(rng.choice((0, 1, 9, 10, int(v[k]) + 1))) + v[k + 1:]
    if op == 1:
        return v[:i] + rng.choice(alphabet) + v[i:]
    if op == 2 and len(v) > 1:
        return v[:i] + v[i + 1:]
    if op == 3:
        return v + rng.choice(suffixes)
    if op == 4:
        return v[:i] + rng.choice(suffixes) + v[i:]
    cut = rng.randrange(1, len(v) + 1)
    return v[:cut]


def pairs(real: frozenset[str], n: int, seed: int, alphabet: str,
          suffixes: tuple[str, ...], valid: Callable[[str], bool] = lambda _: True) -> list[Pair]:
    """Every real string against a neighbour, then seeded pairs: real x real, real x its
    mutation, two mutations of one real string; only strings passing `valid` are kept."""
    rng = random.Random(seed)  # noqa: S311 (seeded test corpus)
    base = sorted(real)
    out: list[Pair] = []
    for k, v in enumerate(base):  # every real string occurs at least once
        out.append((v, base[(k + 1) % len(base)]))
    while len(out) < n:
        a = rng.choice(base)
        kind = rng.randrange(4)
        if kind == 0:
            b = rng.choice(base)
        elif kind == 1:
            b = mutate(rng, a, alphabet, suffixes)
        else:
            a, b = mutate(rng, a, alphabet, suffixes), mutate(rng, a, alphabet, suffixes)
        if a and b and valid(a) and valid(b):
            out.append((a, b) if rng.random() < 0.5 else (b, a))
    return out[:n] if n >= len(base) else out

"""Package URLs, built with packageurl-python (never by string concatenation)."""

from __future__ import annotations

from functools import lru_cache

from packageurl import PackageURL


def make(type_: str, name: str, version: str, namespace: str | None = None,
         qualifiers: dict[str, str] | None = None, subpath: str | None = None) -> str:
    q = {k: v for k, v in (qualifiers or {}).items() if v}
    return str(PackageURL(type=type_, namespace=namespace, name=name, version=version or None,
                          qualifiers=q or None, subpath=subpath).to_string())


@lru_cache(maxsize=1 << 16)  # bounded: a purl is ~100 bytes
def with_distro(purl: str, namespace: str, distro: str | None) -> str:
    """Re-qualify an OS package purl once the image's distro is known. Remembered: every
    image merge re-qualifies all its OS packages, and a fleet worker merges many images
    over the same base (parsing and writing the purl was half of a bullseye merge)."""
    p = PackageURL.from_string(purl)
    q = dict(p.qualifiers) if isinstance(p.qualifiers, dict) else {}
    if distro:
        q["distro"] = distro
    return str(PackageURL(type=p.type, namespace=namespace, name=p.name, version=p.version,
                          qualifiers=q or None, subpath=p.subpath).to_string())

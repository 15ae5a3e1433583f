"""Distribution packages: deb (Debian, Ubuntu), apk (Alpine), rpm (RHEL family).

The ecosystem comes from the image's ``os-release`` in OSV spelling:

* Debian: ``Debian:<major VERSION_ID>`` (``Debian:12``); without VERSION_ID (testing/sid)
  from the codename (trixie -> 13, sid -> ``Debian:sid``), as the Debian importer stores it.
* Ubuntu: ``Ubuntu:<VERSION_ID>:LTS`` for LTS releases (even year, ``.04``) and
  ``Ubuntu:<VERSION_ID>`` for the others; an LTS release is also looked up without the
  suffix because osv.dev used both spellings over time (the golden answers hold both).
* Alpine: ``Alpine:v<major>.<minor>`` from VERSION_ID ``3.18.4``.
* RHEL family via Red Hat's CSAF/VEX data (``Red Hat:<major>``, importers/redhat_csaf.py)
  and OSV AlmaLinux and Rocky Linux data: ``almalinux`` images use ``AlmaLinux:<major>``,
  ``rocky`` images ``Rocky Linux:<major>``, and RHEL, CentOS and any ID_LIKE
  rhel/centos/almalinux/rocky distro all three (the rebuilds track RHEL errata for errata;
  one CVE found in several is merged by aliases).

deb and apk are looked up by SOURCE (origin) package and source version, as the Debian
tracker and Alpine secdb key their data, falling back to the binary name/version when the
database had no source. rpm is looked up by BINARY name and ``[epoch:]version-release``:
AlmaLinux and Rocky OSV records list every binary rpm (``glibc-common``,
``glibc-langpack-aa`` …), so a source-name lookup would claim binaries an erratum never
shipped.
"""

from __future__ import annotations

from typing import Final

from ringfence.model.inventory import Distro
from ringfence.model.package import Package
from ringfence.vulndb.matchers.interface import Query
from ringfence.vulndb.names import normalize

DEBIAN_CODENAMES: Final = {"jessie": "8", "stretch": "9", "buster": "10", "bullseye": "11",
                           "bookworm": "12", "trixie": "13", "forky": "14", "sid": "sid"}
RHEL_LIKE: Final = frozenset({"rhel", "centos", "almalinux", "rocky"})


def _major(version_id: str | None) -> str | None:
    if not version_id:
        return None
    head = version_id.split(".", 1)[0]
    return head if head.isdigit() else None


def debian_ecosystems(distro: Distro) -> tuple[str, ...]:
    release = _major(distro.version_id) or DEBIAN_CODENAMES.get(distro.version_codename or "")
    return (f"Debian:{release}",) if release else ()


def ubuntu_ecosystems(distro: Distro) -> tuple[str, ...]:
    ver = distro.version_id or ""
    parts = ver.split(".")
    if len(parts) < 2 or not all(p.isdigit() for p in parts[:2]):
        return ()
    release = f"{parts[0]}.{parts[1]}"
    if parts[1] == "04" and int(parts[0]) % 2 == 0:
        return (f"Ubuntu:{release}:LTS", f"Ubuntu:{release}")
    return (f"Ubuntu:{release}",)


def alpine_ecosystems(distro: Distro) -> tuple[str, ...]:
    parts = (distro.version_id or "").split(".")
    if len(parts) < 2 or not parts[0].isdigit():
        return ()
    minor = "".join(c for c in parts[1] if c.isdigit())
    return (f"Alpine:v{parts[0]}.{minor}",) if minor else ()


def rhel_ecosystems(distro: Distro) -> tuple[str, ...]:
    major = _major(distro.version_id)
    if major is None:
        return ()
    if distro.id == "almalinux":
        return (f"AlmaLinux:{major}",)
    if distro.id == "rocky":
        return (f"Rocky Linux:{major}",)
    if distro.id in RHEL_LIKE or RHEL_LIKE.intersection(distro.id_like):
        return (f"Red Hat:{major}", f"AlmaLinux:{major}", f"Rocky Linux:{major}")
    return ()


def ecosystems_for(ptype: str, distro: Distro | None) -> tuple[str, ...]:
    """OSV ecosystems that hold advisories for a ``ptype`` package on ``distro``."""
    if distro is None:
        return ()
    if ptype == "deb" and distro.id == "debian":
        return debian_ecosystems(distro)
    if ptype == "deb" and distro.id == "ubuntu":
        return ubuntu_ecosystems(distro)
    if ptype == "apk" and distro.id == "alpine":
        return alpine_ecosystems(distro)
    if ptype == "rpm":
        return rhel_ecosystems(distro)
    return ()


class DistroMatcher:
    """deb/apk by source package and source version; rpm by binary name (module docstring)."""

    name = "distro"
    types: Final = frozenset({"deb", "apk", "rpm"})

    def queries(self, package: Package, distro: Distro | None) -> tuple[Query, ...]:
        if package.type not in self.types:
            return ()
        name, version, what = package.name, package.version, "binary"
        if package.type != "rpm" and package.source_name:
            name, what = package.source_name, "source"
            version = package.source_version or package.version
        return tuple(
            Query(package, eco, normalize(eco, name), version,
                  f"{package.type} {what} package {name} {version} in {eco}")
            for eco in ecosystems_for(package.type, distro))

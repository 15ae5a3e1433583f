"""A small ScanResult that exercises every field the SBOM renderers write: licences as one
SPDX id, one expression, several values mixing ids, names and an expression, several SPDX
values with a WITH expression among them (one CycloneDX expression); an OS owner;
metadata; two locations (one without a layer); a deleted package; a distro with codename
and id_like; image layers; unknowns (of the inventory and of the scan); coverage gaps;
vulnerabilities with and without CVSS, fixed versions, summary, a suppression, and one whose
package is not in the inventory (no ``affects``)."""

from __future__ import annotations

from dataclasses import replace

from ringfence.catalog.licenses import normalize_all as lic  # as a cataloger records them
from ringfence.model.advisory import FIXED, VulnerabilityMatch
from ringfence.model.coverage import Coverage, PackageSet
from ringfence.model.finding import Severity
from ringfence.model.image import ImageInfo, LayerInfo
from ringfence.model.inventory import Distro, Inventory
from ringfence.model.package import Location, Package
from ringfence.model.result import ScanResult, Target
from ringfence.model.unknown import Unknown

LAYER = "sha256:" + "ab" * 32
LAYER2 = "sha256:" + "ef" * 32


def rich_result() -> ScanResult:
    owner = "pkg:deb/debian/python3-requests@2.28.1%2Bdfsg-1?arch=all&distro=debian-12"
    requests = Package("requests", "2.19.1", "pypi", "pkg:pypi/requests@2.19.1", "python",
                       licenses=lic(("Apache-2.0",)), owner=owner,
                       metadata=(("a", "b"), ("k", "v")),
                       locations=(Location("/usr/lib/python3/dist-packages/requests/METADATA",
                                           LAYER), Location("/b/METADATA")))
    zlib = Package("zlib1g", "1:1.2.13.dfsg-1", "deb",
                   "pkg:deb/debian/zlib1g@1.2.13.dfsg-1?arch=amd64&epoch=1", "dpkg",
                   source_name="zlib", source_version="1:1.2.13.dfsg-1", arch="amd64",
                   licenses=lic(("Zlib OR MIT",)),
                   locations=(Location("/var/lib/dpkg/status", LAYER),))
    mixed = Package("@scope/odd name", "1.0.0-rc.1", "npm",
                    "pkg:npm/%40scope/odd%20name@1.0.0-rc.1", "npm",
                    licenses=lic(("GPL-2.0-only", "Some licence, v2 (custom)",
                                  "MIT AND BSD-3-Clause")),
                    locations=(Location("/app/node_modules/@scope/odd name/package.json",
                                        LAYER2),))
    texinfo = Package("texinfo", "7.0.3-2", "deb", "pkg:deb/debian/texinfo@7.0.3-2?arch=amd64",
                      "dpkg", source_name="texinfo", source_version="7.0.3-2", arch="amd64",
                      licenses=lic((
                          "GPL-2.0-or-later WITH Texinfo-exception", "MIT", "Zlib OR MIT")),
                      locations=(Location("/var/lib/dpkg/status", LAYER),))
    bare = Package("bare", "0", "npm", "pkg:npm/bare@0", "npm")
    gone = Package("gone", "1.0", "npm", "pkg:npm/gone@1.0", "npm", deleted=True,
                   licenses=lic(("ISC",)), locations=(Location("/app/gone/package.json", LAYER),))
    match = VulnerabilityMatch(
        "CVE-2018-18074", ("GHSA-x84v-xcm2-53pg", "PYSEC-2018-28"), requests.purl,
        requests.name, requests.version, ("2.20.0", "3.0"), FIXED, Severity.HIGH, 7.5,
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", "osv:PyPI",
        "pypi package requests 2.19.1 in PyPI", requests.locations[0].path, LAYER, "a summary")
    v2 = replace(match, advisory_id="CVE-2019-1", cvss_vector="AV:N/AC:L/Au:N/C:P/I:P/A:P",
                 cvss_score=6.8, severity=Severity.MEDIUM)
    suppressed = replace(match, advisory_id="PYSEC-2023-74", aliases=(), cvss_score=None,
                         cvss_vector=None, severity=Severity.UNKNOWN, fixed_versions=(),
                         summary="", suppressed_by="VEX not_affected: vulnerable_code_not_present")
    elsewhere = replace(match, advisory_id="CVE-2020-2", location="/not/in/inventory",
                        severity=Severity.CRITICAL, cvss_score=9.8,
                        cvss_vector="CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N")
    image = ImageInfo("oci:/x", "oci", "sha256:" + "01" * 32, "sha256:" + "02" * 32, "linux",
                      "amd64", (LayerInfo("sha256:" + "03" * 32, LAYER, "m", 1),
                                LayerInfo("sha256:" + "04" * 32, LAYER2, "m", 2)))
    coverage = Coverage(checked=(PackageSet("PyPI", 1, 10),),
                        uncovered=(PackageSet("Debian:12", 1, reason="no advisories",
                                              os_packages=True),
                                   PackageSet("npm", 2, reason="no feed")))
    inv = Inventory((requests, zlib, mixed, texinfo, bare),
                    Distro("debian", "12", "bookworm", ("linux",), "Debian GNU/Linux 12"),
                    unknowns=(Unknown("/x/y", "truncated", "python", LAYER),), deleted=(gone,))
    return ScanResult(Target("image", "oci:/x", "sha256:" + "cd" * 32), inv, image=image,
                      unknowns=(Unknown("/a", "too big", "npm"),),
                      vulnerabilities=(match, v2, suppressed, elsewhere), coverage=coverage)

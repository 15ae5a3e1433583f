"""The image table reads top-down: a one-line total, vulnerabilities and findings grouped by
severity (most severe first) with a remediation line where a fix is known, then packages;
and it fits the width it is given, 80 columns included, without losing a value."""

from __future__ import annotations

import pytest

from ringfence.model.advisory import VulnerabilityMatch
from ringfence.model.finding import Finding, Rule, Severity
from ringfence.model.inventory import Distro, Inventory
from ringfence.model.package import Location, Package
from ringfence.model.result import DbInfo, ScanResult, Target
from ringfence.report.table import TableRenderer, middle, total_line

LAYER = "sha256:" + "cd" * 32
LONG_DIR = "/usr/local/lib/python3.11/site-packages/" + "a-rather-long-directory-name/" * 8
LONG_NAME = "package-with-an-extraordinarily-long-name-" * 4 + "end"
REMEDIATION = ("Set USER to a non-root user in the image (and runAsNonRoot in the pod) so "
               "that a compromised process does not start as root.")
RULE = Rule("IMG-001", "Image runs as root", Severity.HIGH, "image", REMEDIATION)


def _match(n: int, severity: Severity, fixed: tuple[str, ...] = ("2.0",)) -> VulnerabilityMatch:
    return VulnerabilityMatch(
        f"CVE-2099-{n:04d}", (), f"pkg:pypi/p{n}@1.0", f"p{n}", "1.0", fixed,
        "fixed" if fixed else "affected", severity, None, None, "osv", "by purl",
        f"{LONG_DIR}p{n}-1.0.dist-info/METADATA", LAYER,
        "A very long advisory summary that goes on and on about what the vulnerability "
        "does, where it is and who found it, far longer than any terminal is wide " * 3)


def _result() -> ScanResult:
    # 12 in all: CRITICAL 1, HIGH 4, MEDIUM 5, LOW 2, UNKNOWN 0
    sev = ([Severity.CRITICAL] + [Severity.HIGH] * 3 + [Severity.MEDIUM] * 5
           + [Severity.LOW] * 2)
    matches = tuple(_match(n, s, () if n == 5 else ("2.0",)) for n, s in enumerate(sev))
    finding = Finding("IMG-001", "the image runs as root: config.User is empty and no "
                      "numeric uid is set in any layer " * 2, "config.User", Severity.HIGH)
    pkgs = tuple(Package(name, "1.0", "pypi", f"pkg:pypi/{name}@1.0", "python",
                         locations=(Location(f"{LONG_DIR}{name}.dist-info/METADATA", LAYER),))
                 for name in ("requests", LONG_NAME))
    return ScanResult(Target("image", "oci:/tmp/" + "deep/" * 30 + "image"),
                      Inventory(pkgs, Distro("debian", "12", pretty_name="Debian 12")),
                      findings=(finding,), vulnerabilities=matches,
                      db=DbInfo("/db.sqlite", 1, "2026", "2026", 1.0))


@pytest.mark.parametrize("width", [80, 100, 120])
def test_fits_the_width(width: int) -> None:
    out = TableRenderer(width=width, rules=[RULE]).render(_result())
    widest = max(len(line) for line in out.splitlines())
    assert widest <= width, f"a line of {widest} columns at width {width}"


def test_total_then_severity_groups_then_packages() -> None:
    out = TableRenderer(width=80, rules=[RULE]).render(_result())
    total = "Total: 12 (CRITICAL 1, HIGH 4, MEDIUM 5, LOW 2, UNKNOWN 0)"
    assert total in out.splitlines()  # one line of its own
    heads = [out.index(h) for h in (total, "CRITICAL (1)", "HIGH (4)", "MEDIUM (5)",
                                    "LOW (2)", "pypi (2)")]
    assert heads == sorted(heads)
    assert "UNKNOWN (" not in out  # empty groups are left out (the total says 0)


def test_remediation_line_where_a_fix_is_known() -> None:
    out = TableRenderer(width=80, rules=[RULE]).render(_result())
    flat = " ".join(out.split())
    assert out.count("fix: upgrade") == 10  # 11 matches, one without a fixed version
    assert "fix: upgrade p0 to 2.0" in flat
    assert "fix: upgrade p5" not in flat
    assert "fix: Set USER to a non-root user" in flat
    # without the rule table the finding is still shown, without a fix line
    plain_out = TableRenderer(width=80).render(_result())
    assert "IMG-001" in plain_out and "fix: Set USER" not in plain_out


def test_long_values_are_folded_or_cut_with_an_ellipsis_never_lost() -> None:
    out = TableRenderer(width=80, rules=[RULE]).render(_result())
    rows = out[out.index("pypi (2)"):].split("\n\n")[1].splitlines()[2:]
    assert LONG_NAME in "".join(row.split()[0] for row in rows)  # folded over lines, whole
    assert "…" in out  # summaries and package paths are cut
    assert "METADATA" in out  # a cut path keeps its file name
    assert middle("/a/" + "b" * 100 + "/file.txt", 30).endswith("/file.txt")
    assert len(middle("x" * 100, 30)) == 30 and middle("short", 30) == "short"


def test_total_line_counts_suppressed_only_when_shown() -> None:
    from dataclasses import replace

    m = _match(1, Severity.HIGH)
    hidden = replace(m, suppressed_by="VEX not_affected")
    assert total_line([m, hidden], []) == \
        "Total: 1 (CRITICAL 0, HIGH 1, MEDIUM 0, LOW 0, UNKNOWN 0)"
    assert total_line([m, hidden], [], count_suppressed=True).startswith("Total: 2 ")


def test_sbom_only_result_has_no_total() -> None:
    result = ScanResult(Target("image", "oci:x"), Inventory(()))
    out = TableRenderer(width=80).render(result)
    assert "Total:" not in out and "0 packages, 0 unknowns" in out


def test_packages_show_their_licences() -> None:
    pkgs = (Package("requests", "2.31.0", "pypi", "pkg:pypi/requests@2.31.0", "python",
                    licenses=("Apache-2.0",), locations=(Location("/a/METADATA"),)),
            Package("dual", "1.0", "npm", "pkg:npm/dual@1.0", "npm",
                    licenses=("MIT", "BSD License"), locations=(Location("/b/package.json"),)),
            Package("bare", "1.0", "npm", "pkg:npm/bare@1.0", "npm",
                    locations=(Location("/c/package.json"),)))
    out = TableRenderer(width=120).render(ScanResult(Target("image", "x"), Inventory(pkgs)))
    rows = {line.split()[0]: line for line in out.splitlines() if line.strip()}
    assert "licences" in out
    assert "Apache-2.0" in rows["requests"]
    assert "MIT, BSD License" in rows["dual"]  # as declared: a list, not an AND
    assert rows["bare"].split()[:2] == ["bare", "1.0"] and "MIT" not in rows["bare"]


def test_licence_column_is_one_line_at_80_columns() -> None:
    long_expr = " OR ".join(f"LicenseRef-very-long-licence-name-{n}" for n in range(12))
    pkgs = tuple(Package(f"p{n}", "1.0", "deb", f"pkg:deb/debian/p{n}@1.0", "dpkg",
                         licenses=lic, locations=(Location("/s"),))
                 for n, lic in enumerate([
                     (long_expr,),  # one expression longer than the terminal
                     tuple(f"GPL-{v}.0-or-later" for v in range(1, 9)),  # many licences
                     ("MIT",), ()]))
    out = TableRenderer(width=80, packages=True).render(
        ScanResult(Target("image", "x"), Inventory(pkgs)))
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.split()[:1] == ["name"]) + 2
    body = lines[start:start + 4]
    assert all(len(line) <= 80 for line in lines)
    assert [line.split()[0] for line in body] == ["p0", "p1", "p2", "p3"]  # a line each
    assert "LicenseRef-" in body[0] and "…" in body[0]
    assert "GPL-1.0-or-l… +7" in body[1]  # whole names first, cut only the first
    assert body[2].split()[:3] == ["p2", "1.0", "MIT"]


@pytest.mark.parametrize(("licences", "limit", "want"), [
    ((), 16, ""),
    (("MIT",), 16, "MIT"),
    (("MIT", "BSD License"), 16, "MIT, BSD License"),
    (("MIT", "Apache-2.0", "ISC"), 16, "MIT +2"),  # "MIT, Apache-2.0 +1" is 18
    (("GPL-2.0-or-later OR Artistic-1.0", "MIT"), 16, "GPL-2.0-or-l… +1"),
    (("GPL-2.0-or-later OR Artistic-1.0",), 16, "GPL-2.0-or-late…"),
])
def test_licence_cell_keeps_whole_names_then_counts(licences: tuple[str, ...], limit: int,
                                                     want: str) -> None:
    from ringfence.report.table import licence_cell

    got = licence_cell(licences, limit)
    assert got == want and len(got) <= limit

"""NuGet version scheme against NuGet.Versioning's own test vectors.

Provenance: NuGet/NuGet.Client (Apache-2.0), test/NuGet.Core.Tests/NuGet.Versioning.Test/
  VersionComparerTests.cs (commit 70cb6afb6e901b01f678036ec77492a835b97ae0):
    VersionComparisonDefaultEqual / NotEqual / Less
  NuGetVersionTest.cs (commit 094d55dc186243fdea5aabd17558b5d43455d192):
    ParseThrowsIfStringIsNotAValidSemVer, ParseReadsLegacyStyleVersionNumbers,
    ParseReadsSemverAndHybridSemverVersionNumbers, ParseIgnoresLeadingAndTrailingWhitespace,
    SemVerLessThanAndGreaterThanOperatorsWorks, SemVerEqualsOperatorWorks,
    NuGetVersionParseStrict, StringConstructorParsesValuesCorrectly
  VersionParsingTests.cs (commit 6327b5af903ea576e0e08c51af5576ae20618c6c): VersionLength,
    ReleaseLabelParsing
The values are copied as data; the rules are re-implemented from NuGetVersionFactory.cs,
SemanticVersionFactory.cs and VersionComparer.cs (read, not copied).
"""

from __future__ import annotations

import pytest

from ringfence.vulndb.versions import nuget
from ringfence.vulndb.versions.errors import InvalidVersion
from ringfence.vulndb.versions.registry import compare_for

# VersionComparisonDefaultEqual + SemVerEqualsOperatorWorks + VersionLength
EQUAL = [("1.0.0", "1.0.0"), ("1.0.0-BETA", "1.0.0-beta"), ("1.0.0-BETA+AA", "1.0.0-beta+aa"),
         ("1.0.0-BETA.X.y.5.77.0+AA", "1.0.0-beta.x.y.5.77.0+aa"),
         ("1.0", "1.0.0.0"), ("1.23.01", "1.23.1"), ("1.45.6", "1.45.6.0"),
         ("1.45.6-Alpha", "1.45.6-Alpha"), ("1.6.2-BeTa", "1.6.02-beta"),
         ("22.3.07     ", "22.3.07"),
         ("2", "2.0.0"), ("2.0", "2.0.0"), ("2.0.0.0", "2.0.0")]
# VersionComparisonDefaultLess + SemVerLessThanAndGreaterThanOperatorsWorks (a < b)
LESS = [("0.0.0", "1.0.0"), ("1.0.0", "1.1.0"), ("1.0.0", "1.0.1"), ("1.999.9999", "2.1.1"),
        ("1.0.0-BETA", "1.0.0-beta2"), ("1.0.0-beta+AA", "1.0.0+aa"),
        ("1.0.0-BETA", "1.0.0-beta.1+AA"),
        ("1.0.0-BETA.X.y.5.77.0+AA", "1.0.0-beta.x.y.5.79.0+aa"),
        ("1.0.0-BETA.X.y.5.79.0+AA", "1.0.0-beta.x.y.5.790.0+abc"),
        ("1.0", "1.0.1"), ("1.23", "1.231"), ("1.4.5.6", "1.45.6"), ("1.4.5.6", "1.4.5.60"),
        ("1.01", "1.10"), ("1.01-alpha", "1.10-beta"), ("1.01.0-RC-1", "1.10.0-rc-2"),
        ("1.01-RC-1", "1.01"), ("1.01", "1.2-preview")]
# VersionComparisonDefaultNotEqual, less ("1.0.0-BETA+AA", "1.0.0-beta"): that test calls
# object.Equals on the two *strings*, so it holds for any two spellings; under
# VersionComparer.Default the two versions are equal (metadata ignored, labels
# case-insensitive), as VersionComparisonDefaultEqual's "1.0.0-BETA+AA" == "1.0.0-beta+aa"
# shows.
NOT_EQUAL = [("0.0.0", "1.0.0"), ("1.1.0", "1.0.0"), ("1.0.1", "1.0.0"),
             ("1.0.0-BETA", "1.0.0-beta2"), ("1.0.0+AA", "1.0.0-beta+aa"),
             ("1.0.0-BETA.X.y.5.77.0+AA", "1.0.0-beta.x.y.5.79.0+aa")]
# ParseThrowsIfStringIsNotAValidSemVer (and null/empty)
INVALID = ["", "1beta", "$version$", "1.2Av^c", "1.2..", "1.2.3.4.5", "1.2.3.Beta",
           "1.2.3.4This version is full of awesomeness!!", "So.is.this", "1.34.2Alpha",
           "1.34.2Release Candidate", "1.4.7-", "1.4.7-*", "1.4.7+*", "1.4.7-AA.01^",
           "1.4.7-AA.0A^", "1.4.7-A^A", "1.4.7+AA.01^"]
# (version, System.Version parts, release labels, metadata): StringConstructorParses...,
# ParseReadsLegacyStyle..., ParseReadsSemverAndHybrid..., ParseIgnoresLeadingAndTrailing...,
# ReleaseLabelParsing, NuGetVersionParseStrict
PARSED = [
    ("1.0.0", (1, 0, 0, 0), (), ""), ("2.3-alpha", (2, 3, 0, 0), ("alpha",), ""),
    ("3.4.0.3-RC-3", (3, 4, 0, 3), ("RC-3",), ""),
    ("1.0.0-beta.x.y.5.79.0+aa", (1, 0, 0, 0), ("beta", "x", "y", "5", "79", "0"), "aa"),
    ("1.0.0-beta.x.y.5.79.0+AA", (1, 0, 0, 0), ("beta", "x", "y", "5", "79", "0"), "AA"),
    ("1.022", (1, 22, 0, 0), (), ""), ("23.2.3", (23, 2, 3, 0), (), ""),
    ("1.3.42.10133", (1, 3, 42, 10133), (), ""),
    ("1.022-Beta", (1, 22, 0, 0), ("Beta",), ""), ("23.2.3-Alpha", (23, 2, 3, 0), ("Alpha",), ""),
    ("1.3.42.10133-PreRelease", (1, 3, 42, 10133), ("PreRelease",), ""),
    ("1.3.42.200930-RC-2", (1, 3, 42, 200930), ("RC-2",), ""),
    ("  1.022-Beta", (1, 22, 0, 0), ("Beta",), ""),
    ("23.2.3-Alpha  ", (23, 2, 3, 0), ("Alpha",), ""),
    ("    1.3.42.10133-PreRelease  ", (1, 3, 42, 10133), ("PreRelease",), ""),
    ("1.0.0+Metadata", (1, 0, 0, 0), (), "Metadata"),
    ("1.0.0-RC.X.35.A.3455+Meta", (1, 0, 0, 0), ("RC", "X", "35", "A", "3455"), "Meta"),
    ("1.2.3-X.y3+0", (1, 2, 3, 0), ("X", "y3"), "0"), ("1.2.3-0", (1, 2, 3, 0), ("0",), ""),
    ("1.3.2-CTP-2-Refresh-Alpha", (1, 3, 2, 0), ("CTP-2-Refresh-Alpha",), ""),
    ("1.0.0009.01-1.1+A", (1, 0, 9, 1), ("1", "1"), "A"),  # ToStringReturnsNormalized...
]


@pytest.mark.parametrize(("a", "b"), EQUAL)
def test_equal(a: str, b: str) -> None:
    assert nuget.compare(a, b) == 0 and nuget.compare(b, a) == 0


@pytest.mark.parametrize(("a", "b"), LESS)
def test_less(a: str, b: str) -> None:
    assert nuget.compare(a, b) == -1 and nuget.compare(b, a) == 1


@pytest.mark.parametrize(("a", "b"), NOT_EQUAL)
def test_not_equal(a: str, b: str) -> None:
    assert nuget.compare(a, b) != 0


@pytest.mark.parametrize("v", INVALID)
def test_invalid(v: str) -> None:
    with pytest.raises(InvalidVersion):
        nuget.key(v)


@pytest.mark.parametrize(("v", "numbers", "labels", "meta"), PARSED)
def test_parsed(v: str, numbers: tuple[int, ...], labels: tuple[str, ...], meta: str) -> None:
    assert nuget.parse(v) == (numbers, labels, meta)


# Edge cases of the .NET rules the vectors above do not reach, derived from the source:
# int.TryParse limits (2**31-1), numeric labels vs alphanumeric, leading zeros in numeric
# labels (invalid) but not in metadata (valid), spaces around a version component
# (NumberStyles.Integer; its sign cannot occur: '-' and '+' start labels and metadata), and
# .NET's notion of white space for Trim().
def test_dotnet_edges() -> None:
    assert nuget.compare("2147483647.0", "2147483646.9") == 1
    with pytest.raises(InvalidVersion, match="out of range"):
        nuget.key("2147483648.0")
    with pytest.raises(InvalidVersion):
        nuget.key("1.0.0-01")  # numeric label with a leading zero
    assert nuget.parse("1.0.0+01")[2] == "01"
    assert nuget.compare("1.0.0-2", "1.0.0-10") == -1  # numerically
    assert nuget.compare("1.0.0-10", "1.0.0-a") == -1  # numeric below alphanumeric
    assert nuget.compare("1.0.0-2147483648", "1.0.0-2") == 1  # beyond int: compared as text
    assert nuget.compare("1.0.0--5", "1.0.0-0") == -1  # "-5" is int.TryParse's -5
    assert nuget.parse("1. 2")[0] == (1, 2, 0, 0)  # Version.TryParse allows the spaces
    with pytest.raises(InvalidVersion):
        nuget.key("+1.2")  # the '+' starts the metadata: no version part
    assert nuget.compare("1.0.0-BETA+AA", "1.0.0-beta") == 0
    with pytest.raises(InvalidVersion):
        nuget.key("1.2\x1c")  # U+001C is white space to Python, not to .NET
    assert nuget.parse("\u00a01.2\u2003")[0] == (1, 2, 0, 0)
    with pytest.raises(InvalidVersion, match="longer than"):
        nuget.key("1." + "1" * 300)


def test_registered_for_nuget_advisories() -> None:
    assert compare_for("NuGet")("4.3.0", "4.3.0.1") == -1
    for ecosystem in ("CRAN", "Hackage", "SwiftURL"):
        with pytest.raises(KeyError):
            compare_for(ecosystem)

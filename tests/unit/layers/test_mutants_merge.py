"""merge_layers on hand-built layer results (bench/mutation.py `layers`): the same package
at two paths is two packages, a package deleted by a later layer is kept as deleted with the
layer that introduced it, a package without a location is still one package, and OS
package purls are qualified with the distro (``distro=ID-VERSION``, or ``ID`` alone), and
the OS-file ownership and licences of what is still visible (owner of a dist-info dpkg
installed, lost when pip rewrites it later or a whiteout hides the file list; a Debian
doc-directory link's licence)."""

from __future__ import annotations

from dataclasses import replace

from ringfence.layers.merge import merge_layers
from ringfence.layers.result import FileRecord, LayerResult
from ringfence.model.evidence import Evidence
from ringfence.model.inventory import Distro, Inventory
from ringfence.model.package import Location, Package

L1, L2, L3 = ("sha256:" + c * 64 for c in "123")


def _npm(path: str, version: str = "1.0.0") -> Package:
    return Package("left-pad", version, "npm", f"pkg:npm/left-pad@{version}", "npm",
                   locations=(Location(path),))


def _layer(diff_id: str, *records: FileRecord, files: tuple[str, ...] = (),
           whiteouts: tuple[str, ...] = (), distros: tuple[tuple[str, Distro], ...] = (),
           ) -> LayerResult:
    paths = tuple(r.path for r in records) + files
    return LayerResult(diff_id, records=records, whiteouts=whiteouts, distros=distros,
                       files=paths)


def _record(path: str, *packages: Package, cataloger: str = "npm") -> FileRecord:
    return FileRecord(path, cataloger, packages)


def test_same_package_at_two_paths_is_two_packages() -> None:
    a, b = "/app/node_modules/left-pad/package.json", "/opt/node_modules/left-pad/package.json"
    inv = merge_layers([_layer(L1, _record(a, _npm(a))), _layer(L2, _record(b, _npm(b)))])
    assert sorted((p.locations[0].path, p.locations[0].layer) for p in inv.packages) == [
        (a, L1), (b, L2)]
    assert inv.deleted == ()


def test_deleted_package_keeps_its_layer() -> None:
    a = "/app/node_modules/left-pad/package.json"
    inv = merge_layers([_layer(L1, _record(a, _npm(a))), _layer(L2, files=("/x",)),
                        _layer(L3, whiteouts=("/app/node_modules",))])
    assert inv.packages == ()
    (gone,) = inv.deleted
    assert gone.deleted and gone.locations[0].layer == L1
    # replaced by another version in a later layer: the old one is deleted, the new visible
    inv = merge_layers([_layer(L1, _record(a, _npm(a))),
                        _layer(L2, _record(a, _npm(a, "2.0.0")))])
    assert [(p.version, p.locations[0].layer) for p in inv.packages] == [("2.0.0", L2)]
    assert [(p.version, p.deleted) for p in inv.deleted] == [("1.0.0", True)]


def test_packages_without_locations() -> None:
    bare = Package("x", "1", "npm", "pkg:npm/x@1", "npm")
    inv = merge_layers([_layer(L1, _record("/a/package.json", bare))])
    assert [(p.name, p.locations) for p in inv.packages] == [("x", ())]


def _deb(name: str = "bash", version: str = "5.2-1") -> Package:
    return Package(name, version, "deb", f"pkg:deb/debian/{name}@{version}?arch=amd64",
                   "dpkg", arch="amd64", locations=(Location("/var/lib/dpkg/status"),))


def test_os_purls_get_the_distro_qualifier() -> None:
    status = _record("/var/lib/dpkg/status", _deb(), cataloger="dpkg")
    with_version = merge_layers([_layer(L1, status, distros=(
        ("/etc/os-release", Distro("debian", "12")),))])
    assert with_version.distro == Distro("debian", "12")
    assert with_version.packages[0].purl == "pkg:deb/debian/bash@5.2-1?arch=amd64&distro=debian-12"
    sid = merge_layers([_layer(L1, status, distros=(("/etc/os-release", Distro("debian")),))])
    assert sid.packages[0].purl == "pkg:deb/debian/bash@5.2-1?arch=amd64&distro=debian"
    none = merge_layers([_layer(L1, status)])
    assert none.distro is None and none.packages[0].purl == "pkg:deb/debian/bash@5.2-1?arch=amd64"
    # language packages are never qualified
    npm = merge_layers([_layer(L1, _record("/p.json", _npm("/p.json")), distros=(
        ("/etc/os-release", Distro("debian", "12")),))])
    assert npm.packages[0].purl == "pkg:npm/left-pad@1.0.0"


def test_a_whited_out_os_release_no_longer_names_the_distro() -> None:
    status = _record("/var/lib/dpkg/status", _deb(), cataloger="dpkg")
    inv = merge_layers([_layer(L1, status, distros=(("/etc/os-release", Distro("debian", "12")),)),
                        _layer(L2, whiteouts=("/etc/os-release",))])
    assert inv.distro is None


def test_deleted_then_reinstalled_is_not_deleted() -> None:
    a = "/app/node_modules/left-pad/package.json"
    inv = merge_layers([_layer(L1, _record(a, _npm(a))), _layer(L2, whiteouts=("/app",)),
                        _layer(L3, _record(a, _npm(a)))])
    assert [(p.name, p.locations[0].layer) for p in inv.packages] == [("left-pad", L3)]
    assert inv.deleted == ()


def test_deleted_os_packages_keep_the_distro_qualifier_and_unknowns_are_sorted() -> None:
    from ringfence.model.unknown import Unknown

    status = _record("/var/lib/dpkg/status", _deb(), cataloger="dpkg")
    os_release = (("/etc/os-release", Distro("debian", "12")),)
    u1, u2 = Unknown("/z", "bad", "dpkg", L1), Unknown("/a", "bad", "dpkg", L2)
    inv = merge_layers([
        LayerResult(L1, records=(status,), distros=os_release, unknowns=(u1,),
                    files=("/var/lib/dpkg/status", "/etc/os-release")),
        LayerResult(L2, whiteouts=("/var/lib/dpkg/status",), unknowns=(u2,))])
    (gone,) = inv.deleted
    assert gone.purl == "pkg:deb/debian/bash@5.2-1?arch=amd64&distro=debian-12"
    assert inv.unknowns == (u2, u1)


# --- OS-file ownership through the squash (issue 17: the plumbing merge_layers hands to
# catalog/ownership.apply: evidence of the visible records with the layer it was read in,
# Debian doc-directory links, the layer each package file was last written in) ----------

META = "/usr/lib/python3/dist-packages/requests-2.28.1.dist-info/METADATA"
LIST = "/var/lib/dpkg/info/python3-requests.list"
STATUS = "/var/lib/dpkg/status"


def _requests() -> Package:
    return Package("requests", "2.28.1", "pypi", "pkg:pypi/requests@2.28.1", "python",
                   locations=(Location(META),))


def _dpkg_layer(diff_id: str, *extra: FileRecord, links: tuple[tuple[str, str], ...] = (),
                ) -> LayerResult:
    """A layer that installs python3-requests with dpkg: the status database, the file list
    naming the dist-info (Evidence), the dist-info itself."""
    status = _record(STATUS, _deb("python3-requests", "2.28.1+dfsg-1"), cataloger="dpkg")
    owned = FileRecord(LIST, "dpkg", (), (Evidence("deb", "python3-requests",
                                                   files=(META,)),))
    layer = _layer(diff_id, status, owned, _record(META, _requests(), cataloger="python"),
                   *extra)
    return replace(layer, links=links)


def _owner(inv: Inventory) -> str | None:
    (pkg,) = [p for p in inv.packages if p.type == "pypi"]
    return pkg.owner


OWNER = "pkg:deb/debian/python3-requests@2.28.1+dfsg-1?arch=amd64"


def test_dist_info_installed_by_dpkg_is_owned_in_any_layer() -> None:
    """Owned: matched against the distribution's advisories only (Debian backports fixes
    without changing 2.28.1). The claim's layer is the layer the list was read in: the same
    layer as the file (L1 or L3), never "layer 0" against a file written later."""
    assert _owner(merge_layers([_dpkg_layer(L1)])) == OWNER
    assert _owner(merge_layers([_layer(L1, files=("/etc/x",)), _layer(L2, files=("/y",)),
                                _dpkg_layer(L3)])) == OWNER


def test_dist_info_rewritten_by_pip_in_a_later_layer_is_not_owned() -> None:
    """pip install --force-reinstall over Debian's files in L2: the file is no longer the
    one dpkg installed, so the library keeps the PyPI advisories (owner None)."""
    inv = merge_layers([_dpkg_layer(L1), _layer(L2, _record(META, _requests(),
                                                            cataloger="python"))])
    assert _owner(inv) is None
    # dpkg reinstalling it in L3 claims it again
    inv = merge_layers([_dpkg_layer(L1), _layer(L2, _record(META, _requests(),
                                                            cataloger="python")),
                        _dpkg_layer(L3)])
    assert _owner(inv) == OWNER


def test_a_whiteout_of_the_file_list_drops_the_ownership() -> None:
    inv = merge_layers([_dpkg_layer(L1), _layer(L2, whiteouts=(LIST,))])
    assert _owner(inv) is None  # the hidden list claims nothing
    inv = merge_layers([_dpkg_layer(L1), _layer(L2, whiteouts=("/var/lib/dpkg/info/other",))])
    assert _owner(inv) == OWNER


def test_doc_directory_link_gives_the_targets_licence() -> None:
    """/usr/share/doc/libgcc-s1 -> gcc-12-base: libgcc-s1's copyright is gcc-12-base's."""
    status = _record(STATUS, _deb("libgcc-s1", "12.2.0-14"), _deb("gcc-12-base", "12.2.0-14"),
                     cataloger="dpkg")
    copyright_ = FileRecord("/usr/share/doc/gcc-12-base/copyright", "dpkg", (), (
        Evidence("deb", "gcc-12-base", licenses=("GPL-3.0-or-later",)),))
    layer = replace(_layer(L1, status, copyright_),
                    links=(("/usr/share/doc/libgcc-s1", "gcc-12-base"),))
    licences = {p.name: p.licenses for p in merge_layers([layer]).packages}
    assert licences == {"libgcc-s1": ("GPL-3.0-or-later",), "gcc-12-base": ("GPL-3.0-or-later",)}
    unlinked = {p.name: p.licenses for p in merge_layers([replace(layer, links=())]).packages}
    assert unlinked == {"libgcc-s1": (), "gcc-12-base": ("GPL-3.0-or-later",)}

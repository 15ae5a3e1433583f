"""catalog.purls.with_distro is remembered (a fleet worker merges many images over the
same base, issue 14): the remembered answer is the computed one, a repeat is not
recomputed, and the memory is bounded."""

from __future__ import annotations

from ringfence.catalog import purls


def test_remembered_answer_is_the_computed_one() -> None:
    cases = [
        (purls.make("deb", "libc6", "2.36-9+deb12u4", "debian", {"arch": "amd64"}), "debian",
         "debian-12"),
        (purls.make("rpm", "bash", "5.1.8-6.el9", "redhat", {"arch": "x86_64"}), "rocky",
         "rocky-9"),
        (purls.make("apk", "musl", "1.2.4-r2", "alpine"), "alpine", None),
        (purls.make("deb", "name with space", "1:2~rc1", "debian", {"a": "b&c=d"}), "ubuntu",
         "ubuntu-22.04"),
    ]
    for purl, namespace, distro in cases:
        first = purls.with_distro(purl, namespace, distro)
        assert first == purls.with_distro.__wrapped__(purl, namespace, distro)
        assert purls.with_distro(purl, namespace, distro) == first
    assert purls.with_distro(cases[0][0], "debian", "debian-11") != \
        purls.with_distro(cases[0][0], "debian", "debian-12")


def test_a_repeat_is_a_hit_and_the_memory_is_bounded() -> None:
    purl = purls.make("deb", "zlib1g", "1:1.2.13.dfsg-1", "debian")
    purls.with_distro(purl, "debian", "debian-12")
    before = purls.with_distro.cache_info()
    purls.with_distro(purl, "debian", "debian-12")
    after = purls.with_distro.cache_info()
    assert after.hits == before.hits + 1 and after.misses == before.misses
    assert after.maxsize is not None and after.maxsize <= 1 << 16

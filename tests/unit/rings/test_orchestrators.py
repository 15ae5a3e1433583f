"""The ring orchestrators: each says why it was not evaluated, or returns its facts and one
check run covering its rules; inputs are built at test time."""

from __future__ import annotations

from pathlib import Path

from ringfence.k8s.load import load_paths
from ringfence.rings.host import NO_HOST, host_ring
from ringfence.rings.image import NO_TRUST, image_ring, trust_ring
from ringfence.rings.platform import platform_ring
from ringfence.rings.runtime import NO_RUNTIME, runtime_ring
from ringfence.scan import ScanOptions
from ringfence.threats.rules import domain_rule_ids

POD = """\
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec:
  containers:
    - name: web
      image: registry.example/web@sha256:%s
      securityContext: {privileged: true}
""" % ("ab" * 32)


def test_not_evaluated_rings_say_why(tmp_path: Path) -> None:
    assert (host_ring(None).run, host_ring(None).reason) == (None, NO_HOST)
    missing = host_ring(str(tmp_path / "nope"))
    assert missing.run is None and "cannot be read" in missing.reason
    assert runtime_ring(False).reason == NO_RUNTIME and not runtime_ring(False).evaluated
    assert trust_ring(None).reason == NO_TRUST
    img = image_ring("web", None, False, ScanOptions(), None)
    assert img.run is None and img.reason == "not scanned (--images-from none)"


def test_host_ring_with_sshd_only(tmp_path: Path) -> None:
    (tmp_path / "etc/ssh").mkdir(parents=True)
    (tmp_path / "etc/ssh/sshd_config").write_text("PermitRootLogin yes\n")
    ring = host_ring(str(tmp_path))
    assert ring.run is not None and ring.facts is not None and ring.document is not None
    assert "HOST-020" in ring.run.evaluated and "HOST-001" not in ring.run.evaluated
    assert {f.rule_id for f in ring.findings} >= {"HOST-020"}
    assert str(tmp_path) in ring.absent_default


def test_platform_ring_runs_every_platform_domain(tmp_path: Path) -> None:
    (tmp_path / "pod.yaml").write_text(POD)
    ring = platform_ring(load_paths([tmp_path]))
    assert ring.run is not None and ring.facts is not None
    assert [p.ref for p in ring.facts.pods] == ["Pod/shop/web"]
    evaluated = set(ring.run.evaluated)
    for domain in ("k8s", "netpol", "rbac"):
        assert evaluated & set(domain_rule_ids(domain)), domain
    assert "K8S-003" in {f.rule_id for f in ring.findings}  # privileged
    assert "K8S-032" not in evaluated and "allow-list" in ring.absent["K8S-032"]
    assert "K8S-032" in set(platform_ring(load_paths([tmp_path]),
                                          ("registry.example",)).run.evaluated)  # type: ignore[union-attr]
    assert ring.facts.chain_facts["Pod/shop/web"]["pods-not-refused"] is True

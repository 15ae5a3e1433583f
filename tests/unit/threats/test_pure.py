"""threats/ is the pure model (ARCHITECTURE F1): it reads no image, host or cluster itself;
the ring orchestrators (rings/) gather, and scan_all joins them."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[3] / "src" / "ringfence"
GATHERERS = ("ringfence.rings", "ringfence.scan", "ringfence.image_checks",
             "ringfence.runtime.live", "ringfence.report", "ringfence.host.gather",
             "ringfence.k8s.load", "ringfence.vulndb", "ringfence.cli")


def _imports(path: Path) -> set[str]:
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return out


def test_threats_imports_no_gatherer_and_rings_no_threats() -> None:
    bad = [f"{p.name} imports {m}" for p in (SRC / "threats").glob("*.py")
           for m in _imports(p) if any(m == g or m.startswith(g + ".") for g in GATHERERS)]
    assert bad == []
    # the orchestrators report facts and check runs; the threat model is scan_all's business
    bad = [f"{p.name} imports {m}" for p in (SRC / "rings").glob("*.py")
           for m in _imports(p) if m.startswith("ringfence.threats")]
    assert bad == []
    assert not (SRC / "threats" / "images.py").exists()

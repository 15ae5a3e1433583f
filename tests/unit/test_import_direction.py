"""The import rules of ARCHITECTURE.md, enforced by walking every module's imports."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "ringfence"


def _imports() -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for path in SRC.rglob("*.py"):
        mod = "ringfence." + ".".join(path.relative_to(SRC).with_suffix("").parts)
        mod = mod.removesuffix(".__init__")
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
            elif isinstance(node, ast.Import):
                names.update(a.name for a in node.names)
        out[mod] = {n for n in names if n == "ringfence" or n.startswith("ringfence.")}
    return out


def _under(mod: str, pkg: str) -> bool:
    return mod == pkg or mod.startswith(pkg + ".")


def test_rules() -> None:
    imports = _imports()
    assert len(imports) > 20
    problems = []
    for mod, deps in imports.items():
        for dep in deps:
            if _under(dep, "ringfence.cli") and not _under(mod, "ringfence.cli"):
                problems.append(f"{mod} imports the CLI ({dep})")
            for leaf in ("ringfence.admission", "ringfence.fleet"):
                if _under(dep, leaf) and not _under(mod, leaf) and not _under(mod, "ringfence.cli"):
                    problems.append(f"{mod} imports {leaf}")
            if _under(mod, "ringfence.errors") and dep != "ringfence.errors":
                problems.append(f"errors imports {dep}")
            if _under(mod, "ringfence.model") and not (_under(dep, "ringfence.model")
                                                       or dep == "ringfence.errors"):
                problems.append(f"model module {mod} imports {dep}")
            if _under(mod, "ringfence.vulndb.versions") and not _under(
                    dep, "ringfence.vulndb.versions"):
                problems.append(f"{mod} (version schemes) imports {dep}")
            if _under(mod, "ringfence.report") and not (
                    _under(dep, "ringfence.model") or _under(dep, "ringfence.report")
                    or dep in ("ringfence", "ringfence.errors")):
                problems.append(f"report module {mod} imports {dep}")
    assert problems == []


# probe.py is a stand-alone, stdlib-only script copied into containers and run there; its
# ``__main__`` entry point writes its JSON report to stdout. Nothing imports it.
STANDALONE_SCRIPTS = {"probe.py"}


def test_library_never_prints_or_exits() -> None:
    offenders = []
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC)
        if "cli" in rel.parts or str(rel) in STANDALONE_SCRIPTS:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and (
                    node.func.id in ("print", "exit", "quit")):
                offenders.append(f"{path}:{node.lineno}")
            if isinstance(node, ast.Attribute) and node.attr == "exit" and isinstance(
                    node.value, ast.Name) and node.value.id == "sys":
                offenders.append(f"{path}:{node.lineno}")
            if isinstance(node, ast.Attribute) and node.attr == "write" and isinstance(
                    node.value, ast.Attribute) and node.value.attr in ("stdout", "stderr"):
                offenders.append(f"{path}:{node.lineno}")
    assert offenders == []

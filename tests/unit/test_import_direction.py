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
                    or dep in ("ringfence", "ringfence.errors", "ringfence.inputs")):
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


def _package(mod: str) -> str:
    return ".".join(mod.split(".")[:2])


def _package_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for mod, deps in _imports().items():
        for dep in deps:
            a, b = _package(mod), _package(dep)
            if a != b:
                graph.setdefault(a, set()).add(b)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one package (iterative Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.get(root, ()))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    comp.append(top)
                    if top == node:
                        break
                if len(comp) > 1:
                    found.append(sorted(comp))
    return found


def test_no_package_cycles() -> None:
    assert _cycles(_package_graph()) == []


def test_cycle_detection_finds_a_planted_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]


# orchestrators join the rings; nothing below them may import them
ORCHESTRATORS = ("ringfence.rings", "ringfence.scan_all")
ORCHESTRATOR_USERS = ("ringfence.cli", "ringfence.rings", "ringfence.scan_all",
                      "ringfence.admission")
# the pure threat model imports no gatherer (it joins values the rings produced)
PURE = {"ringfence.threats": ("ringfence.scan", "ringfence.image_checks", "ringfence.rings",
                              "ringfence.runtime.live", "ringfence.report",
                              "ringfence.scan_all", "ringfence.host.gather")}
# the image spine: image reads transports, catalog parses files, layers joins both
LOWER = {"ringfence.image": ("ringfence.layers", "ringfence.catalog", "ringfence.scan"),
         "ringfence.catalog": ("ringfence.layers", "ringfence.image", "ringfence.scan"),
         "ringfence.layers": ("ringfence.scan", "ringfence.cache"),
         "ringfence.cache": ("ringfence.scan", "ringfence.catalog")}


def test_no_upward_imports() -> None:
    problems = []
    for mod, deps in _imports().items():
        for dep in deps:
            if any(_under(dep, o) for o in ORCHESTRATORS) and not any(
                    _under(mod, u) for u in ORCHESTRATOR_USERS):
                problems.append(f"{mod} imports the orchestrator {dep}")
            for pkg, banned in (*PURE.items(), *LOWER.items()):
                if _under(mod, pkg) and any(_under(dep, b) for b in banned):
                    problems.append(f"{mod} imports {dep} (above it)")
    assert problems == []

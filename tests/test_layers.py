"""Dependencies inside `tracker/` run one way, and no module imports itself round a cycle.

    core  <-  auth  <-  partners  <-  incentives, commitments  <-  clusters  <-  monitoring
          <-  reports, api, demo, main (the top)

Clusters read partners, incentives and commitments; monitoring watches them (the scan's
offshore-dependency alerts) as it watches every domain below it.

Every import counts, including one inside a function: an import moved into a function
to dodge a cycle is still a dependency.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "tracker"
# The layer of each package; a package may import only from its own layer or below.
LAYERS = {
    "core": 0,
    "extensions": 0,
    "auth": 1,
    "partners": 2,
    "incentives": 3,
    "commitments": 3,
    "monitoring": 4,
    "reports": 5,
    "api": 5,
    "clusters": 3.5,
    "demo": 5,
    "main": 6,
    "commands": 6,
    "templating": 7,
    "__init__": 8,
}
# Same layer, one direction: commitments may count towards incentives' obligations.
SIDEWAYS_ALLOWED = {("commitments", "incentives"), ("core", "extensions")}


def _modules() -> dict[str, Path]:
    modules = {}
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        modules[name] = path
    return modules


def _imports(path: Path, *, top_level_only: bool = False) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text())
    nodes = tree.body if top_level_only else ast.walk(tree)
    found = []
    for node in nodes:
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return [(line, name) for line, name in found if name.startswith("tracker")]


def _package(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The tracker module an imported name lives in (`tracker.a.b.Name` → `tracker.a.b`)."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def test_every_package_has_a_layer():
    packages = {_package(module) for module in _modules()}
    assert packages - set(LAYERS) == set()


def test_imports_run_down_the_layers():
    modules = _modules()
    wrong = set()
    for module, path in modules.items():
        here = _package(module)
        for line, name in _imports(path):
            target = _resolve(name, modules)
            if target is None:
                continue
            there = _package(target)
            if there == here or (here, there) in SIDEWAYS_ALLOWED:
                continue
            if LAYERS[there] >= LAYERS[here]:
                wrong.add(f"{path.relative_to(ROOT.parent)}:{line}: {here} imports {target}")
    assert sorted(wrong) == []


def test_no_import_cycles():
    """Module-level imports only: what runs when a module is first imported. Importing a
    module of another package first runs that package's __init__ (which hands on its
    blueprint), so that edge counts too; a package's own modules may be imported by its
    __init__ (the blueprint) without that being a cycle."""
    modules = _modules()

    def ancestors(module: str) -> list[str]:
        parts = module.split(".")
        return [".".join(parts[:n]) for n in range(2, len(parts))]

    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        edges = set()
        for _, name in _imports(path, top_level_only=True):
            target = _resolve(name, modules)
            # A package's own __init__ has always started running before its modules.
            if not target or target == module or target in ancestors(module):
                continue
            edges.add(target)
            edges.update(p for p in ancestors(target) if p not in (*ancestors(module), module))
        graph[module] = edges
    cycles, state = [], {}

    def visit(node, stack):
        state[node] = "open"
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == "open":
                cycles.append(" -> ".join(stack[stack.index(target) :] + [target]))
            elif target not in state:
                visit(target, stack)
        stack.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [])
    assert cycles == []


@pytest.mark.parametrize(
    "package", ["auth", "partners", "incentives", "commitments", "monitoring", "reports", "main"]
)
def test_domain_packages_hand_on_the_blueprint_plainly(package):
    """No lazy `__getattr__` faces: a package's __init__ just imports its blueprint."""
    source = (ROOT / package / "__init__.py").read_text()
    assert "__getattr__" not in source

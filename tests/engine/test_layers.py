"""The engine's packages depend on each other one way, in the order engine/__init__.py states, with no import
hidden inside a function to dodge a cycle — a newcomer finds a thing from the folder names and never meets a circle."""

from __future__ import annotations

import ast
from pathlib import Path

import engine

ENGINE = Path(engine.__file__).parent
#: Lowest first: a module may import from its own layer and the layers before it. ``context`` and ``demo`` sit on top.
LAYERS = [
    {"errors", "config", "clock", "texts", "observability", "cycle_collector", "memo"}, {"storage"}, {"decisions"},
    {"workflow"}, {"forms"}, {"people"}, {"sla"},
    {"sandbox"}, {"bpmn"}, {"services"}, {"messaging"}, {"documents"}, {"casework"}, {"integration"}, {"reporting"},
    {"context"}, {"demo", "demo_fakes"},
]
RANK = {name: rank for rank, names in enumerate(LAYERS) for name in names}


def _part(module: str) -> str:
    """The top part of an engine module's name: ``engine.casework.tasks`` -> ``casework``."""
    return module.split(".")[1]


def _modules() -> dict[str, Path]:
    found = {}
    for path in ENGINE.rglob("*.py"):
        parts = path.relative_to(ENGINE.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _type_checking_blocks(tree: ast.AST) -> set[int]:
    inside = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            inside.update(id(sub) for sub in ast.walk(node))
    return inside


def _imports(module: str, path: Path):
    """(imported engine module, inside a function?) for every runtime import of ``module``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = _type_checking_blocks(tree)
    in_function = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            in_function.update(id(sub) for sub in ast.walk(node))
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom):
            base = ".".join(package[:len(package) - node.level + 1] + [node.module or ""]) if node.level \
                else node.module or ""
            targets = [base.rstrip(".")] if base != "engine" else [f"engine.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            continue
        for target in targets:
            if target.startswith("engine.") and target != module:
                yield target, id(node) in in_function


def test_every_module_of_the_engine_has_a_layer():
    assert {_part(module) for module in _modules() if module != "engine"} <= set(RANK)


def test_packages_depend_only_on_packages_before_them():
    upward = sorted(
        f"{module} imports {target}"
        for module, path in _modules().items() if module != "engine"
        for target, _ in _imports(module, path)
        if RANK[_part(target)] > RANK[_part(module)]
    )
    assert upward == []


def test_no_import_hides_inside_a_function():
    hidden = sorted(f"{module} imports {target} inside a function"
                    for module, path in _modules().items() if module != "engine"
                    for target, local in _imports(module, path) if local and _part(target) != _part(module))
    assert hidden == []


def test_the_stated_order_is_the_one_tested():
    stated = engine.__doc__
    positions = [stated.index(f"``{name}``") for names in LAYERS[1:-2] for name in sorted(names)]
    assert positions == sorted(positions)

"""The shape of the package: layers that only point down, no import cycles, short functions,
modules of readable length, and a public API that says what it exports.

Every ``import`` and ``from ... import`` in every module counts, including the ones inside
functions (a lazy import is still a dependency); only ``if TYPE_CHECKING:`` blocks are exempt.
"""

from __future__ import annotations

import ast
import importlib
import re
import warnings
from pathlib import Path

import pytest

import mqsim

PKG = Path(mqsim.__file__).resolve().parent

#: the layers, bottom first; a module may import its own layer and the ones below it
LAYERS = ["model", "theory", "analysis", "sim", "experiments", "viz", "teaching"]
#: top-level modules that sit above every layer (entry points and the public facade)
TOP = {"mqsim", "mqsim.cli", "mqsim.demo", "mqsim.__main__", "mqsim._compat", "mqsim.dist", "mqsim.live"}
MAX_FUNCTION_LINES = 100
MAX_MODULE_LINES = 800


def _module(path: Path) -> str:
    parts = list(path.relative_to(PKG.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_alias(path: Path) -> bool:
    return "deprecated_module(" in path.read_text() and path.name != "_compat.py"


MODULES = {_module(p): p for p in sorted(PKG.rglob("*.py")) if not _is_alias(p)}


def _layer(mod: str) -> int:
    if mod in TOP:
        return len(LAYERS)
    head = mod.split(".")[1]
    return LAYERS.index(head)


def _imports(path: Path) -> list[tuple[int, str]]:
    """(line, imported mqsim module) of every import outside ``if TYPE_CHECKING:``."""
    tree = ast.parse(path.read_text())
    skip = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
            for n in ast.walk(node)}
    out = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("mqsim"):
            assert node.level == 0, f"{path}:{node.lineno}: use absolute imports"
            for a in node.names:
                sub = f"{node.module}.{a.name}"
                out.append((node.lineno, sub if sub in MODULES else node.module))
        elif isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names if a.name.startswith("mqsim")]
    return out


def test_every_module_belongs_to_a_layer():
    for mod in MODULES:
        assert mod in TOP or mod.split(".")[1] in LAYERS, f"{mod}: not in a layer {LAYERS} or the top level"


def test_layers_only_import_downward():
    upward = []
    for mod, path in MODULES.items():
        for line, target in _imports(path):
            if target in MODULES and _layer(target) > _layer(mod):
                upward.append(f"{path.relative_to(PKG.parent)}:{line}: {mod} imports {target}")
    assert not upward, "imports that point up a layer:\n" + "\n".join(upward)


def test_no_import_cycles():
    graph = {mod: {t for _, t in _imports(p) if t in MODULES and t != mod and t != "mqsim"}
             for mod, p in MODULES.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles = []

    def visit(v: str) -> None:  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    assert not cycles, f"import cycles: {cycles}"


def _is_kernel(fn: ast.FunctionDef) -> bool:
    """numba kernels (``@njit``) are exempt from the length limit: they cannot call closures."""
    return any(re.search(r"\b(n?jit)\b", ast.unparse(d)) for d in fn.decorator_list)


def test_functions_fit_on_a_screen():
    long = []
    for path in MODULES.values():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not _is_kernel(node):
                n = node.end_lineno - node.lineno + 1
                if n > MAX_FUNCTION_LINES:
                    long.append(f"{path.relative_to(PKG.parent)}:{node.lineno} {node.name}: {n} lines")
    assert not long, f"functions over {MAX_FUNCTION_LINES} lines:\n" + "\n".join(long)


def test_modules_have_a_readable_length():
    long = [f"{p.relative_to(PKG.parent)}: {n} lines" for p in MODULES.values()
            if (n := len(p.read_text().splitlines())) > MAX_MODULE_LINES]
    assert not long, f"modules over {MAX_MODULE_LINES} lines:\n" + "\n".join(long)


def test_no_module_is_named_after_a_notebook_range():
    for mod in MODULES:
        assert not re.search(r"(lessons\d|nb\d\d|_\d+_\d+$)", mod), f"{mod}: name modules by topic"


@pytest.mark.parametrize("pkg", ["mqsim", "mqsim.model", "mqsim.sim", "mqsim.analysis", "mqsim.experiments",
                                 "mqsim.theory", "mqsim.dist", "mqsim.viz", "mqsim.teaching", "mqsim.live",
                                 "mqsim.sim.live"])
def test_all_lists_exactly_the_public_names(pkg):
    mod = importlib.import_module(pkg)
    listed = set(mod.__all__)
    assert len(listed) == len(mod.__all__), f"{pkg}.__all__ has duplicates"
    for name in listed:
        assert getattr(mod, name) is not None, f"{pkg}.{name} is listed but missing"
    public = {n for n, v in vars(mod).items() if not n.startswith("_") and not isinstance(v, type(ast))
              and getattr(v, "__module__", "").startswith(pkg)}
    missing = public - listed
    assert not missing, f"{pkg}: public names not in __all__: {sorted(missing)}"


def test_old_import_paths_warn_and_still_work():
    import sys

    for old, name in [("mqsim.engine", "Simulation"), ("mqsim.plots", "hockey_stick"), ("mqsim.scenario", "Scenario"),
                      ("mqsim.experiment", "replicate"), ("mqsim.records", "OUTCOMES")]:
        sys.modules.pop(old, None)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            mod = importlib.import_module(old)
            assert getattr(mod, name) is not None
        assert any(issubclass(w.category, DeprecationWarning) and old in str(w.message) for w in caught), old

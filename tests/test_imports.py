"""The macros package has no import cycle, and every module of it imports on its own in a fresh interpreter."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

MACROS = ROOT / "macros"
# The package's modules and subpackages (macros/model/ is one node of the graph: its files import each other).
PACKAGES = sorted(p.parent.name for p in MACROS.glob("*/__init__.py"))
MODULES = sorted([p.stem for p in MACROS.glob("*.py") if p.stem != "__main__"] + PACKAGES)
SUBMODULES = sorted(f"{p.parent.name}.{p.stem}" for name in PACKAGES for p in (MACROS / name).glob("*.py"))


def files_of(name: str) -> list[Path]:
    return sorted((MACROS / name).glob("*.py")) if name in PACKAGES else [MACROS / f"{name}.py"]


def imports_of(path: Path) -> set[str]:
    """The macros modules a module imports (relative or absolute), at any place in the file."""
    found: set[str] = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    inside = path.parent != MACROS  # a file of a subpackage: `..x` is macros.x, `.x` is its own package
    type_only = [
        n for n in ast.walk(tree) if isinstance(n, ast.If) and ast.unparse(n.test) == "TYPE_CHECKING"
    ]
    skipped = {id(n) for block in type_only for n in ast.walk(block)}  # imports for type hints never run
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom):
            if inside:
                if node.level == 2 and node.module:
                    found.add(node.module.split(".")[0])
                elif node.level == 2:
                    found.update(alias.name for alias in node.names)
                elif node.level == 1:
                    found.add(path.parent.name)
                elif node.module and node.module.startswith("macros."):
                    found.add(node.module.split(".")[1])
            elif node.level == 1 and node.module:
                found.add(node.module.split(".")[0])
            elif node.level == 1:
                found.update(alias.name for alias in node.names)
            elif node.module and node.module.startswith("macros."):
                found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[1] for a in node.names if a.name.startswith("macros."))
    return found & set(MODULES)


def cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_cycle_finder_finds_a_cycle():
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycle_in_macros():
    graph = {name: set().union(*(imports_of(f) for f in files_of(name))) - {name} for name in MODULES}
    graph.pop("__init__")  # the adapter: nothing in the package imports it
    for imported in graph.values():
        imported.discard("__init__")
    assert {"model", "pages"} <= graph["render"]  # the walk sees imports
    assert {"pages", "kinds", "loader"} <= graph["model"]  # and the imports of a subpackage's files
    assert cycle(graph) is None


# Each module imported first, in one fresh interpreter: the project's modules are forgotten before each import
# (third-party packages stay loaded), so a module that needs another to be imported before it fails here.
ALONE = """
import importlib, json, sys, traceback
failed = {}
for name in sys.argv[1:]:
    for loaded in [m for m in sys.modules if m == "macros" or m.startswith("macros.")]:
        del sys.modules[loaded]
    try:
        importlib.import_module("macros." + name)
    except Exception:
        failed[name] = traceback.format_exc(limit=-3)
print(json.dumps(failed))
"""


def test_each_module_imports_alone():
    modules = [m for m in MODULES if m != "__init__"] + SUBMODULES
    result = subprocess.run(
        [sys.executable, "-c", ALONE, *modules], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout) == {}


def test_a_module_that_needs_another_first_fails_alone(tmp_path: Path):
    """The check above sees a module that works only once another has been imported."""
    package = tmp_path / "macros"
    package.mkdir()
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "a.py").write_text("from . import b\nX = 1\n", encoding="utf-8")
    (package / "b.py").write_text("from .a import X\n", encoding="utf-8")  # a cycle: a, imported first, fails
    result = subprocess.run(
        [sys.executable, "-c", ALONE, "a", "b"], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert set(json.loads(result.stdout)) == {"a"}


WHAT_A_BUILD_LOADS = """
import json, sys
import sudachipy

loaded = []
real = sudachipy.Dictionary
sudachipy.Dictionary = lambda *args, **kwargs: loaded.append(kwargs) or real(*args, **kwargs)
import macros
from macros.model import schema
from macros.furigana import Reader
from macros.words import words
from hooks.search_ja import split_run

before = {m for m in ("macros.comparison", "macros.diff") if m in sys.modules}
complete_at_import = sorted(n for n, c in vars(schema).items() if isinstance(c, type)
                            and issubclass(c, schema.Model) and c.__pydantic_complete__)
words("市民・企業ヒアリングの結果を踏まえて検討する")
split_run("行政手続のオンライン化")
Reader({}).page(("盛岡市の行政手続",))
print(json.dumps({"comparison": sorted(before), "complete": complete_at_import,
                  "dictionaries": len(loaded)}))
"""


def test_a_build_loads_only_what_it_uses():
    """A site with one edition does not import the 新旧対照表's modules; the model's validators are built when the
    data is first validated, not at import (pydantic `defer_build`); one SudachiPy dictionary serves the word spans,
    the ふりがな and the search index."""
    result = subprocess.run(
        [sys.executable, "-c", WHAT_A_BUILD_LOADS], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout) == {"comparison": [], "complete": [], "dictionaries": 1}

"""check ⇔ build: any file that `python -m macros check` accepts builds (issue 12).

Hypothesis mutates the real data the way editors do — drops, duplicates, reorders and retitles chapters,
sections, blocks, items and framework entries, with hostile titles — and every mutation that passes the model's
validation must build in-process with MkDocs in strict mode, its titles kept as text.
"""

from __future__ import annotations

import copy
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from macros.loader import DataError, load_text
from macros.model import parse
from tests.conftest import DATA, build_site, copy_project, read_pages

BASE = load_text(DATA.read_text(encoding="utf-8")).data
TEXT_KEYS = ("title", "text", "label", "name", "number")
HOSTILE = [
    "{{ 7*7 }}",
    "{% if %}",
    "{# x",
    "<b>太字</b>",
    "=1+1",
    "# 見出し",
    "[a](b)",
    "yes",
    "010",
    "- x",
    "@here",
]


def _lists(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Paths of every non-empty list in the data."""
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _lists(value, (*path, key))
    elif isinstance(node, list):
        if node:
            found.append(path)
        for i, value in enumerate(node):
            found += _lists(value, (*path, i))
    return found


def _titled(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Paths of every text field that is a title, label, name or number."""
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in TEXT_KEYS and isinstance(value, str):
                found.append((*path, key))
            found += _titled(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _titled(value, (*path, i))
    return found


def _blocks(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], str]]:
    """(path of a block, its type) for every block of the body."""
    found = []
    if isinstance(node, dict):
        if isinstance(node.get("type"), str) and path and path[-2] == "blocks":
            found.append((path, node["type"]))
        for key, value in node.items():
            found += _blocks(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _blocks(value, (*path, i))
    return found


LISTS = _lists(BASE)
TITLED = _titled(BASE)
BLOCKS = _blocks(BASE)
BLOCK_TYPES = sorted({kind for _, kind in BLOCKS})
FRAMEWORK = [("framework", key) for key in BASE["framework"]]


def _at(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        data = data[part]
    return data


def mutated() -> Any:
    """A Hypothesis strategy: the real data after one to three editor-like changes.

    Hypothesis is imported here, when the test runs: importing it takes about a second, which every run that
    collects this module (the quick suite leaves the test out) would pay."""
    from hypothesis import strategies as st

    return st.composite(lambda draw: _mutate(draw, st))()


def _mutate(draw: Any, st: Any) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(1, 3))):
        op = draw(
            st.sampled_from(["drop", "duplicate", "reorder", "retitle", "drop block", "drop framework"])
        )
        if op == "drop block":  # a kind of block first, so that each kind the templates rely on is tried
            kind = draw(st.sampled_from(BLOCK_TYPES))
            path = draw(st.sampled_from([p for p, k in BLOCKS if k == kind]))
            if _exists(data, path) and _at(data, path).get("type") == kind:
                del _at(data, path[:-1])[path[-1]]
            continue
        if op == "drop framework":  # the last entry, so that the numbering stays valid
            items = _at(data, draw(st.sampled_from(FRAMEWORK)))
            if len(items) > 1:
                items.pop()
            continue
        if op == "retitle":
            path = draw(st.sampled_from(TITLED))
            parent = _at(data, path[:-1]) if _exists(data, path) else None
            if isinstance(parent, dict):
                parent[path[-1]] = draw(st.sampled_from(HOSTILE)) + " " + str(parent[path[-1]])
            continue
        path = draw(st.sampled_from(LISTS))
        if not _exists(data, path):
            continue
        items = _at(data, path)
        if not isinstance(items, list) or not items:
            continue
        i = draw(st.integers(0, len(items) - 1))
        if op == "drop":
            del items[i]
        elif op == "duplicate":
            items.insert(draw(st.integers(0, len(items))), copy.deepcopy(items[i]))
        else:
            j = draw(st.integers(0, len(items) - 1))
            items[i], items[j] = items[j], items[i]
    return data


def _exists(data: Any, path: tuple[Any, ...]) -> bool:
    try:
        _at(data, path)
    except (KeyError, IndexError, TypeError):
        return False
    return True


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_project(tmp_path_factory.mktemp("property") / "project")


@pytest.mark.slow  # up to 25 real builds
def test_what_check_accepts_builds(project: Path):
    from hypothesis import HealthCheck, given, settings

    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(data=mutated())
    def example(data: dict[str, Any]) -> None:
        check_builds(project, data)

    example()


def check_builds(project: Path, data: dict[str, Any]) -> None:
    """One example: refused by the model with its lines, or built with every chapter title kept as text."""
    from hypothesis import event

    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    try:
        strategy = parse(load_text(text))
    except DataError as exc:
        event("check refused the mutation")
        assert all(p.line >= 1 and p.message for p in exc.problems)
        return
    event("check accepted the mutation: built")
    (project / "data" / "strategy.yaml").write_text(text, encoding="utf-8")
    out = Path(tempfile.mkdtemp(prefix="property-site-"))
    try:
        site = build_site(project, out / "site")
        pages = read_pages(site)
        headings = " ".join(p.find("h1").get_text() for p in pages.values() if p.find("h1"))
        for chapter in strategy.chapters:
            assert chapter.title in headings  # literal, never evaluated
    finally:
        shutil.rmtree(out, ignore_errors=True)

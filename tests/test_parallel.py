"""A large site's pages are written by several processes (hooks/parallel.py): the same site, byte for byte, as
one process writes; a child's warnings count in strict mode and its errors stop the build."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, copy_project
from tests.test_hardening import interruptible

PROCESSES_ENV = "STRATEGY_BUILD_PROCESSES"


def build(project: Path, site: Path, processes: int) -> subprocess.CompletedProcess[str]:
    """`mkdocs build --strict` of a project folder, its pages written by `processes` processes."""
    env = {
        **os.environ,
        PROCESSES_ENV: str(processes),
        "SOURCE_DATE_EPOCH": "1669852800",
        "NO_MKDOCS_2_WARNING": "1",
    }
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(site)],
        check=False,
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=interruptible,
    )


@functools.cache
def hook() -> Any:
    """hooks/parallel.py, loaded by its path as MkDocs loads it."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("parallel_for_test", ROOT / "hooks" / "parallel.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def cut(weights: list[int], count: int) -> list[int]:
    return hook().cut(weights, count)  # type: ignore[no-any-return]


def files_of(site: Path) -> dict[str, bytes]:
    return {str(p.relative_to(site)): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


def test_pages_written_by_several_processes_make_the_same_site(tmp_path: Path):
    sites = {}
    for processes in (1, 2, 3):
        result = build(ROOT, tmp_path / f"site-{processes}", processes)
        assert result.returncode == 0, result.stderr[-3000:]
        for verb in ("読みます", "書きます"):
            told = f"ページを {processes} つのプロセスで{verb}" in result.stderr
            assert told == (processes > 1), (verb, result.stderr[-3000:])
        sites[processes] = files_of(tmp_path / f"site-{processes}")
    assert len(sites[1]) > 100
    for processes in (2, 3):
        assert sites[processes].keys() == sites[1].keys()
        differ = [name for name, data in sites[1].items() if sites[processes][name] != data]
        assert not differ, f"{processes} processes: {differ[:10]}"


CHILD_HOOK = """
import logging, os
PARENT = os.getpid()
log = logging.getLogger("mkdocs.hooks.child_test")

def on_post_page(output, page, config, **kwargs):
    if os.getpid() != PARENT:
        if os.environ.get("CHILD_TEST") == "warn":
            log.warning("子プロセスからの警告: %s", page.file.src_uri)
        else:
            raise RuntimeError(f"子プロセスの誤り: {page.file.src_uri}")
    return output
"""


@pytest.fixture(scope="module")
def child_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    project = copy_project(tmp_path_factory.mktemp("child") / "project")
    (project / "hooks" / "child_test.py").write_text(CHILD_HOOK, encoding="utf-8")
    config = project / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    anchor = "  - hooks/parallel.py"
    assert anchor in text
    config.write_text(text.replace(anchor, "  - hooks/child_test.py\n" + anchor, 1), encoding="utf-8")
    return project


@pytest.mark.parametrize("kind", ["warn", "error"])
def test_a_childs_warning_or_error_stops_the_build_and_keeps_the_last_site(
    child_project: Path, kind: str, monkeypatch
):
    monkeypatch.setenv("CHILD_TEST", kind)
    site = child_project / f"site-{kind}"
    first = build(child_project, site, 1)  # one process: the hook never runs in a child
    assert first.returncode == 0, first.stderr[-3000:]
    before = files_of(site)
    result = build(child_project, site, 2)
    assert result.returncode != 0
    if kind == "warn":
        assert "子プロセスからの警告" in result.stderr
        assert "in strict mode" in result.stdout + result.stderr
    else:
        assert "子プロセスの誤り" in result.stderr
        assert "child_test.py" in result.stderr  # the child's traceback, down to the hook that raised
    assert files_of(site) == before


@pytest.mark.parametrize(
    ("weights", "count", "starts"),
    [
        ([1] * 10, 2, [0, 5]),
        ([1] * 9, 3, [0, 3, 6]),
        ([9, 1, 1, 1, 1, 1, 1, 1, 1, 1], 2, [0, 1]),
        ([1, 1, 1, 1, 1, 1, 1, 1, 1, 9], 2, [0, 9]),
        ([5, 5], 2, [0, 1]),
        ([100, 1, 1], 3, [0, 1, 2]),
        ([1, 30, 30], 3, [0, 1, 2]),
        ([1, 50, 0, 1, 2, 2, 1000, 50], 3, [0, 6, 7]),
        ([1, 2, 3], 3, [0, 1, 2]),
    ],
)
def test_runs_of_about_equal_work(weights: list[int], count: int, starts: list[int]):
    assert cut(weights, count) == starts


def test_runs_are_never_empty():
    import random

    rng = random.Random(16)
    for _ in range(20_000):
        weights = [rng.choice([0, 1, 2, 50, 1000]) for _ in range(rng.randint(1, 9))]
        count = rng.randint(1, len(weights))
        starts = cut(weights, count)
        assert len(starts) == count and starts[0] == 0, (weights, count, starts)
        assert all(a < b for a, b in zip(starts, [*starts[1:], len(weights)], strict=True)), (
            weights,
            count,
            starts,
        )


def test_anchor_links_are_checked_on_pages_read_by_a_child(tmp_path: Path):
    """MkDocs checks links to anchors after both passes, with what the reading pass left on each page: a page read
    by a child reports a missing anchor as one process does."""
    project = copy_project(tmp_path / "project")
    about = sorted((project / "docs" / "about").glob("*.md"))
    assert len(about) >= 3
    for page in about:
        with page.open("a", encoding="utf-8") as out:
            out.write("\n[リンク](../index.md#no-such-anchor)\n")
    reports = {}
    for processes in (1, 2, 3):
        result = build(project, tmp_path / f"site-{processes}", processes)
        assert result.returncode == 0, result.stderr[-3000:]
        reports[processes] = sorted(line for line in result.stderr.splitlines() if "no-such-anchor" in line)
    assert len(reports[1]) == len(about), reports[1]
    assert reports[2] == reports[1]
    assert reports[3] == reports[1]

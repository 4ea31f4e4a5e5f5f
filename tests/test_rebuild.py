"""`mkdocs serve` rebuilds the site in one process, and the hooks keep results between builds (share images, page
descriptions, the texts for ふりがな, SudachiPy's readings, the open data files): a rebuild after an edit must be
byte for byte the site a fresh build of the edited data makes."""

from __future__ import annotations

import filecmp
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import copy_project

pytestmark = pytest.mark.slow

# Two builds in one process, as `mkdocs serve` does them; the data is edited in between.
TWO_BUILDS = """
import sys
from pathlib import Path
from mkdocs.commands.build import build
from mkdocs.config import load_config

data = Path("data/strategy.yaml")
old, new = sys.argv[3], sys.argv[4]
for i, site in enumerate(sys.argv[1:3]):
    if i:
        text = data.read_text(encoding="utf-8")
        assert old in text
        data.write_text(text.replace(old, new), encoding="utf-8")
    build(load_config(site_dir=site))
"""


def differences(a: Path, b: Path) -> list[str]:
    """Files that differ or exist on one side only, below two directories."""
    out: list[str] = []

    def walk(cmp: filecmp.dircmp, prefix: str) -> None:
        out.extend(prefix + n for n in cmp.left_only + cmp.right_only + cmp.funny_files)
        _, mismatch, errors = filecmp.cmpfiles(cmp.left, cmp.right, cmp.common_files, shallow=False)
        out.extend(prefix + n for n in mismatch + errors)
        for name, sub in cmp.subdirs.items():
            walk(sub, f"{prefix}{name}/")

    walk(filecmp.dircmp(a, b), "")
    return sorted(out)


def test_a_rebuild_in_one_process_is_a_fresh_build(tmp_path: Path):
    project = copy_project(tmp_path / "project")
    text = (project / "data" / "strategy.yaml").read_text(encoding="utf-8")
    # The first chapter's title: in the navigation of every page, its page's description and share image.
    title = re.search(r"^chapters:\n  - id: \S+\n(?:    .*\n)*?    title: (.+)$", text, re.MULTILINE)
    assert title
    old, new = f"title: {title[1]}", f"title: {title[1]}（検証用の改題）"
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1669852800", "NO_MKDOCS_2_WARNING": "1"}
    first, rebuilt, fresh = tmp_path / "first", tmp_path / "rebuilt", tmp_path / "fresh"

    def run(*args: str) -> None:
        subprocess.run([sys.executable, *args], cwd=project, env=env, check=True, capture_output=True)

    run("-c", TWO_BUILDS, str(first), str(rebuilt), old, new)
    run("-m", "mkdocs", "build", "--quiet", "-d", str(fresh))
    changed = differences(first, fresh)
    assert any(n.startswith("assets/social/") for n in changed)  # the edit shows in an image,
    assert any(n.endswith("furigana.json") for n in changed)  # in the ふりがな,
    assert "index.html" in changed  # and in the pages
    assert differences(rebuilt, fresh) == []

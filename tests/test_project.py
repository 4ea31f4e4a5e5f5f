"""The project's own promises: the README's two commands, CI calling them, what set-up installs, lint."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.conftest import ROOT
from tests.test_workflows import project_commands

README = (ROOT / "README.md").read_text(encoding="utf-8")


def readme_setup_commands() -> list[str]:
    """The commands of the README's set-up block (the first sh block after 「はじめかた」)."""
    section = README.split("## はじめかた", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.DOTALL).group(1)
    return [line.split("#")[0].strip() for line in block.splitlines() if line.split("#")[0].strip()]


def test_readme_gives_two_setup_commands():
    assert readme_setup_commands() == ["scripts/build", "scripts/test"]
    for command in readme_setup_commands():
        path = ROOT / command
        assert path.is_file() and path.stat().st_mode & 0o111, command


def test_ci_runs_the_readme_test_command():
    ci_run = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(r"^scripts/test\b", ci_run, re.MULTILINE)
    ci = project_commands(ROOT / ".github" / "workflows" / "ci.yml")
    assert {"scripts/test", "scripts/build"} <= ci
    assert "scripts/build" in project_commands(ROOT / ".github" / "workflows" / "pages.yml")


def test_setup_installs_what_the_project_needs():
    setup = (ROOT / "scripts" / "setup").read_text(encoding="utf-8")
    packages = re.search(r"apt_packages=\((.*?)\)", setup).group(1).split()
    for needed in ("fonts-morisawa-bizud-gothic", "libharfbuzz-subset0", "chromium", "poppler-utils"):
        assert needed in packages
    assert "--require-hashes -r requirements.txt" in setup
    assert all(
        scripts in (ROOT / "scripts" / name).read_text()
        for name in ("build", "test")
        for scripts in ["scripts/setup"]
    )


def test_lock_pins_the_stack():
    lock = (ROOT / "requirements.txt").read_text(encoding="utf-8")
    assert re.search(r"^mkdocs==1\.", lock, re.MULTILINE)
    assert re.search(r"^mkdocs-material==9\.8\.", lock, re.MULTILINE)
    assert re.search(r"^mkdocs-macros-plugin==1\.5\.", lock, re.MULTILINE)
    assert re.search(r"^mkdocs-to-pdf==", lock, re.MULTILINE)
    assert re.search(r"^pydantic==2\.", lock, re.MULTILINE)
    assert "file:///" not in lock and "--hash=sha256:" in lock


def test_ruff_is_clean():
    out = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stdout


def test_yamllint_accepts_the_data():
    out = subprocess.run(
        [sys.executable, "-m", "yamllint", "--strict", "data/strategy.yaml", "mkdocs.yml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stdout


def test_the_one_normaliser():
    """tests/conftest.py's `normalise`, which every test that compares texts uses."""
    from tests.conftest import normalise

    assert normalise("a **b**\n c\u3000ｄ") == "abcd"  # emphasis marks, whitespace (ideographic too), NFKC
    assert normalise(" a  b ", spaces=" ", nfkc=False, emphasis=False) == "a b"
    assert normalise("ｄ**", nfkc=False, emphasis=False) == "ｄ**"
    assert normalise("▶ a・b", nfkc=False, drop="▶✓•・") == "ab"
    assert normalise("<p>x&amp;\u200by</p> z", tags=True, spaces=" ") == "x&y z"

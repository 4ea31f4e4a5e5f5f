"""The CI workflow's own shell steps, run for real: annotations, the job summary, and the 新旧対照表."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import yaml

from tests.conftest import DATA, ROOT

TEXT = DATA.read_text(encoding="utf-8")
CI = yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8"))


def step(name_part: str) -> str:
    """The `run:` script of the CI step whose name contains `name_part`."""
    for job in CI["jobs"].values():
        for s in job["steps"]:
            if name_part in s.get("name", "") and "run" in s:
                return s["run"]
    raise AssertionError(f"no step named like {name_part!r}")


def workspace(tmp_path: Path, data: str) -> Path:
    """A checkout-like folder: the project's code, the venv, and the given data file."""
    ws = tmp_path / "ws"
    (ws / "data").mkdir(parents=True)
    (ws / "data" / "strategy.yaml").write_text(data, encoding="utf-8")
    (ws / "macros").symlink_to(ROOT / "macros")
    (ws / ".venv").symlink_to(ROOT / ".venv")
    return ws


def run_step(ws: Path, script: str, **env: str) -> tuple[subprocess.CompletedProcess, str]:
    summary = ws.parent / "summary.md"
    summary.write_text("", encoding="utf-8")
    result = subprocess.run(
        ["bash", "-e", "-o", "pipefail", "-c", script],
        cwd=ws,
        env={**os.environ, "GITHUB_STEP_SUMMARY": str(summary), "RUNNER_TEMP": str(ws.parent), **env},
        capture_output=True,
        text=True,
        check=False,
    )
    return result, summary.read_text(encoding="utf-8")


def test_check_step_annotates_the_lines_and_lists_everything_in_the_summary(tmp_path: Path):
    broken = TEXT.replace("marker: tags", "marker: tag").replace("id: remark-02", "id: remark-01", 1)
    result, summary = run_step(workspace(tmp_path, broken), step("データを検査"))
    assert result.returncode == 1
    annotations = [line for line in result.stdout.splitlines() if line.startswith("::error ")]
    assert len(annotations) == 3, result.stdout
    assert all(line.startswith("::error file=data/strategy.yaml,line=") for line in annotations)
    assert "## データ検査" in summary
    assert summary.count("data/strategy.yaml:") == 3 and "remark-01" in summary


def test_check_step_passes_on_good_data(tmp_path: Path):
    result, summary = run_step(workspace(tmp_path, TEXT), step("データを検査"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "問題は見つかりませんでした" in summary


def test_pull_request_step_writes_the_comparison_table(tmp_path: Path):
    old, new = "やさしいデジタル化を目指す", "だれにもやさしいデジタル化を目指す"
    ws = workspace(tmp_path, TEXT.replace(old, new, 1))
    (ws / ".base" / "data").mkdir(parents=True)
    (ws / ".base" / "data" / "strategy.yaml").write_text(TEXT, encoding="utf-8")
    result, summary = run_step(ws, step("新旧対照表"), BASE_REF="main")
    assert result.returncode == 0, result.stderr
    assert "## 新旧対照表（比較元: main）" in summary
    row = next(line for line in summary.splitlines() if new in line and line.startswith("|"))
    assert old in row.replace(new, "")  # the old and the new wording side by side in one row
    assert not (ws / ".base").exists()

"""Build time with 1, 5 and 20 editions (see bench/README.md, 「版の数」).

Each project is a temporary copy of this one with N editions frozen from the real data (edition k changes one
sentence of the edition before it), the last one equal to the current text. Measured as a fresh `mkdocs build`
process, its CPU time (user + system: the machine is shared) and wall time, twice per run: cold (an empty
editions cache: every past edition's pages, 新旧対照表 pages and open data are made, and with --pdf every past
edition's PDF and every 新旧対照表 PDF) and warm (the cache of the cold build, as on a developer's second build).
Runs are interleaved over the counts; the table shows medians.

    .venv/bin/python bench/editions.py                 # site only, 1 / 5 / 20 editions, 3 runs
    .venv/bin/python bench/editions.py --pdf --counts 1 5 --runs 1
"""

from __future__ import annotations

import argparse
import datetime
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from macros.editions import freeze

PARTS = ("mkdocs.yml", "mkdocs-pdf.yml", "docs", "data", "macros", "hooks")
SENTENCE = "高齢者も子どもも障がい者も置き去りにせず、デジタル格差を解消する"


def project_with(n: int, dest: Path) -> Path:
    """A copy of the project with n editions: the registry's first, then n - 1 frozen from edited data."""
    dest.mkdir(parents=True)
    for part in PARTS:
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, dest / part, ignore=shutil.ignore_patterns("__pycache__", ".cache"))
        else:
            shutil.copy2(source, dest / part)
    data = dest / "data" / "strategy.yaml"
    text = data.read_text(encoding="utf-8")
    for k in range(1, n):
        text = (
            text.replace(SENTENCE, SENTENCE + "（改訂" + str(k) + "）", 1)
            if k == 1
            else text.replace(f"（改訂{k - 1}）", f"（改訂{k}）", 1)
        )
        data.write_text(text, encoding="utf-8")
        date = datetime.date(2022, 12, 1) + datetime.timedelta(days=30 * k)
        freeze(dest, date, f"第{k + 2}回の版", "改訂", f"行動指針の説明を改めました（{k}）。")
    return dest


def build(project: Path, site: Path, *, pdf: bool, cache: Path) -> tuple[float, float]:
    """One `mkdocs build` process: (wall seconds, CPU seconds of the process, user + system)."""
    env = {
        **os.environ,
        "SOURCE_DATE_EPOCH": "1669852800",
        "EDITIONS_CACHE": str(cache),
        "NO_MKDOCS_2_WARNING": "1",
    }
    config = "mkdocs-pdf.yml" if pdf else "mkdocs.yml"  # the PDF stack is only in mkdocs-pdf.yml
    shutil.rmtree(site, ignore_errors=True)
    before = os.times()
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "-q", "-f", config, "-d", str(site)],
        cwd=project,
        env=env,
        check=True,
        capture_output=True,
    )
    wall = time.perf_counter() - start
    after = os.times()
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return wall, cpu


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--counts", type=int, nargs="+", default=[1, 5, 20])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pdf", action="store_true", help="the site and every PDF (mkdocs-pdf.yml)")
    args = parser.parse_args()
    results: dict[int, dict[str, list[tuple[float, float]]]] = {}
    pages: dict[int, int] = {}
    with tempfile.TemporaryDirectory(prefix="bench-editions-") as tmp:
        projects = {n: project_with(n, Path(tmp) / f"p{n}") for n in args.counts}
        # Interleaved (the machine is shared): every count cold then warm, run after run.
        for run in range(args.runs):
            for n, project in projects.items():
                site, cache = Path(tmp) / f"site{n}", Path(tmp) / f"cache{n}-{run}"
                cold = build(project, site, pdf=args.pdf, cache=cache)  # an empty cache
                warm = build(project, site, pdf=args.pdf, cache=cache)  # the cache of the cold build
                pages[n] = sum(1 for _ in site.rglob("index.html"))
                results.setdefault(n, {"cold": [], "warm": []})
                results[n]["cold"].append(cold)
                results[n]["warm"].append(warm)
                print(
                    f"run {run + 1}: {n} editions cold {cold[1]:.2f} s CPU, warm {warm[1]:.2f} s CPU",
                    flush=True,
                )

    def cpu(n: int, kind: str) -> float:
        return statistics.median(c for _, c in results[n][kind])

    def wall(n: int, kind: str) -> float:
        return statistics.median(w for w, _ in results[n][kind])

    base = cpu(args.counts[0], "cold")
    what = "サイトと PDF" if args.pdf else "サイト"
    print(f"\n{what}、CPU 秒（中央値、{args.runs} 回、括弧内は経過秒）:\n")
    print("| 版の数 | ページ数 | キャッシュなし | キャッシュあり | なしの 1 版比 | ありの 1 版比 |")
    print("| --- | --- | --- | --- | --- | --- |")
    for n in args.counts:
        print(
            f"| {n} | {pages[n]} | {cpu(n, 'cold'):.2f}（{wall(n, 'cold'):.1f}） | {cpu(n, 'warm'):.2f}"
            f"（{wall(n, 'warm'):.1f}） | {cpu(n, 'cold') / base:.2f} | {cpu(n, 'warm') / base:.2f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

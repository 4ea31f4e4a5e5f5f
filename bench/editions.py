"""Build time with 1, 5 and 20 editions (see bench/README.md, 「版の数」).

Each project is a temporary copy of this one with N editions frozen from the real data (edition k changes one
sentence of the edition before it), the last one equal to the current text. Measured, as a fresh
`mkdocs build` process each time (median of --runs):
- the site alone (every past edition's pages, the 新旧対照表 pages, each edition's data);
- with --pdf, the site and every PDF twice: cold (empty cache: every past edition's PDF and every 新旧対照表 PDF
  is made) and warm (the cache of the cold build: only the current council PDF is made).

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


def build(project: Path, site: Path, *, pdf: bool, cache: Path) -> float:
    env = {
        **os.environ,
        "SOURCE_DATE_EPOCH": "1669852800",
        "EDITIONS_CACHE": str(cache),
        "NO_MKDOCS_2_WARNING": "1",
    }
    config = "mkdocs-pdf.yml" if pdf else "mkdocs.yml"  # the PDF stack is only in mkdocs-pdf.yml
    shutil.rmtree(site, ignore_errors=True)
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "-q", "-f", config, "-d", str(site)],
        cwd=project,
        env=env,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--counts", type=int, nargs="+", default=[1, 5, 20])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pdf", action="store_true")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-editions-") as tmp:
        for n in args.counts:
            project = project_with(n, Path(tmp) / f"p{n}")
            site, cache = Path(tmp) / f"site{n}", Path(tmp) / f"cache{n}"
            pages = 0
            times = []
            for _ in range(args.runs):
                times.append(build(project, site, pdf=False, cache=cache))
                pages = sum(1 for _ in site.rglob("index.html"))
            row = {"editions": n, "pages": pages, "site": statistics.median(times)}
            if args.pdf:
                row["pdf_cold"] = build(project, site, pdf=True, cache=cache)
                row["pdf_warm"] = statistics.median(
                    build(project, site, pdf=True, cache=cache) for _ in range(args.runs)
                )
            rows.append(row)
            print(row, flush=True)
    base = rows[0]["site"]
    print(
        "\n| 版の数 | ページ数 | サイト（秒） | 1 版との比 |"
        + (" PDF 込み・キャッシュなし | PDF 込み・キャッシュあり |" if args.pdf else "")
    )
    print("| --- | --- | --- | --- |" + (" --- | --- |" if args.pdf else ""))
    for r in rows:
        extra = f" {r['pdf_cold']:.1f} | {r['pdf_warm']:.1f} |" if args.pdf else ""
        print(f"| {r['editions']} | {r['pages']} | {r['site']:.2f} | {r['site'] / base:.2f} |{extra}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

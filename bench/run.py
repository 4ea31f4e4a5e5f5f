"""Benchmarks: what a build costs, and how it grows. Prints a table and writes bench/results.md.

    .venv/bin/python bench/run.py [--runs 5] [--quick]

Every build runs in a fresh `mkdocs build` process on a temporary copy of the project; the variants are run
side by side (interleaved) in each round, after an untimed warm-up of the 1× builds. Peak memory is the child's
maximum resident set size (wait4).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from importlib.metadata import version
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synth import ROOT, write_project

PY = sys.executable
EPOCH = os.environ.get("SOURCE_DATE_EPOCH", "1669852800")  # 2022-12-01, the document's date
HTML_PATH = "pdf/combined.html"
PDF_PATH = "pdf/strategy.pdf"
PDF_TOOK = re.compile(r"Converting \d+ articles to PDF took ([\d.]+)s")
WEASYPRINT_ALONE = """
import sys, time, weasyprint
html = open(sys.argv[1], encoding="utf-8").read()
start = time.perf_counter()
weasyprint.HTML(string=html, base_url=sys.argv[2]).write_pdf(sys.argv[3], pdf_variant="pdf/ua-1", pdf_identifier=True)
print(time.perf_counter() - start)
"""


@dataclass
class Sample:
    """One timed child process."""

    seconds: float
    peak_mb: float
    log: str = ""


@dataclass
class Series:
    """Repeated samples of one measurement."""

    samples: list[Sample] = field(default_factory=list)

    def median(self, key: Callable[[Sample], float] = lambda s: s.seconds) -> float:
        """Median of one value over the samples."""
        return statistics.median(key(s) for s in self.samples)


def run(cmd: list[str], cwd: Path, **env: str) -> Sample:
    """Run a child process to completion; its wall time and peak RSS."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        cwd=cwd,
        env={**os.environ, "SOURCE_DATE_EPOCH": EPOCH, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    log = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise RuntimeError(f"{' '.join(cmd)} failed in {cwd}:\n{log[-3000:]}")
    return Sample(seconds, usage.ru_maxrss / 1024, log)


def build(project: Path, *, pdf: bool = False) -> Sample:
    """`mkdocs build` of a project into its site/ (strict, as configured)."""
    shutil.rmtree(project / "site", ignore_errors=True)
    env = {"ENABLE_PDF_EXPORT": "1"} if pdf else {}
    return run([PY, "-m", "mkdocs", "build", "-d", str(project / "site")], project, **env)


# --- projects -------------------------------------------------------------------------------------------


def edit_config(project: Path, change: Callable[[dict[str, Any]], None]) -> None:
    """Rewrite a project's mkdocs.yml (environment tags resolved) after `change`."""
    from mkdocs.utils.yaml import yaml_load

    path = project / "mkdocs.yml"
    with path.open(encoding="utf-8") as f:
        config = yaml_load(f)
    change(config)
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")


def plugin_config(config: dict[str, Any], name: str) -> dict[str, Any]:
    """The options of a plugin in the `plugins` list."""
    return next(p[name] for p in config["plugins"] if isinstance(p, dict) and name in p)


def without_plugin(config: dict[str, Any], name: str) -> None:
    """Drop a plugin from the `plugins` list."""
    config["plugins"] = [p for p in config["plugins"] if not (p == name or isinstance(p, dict) and name in p)]


def yaml_project(dest: Path, n: int) -> Path:
    """The project with data scaled n times; the PDF plugin also writes its combined HTML."""
    write_project(dest, n)
    edit_config(dest, lambda c: plugin_config(c, "to-pdf").update(html_path=HTML_PATH))
    return dest


def plain_project(source: Path, dest: Path) -> Path:
    """The same site as plain Markdown: the macros' output dumped once, built without macros and the model."""
    dump = dest.parent / "dump"
    dump.mkdir(parents=True)
    shutil.copy2(Path(__file__).with_name("dump_hook.py"), source / "hooks" / "bench_dump.py")
    edit_config(source, lambda c: c["hooks"].append("hooks/bench_dump.py"))
    run([PY, "-m", "mkdocs", "build", "-d", str(dump / "site")], source, BENCH_DUMP=str(dump))
    edit_config(source, lambda c: c["hooks"].remove("hooks/bench_dump.py"))
    (source / "hooks" / "bench_dump.py").unlink()
    shutil.copytree(source, dest, ignore=shutil.ignore_patterns("site", "__pycache__"))
    shutil.rmtree(dest / "macros")
    for md in (dest / "docs").rglob("*.md"):
        rendered = dump / "docs" / md.relative_to(dest / "docs")
        if rendered.exists():
            shutil.copy2(rendered, md)
    values = json.loads((dump / "config.json").read_text(encoding="utf-8"))

    def change(config: dict[str, Any]) -> None:
        without_plugin(config, "macros")
        config["hooks"] = [h for h in config["hooks"] if "opendata" not in h]
        config["watch"] = [w for w in config.get("watch", []) if w != "macros"]
        config.update(values)

    edit_config(dest, change)
    return dest


# --- measurements ---------------------------------------------------------------------------------------


def weasyprint_alone(project: Path) -> Sample:
    """WeasyPrint alone on the combined HTML the plugin wrote (time of the rendering only)."""
    site = project / "site"
    out = project / "alone.pdf"
    sample = run([PY, "-c", WEASYPRINT_ALONE, str(site / HTML_PATH), str(site), str(out)], project)
    sample.seconds = float(sample.log.split()[-1])
    return sample


def pdf_step(sample: Sample) -> float:
    """The PDF plugin's own time, as it logs it."""
    match = PDF_TOOK.search(sample.log)
    if not match:
        raise RuntimeError("the PDF plugin did not log its time")
    return float(match[1])


def pdf_facts(pdf: Path) -> tuple[int, int]:
    """Size in bytes and page count."""
    from pypdf import PdfReader

    return pdf.stat().st_size, len(PdfReader(pdf).pages)


class _Assets(HTMLParser):
    """Collects the stylesheets and scripts a page references."""

    def __init__(self) -> None:
        super().__init__()
        self.css: list[str] = []
        self.js: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "link" and a.get("rel") == "stylesheet" and a.get("href"):
            self.css.append(a["href"] or "")
        elif tag == "script" and a.get("src"):
            self.js.append(a["src"] or "")


def gz(path: Path) -> int:
    """Bytes after gzip level 6."""
    return len(gzip.compress(path.read_bytes(), compresslevel=6))


def page_weight(site: Path) -> dict[str, int]:
    """Compressed bytes of the home page's first load, and the search index fetched after it."""
    html = site / "index.html"
    assets = _Assets()
    assets.feed(html.read_text(encoding="utf-8"))
    local = [site / u.split("?")[0] for u in assets.css + assets.js if "://" not in u]
    css = sum(gz(p) for p in local if p.suffix == ".css")
    js = sum(gz(p) for p in local if p.suffix == ".js")
    return {
        "HTML": gz(html),
        "CSS": css,
        "JS": js,
        "total": gz(html) + css + js,
        "files": 1 + len(local),
        "search index": gz(site / "search" / "search_index.json"),
    }


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def live_preview(project: Path, runs: int) -> tuple[Series, Series]:
    """Seconds from writing data/strategy.yaml to the serve log's reload, and to the new text being served."""
    port = free_port()
    proc = subprocess.Popen(
        [PY, "-m", "mkdocs", "serve", "-a", f"127.0.0.1:{port}"],
        cwd=project,
        text=True,
        env={**os.environ, "SOURCE_DATE_EPOCH": EPOCH},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    reloads: list[float] = []
    cond = threading.Condition()

    def watch() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            if "Reloading browsers" in line or "Serving on" in line:
                with cond:
                    reloads.append(time.perf_counter())
                    cond.notify_all()

    threading.Thread(target=watch, daemon=True).start()
    data = project / "data" / "strategy.yaml"
    original = data.read_text(encoding="utf-8")
    chapter = re.search(r"^chapters:\n  - id: (\S+)\n(?:    .*\n)*?    title: (.+)$", original, re.MULTILINE)
    assert chapter, "no chapter title found"
    url = f"http://127.0.0.1:{port}/{chapter[1]}/"
    logged, served = Series(), Series()
    try:
        with cond:
            assert cond.wait_for(lambda: reloads, timeout=120), "mkdocs serve did not start"
        for i in range(runs + 1):  # the first edit warms up
            time.sleep(1.5)
            marker = f"ベンチ{i}x{time.time_ns() % 10**6}"
            text = original[: chapter.end(2)] + marker + original[chapter.end(2) :]
            seen = len(reloads)

            def reloaded(seen: int = seen) -> bool:
                return len(reloads) > seen

            start = time.perf_counter()
            data.write_text(text, encoding="utf-8")
            with cond:
                assert cond.wait_for(reloaded, timeout=120), "no reload"
            while marker not in urllib.request.urlopen(url, timeout=30).read().decode():
                time.sleep(0.01)
            if i:
                logged.samples.append(Sample(reloads[seen] - start, 0))
                served.samples.append(Sample(time.perf_counter() - start, 0))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        data.write_text(original, encoding="utf-8")
    return logged, served


# --- report ---------------------------------------------------------------------------------------------


def machine() -> list[str]:
    """What the numbers were measured on."""
    cpu = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text())
    mem = re.search(r"MemTotal:\s*(\d+)", Path("/proc/meminfo").read_text())
    date = subprocess.run(["date", "-u"], capture_output=True, text=True, check=False).stdout.strip()
    versions = ", ".join(
        f"{p} {version(p)}" for p in ("mkdocs", "mkdocs-material", "weasyprint", "mkdocs-to-pdf")
    )
    return [
        f"- CPU: {cpu[1] if cpu else '?'}, {os.cpu_count()} cores, RAM {int(mem[1]) / 2**20:.1f} GiB"
        if mem
        else "- CPU: ?",
        f"- Python {platform.python_version()} ({platform.system()} {platform.release()}); {versions}",
        f"- Date: {date}; commit {git_head()}",
    ]


def git_head() -> str:
    """The commit the benchmark ran on."""
    out = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    return out.stdout.strip() or "?"


def ok(value: float, goal: float) -> str:
    """A pass mark against an upper bound."""
    return "✅" if value <= goal else "❌"


def main() -> None:
    """Run every measurement and write the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed rounds (medians are reported)")
    parser.add_argument("--quick", action="store_true", help="2 rounds, no 100× data, no 10× PDF")
    parser.add_argument("--pdf-budget", type=float, default=300, help="seconds allowed for the 100× PDF")
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("results.md"))
    args = parser.parse_args()
    runs = 2 if args.quick else args.runs
    scales = (1, 10) if args.quick else (1, 10, 100)
    tmp = Path(tempfile.mkdtemp(prefix="bench-"))
    try:
        report = measure(tmp, runs, scales, quick=args.quick, pdf_budget=args.pdf_budget)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    text = "\n".join(
        [
            "# ベンチマーク結果",
            "",
            "`.venv/bin/python bench/run.py" + (" --quick" if args.quick else f" --runs {runs}") + "`",
            "",
            *machine(),
            "",
            *report,
            "",
        ]
    )
    print(text)
    # bench/lighthouse.py writes its own section at the end of the file: keep it.
    marker = "<!-- bench/lighthouse.py"
    old = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
    if marker in old:
        text = text.rstrip("\n") + "\n\n" + old[old.index(marker) :]
    args.out.write_text(text, encoding="utf-8")


def log(message: str) -> None:
    """Progress, on stderr."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def measure(tmp: Path, runs: int, scales: tuple[int, ...], *, quick: bool, pdf_budget: float) -> list[str]:
    """The measurements, as Markdown lines."""
    log("preparing projects")
    projects = {n: yaml_project(tmp / f"x{n}", n) for n in scales}
    plain = plain_project(yaml_project(tmp / "dump-source", 1), tmp / "plain" / "project")
    pdf_scales = [n for n in scales if n <= (1 if quick else 10)]
    tasks: dict[str, Callable[[], Sample]] = {"plain 1": lambda: build(plain)}
    for n in scales:
        tasks[f"site {n}"] = lambda n=n: build(projects[n])
    for n in pdf_scales:
        tasks[f"pdf {n}"] = lambda n=n: build(projects[n], pdf=True)
        tasks[f"alone {n}"] = lambda n=n: weasyprint_alone(projects[n])
    series = {name: Series() for name in tasks}
    for round_ in range(runs + 1):  # round 0 warms up the 1× builds (caches, .pyc); its samples are dropped
        for name, task in tasks.items():
            if round_ == 0 and name.split()[-1] != "1":
                continue
            log(f"round {round_}/{runs}: {name}")
            sample = task()
            if round_:
                series[name].samples.append(sample)
    facts = {n: pdf_facts(projects[n] / "site" / PDF_PATH) for n in pdf_scales}
    weight = page_weight(projects[1] / "site")
    big_pdf: Sample | str = "not tried (--quick)"
    if 100 in scales:
        log("100× PDF (once)")
        try:
            big_pdf = run(
                ["timeout", str(pdf_budget), PY, "-m", "mkdocs", "build", "-d", str(projects[100] / "site")],
                projects[100],
                ENABLE_PDF_EXPORT="1",
            )
            facts[100] = pdf_facts(projects[100] / "site" / PDF_PATH)
        except RuntimeError:
            big_pdf = f"stopped at the {pdf_budget:.0f} s budget"
    log("live preview")
    preview = live_preview(projects[1], runs)
    return report(series, facts, weight, preview, big_pdf, scales, runs)


def row(*cells: object) -> str:
    """A Markdown table row."""
    return "| " + " | ".join(str(c) for c in cells) + " |"


def report(
    series: dict[str, Series],
    facts: dict[int, tuple[int, int]],
    weight: dict[str, int],
    preview: tuple[Series, Series],
    big_pdf: Sample | str,
    scales: tuple[int, ...],
    runs: int,
) -> list[str]:
    """The results as Markdown tables."""
    t = {name: s.median() for name, s in series.items()}
    mem = {name: s.median(lambda x: x.peak_mb) for name, s in series.items()}
    macro = t["site 1"] / t["plain 1"]
    plugin = statistics.median(pdf_step(s) for s in series["pdf 1"].samples)
    vs_alone = plugin / t["alone 1"]
    logged, served = (s.median() for s in preview)
    lines = [
        f"中央値（{runs} 回、交互に実行）。時間は秒、メモリはピーク RSS（MB）。",
        "",
        row("項目", "値", "目標", ""),
        row("---", "---:", "---:", "---"),
        row(
            f"マクロ層: YAML から / 同じ Markdown から（{t['site 1']:.2f} / {t['plain 1']:.2f} s）",
            f"{macro:.2f}×",
            "≤ 1.10×",
            ok(macro, 1.10),
        ),
        row(
            f"サイト+PDF / サイトのみ（{t['pdf 1']:.2f} / {t['site 1']:.2f} s）",
            f"{t['pdf 1'] / t['site 1']:.2f}×",
            "",
            "",
        ),
        row(
            f"PDF プラグインの工程 / WeasyPrint 単体（{plugin:.2f} / {t['alone 1']:.2f} s）",
            f"{vs_alone:.2f}×",
            "≤ 1.20×",
            ok(vs_alone, 1.20),
        ),
        row("PDF の大きさとページ数", f"{facts[1][0] / 1024:.0f} KB、{facts[1][1]} ページ", "", ""),
        row("ライブプレビュー: 保存 → ログの Reloading", f"{logged:.2f} s", "≤ 1.5 s", ok(logged, 1.5)),
        row("ライブプレビュー: 保存 → 新しい文が配信される", f"{served:.2f} s", "≤ 1.5 s", ok(served, 1.5)),
        "",
        "## 規模（合成データ、bench/synth.py）",
        "",
        "s / 倍 は時間を規模の倍数で割った値（1 倍あたり）。横ばいか下がるのが目標。",
        "",
        row("規模", "サイト s", "s / 倍", "MB", "サイト+PDF s", "s / 倍", "MB", "PDF"),
        row("---", "---:", "---:", "---:", "---:", "---:", "---:", "---"),
    ]
    for n in scales:
        if f"pdf {n}" in t:
            pdf: tuple[object, ...] = (
                f"{t[f'pdf {n}']:.1f}",
                f"{t[f'pdf {n}'] / n:.2f}",
                f"{mem[f'pdf {n}']:.0f}",
            )
        elif n == 100 and isinstance(big_pdf, Sample):
            pdf = (f"{big_pdf.seconds:.1f}（1 回）", f"{big_pdf.seconds / n:.2f}", f"{big_pdf.peak_mb:.0f}")
        else:
            pdf = (big_pdf if n == 100 else "", "", "")
        size = f"{facts[n][0] / 2**20:.1f} MB、{facts[n][1]} ページ" if n in facts else ""
        site = (f"{t[f'site {n}']:.1f}", f"{t[f'site {n}'] / n:.2f}", f"{mem[f'site {n}']:.0f}")
        lines.append(row(f"{n}×", *site, *pdf, size))
    if 100 in scales:
        lines += ["", f"100× のサイト: {t['site 100']:.1f} s（目標 60 s 未満 {ok(t['site 100'], 60)}）。"]
    lines += [
        "",
        "## ページの重さ（ホームの初回読み込み、各ファイルを gzip -6）",
        "",
        row("HTML", "CSS", "JS", "合計（ファイル数）", "検索インデックス（読み込み後に取得）"),
        row("---:", "---:", "---:", "---:", "---:"),
        row(
            *(f"{weight[k] / 1024:.1f} KB" for k in ("HTML", "CSS", "JS")),
            f"{weight['total'] / 1024:.1f} KB（{weight['files']}）",
            f"{weight['search index'] / 1024:.1f} KB",
        ),
    ]
    return lines


if __name__ == "__main__":
    main()

"""Benchmarks: what a build costs, and how it grows. Prints a table and writes bench/results.md.

    .venv/bin/python bench/run.py [--runs 5] [--quick] [--scales 1,10,30,100] [--pdf-scales 1,10]

Every build runs in a fresh `mkdocs build` process on a temporary copy of the project; the variants are run
side by side (interleaved) in each round, after an untimed warm-up of the 1× builds. Peak memory is the child's
maximum resident set size (wait4). Zensical is measured when bench/.work/zensical/bin/zensical exists (a
separate virtualenv, see bench/README.md; never committed).
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
# The children write their bytecode (.pyc), as an editor's `mkdocs build` does: with PYTHONDONTWRITEBYTECODE set
# (some shells and CI set it), every build compiled the project's own modules again (about 0.12 s for macros/ and
# hooks/, against 0.02 s for the plain-Markdown baseline, which has fewer), and the warm-up warmed nothing.
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
HTML_PATH = "pdf/combined.html"
PDF_CONFIG = "mkdocs-pdf.yml"  # mkdocs.yml plus the PDF plugin and hooks/pdf.py
# The PDF build is measured as scripts/build runs it: macros/pdf_render.py imports WeasyPrint, forks the renderer
# and runs `mkdocs build` (the plugin finds WeasyPrint imported). `python -m mkdocs build -f mkdocs-pdf.yml` makes
# the same PDF with a fresh renderer process that imports WeasyPrint a second time (about 0.6 CPU s more).
PDF_BUILD = ["-P", "macros/pdf_render.py"]
ZENSICAL = Path(__file__).resolve().parent / ".work" / "zensical" / "bin" / "zensical"
PDF_PATH = "pdf/strategy.pdf"
ZENSICAL_EXCLUDE = ("{ #home-goals }", "{ #home-goals data-search-exclude }")  # see zensical_project
PDF_TOOK = re.compile(r"Converting \d+ articles to PDF took ([\d.]+)s")
PDF_CHILD = re.compile(
    r"PDF: WeasyPrint laid out \d+ pages in ([\d.]+)s \(separate process, peak ([\d.]+) MB; "
    r"MkDocs' process ([\d.]+) MB[;)]"
)
# The plugin's own call on the same HTML (hooks/pdf.py's RENDERER: no base URL, the same options), timed.
WEASYPRINT_ALONE = """
import sys, time
start = time.perf_counter()
import weasyprint
weasyprint.DEFAULT_OPTIONS.update(pdf_variant="pdf/ua-1", pdf_identifier=True)
html = open(sys.argv[1], encoding="utf-8").read()
rendering = time.perf_counter()
weasyprint.HTML(string=html).render().write_pdf(sys.argv[3])
end = time.perf_counter()
print(end - rendering, end - start)
"""  # the rendering's time, and the process's (Python's start and the import too)


@dataclass
class Sample:
    """One timed child process."""

    seconds: float
    peak_mb: float
    log: str = ""
    pages: int = 0
    cpu: float = 0.0  # user + system seconds of the process (and of the children it waited for)
    process_seconds: float = 0.0  # WeasyPrint alone: the whole process, not only the rendering


@dataclass
class Series:
    """Repeated samples of one measurement."""

    samples: list[Sample] = field(default_factory=list)

    def median(self, key: Callable[[Sample], float] = lambda s: s.seconds) -> float:
        """Median of one value over the samples."""
        return statistics.median(key(s) for s in self.samples)


def run(cmd: list[str] | tuple[str, ...], cwd: Path, **env: str) -> Sample:
    """Run a child process to completion; its wall time, CPU time and peak RSS.

    The peak comes from GNU time, whose child starts small: a process forked from this one (large after
    making the 100× data) would carry this process's peak into its own `ru_maxrss`, exec or not."""
    start = time.perf_counter()
    with tempfile.NamedTemporaryFile("r", suffix=".maxrss") as maxrss:
        proc = subprocess.Popen(
            ["/usr/bin/time", "-f", "%M", "-o", maxrss.name, *cmd],
            cwd=cwd,
            env={**CHILD_ENV, "SOURCE_DATE_EPOCH": EPOCH, **env},
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
        peak_kb = int(maxrss.read().split()[-1])
    return Sample(seconds, peak_kb / 1024, log, cpu=usage.ru_utime + usage.ru_stime)


def pages_of(site: Path) -> int:
    """The number of HTML pages a build wrote (not the 404 page; the sitemap is empty without a site_url)."""
    return len([p for p in site.rglob("*.html") if p.name != "404.html"])


def build(
    project: Path, *, pdf: bool = False, timeout: float | None = None, processes: int | None = None
) -> Sample:
    """`mkdocs build` of a project into its site/ (strict, as configured): the site alone, or with the PDF as
    scripts/build makes it (`mkdocs build` started by macros/pdf_render.py, which forks WeasyPrint's process
    first: see PDF_BUILD). `processes`: hooks/parallel.py's STRATEGY_BUILD_PROCESSES (default: its own choice,
    one process per core for 120 pages or more)."""
    shutil.rmtree(project / "site", ignore_errors=True)
    cmd = [PY, *(PDF_BUILD if pdf else ["-m", "mkdocs"]), "build", "-d", str(project / "site")]
    if pdf:
        cmd += ["-f", PDF_CONFIG]
    if timeout:
        cmd = ["timeout", str(timeout), *cmd]
    sample = run(cmd, project, **({"STRATEGY_BUILD_PROCESSES": str(processes)} if processes else {}))
    sample.pages = pages_of(project / "site")
    return sample


def zensical(project: Path) -> Sample:
    """`zensical build` of a plain-Markdown project (its own virtualenv, its own site/)."""
    shutil.rmtree(project / "site", ignore_errors=True)
    sample = run([str(ZENSICAL), "build", "--clean"], project)
    sample.pages = pages_of(project / "site")
    return sample


# --- projects -------------------------------------------------------------------------------------------


def edit_config(project: Path, change: Callable[[dict[str, Any]], None], name: str = "mkdocs.yml") -> None:
    """Rewrite a project's config file (environment tags and INHERIT resolved) after `change`."""
    from mkdocs.utils.yaml import yaml_load

    path = project / name
    with path.open(encoding="utf-8") as f:
        config = yaml_load(f)
    change(config)
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")


def plugin_config(config: dict[str, Any], name: str) -> dict[str, Any]:
    """The options of a plugin (`plugins` as a mapping, as mkdocs.yml has it, or as a list)."""
    plugins = config["plugins"]
    if isinstance(plugins, dict):
        return plugins[name]
    return next(p[name] for p in plugins if isinstance(p, dict) and name in p)


def without_plugin(config: dict[str, Any], name: str) -> None:
    """Drop a plugin from `plugins`."""
    plugins = config["plugins"]
    if isinstance(plugins, dict):
        plugins.pop(name, None)
    else:
        config["plugins"] = [p for p in plugins if not (p == name or isinstance(p, dict) and name in p)]


def yaml_project(dest: Path, n: int) -> Path:
    """The project with data scaled n times; the PDF plugin also writes its combined HTML."""
    write_project(dest, n)
    edit_config(dest, lambda c: plugin_config(c, "to-pdf").update(html_path=HTML_PATH), PDF_CONFIG)
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
    shutil.copytree(source, dest, ignore=shutil.ignore_patterns("site", "__pycache__", PDF_CONFIG))
    # Every page as the macros rendered it, the generated ones (document pages, editions) included, as files.
    for rendered in (dump / "docs").rglob("*.md"):
        md = dest / "docs" / rendered.relative_to(dump / "docs")
        md.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(rendered, md)
    values = json.loads((dump / "config.json").read_text(encoding="utf-8"))
    # The hooks that read the model (pages and files made from the data) go with the plugin. macros/ stays as a
    # library, since hooks/citizen.py's ふりがな and dates are the site's own work in both builds, but without the
    # adapter (macros/__init__.py, which imports the model, the renderer and the editions): importing
    # macros.furigana would run it, and the baseline would pay for the model it does not use.
    adapter = dest / "macros" / "__init__.py"
    constants = re.findall(
        r"^[A-Z_]+ = .*$", adapter.read_text(encoding="utf-8"), re.MULTILINE
    )  # PREVIEW_ENV
    adapter.write_text(
        "\n".join(['"""Plain-Markdown baseline: no adapter."""', *constants, ""]), encoding="utf-8"
    )
    from_model = ("opendata", "editions", "document_pages")

    def change(config: dict[str, Any]) -> None:
        without_plugin(config, "macros")
        config["hooks"] = [h for h in config["hooks"] if not any(m in h for m in from_model)]
        config["watch"] = [w for w in config.get("watch", []) if w != "macros"]
        config.update(values)

    edit_config(dest, change)
    return dest


ZENSICAL_TOO_LONG = re.compile(r"Search field '[^']*' at '([^'#]*)#([^']+)' exceeds the search index limit")
ZENSICAL_EXCLUDED: dict[
    Path, list[str]
] = {}  # project -> anchors left out of its index (see zensical_project)


def zensical_project(plain: Path, dest: Path) -> Path:
    """The plain-Markdown project for Zensical, which runs no MkDocs hooks: our copyright partial's page look-up
    (hooks/theme.py's `page_of`) becomes the page it finds.

    Zensical refuses a search field over 128 KB. The home page's section of all goals passes that at 100×; its
    section is left out of Zensical's index at every scale (Zensical's documented `data-search-exclude`). Other
    sections that pass it at a scale (the overview of all solutions at 100×) are found by building once and reading
    Zensical's error, and left out the same way, at that scale only; the report names them. This site indexes
    them all, so the comparison favours Zensical a little."""
    shutil.copytree(plain, dest, ignore=shutil.ignore_patterns("site", "__pycache__"))
    partial = dest / "docs" / "overrides" / "partials" / "copyright.html"
    text = partial.read_text(encoding="utf-8")
    call = 'page_of("about/revisions.md")'
    assert call in text, f"{partial}: no {call}"
    partial.write_text(text.replace(call, '{"url": "about/revisions/"}'), encoding="utf-8")
    home = dest / "docs" / "index.md"
    text = home.read_text(encoding="utf-8")
    assert ZENSICAL_EXCLUDE[0] in text, f"{home}: no {ZENSICAL_EXCLUDE[0]}"
    home.write_text(text.replace(*ZENSICAL_EXCLUDE), encoding="utf-8")
    excluded = ZENSICAL_EXCLUDED.setdefault(dest, ["index.md#home-goals"])
    if ZENSICAL.exists():
        for _ in range(50):
            try:
                zensical(dest)
                break
            except RuntimeError as exc:
                found = ZENSICAL_TOO_LONG.search(str(exc))
                if not found:
                    raise
                marked = _exclude_from_search(dest / "docs", found[1], found[2])
                if marked in excluded:
                    raise RuntimeError(
                        f"Zensical: {marked} is left out of its index and still too long"
                    ) from exc
                excluded.append(marked)
        else:
            raise RuntimeError(f"Zensical: still too long after leaving out {len(excluded)} sections")
    return dest


def _exclude_from_search(docs: Path, page: str, anchor: str) -> str:
    """Mark the heading `anchor` of the page at URL `page` with `data-search-exclude` (an HTML heading's id or
    a Markdown heading's attribute list, `{#anchor}` or `{ #anchor … }`); its source file and anchor."""
    stem = page.strip("/")
    patterns = (
        re.compile(rf'(id="{re.escape(anchor)}")'),
        re.compile(rf"(\{{\s*#{re.escape(anchor)})(?=[\s}}])"),
    )
    for md in (docs / f"{stem}.md", docs / stem / "index.md") if stem else (docs / "index.md",):
        if not md.exists():
            continue
        text = md.read_text(encoding="utf-8")
        for pattern in patterns:
            marked, n = pattern.subn(r"\1 data-search-exclude", text, count=1)
            if n:
                md.write_text(marked, encoding="utf-8")
                return f"{md.relative_to(docs)}#{anchor}"
    raise RuntimeError(f"Zensical: no heading #{anchor} for {page} in {docs}")


# --- measurements ---------------------------------------------------------------------------------------


BUILDING_DIR = re.compile(r"file://[^\"')]*?\.building-\d+-[0-9a-f]+/")  # hooks/site_output.py's build dir


def weasyprint_alone(project: Path) -> Sample:
    """WeasyPrint alone on the combined HTML the plugin wrote (time of the rendering only; peak RSS of the
    whole process). The HTML links the stylesheets where the build wrote them, in hooks/site_output.py's build
    directory, which became site/: the links are pointed there, and the PDF must have the build's page count."""
    site = project / "site"
    html = (site / HTML_PATH).read_text(encoding="utf-8")
    linked = BUILDING_DIR.sub(lambda m: f"file://{site}/", html)
    assert linked != html, "the combined HTML links no stylesheet of the build"
    source = project / "alone.html"
    source.write_text(linked, encoding="utf-8")
    out = project / "alone.pdf"
    sample = run([PY, "-c", WEASYPRINT_ALONE, str(source), str(site), str(out)], project)
    sample.seconds, sample.process_seconds = (float(x) for x in sample.log.split()[-2:])
    built, alone = pdf_facts(site / PDF_PATH)[1], pdf_facts(out)[1]
    if built != alone:
        raise RuntimeError(f"WeasyPrint alone made {alone} pages, the build {built}: not the same document")
    return sample


def pdf_step(sample: Sample) -> float:
    """The PDF plugin's own time, as it logs it."""
    match = PDF_TOOK.search(sample.log)
    if not match:
        raise RuntimeError("the PDF plugin did not log its time")
    return float(match[1])


def pdf_child(sample: Sample) -> tuple[float, float, float]:
    """The renderer process of hooks/pdf.py: its wall seconds and its own peak RSS (MB), and the peak RSS of
    the MkDocs process that started it, as hooks/pdf.py logs them."""
    match = PDF_CHILD.search(sample.log)
    if not match:
        raise RuntimeError("hooks/pdf.py did not log its renderer process")
    return float(match[1]), float(match[2]), float(match[3])


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
        env={**CHILD_ENV, "SOURCE_DATE_EPOCH": EPOCH},
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


def machine(commit: str) -> list[str]:
    """What the numbers were measured on (`commit`: the code the projects were copied from)."""
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
        f"- Date: {date}; commit {commit} (the code copied when the run began)",
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
    parser.add_argument("--quick", action="store_true", help="2 rounds, 1× and 10× only, 1× PDF only")
    parser.add_argument("--scales", default="1,10,30,100", help="data scales of the site builds")
    parser.add_argument(
        "--pdf-scales", default="1,10", help="data scales of the PDF builds (each ≤ a site scale)"
    )
    parser.add_argument("--timeout", type=float, default=600, help="seconds allowed for any one build")
    parser.add_argument("--no-zensical", action="store_true", help="skip Zensical even if it is installed")
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("results.md"))
    parser.add_argument(
        "--append", action="store_true", help="add this report to --out instead of replacing it"
    )
    args = parser.parse_args()
    runs = 2 if args.quick else args.runs
    scales = (1, 10) if args.quick else tuple(int(n) for n in args.scales.split(","))
    pdf_scales = (1,) if args.quick else tuple(int(n) for n in args.pdf_scales.split(","))
    with_zensical = ZENSICAL.exists() and not args.no_zensical
    command = " ".join(["bench/run.py", *sys.argv[1:]])
    commit = git_head()  # before the projects are copied: later commits are not what was measured
    tmp = Path(tempfile.mkdtemp(prefix="bench-"))
    try:
        report = measure(tmp, runs, scales, pdf_scales, zensical_too=with_zensical, timeout=args.timeout)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    title = ["# ベンチマーク結果", ""] if not args.append else ["", "---", ""]
    text = "\n".join([*title, f"`.venv/bin/python {command}`", "", *machine(commit), "", *report, ""])
    print(text)
    if args.append:
        with args.out.open("a", encoding="utf-8") as out:
            out.write(text)
    else:
        # bench/lighthouse.py writes its own section at the end of the file: keep it.
        marker = "<!-- bench/lighthouse.py"
        old = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
        if marker in old:
            text = text.rstrip("\n") + "\n\n" + old[old.index(marker) :]
        args.out.write_text(text, encoding="utf-8")


def log(message: str) -> None:
    """Progress, on stderr."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def measure(
    tmp: Path,
    runs: int,
    scales: tuple[int, ...],
    pdf_scales: tuple[int, ...],
    *,
    zensical_too: bool,
    timeout: float,
) -> list[str]:
    """The measurements, as Markdown lines."""
    log("preparing projects")
    projects = {n: yaml_project(tmp / f"x{n}", n) for n in scales}
    plain_scales = scales if zensical_too else (1,)
    plain = {
        n: plain_project(yaml_project(tmp / f"dump-source{n}", n), tmp / f"plain{n}" / "project")
        for n in plain_scales
    }
    zensical_projects = {n: zensical_project(plain[n], tmp / f"zensical{n}") for n in plain if zensical_too}
    tasks: dict[str, Callable[[], Sample]] = {"plain 1": lambda: build(plain[1], timeout=timeout)}
    for n in scales:
        tasks[f"site {n}"] = lambda n=n: build(projects[n], timeout=timeout)
        if zensical_too:
            tasks[f"zensical {n}"] = lambda n=n: zensical(zensical_projects[n])
    top = max(scales)
    if top >= 10:  # the largest site in one process too (hooks/parallel.py shares the pages between cores)
        tasks[f"one {top}"] = lambda: build(projects[top], timeout=timeout, processes=1)
    for n in pdf_scales:
        tasks[f"pdf {n}"] = lambda n=n: build(projects[n], pdf=True, timeout=timeout)
        tasks[f"alone {n}"] = lambda n=n: weasyprint_alone(projects[n])
    series = {name: Series() for name in tasks}
    failed: dict[str, str] = {}
    for round_ in range(runs + 1):  # round 0 warms up the 1× builds (caches, .pyc); its samples are dropped
        for name, task in tasks.items():
            if name in failed or round_ == 0 and name.split()[-1] != "1":
                continue
            log(f"round {round_}/{runs}: {name}")
            try:
                sample = task()
            except RuntimeError as exc:  # e.g. Zensical refusing the 100× search index
                failed[name] = str(exc).strip().splitlines()[-1][:200]
                log(f"{name} failed: {failed[name]}")
                continue
            if round_:
                series[name].samples.append(sample)
    facts = {n: pdf_facts(projects[n] / "site" / PDF_PATH) for n in pdf_scales}
    weight = page_weight(projects[1] / "site")
    log("live preview")
    preview = live_preview(projects[1], runs)
    excluded = {n: ZENSICAL_EXCLUDED.get(project, []) for n, project in zensical_projects.items()}
    return report(
        series, failed, facts, weight, preview, scales, pdf_scales, runs, zensical_excluded=excluded
    )


def row(*cells: object) -> str:
    """A Markdown table row."""
    return "| " + " | ".join(str(c) for c in cells) + " |"


def report(
    series: dict[str, Series],
    failed: dict[str, str],
    facts: dict[int, tuple[int, int]],
    weight: dict[str, int],
    preview: tuple[Series, Series],
    scales: tuple[int, ...],
    pdf_scales: tuple[int, ...],
    runs: int,
    *,
    zensical_excluded: dict[int, list[str]] | None = None,
) -> list[str]:
    """The results as Markdown tables."""
    zensical_excluded = zensical_excluded or {}
    done = {name: s for name, s in series.items() if s.samples}
    t = {name: s.median() for name, s in done.items()}
    cpu = {name: s.median(lambda x: x.cpu) for name, s in done.items()}
    mem = {name: s.median(lambda x: x.peak_mb) for name, s in done.items()}
    pages = {name: s.samples[-1].pages for name, s in done.items()}
    macro = t["site 1"] / t["plain 1"]
    logged, served = (s.median() for s in preview)
    lines = [
        f"中央値（{runs} 回、交互に実行）。時間は秒（壁時計）、CPU はプロセスの user+sys 秒、メモリはピーク RSS（MB）。",
        "共有マシンでは壁時計が他の負荷で揺れるので、CPU 時間の比も示します。",
        "",
        row("項目", "値", "目標", ""),
        row("---", "---:", "---:", "---"),
        row(
            f"マクロ層: YAML から / 同じ Markdown から、どちらも PDF なし（{t['site 1']:.2f} / {t['plain 1']:.2f} s）",
            f"{macro:.2f}×",
            "≤ 1.10×",
            ok(macro, 1.10),
        ),
        row(
            f"マクロ層、CPU 時間（{cpu['site 1']:.2f} / {cpu['plain 1']:.2f} s）",
            f"{cpu['site 1'] / cpu['plain 1']:.2f}×",
            "≤ 1.10×",
            ok(cpu["site 1"] / cpu["plain 1"], 1.10),
        ),
    ]
    for n in pdf_scales:
        step = statistics.median(pdf_step(s) for s in series[f"pdf {n}"].samples)
        child_s = statistics.median(pdf_child(s)[0] for s in series[f"pdf {n}"].samples)
        child_mb = statistics.median(pdf_child(s)[1] for s in series[f"pdf {n}"].samples)
        parent_mb = statistics.median(pdf_child(s)[2] for s in series[f"pdf {n}"].samples)
        alone_process = series[f"alone {n}"].median(lambda x: x.process_seconds)
        extra = t[f"pdf {n}"] - t[f"site {n}"]
        lines += [
            row(
                f"{n}× PDF の工程 / WeasyPrint 単体のレンダリング（{step:.2f} / {t[f'alone {n}']:.2f} s）",
                f"{step / t[f'alone {n}']:.2f}×",
                "≤ 1.10×",
                ok(step / t[f"alone {n}"], 1.10),
            ),
            row(
                f"{n}× PDF の工程 / WeasyPrint 単体のプロセス全体（{step:.2f} / {alone_process:.2f} s）",
                f"{step / alone_process:.2f}×",
                "",
                "",
            ),
            row(
                f"{n}× PDF のレンダリング用プロセス / WeasyPrint 単体のプロセス（{child_s:.2f} / {alone_process:.2f} s）",
                f"{child_s / alone_process:.2f}×",
                "",
                "",
            ),
            row(
                f"{n}× ピークメモリ: PDF のレンダリング用プロセス / WeasyPrint 単体（{child_mb:.0f} / {mem[f'alone {n}']:.0f} MB）",
                f"{child_mb / mem[f'alone {n}']:.2f}×",
                "≤ 1.15×",
                ok(child_mb / mem[f"alone {n}"], 1.15),
            ),
            row(
                f"{n}× サイト+PDF − サイトのみ / WeasyPrint 単体（{extra:.2f} / {t[f'alone {n}']:.2f} s）",
                f"{extra / t[f'alone {n}']:.2f}×",
                "",
                "",
            ),
            row(
                f"{n}× CPU 時間: サイト+PDF − サイトのみ / WeasyPrint 単体のプロセス"
                f"（{cpu[f'pdf {n}'] - cpu[f'site {n}']:.2f} / {cpu[f'alone {n}']:.2f} s）",
                f"{(cpu[f'pdf {n}'] - cpu[f'site {n}']) / cpu[f'alone {n}']:.2f}×",
                "≤ 1.10×",
                ok((cpu[f"pdf {n}"] - cpu[f"site {n}"]) / cpu[f"alone {n}"], 1.10),
            ),
            row(
                f"{n}× ピークメモリ: PDF を作る MkDocs のプロセス自身 / サイトのみのビルド"
                f"（{parent_mb:.0f} / {mem[f'site {n}']:.0f} MB）",
                f"{parent_mb / mem[f'site {n}']:.2f}×",
                "",
                "",
            ),
        ]
    if "site 100" in t and "site 10" in t:
        lines += [
            row(
                f"100× サイト / 10× サイト（{t['site 100']:.1f} / {t['site 10']:.1f} s）",
                f"{t['site 100'] / t['site 10']:.1f}",
                "≤ 12",
                ok(t["site 100"] / t["site 10"], 12),
            ),
            row(
                f"100× / 10×、CPU 時間（{cpu['site 100']:.1f} / {cpu['site 10']:.1f} s）",
                f"{cpu['site 100'] / cpu['site 10']:.1f}",
                "≤ 12",
                ok(cpu["site 100"] / cpu["site 10"], 12),
            ),
        ]
    if "site 100" in t and "zensical 100" in t:
        lines.append(
            row(
                f"100× このサイト / Zensical（{t['site 100']:.1f} / {t['zensical 100']:.1f} s、"
                f"CPU {cpu['site 100']:.1f} / {cpu['zensical 100']:.1f} s）",
                f"{t['site 100'] / t['zensical 100']:.2f}×",
                "< 1×",
                "✅" if t["site 100"] < t["zensical 100"] else "❌",
            )
        )
    lines += [
        *(
            row(f"{n}× PDF の大きさとページ数", f"{facts[n][0] / 1024:.0f} KB、{facts[n][1]} ページ", "", "")
            for n in facts
        ),
        row("ライブプレビュー: 保存 → ログの Reloading", f"{logged:.2f} s", "≤ 1.0 s", ok(logged, 1.0)),
        row("ライブプレビュー: 保存 → 新しい文が配信される", f"{served:.2f} s", "≤ 1.0 s", ok(served, 1.0)),
        "",
        "## 規模（合成データ、bench/synth.py）",
        "",
        "ms / ページ は時間をページ数で割った値。横ばいか下がるのが目標（固定費の分だけ小さい規模で高く出ます）。",
        "",
        row(
            "規模", "ページ", "サイト s", "ms / ページ", "CPU ms / ページ", "MB", "サイト+PDF s", "MB", "PDF"
        ),
        row("---", "---:", "---:", "---:", "---:", "---:", "---:", "---:", "---"),
    ]
    for n in scales:
        name = f"site {n}"
        if name not in t:
            lines.append(row(f"{n}×", "", failed.get(name, "—"), "", "", "", "", "", ""))
            continue
        pdf = (f"{t[f'pdf {n}']:.1f}", f"{mem[f'pdf {n}']:.0f}") if f"pdf {n}" in t else ("", "")
        size = f"{facts[n][0] / 2**20:.1f} MB、{facts[n][1]} ページ" if n in facts else ""
        per_page, cpu_per_page = t[name] / pages[name] * 1000, cpu[name] / pages[name] * 1000
        times = (f"{t[name]:.1f}", f"{per_page:.0f}", f"{cpu_per_page:.0f}")
        lines.append(row(f"{n}×", pages[name], *times, f"{mem[name]:.0f}", *pdf, size))
    zensical_rows = [n for n in scales if f"zensical {n}" in series]
    if zensical_rows:
        lines += [
            "",
            "## Zensical（同じ素の Markdown、bench/.work の別の仮想環境）",
            "",
            (
                "Zensical は複数のスレッドを使えますが、この比較では CPU 時間は壁時計とほぼ同じでした。"
                "このサイトは 120 ページ以上のとき、ページの読み込みと書き出しをコアの数"
                f"（この機械では {len(os.sched_getaffinity(0))}、最大 4）のプロセスで"
                "分けます（hooks/parallel.py）。そのため CPU 時間は壁時計より長くなります。いちばん大きな規模では、"
                "1 つのプロセスでのビルド（`STRATEGY_BUILD_PROCESSES=1`）も測り、表の最後の列に示します。"
            ),
            (
                "Zensical の入力では、ホームの「戦略目標案」の節（`#home-goals`）を検索の索引から外しています"
                "（100× でこの節の本文が Zensical の上限 128 KB を超え、Zensical が止まるため。どの規模でも同じ扱い）。"
                "ほかに上限を超える節があれば（100× の「解決方法案」の一覧など）、その規模でだけ同じように外します"
                "（下の表の「外した節」）。このサイトはどれも索引に入れるので、比較は Zensical に有利です"
                "（100 倍では、いちばん大きな節を 7 つ外しています）。"
                "目標: 100× でこのサイトが速いこと。"
            ),
            "",
            row(
                "規模",
                "Zensical s",
                "CPU s",
                "MB",
                "このサイト s",
                "CPU s",
                "このサイト / Zensical",
                "外した節",
                "1 プロセス s（CPU s）",
            ),
            row("---", "---:", "---:", "---:", "---:", "---:", "---:", "---", "---:"),
        ]
        for n in zensical_rows:
            name = f"zensical {n}"
            if name in t:
                ratio = f"{t[f'site {n}'] / t[name]:.2f}×" if f"site {n}" in t else ""
                site = (f"{t[f'site {n}']:.1f}", f"{cpu[f'site {n}']:.1f}") if f"site {n}" in t else ("", "")
                lines.append(
                    row(
                        f"{n}×",
                        f"{t[name]:.1f}",
                        f"{cpu[name]:.1f}",
                        f"{mem[name]:.0f}",
                        *site,
                        ratio,
                        "、".join(f"`{a}`" for a in zensical_excluded.get(n, [])),
                        f"{t[f'one {n}']:.1f}（{cpu[f'one {n}']:.1f}）" if f"one {n}" in t else "",
                    )
                )
            else:
                lines.append(row(f"{n}×", f"失敗: {failed.get(name, '?')}", "", "", "", "", "", "", ""))
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

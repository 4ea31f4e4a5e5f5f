"""Lighthouse and the W3C validator on every page: builds the site (with the PDF, as published), serves it with
gzip on 127.0.0.1 as GitHub Pages does, runs Lighthouse at desktop and mobile, validates the HTML, and writes the
scores in bench/results.md (its own section, kept when bench/run.py rewrites the file).

    .venv/bin/python bench/lighthouse.py            # every page, desktop and mobile
    .venv/bin/python bench/lighthouse.py --pages "" iwate/ --no-validate --runs 3

Lighthouse is a bench tool, never run by the tests: `npm ci` in bench/ installs the version of
bench/package-lock.json (done here when bench/node_modules is missing). Debian's Chromium is used
(CHROME_PATH=/usr/bin/chromium). The validator is the Nu HTML Checker, vnu.jar from the npm package vnu-jar (pinned
in the same lock, installed by the same `npm ci`); it runs offline and needs Java (Debian: default-jre-headless).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import functools
import gzip
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
WORK = BENCH / ".work"
RESULTS = BENCH / "results.md"
MARKER = "<!-- bench/lighthouse.py: this section is written by bench/lighthouse.py -->"
CHROME = "/usr/bin/chromium"
CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
RUNS = {"desktop": 1, "mobile": 1}
LOAD: list[tuple[float, float, float]] = []  # the machine's load average at the start and the end
GZIP_TYPES = ("text/", "application/javascript", "application/json", "image/svg+xml", "application/xml")


class GzipHandler(SimpleHTTPRequestHandler):
    """Static files, gzip-compressed when the client accepts it (as GitHub Pages serves text)."""

    def log_message(self, *args: object) -> None:
        pass

    def send_head(self):
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            if not self.path.split("?")[0].endswith("/"):
                return super().send_head()
            path = path / "index.html"
        ctype = self.guess_type(str(path))
        if (
            not path.is_file()
            or "gzip" not in self.headers.get("Accept-Encoding", "")
            or not ctype.startswith(GZIP_TYPES)
        ):
            return super().send_head()
        body = gzip.compress(path.read_bytes(), 6, mtime=0)
        self.send_response(200)
        self.send_header("Content-Type", ctype + ("; charset=utf-8" if ctype.startswith("text/") else ""))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "max-age=600")  # what GitHub Pages sends
        self.end_headers()
        import io

        return io.BytesIO(body)


@contextlib.contextmanager
def serve(directory: Path) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(GzipHandler, directory=str(directory)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()


def log(message: str) -> None:
    print(f"[lighthouse] {message}", file=sys.stderr, flush=True)


def build(site: Path) -> None:
    """`mkdocs build --strict` with the PDF, as scripts/build does."""
    epoch = subprocess.run(
        ["git", "log", "-1", "--format=%ct"], cwd=ROOT, capture_output=True, text=True, check=False
    ).stdout.strip()
    env = {**os.environ, "SOURCE_DATE_EPOCH": epoch or "1669852800"}
    subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "-f",
            "mkdocs-pdf.yml",
            "--strict",
            "--quiet",
            "--site-dir",
            str(site),
        ],
        cwd=ROOT,
        env=env,
        check=True,
    )


def lighthouse_cli() -> Path:
    """The Lighthouse of bench/package-lock.json, installed with `npm ci` when missing."""
    cli = BENCH / "node_modules" / "lighthouse" / "cli" / "index.js"
    if not cli.exists():
        log("npm ci (bench/package-lock.json)")
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts"], cwd=BENCH, check=True)
    return cli


def lighthouse_version() -> str:
    lock = json.loads((BENCH / "package-lock.json").read_text(encoding="utf-8"))
    return lock["packages"]["node_modules/lighthouse"]["version"]


def run_lighthouse(cli: Path, url: str, form: str, out: Path) -> dict:
    """One Lighthouse run; the scores (0-100) and the failed audits of the four categories."""
    cmd = [
        "node",
        str(cli),
        url,
        "--quiet",
        "--output=json",
        f"--output-path={out}",
        "--only-categories=" + ",".join(CATEGORIES),
        "--chrome-flags=--headless=new --no-sandbox --disable-gpu",
    ]
    if form == "desktop":
        cmd.append("--preset=desktop")
    subprocess.run(cmd, check=True, env={**os.environ, "CHROME_PATH": CHROME}, timeout=300)
    report = json.loads(out.read_text(encoding="utf-8"))
    scores = {c: round((report["categories"][c]["score"] or 0) * 100) for c in CATEGORIES}
    failed = []
    for c in CATEGORIES:
        if c == "performance":
            continue
        for ref in report["categories"][c]["auditRefs"]:
            audit = report["audits"][ref["id"]]
            if ref["weight"] and audit["score"] is not None and audit["score"] < 1:
                failed.append(f"{c}:{ref['id']}")
    metrics = report["audits"]
    scores["lcp"] = metrics["largest-contentful-paint"]["numericValue"] / 1000
    scores["cls"] = metrics["cumulative-layout-shift"]["numericValue"]
    scores["tbt"] = metrics["total-blocking-time"]["numericValue"]
    scores["failed"] = failed
    return scores


def vnu_jar() -> Path:
    """vnu.jar of bench/package-lock.json (npm package vnu-jar), installed with Lighthouse; Java must be there."""
    lighthouse_cli()  # npm ci when bench/node_modules is missing
    jar = BENCH / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
    if not jar.exists():
        log("npm ci (bench/package-lock.json: vnu-jar)")
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts"], cwd=BENCH, check=True)
    if shutil.which("java") is None:
        sys.exit(
            "bench/lighthouse.py: the HTML validator (vnu.jar) needs Java: "
            "apt-get install default-jre-headless, or run with --no-validate"
        )
    return jar


def validate(site: Path, pages: list[str]) -> tuple[int, int, list[str]]:
    """The Nu HTML Checker on every page (and the 404 page): errors, warnings, the first messages."""
    files = [str(site / p / "index.html") for p in pages] + [str(site / "404.html")]
    proc = subprocess.run(
        ["java", "-jar", str(vnu_jar()), "--format", "json", *files],
        capture_output=True,
        text=True,
        check=False,
    )
    messages = json.loads(proc.stderr or '{"messages": []}')["messages"]
    errors = [m for m in messages if m.get("type") == "error"]
    warnings = [m for m in messages if m.get("subType") == "warning"]
    lines = [
        f"{m['url'].split('/site/', 1)[-1]}:{m.get('lastLine', '?')}: {m['message']}"
        for m in errors + warnings
    ]
    return len(errors), len(warnings), lines


def pages_of(site: Path) -> list[str]:
    pages = sorted(p.parent.relative_to(site).as_posix() for p in site.rglob("index.html"))
    return ["" if p == "." else f"{p}/" for p in pages]


def report(rows: list[tuple[str, str, dict]], validation: tuple[int, int, list[str]] | None) -> list[str]:
    machine = f"{platform.machine()}, {os.cpu_count()} コア, Chromium {chromium_version()}, Lighthouse {lighthouse_version()}"
    lines = [
        MARKER,
        "## Lighthouse と HTML の検証（bench/lighthouse.py）",
        "",
        (
            f"{datetime.date.today().isoformat()}、{machine}。サイトと PDF を作り、127.0.0.1 で gzip 付きで配信して"
            "（GitHub Pages と同じく HTML・CSS・JS・JSON・SVG を gzip）、全ページを Lighthouse のデスクトップ"
            "（`--preset=desktop`）とモバイル（既定: Moto G Power 相当、低速 4G と CPU 4 倍遅延の模擬）で測りました。"
            "目標: アクセシビリティ・おすすめの方法・SEO はすべて 100、パフォーマンスはモバイル 95 以上。"
            f"各ページをモバイルで {RUNS['mobile']} 回、デスクトップで {RUNS['desktop']} 回測り、性能が中央値の回を示します"
            "（Lighthouse の勧め）。"
            + (
                f"測定中のマシンの負荷（ロードアベレージ 1 分）: 始め {LOAD[0][0]:.1f}、終わり {LOAD[-1][0]:.1f}"
                f"（{os.cpu_count()} コアを他の作業と共有）。"
                if LOAD
                else ""
            )
        ),
        "",
        "| ページ | 形 | 性能 | アクセシビリティ | おすすめの方法 | SEO | LCP 秒 | CLS | TBT ミリ秒 | 満たさない項目 |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for page, form, s in rows:
        lines.append(
            f"| /{page} | {'デスクトップ' if form == 'desktop' else 'モバイル'} | {s['performance']} | "
            f"{s['accessibility']} | {s['best-practices']} | {s['seo']} | {s['lcp']:.2f} | {s['cls']:.3f} | "
            f"{s['tbt']:.0f} | {', '.join(s['failed']) or '—'} |"
        )
    for form in ("desktop", "mobile"):
        of = [s for _, f, s in rows if f == form]
        if of:
            lows = {c: min(s[c] for s in of) for c in CATEGORIES}
            lines.append("")
            lines.append(
                f"{'デスクトップ' if form == 'desktop' else 'モバイル'}の最低値: "
                + "、".join(f"{c} {v}" for c, v in lows.items())
            )
    if validation is not None:
        errors, warnings, messages = validation
        lines += [
            "",
            (
                f"Nu HTML Checker（vnu.jar {vnu_version()}）: 全ページと 404 ページで "
                f"エラー {errors} 件、警告 {warnings} 件。"
            ),
        ]
        lines += [f"- {m}" for m in messages[:30]]
    return [*lines, ""]


def chromium_version() -> str:
    out = subprocess.run([CHROME, "--version"], capture_output=True, text=True, check=False).stdout
    return (re.search(r"[\d.]+", out) or re.search("", "")).group(0)


def vnu_version() -> str:
    lock = json.loads((BENCH / "package-lock.json").read_text(encoding="utf-8"))
    return lock["packages"]["node_modules/vnu-jar"]["version"]


def write_results(section: list[str]) -> None:
    """Replace this script's section of bench/results.md (or append it)."""
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# ベンチマーク結果\n"
    head = text.split(MARKER)[0].rstrip("\n")
    RESULTS.write_text(head + "\n\n" + "\n".join(section), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--pages", nargs="*", help='pages below the root ("" is the home page); all by default'
    )
    parser.add_argument("--forms", nargs="*", default=["desktop", "mobile"])
    parser.add_argument("--no-validate", action="store_true")
    parser.add_argument("--runs", type=int, default=1, help="runs per page and form; the median run is kept")
    parser.add_argument("--desktop-runs", type=int, help="runs per page on desktop (default: --runs)")
    parser.add_argument("--site", type=Path, help="an already built site (default: build one)")
    parser.add_argument("--dry", action="store_true", help="print, do not write bench/results.md")
    args = parser.parse_args()
    RUNS["mobile"] = args.runs
    RUNS["desktop"] = args.runs if args.desktop_runs is None else args.desktop_runs
    cli = lighthouse_cli()
    tmp = Path(tempfile.mkdtemp(prefix="lighthouse-"))
    try:
        site = args.site
        if site is None:
            site = tmp / "site"
            log("building the site and the PDF")
            build(site)
        pages = pages_of(site) if args.pages is None else args.pages
        validation = None if args.no_validate else validate(site, pages_of(site))
        if validation:
            log(f"validator: {validation[0]} errors, {validation[1]} warnings")
            for m in validation[2][:30]:
                log("  " + m)
        rows = []
        LOAD.append(os.getloadavg())
        with serve(site) as base:
            for page in pages:
                for form in args.forms:
                    runs = sorted(
                        (
                            run_lighthouse(cli, base + page, form, tmp / "report.json")
                            for _ in range(RUNS[form])
                        ),
                        key=lambda s: s["performance"],
                    )
                    scores = runs[len(runs) // 2]  # the median run, by performance (Lighthouse's advice)
                    log(f"/{page} {form}: " + json.dumps(scores, ensure_ascii=False))
                    rows.append((page, form, scores))
        LOAD.append(os.getloadavg())
        section = report(rows, validation)
        print("\n".join(section))
        if not args.dry:
            write_results(section)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

"""Shared fixtures: the real data, and one in-process MkDocs build of the real project per session."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data" / "strategy.yaml"


def iter_texts(
    node: Any,
    skip: frozenset[str] = frozenset(
        {
            "id",
            "type",
            "url",
            "marker",
            "style",
            "form",
            "emphasis",
            "editorial",
            "goal",
            "viewpoint",
            "concept",
            "addressed_by",
        }
    ),
) -> Iterator[str]:
    """Every text value of the model, walked generically (ids, references, settings and the site's editorial
    additions excluded: ids are never shown as text)."""
    from pydantic import BaseModel

    if isinstance(node, BaseModel):
        for name in type(node).model_fields:
            if name not in skip:
                yield from iter_texts(getattr(node, name), skip)
    elif isinstance(node, (list, tuple)):
        for item in node:
            yield from iter_texts(item, skip)
    elif isinstance(node, str) and node.strip():
        yield node


def normalise(
    text: str,
    *,
    spaces: str = "",
    nfkc: bool = True,
    emphasis: bool = True,
    drop: str = "",
    tags: bool = False,
) -> str:
    """The tests' one text normaliser, for comparing texts that went through different renderers.

    - `tags`: HTML tags removed (each a space) and character references decoded, U+200B (the search index's
      word breaks) removed;
    - `emphasis`: the data's `**` marks removed (they are rendered, never printed);
    - `nfkc`: Unicode NFKC (pdftotext and the browser give compatibility forms for some glyphs);
    - whitespace and the characters of `drop` (list markers, say): each run replaced by `spaces` ("" removes
      it, " " folds it), then the ends trimmed.
    """
    import html
    import re
    import unicodedata

    if tags:
        text = html.unescape(re.sub(r"<[^>]*>", " ", text)).replace("\u200b", "")
    if emphasis:
        text = text.replace("**", "")
    if nfkc:
        text = unicodedata.normalize("NFKC", text)
    return re.sub(f"[\\s{re.escape(drop)}]+", spaces, text).strip()


@pytest.fixture(scope="session")
def strategy():
    """The validated model of the real data file."""
    from macros.loader import load_file
    from macros.model import parse

    return parse(load_file(DATA))


def build_site(project: Path, site_dir: Path, *, pdf: bool = False, **settings: Any) -> Path:
    """Run `mkdocs build --strict` in-process for a project folder into `site_dir`: the site alone from
    mkdocs.yml, or with the council PDF from mkdocs-pdf.yml; `settings` override the file's (as the command
    line's options do)."""
    build_config(project, site_dir, pdf=pdf, **settings)
    return site_dir


def build_config(project: Path, site_dir: Path, *, pdf: bool = False, **settings: Any) -> Any:
    """`build_site`, returning the build's config: its plugins hold what the hooks kept of this build."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    old_cwd = os.getcwd()
    os.chdir(project)
    try:
        config_file = project / ("mkdocs-pdf.yml" if pdf else "mkdocs.yml")
        config = load_config(str(config_file), site_dir=str(site_dir), strict=True, **settings)
        build(config)
    finally:
        os.chdir(old_cwd)
    return config


@pytest.fixture(scope="session", autouse=True)
def hooks_loaded_once_per_content() -> Iterator[None]:
    """In-process builds load each hook module once per file content, not once per path.

    MkDocs keeps one module per hook path for the life of the process (`Hooks._load_hook` is lru-cached), so every
    build of the repo in this process shares its hooks, as `mkdocs serve` does between rebuilds. A copy of the
    project (`copy_project`) has other paths: its identical hooks would be loaded again, with empty caches (page
    descriptions, ふりがな texts, share images keep their results by content), and cost about 1.5 s more per
    build. Here they share the repo's modules; a hook that a test changed in its copy is other content and gets
    a module of its own. Safe because the hooks keep no build state in their modules (tests/test_adapter.py).
    """
    import hashlib
    import sys

    from mkdocs.config import config_options

    original = config_options.Hooks.__dict__.get("_load_hook")
    load = getattr(original, "__wrapped__", None)  # MkDocs 1.6: an lru_cache around the loader
    if load is None:  # another MkDocs: builds load their hooks as MkDocs does (slower, same results)
        yield
        return
    modules: dict[tuple[str, bytes], Any] = {}

    def load_once(self: Any, name: str, path: str) -> Any:
        key = (name, hashlib.sha256(Path(path).read_bytes()).digest())
        if key not in modules:
            modules[key] = load(self, name, path)
        sys.modules[name] = modules[key]
        return modules[key]

    config_options.Hooks._load_hook = load_once
    try:
        yield
    finally:
        config_options.Hooks._load_hook = original


@pytest.fixture(scope="session")
def site_config(tmp_path_factory) -> Any:
    """The config of the session's build of the real site (its plugins hold what the hooks kept of the build)."""
    return build_config(ROOT, tmp_path_factory.mktemp("site") / "site")


@pytest.fixture(scope="session")
def site(site_config) -> Path:
    """The real site, built once (without the PDF)."""
    return Path(site_config.site_dir)


@pytest.fixture(scope="session")
def pdf_site(tmp_path_factory) -> Path:
    """The real site with the council PDF (site/pdf/strategy.pdf), built once; TABLES_SITE names an already
    built one to check instead."""
    if os.environ.get("TABLES_SITE"):
        return Path(os.environ["TABLES_SITE"])
    return build_site(ROOT, tmp_path_factory.mktemp("pdf-site") / "site", pdf=True)


@pytest.fixture(scope="session")
def fresh_build(tmp_path_factory) -> dict[str, Any]:
    """`mkdocs build --strict` of the repository in a fresh interpreter started in another folder, isolated (`-I`:
    no PYTHONPATH, no user site, no script folder on sys.path): its config's hooks, the file `macros` came from,
    every top-level module the build imported, and the site folder. Read by tests/test_adapter.py (only project.py
    makes the project importable) and tests/test_build.py (the site build loads no PDF stack)."""
    import subprocess
    import sys

    work = tmp_path_factory.mktemp("fresh-build")
    code = f"""
import json, sys
from mkdocs.commands.build import build
from mkdocs.config import load_config
config = load_config({str(ROOT / "mkdocs.yml")!r}, site_dir={str(work / "site")!r}, strict=True)
build(config)
print(json.dumps({{"hooks": sorted(config["hooks"]), "macros": sys.modules["macros"].__file__,
                  "modules": sorted({{m.split(".")[0] for m in sys.modules}})}}))
"""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    run = subprocess.run(
        [sys.executable, "-I", "-c", code],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return {**json.loads(run.stdout.splitlines()[-1]), "site": work / "site"}


# One copy whose data is hostile wherever a reader or a template meets it, built once for two tests that read the
# same build: tests/test_build.py (markup and template syntax reaching the theme: site name, footer, navigation)
# and tests/test_hardening.py (titles and texts that look like Jinja, Markdown or HTML). Each edit changes its
# own line of the data.
EVIL = "<script>alert(1)</script>{{ config.site_name }}"
HOSTILE = [
    "{{ 7*7 }}",
    "{% raw %}",
    "{# stray",
    "{{ lipsum.__globals__.os.system('touch PWNED') }}",
    "<script>alert(1)</script>",
    "[link](https://e.example) ![i](x.png) `code` # h",
]


def _raw_token(block: str) -> str:
    from macros import rawblocks

    return rawblocks.token(block)


RAW_TOKEN = _raw_token('<div id="evil-block">x</div>')
HOSTILE_EDITS = (
    # test_build.py::test_injection_is_shown_as_text
    ("title: やさしいデジタル化を目指す", f"title: '{EVIL}'"),
    ("- 日本経済の長引く低迷（向上しない国内の平均賃金）", f"- '<img src=x onerror=alert(2)>{EVIL}'"),
    ("title: 地域（盛岡）の特性", "title: '# not a heading {#evil}'"),
    ("  title: 盛岡市デジタル化によるまちづくり推進戦略", "  title: '盛岡市<b id=evil-title>x</b>'"),
    (
        "  meeting: 第2回盛岡市デジタル化によるまちづくり推進戦略 アドバイザーボード",
        "  meeting: '第2回<i id=evil-org>x</i>'",
    ),
    ("  status: 案", "  status: '案<u id=evil-status>x</u>'"),
    ("title: 戦略骨子を踏まえた行動指針案", "title: '戦略骨子<s id=evil-nav>x</s>'"),
    # test_hardening.py::test_titles_and_text_are_never_templates
    ("title: 本戦略骨子のリバイズ", f"title: {json.dumps('章' + HOSTILE[0] + HOSTILE[2])}"),
    ("title: 国内事情", f"title: {json.dumps(HOSTILE[3])}"),
    ("title: 行動指針案：市民の生活", f"title: {json.dumps(HOSTILE[1] + HOSTILE[4])}"),
    ("- 都市部と地方との経済格差の拡大", f"- {json.dumps(' '.join(HOSTILE))}"),
    # test_hardening.py::test_text_is_never_a_raw_html_token: macros/rawblocks.py's token for a block, written as
    # text, with this process's secret prefix (the hostile build runs in this process)
    ("- 新型コロナウイルス感染症拡大を契機とした世界的なデジタル化の加速", f"- {json.dumps(RAW_TOKEN)}"),
    ("- 地元住民による地元愛（人情、文化、地域資源など）", f"- {json.dumps('前の行' + chr(10) + RAW_TOKEN)}"),
)


@pytest.fixture(scope="session")
def hostile(tmp_path_factory) -> tuple[Path, Path, dict[str, Any]]:
    """(project, site, parsed pages) of the copy with HOSTILE_EDITS (read only: the pages are shared)."""
    project = copy_project(tmp_path_factory.mktemp("hostile") / "project")
    text = DATA.read_text(encoding="utf-8")
    for old, new in HOSTILE_EDITS:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    (project / "data" / "strategy.yaml").write_text(text, encoding="utf-8")
    site = build_site(project, project.parent / "site")
    return project, site, read_pages(site)


# Markers from the fixtures a test uses, wherever it is written: a test that drives Chromium is a browser test,
# one that reads a PDF build is a pdf test (the quick suite leaves both out; pyproject.toml lists the markers).
MARKED_FIXTURES = {"browser": "browser", "pdf_site": "pdf"}


def builds_pdf(fixture_function):
    """Decorator (under @pytest.fixture) for a fixture that builds a PDF: every test using it is a pdf test."""
    fixture_function.sd_marker = "pdf"
    return fixture_function


@pytest.hookimpl(tryfirst=True)  # before pytest selects by marker (-m)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    del config
    for item in items:
        info = getattr(item, "_fixtureinfo", None)
        for name, definitions in info.name2fixturedefs.items() if info else ():
            for marker in {MARKED_FIXTURES.get(name)} | {
                getattr(d.func, "sd_marker", None) for d in definitions
            }:
                if marker:
                    item.add_marker(marker)


PROJECT_PARTS = ("mkdocs.yml", "mkdocs-pdf.yml", "project.py", "docs", "data", "macros", "hooks")


def copy_project(dest: Path) -> Path:
    """Copy what a build needs into `dest`, so that a test can change the data without touching the repo."""
    import shutil

    dest.mkdir(parents=True, exist_ok=True)
    for part in PROJECT_PARTS:
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, dest / part, ignore=shutil.ignore_patterns("__pycache__"))
        elif source.exists():
            shutil.copy2(source, dest / part)
    return dest


# --- a real browser ---------------------------------------------------------------------------------------------

# Debian's Chromium, or the one named by CHROMIUM_PATH (as for scripts/setup); Playwright never downloads one.
CHROMIUM = os.environ.get("CHROMIUM_PATH") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


class QuietHandler(SimpleHTTPRequestHandler):
    """Static file handler without request logging."""

    def log_message(self, *args: object) -> None:
        pass


@contextlib.contextmanager
def serve(directory: Path) -> Iterator[str]:
    """Serve a built site on 127.0.0.1 from a thread; yields its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(directory)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()


@contextlib.contextmanager
def chromium() -> Iterator[Any]:
    """Debian's Chromium driven by Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium for one test module (module scope: Playwright's sync API allows one instance at a time)."""
    with chromium() as b:
        yield b


@pytest.fixture(scope="module")
def base_url(site: Path) -> Iterator[str]:
    """The real site (the session's build) served on 127.0.0.1; a module may override it with its own build."""
    with serve(site) as url:
        yield url


def read_pages(site: Path) -> dict[str, Any]:
    """Every HTML page of a built site (but 404.html), parsed, by path below the site."""
    from bs4 import BeautifulSoup

    return {
        str(p.relative_to(site)): BeautifulSoup(p.read_text(encoding="utf-8"), "html.parser")
        for p in site.rglob("*.html")
        if p.name != "404.html"
    }


def site_pages(site: Path) -> list[str]:
    """Every page of a built site, as a path below the site root ("" is the home page), in path order.

    Read from the files, not from sitemap.xml: without a published address (SITE_URL) the sitemap lists nothing.
    """
    pages = sorted(p.parent.relative_to(site).as_posix() for p in site.rglob("index.html"))
    return ["" if p == "." else f"{p}/" for p in pages]

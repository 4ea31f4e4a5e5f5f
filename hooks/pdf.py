"""MkDocs hooks for the council PDF built by mkdocs-to-pdf and WeasyPrint.

Listed under `hooks:` in mkdocs-pdf.yml only (mkdocs.yml plus the `to-pdf` plugin), so that a site build
loads none of the PDF stack. They do nothing unless the `to-pdf` plugin is configured.

The plugin assembles the combined HTML in the MkDocs process; WeasyPrint lays it out in a process of its own
(`macros/pdf_render.py`), the same call the plugin makes, so that the PDF's memory is WeasyPrint's own and not
added on top of everything MkDocs holds (the pages, the plugin's parsed articles, the search and ふりがな
dictionaries). scripts/build forks that renderer before MkDocs starts (WeasyPrint imported once); otherwise it
is a fresh process started with the build. The renderer reports the page count and its peak memory. Per-build
state lives on the plugin instance; the one module-level set only lists renderers still waiting, for
on_build_error.
"""

from __future__ import annotations

import functools
import json
import logging
import posixpath
import re
import resource
import tempfile
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit

import weasyprint
from bs4 import BeautifulSoup, Tag
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import event_priority
from mkdocs.structure.pages import Page
from mkdocs.utils import get_build_datetime
from mkdocs_to_pdf import generator
from mkdocs_to_pdf.plugin import WithPdfPlugin
from mkdocs_to_pdf.themes import material
from mkdocs_to_pdf.utils.metadata_util import prepend_producer

from macros.pdf_render import Renderer

PLUGIN_NAME = "to-pdf"
DOCUMENT_LANG = "ja"
log = logging.getLogger("mkdocs.hooks.pdf")
# The WeasyPrint options on_config sets (Patch 2), passed on to the renderer process.
PDF_OPTIONS = {"pdf_variant": "pdf/ua-1", "pdf_identifier": True}


@dataclass(eq=False)
class _Build:
    """What one PDF build learns: the renderer's page count and peak, and the pages that show the PDF's size."""

    pages: list[int] = field(default_factory=list)
    meta_pages: list[Path] = field(default_factory=list)
    renderer: Renderer | None = None

    def start_renderer(self) -> None:
        """Take the renderer forked before MkDocs started (scripts/build), or start a fresh one (it imports
        WeasyPrint while the pages are made)."""
        self.stop_renderer()
        self.renderer = Renderer.take_over() or Renderer.spawn()
        _RUNNING.add(self)

    def stop_renderer(self) -> None:
        """End a renderer that got no work (a failed build): it exits at the end of its input."""
        if self.renderer is not None and self.renderer.returncode is None:
            self.renderer.communicate("")
        self.renderer = None
        _RUNNING.discard(self)


# Builds whose renderer process is waiting (on_build_error gets no config to find them by).
_RUNNING: weakref.WeakSet[_Build] = weakref.WeakSet()


def _state(plugin: WithPdfPlugin) -> _Build:
    """This build's state, kept on the plugin instance (MkDocs makes one per config)."""
    state = getattr(plugin, "_strategy_pdf_build", None)
    if state is None:
        state = _Build()
        plugin._strategy_pdf_build = state  # type: ignore[attr-defined]
    return state


def _plugin(config: MkDocsConfig) -> WithPdfPlugin | None:
    """Return the mkdocs-to-pdf plugin instance, if configured."""
    plugin = config.plugins.get(PLUGIN_NAME)
    return plugin if isinstance(plugin, WithPdfPlugin) else None


@event_priority(100)
def on_config(config: MkDocsConfig) -> MkDocsConfig:
    """Prepare the template path and WeasyPrint options before the plugin reads them."""
    plugin = _plugin(config)
    if plugin is None:
        return config
    # Patch 1: the plugin resolves custom_template_path against cwd; anchor it to the config file.
    base = Path(config.config_file_path or ".").resolve().parent
    plugin.config["custom_template_path"] = str(base / plugin.config["custom_template_path"])
    # Patch 2: the plugin passes no WeasyPrint options; PDF/UA-1 implies tags and PDF 1.7.
    # Trailer /ID from an MD5 of the PDF objects: deterministic, unlike none at all. (The renderer process gets
    # these; they are set here too for anything else that renders in this process, e.g. the 新旧対照表 PDFs.)
    weasyprint.DEFAULT_OPTIONS.update(PDF_OPTIONS)
    return config


def on_pre_build(config: MkDocsConfig) -> None:
    """Hook into the plugin's steps (after its on_config ran): the header link without re-parsing each page,
    and our fixes to the combined document before the plugin serialises it for WeasyPrint."""
    plugin = _plugin(config)
    if plugin is None or not plugin.enabled or plugin.generator is None:
        return
    handler = plugin.generator._options.hook  # private: the plugin has no accessor
    # Patch 3: the theme's inject_link parses and re-serialises every page twice with BeautifulSoup, to add the
    # header button (on_post_page below adds it, labelled, to every page) and a <link rel=alternate>.
    handler.inject_link = _alternate_link  # type: ignore[method-assign]
    # Patch 4: lang, <title> and the dates, set on the plugin's own soup of the combined document (the last
    # step before it is serialised) instead of parsing that HTML again. The cover values come from the data
    # (macros/__init__.py sets config.extra["pdf_cover"]).
    title = str(config.extra.get("pdf_cover", {}).get("title") or config.site_name)
    steps = plugin.generator
    normalize: Callable[[BeautifulSoup], None] = steps._normalize_link_anchors  # private, as above

    def normalize_and_finalize(soup: BeautifulSoup) -> None:
        normalize(soup)
        finalize(soup, title=title)

    steps._normalize_link_anchors = normalize_and_finalize  # type: ignore[method-assign]
    # Patch 5: WeasyPrint in a process of its own, which also tells the page count.
    state = _state(plugin)
    state.pages.clear()
    state.meta_pages.clear()
    state.start_renderer()
    assemble = steps.on_post_build

    def assemble_and_render(config: Any, output_path: str) -> None:
        render_html = generator.HTML  # the name generator.on_post_build calls; put back right after
        generator.HTML = functools.partial(_ChildHTML, state)  # type: ignore[assignment]
        try:
            assemble(config, output_path)
        finally:
            generator.HTML = render_html  # type: ignore[assignment]

    steps.on_post_build = assemble_and_render  # type: ignore[method-assign]
    # Patch 6: the plugin keeps the first page's <head> and each page's <article>, but it parses the whole page
    # (header, navigation, footer, scripts: at 10× the data the navigation is most of every page), copies the
    # article out of that tree and finds the permalinks with a CSS selector engine. It gets the page cut to its
    # <head> and <article>; the article is taken out of that tree instead of copied, and the permalinks are found
    # by their class (`collect_article`). Pages of another shape, and a plugin set to run JavaScript (it keeps
    # the scripts), go the plugin's own way, without the sidebars. The page written to the site is unchanged.
    collect = steps.on_post_page

    def collect_page(output_content: str, page: Page, pdf_path: str) -> str:
        trimmed = head_and_article(output_content)
        excluded = any(p.match(page.url) for p in steps._exclude_page_patterns)  # private, as above
        if (
            trimmed is None
            or excluded
            or steps._options.js_renderer
            or not collect_article(steps, trimmed, page)
        ):
            collect(without_sidebars(output_content), page, pdf_path)
        return handler.inject_link(output_content, pdf_path, page, None)

    steps.on_post_page = collect_page  # type: ignore[method-assign]


BODY = re.compile(r"<body\b[^>]*>")
ARTICLE = '<article class="md-content__inner'  # Material's content (partials/content.html)


def head_and_article(html: str) -> str | None:
    """The page up to its <body> tag (the <head> included) and its content <article>: what the plugin keeps of
    a page, for it to parse. None unless the page has that one article, whole."""
    body = BODY.search(html)
    if body is None:
        return None
    start, end = html.find(ARTICLE, body.end()), html.rfind("</article>") + len("</article>")
    article = html[start:end]
    if start < 0 or end < start or article.count("<article") != article.count("</article>"):
        return None
    return f"{html[: body.end()]}{article}</body></html>"


def collect_article(steps: Any, html: str, page: Page) -> bool:
    """generator.on_post_page's work on a page cut by `head_and_article`, with the same results: the page's
    links made the combined document's, empty paragraphs dropped, the first <head> kept, the article without
    its permalinks and the PDF button, its <h1> given an id. False when there is no article (the plugin's own
    way then says so)."""
    soup = steps._soup_from_content(html, page)  # BeautifulSoup, then the plugin's link preprocessor
    steps._remove_empty_tags(soup)
    article = soup.find("article")
    if not isinstance(article, Tag):
        return False
    if steps._head is None:
        steps._head = soup.find("head")
    article.extract()  # the plugin copies it (clone_element); nothing else uses this tree
    for name in ("headerlink", "md-content__button"):  # the plugin: article.select("a.<name>")
        for link in article.find_all("a", class_=name):
            link.decompose()
    steps._fix_missing_id_for_h1(article, page)
    steps._articles[id(page)] = article
    return True


def finalize(soup: BeautifulSoup, *, title: str) -> None:
    """Set lang, <title> and reproducible dates on the combined document given to WeasyPrint."""
    root = soup.find("html")
    if isinstance(root, Tag):
        # -> PDF /Lang, Japanese line breaking and CJK glyph choice
        root["lang"] = DOCUMENT_LANG
    head = soup.find("head")
    if isinstance(head, Tag):
        if soup.title is None:
            head.append(soup.new_tag("title"))
        assert soup.title is not None
        soup.title.string = title  # -> PDF /Title and dc:title
        stamp = get_build_datetime().replace(microsecond=0).isoformat()
        for name in ("dcterms.created", "dcterms.modified"):
            for meta in head.find_all("meta", attrs={"name": name}):
                meta["content"] = stamp  # plugin writes now(); honour SOURCE_DATE_EPOCH


class _ChildHTML:
    """Stands in for weasyprint.HTML in the plugin's last step: `HTML(string=…).render().write_pdf(path,
    finisher=…)` runs in the renderer process (macros/pdf_render.py) on the same string, with the same options and
    finisher."""

    def __init__(self, state: _Build, *, string: str) -> None:
        self.state = state
        self.string = string

    def render(self) -> _ChildHTML:
        return self

    def write_pdf(self, target: str, finisher: Callable[..., None] | None = None) -> None:
        if finisher is not prepend_producer:  # macros/pdf_render.py applies that one
            raise RuntimeError("hooks/pdf.py: the PDF plugin's finisher changed; update macros/pdf_render.py")
        renderer = self.state.renderer
        if renderer is None:
            raise RuntimeError("hooks/pdf.py: no renderer process (on_pre_build did not run)")
        self.state.renderer = None
        with tempfile.TemporaryDirectory(prefix="strategy-pdf-") as tmp:
            html_file = Path(tmp) / "combined.html"
            html_file.write_text(self.string, encoding="utf-8")
            self.string = ""  # this process needs it no more
            start = time.perf_counter()
            job = {"html": str(html_file), "pdf": target, "options": PDF_OPTIONS}
            stdout, stderr = renderer.communicate(json.dumps(job) + "\n")
            _RUNNING.discard(self.state)
        if renderer.returncode != 0 or not stdout:
            raise RuntimeError(f"hooks/pdf.py: WeasyPrint failed:\n{stderr[-4000:]}")
        for line in stderr.splitlines():
            log.debug("WeasyPrint: %s", line)
        report = json.loads(stdout.splitlines()[-1])
        self.state.pages.append(report["pages"])
        log.info(
            "PDF: WeasyPrint laid out %d pages in %.1fs (separate process, peak %.0f MB; MkDocs' process %.0f MB; %s)",
            report["pages"],
            time.perf_counter() - start,
            report["peak_kb"] / 1024,
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "fresh process" if renderer.process is not None else "forked before MkDocs",
        )


SIDEBARS = re.compile(r'<div class="md-sidebar md-sidebar--primary".*?(?=<div class="md-content")', re.DOTALL)


def without_sidebars(html: str) -> str:
    """The page without Material's navigation and table-of-contents sidebars."""
    return SIDEBARS.sub("", html, count=1)


def _alternate_link(html: str, pdf_path: str, page: Page, theme: Any) -> str:
    """What the theme's inject_link adds to <head>, written as its BeautifulSoup wrote it."""
    del page, theme
    link = f'<link href="{pdf_path}" rel="alternate" title="PDF" type="application/pdf"/>'
    return html.replace("</head>", link + "</head>", 1)


# The home page says how long and how large the PDF is; it only exists after the plugin's on_post_build.
PDF_META_SLOT = '<span class="sd-pdf-meta"></span>'
HEADER_END = re.compile(r"</nav>\s*</header>")
PDF_BUTTON = re.compile(r'(<a class="md-header-nav__button md-icon" href="[^"]*") title="PDF"')
PDF_BUTTON_LABEL = r'\1 title="議会配付用 PDF（A4）" aria-label="議会配付用 PDF（A4）をダウンロード"'
HREF = "__PDF_HREF__"


@functools.cache
def _button() -> str:
    """The theme's header button (its own markup, made once), with a Japanese accessible name."""
    page = SimpleNamespace(title="")  # only logged
    nav = material.inject_link_download(
        '<nav class="md-header__inner"></nav>', HREF, page, logging.getLogger(__name__)
    )
    return PDF_BUTTON.sub(
        PDF_BUTTON_LABEL, nav.removeprefix('<nav class="md-header__inner">').removesuffix("</nav>")
    )


def _with_button(html: str, href: str) -> str:
    """The page with the PDF button at the end of its header bar."""
    button = _button().replace(HREF, href)
    return HEADER_END.sub(lambda end: button + end.group(0), html, count=1)


@event_priority(-100)  # after the plugin collected the page
def on_post_page(output: str, page: Page, config: MkDocsConfig) -> str:
    """Every page offers the PDF from its header (the plugin's button, on pages not in the PDF too)."""
    plugin = _plugin(config)
    if plugin is None or not plugin.enabled:
        return output
    if PDF_META_SLOT in output:
        _state(plugin).meta_pages.append(Path(page.file.abs_dest_path))
    href = posixpath.relpath(plugin.config["output_path"], posixpath.dirname(page.file.dest_uri) or ".")
    return _with_button(output, href)


def on_post_template(output: str, template_name: str, config: MkDocsConfig) -> str:
    """The 404 page too; its links start from the site's root, like its stylesheets'."""
    plugin = _plugin(config)
    if plugin is None or not plugin.enabled or template_name != "404.html":
        return output
    base = urlsplit(config.site_url or "/").path or "/"
    return _with_button(output, posixpath.join(base, plugin.config["output_path"]))


@event_priority(-100)
def on_post_build(config: MkDocsConfig) -> None:
    """After the PDF is written: say its length and size on the home page, and drop the stylesheet that the
    plugin copies next to the PDF."""
    plugin = _plugin(config)
    if plugin is None or not plugin.enabled:
        return
    site = Path(config.site_dir)
    pdf = site / plugin.config["output_path"]
    (pdf.parent / "styles.scss").unlink(missing_ok=True)
    state = _state(plugin)
    state.stop_renderer()  # unused only if the plugin rendered nothing
    if len(state.pages) != 1:
        raise RuntimeError(f"hooks/pdf.py: expected one PDF rendered by WeasyPrint, saw {len(state.pages)}")
    meta = f"（A4・{state.pages[0]} ページ・{round(pdf.stat().st_size / 1024):,} KB）"
    for page in state.meta_pages:
        page.write_text(page.read_text(encoding="utf-8").replace(PDF_META_SLOT, meta), encoding="utf-8")


def on_build_error(error: Exception) -> None:
    """A failed build: the renderer processes started for it get no work (each exits at the end of its input)."""
    del error
    for state in list(_RUNNING):
        state.stop_renderer()

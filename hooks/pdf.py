"""MkDocs hooks for the council PDF built by mkdocs-to-pdf and WeasyPrint.

Listed under `hooks:` in mkdocs-pdf.yml only (mkdocs.yml plus the `to-pdf` plugin), so that a site build
loads none of the PDF stack. They do nothing unless the `to-pdf` plugin is configured.
"""

from __future__ import annotations

import functools
import logging
import posixpath
import re
from collections.abc import Callable
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

PLUGIN_NAME = "to-pdf"
DOCUMENT_LANG = "ja"


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
    weasyprint.DEFAULT_OPTIONS["pdf_variant"] = "pdf/ua-1"
    # Trailer /ID from an MD5 of the PDF objects: deterministic, unlike none at all.
    weasyprint.DEFAULT_OPTIONS["pdf_identifier"] = True
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
    PAGE_COUNT.clear()
    META_PAGES.clear()
    generator.prepend_producer = _counting(generator.prepend_producer)


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


# The number of pages WeasyPrint laid out, from the finisher the plugin passes to write_pdf (Patch 5: the
# plugin offers no other way to it; reading the PDF back with pypdf cost seconds on large documents).
PAGE_COUNT: list[int] = []


def _counting(finisher: Callable[..., None]) -> Callable[..., None]:
    # Wrap the plugin's own finisher, never another wrapper: MkDocs loads this hook afresh for every config,
    # and the pages must be counted into this module's PAGE_COUNT (on_pre_build installs it, per build).
    while getattr(finisher, "counts_pages", False):
        finisher = finisher.__wrapped__  # type: ignore[attr-defined]

    @functools.wraps(finisher)
    def count_pages(document: Any, pdf: Any) -> None:
        PAGE_COUNT.append(len(document.pages))
        finisher(document, pdf)

    count_pages.counts_pages = True  # type: ignore[attr-defined]
    return count_pages


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
META_PAGES: list[Path] = []  # the pages that show the PDF's length and size


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
        META_PAGES.append(Path(page.file.abs_dest_path))
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
    if len(PAGE_COUNT) != 1:
        raise RuntimeError(f"hooks/pdf.py: expected one PDF rendered by WeasyPrint, saw {len(PAGE_COUNT)}")
    meta = f"（A4・{PAGE_COUNT[0]} ページ・{round(pdf.stat().st_size / 1024):,} KB）"
    for page in META_PAGES:
        page.write_text(page.read_text(encoding="utf-8").replace(PDF_META_SLOT, meta), encoding="utf-8")

"""MkDocs hooks for the council PDF built by mkdocs-to-pdf and WeasyPrint.

Listed in mkdocs.yml under `hooks:`. They do nothing unless the `to-pdf`
plugin is configured; PDF rendering itself stays opt-in (ENABLE_PDF_EXPORT=1).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

import weasyprint
from bs4 import BeautifulSoup, Tag
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import event_priority
from mkdocs.utils import get_build_datetime
from mkdocs_to_pdf.plugin import WithPdfPlugin
from pypdf import PdfReader

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
    # Patch 1: the plugin resolves custom_template_path against cwd; anchor it to mkdocs.yml.
    base = Path(config.config_file_path or ".").resolve().parent
    plugin.config["custom_template_path"] = str(base / plugin.config["custom_template_path"])
    # Patch 2: the plugin passes no WeasyPrint options; PDF/UA-1 implies tags and PDF 1.7.
    weasyprint.DEFAULT_OPTIONS["pdf_variant"] = "pdf/ua-1"
    # Trailer /ID from an MD5 of the PDF objects: deterministic, unlike none at all.
    weasyprint.DEFAULT_OPTIONS["pdf_identifier"] = True
    return config


def on_pre_build(config: MkDocsConfig) -> None:
    """Chain `finalize_html` into the plugin's pre-PDF hook (after its on_config ran)."""
    plugin = _plugin(config)
    if plugin is None or not plugin.enabled or plugin.generator is None:
        return
    handler = plugin.generator._options.hook  # private: the plugin has no accessor
    original: Callable[[str], str] = handler.pre_pdf_render
    # The cover values come from the data (macros/__init__.py sets config.extra["pdf_cover"]).
    title = str(config.extra.get("pdf_cover", {}).get("title") or config.site_name)

    def pre_pdf_render(html: str) -> str:
        return finalize_html(original(html), title=title)

    # Patch 3: the only HTML-level hook is a root `pdf_event_hook.py`; wrap it on the instance.
    handler.pre_pdf_render = pre_pdf_render  # type: ignore[method-assign]


def finalize_html(html: str, *, title: str) -> str:
    """Set lang, <title> and reproducible dates on the combined HTML given to WeasyPrint."""
    soup = BeautifulSoup(html, "html.parser")
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
    return str(soup)


# The home page says how long and how large the PDF is; it only exists after the plugin's on_post_build.
PDF_META_SLOT = '<span class="sd-pdf-meta"></span>'
PDF_BUTTON_HTML = re.compile(r'<a class="md-header-nav__button md-icon"[^>]*>.*?</a>', re.DOTALL)
HEADER_END = re.compile(r"</nav>\s*</header>")
PDF_BUTTON = re.compile(r'(<a class="md-header-nav__button md-icon" href="[^"]*") title="PDF"')
PDF_BUTTON_LABEL = r'\1 title="議会配付用 PDF（A4）" aria-label="議会配付用 PDF（A4）をダウンロード"'


@event_priority(-100)
def on_post_build(config: MkDocsConfig) -> None:
    """After the PDF is written: label the plugin's header button, say the PDF's length and size on the home
    page, and drop the stylesheet that the plugin copies next to the PDF."""
    plugin = _plugin(config)
    if plugin is None or not plugin.enabled:
        return
    site = Path(config.site_dir)
    pdf = site / plugin.config["output_path"]
    (pdf.parent / "styles.scss").unlink(missing_ok=True)
    pages = len(PdfReader(pdf).pages)
    size_kb = round(pdf.stat().st_size / 1024)
    meta = f"（A4・{pages} ページ・{size_kb:,} KB）"
    html_pages = {page: page.read_text(encoding="utf-8") for page in site.rglob("*.html")}
    button = next((m.group(0) for html in html_pages.values() if (m := PDF_BUTTON_HTML.search(html))), None)
    for page, html in html_pages.items():
        # The plugin adds its header button only to the pages it puts in the PDF: add it to the others too.
        if button and not PDF_BUTTON_HTML.search(html):
            here = re.sub(r'href="[^"]*"', f'href="{os.path.relpath(pdf, page.parent)}"', button, count=1)
            html = HEADER_END.sub(lambda end, here=here: here + end.group(0), html, count=1)
        # The button is an icon titled "PDF": give it a Japanese accessible name.
        labelled = PDF_BUTTON.sub(PDF_BUTTON_LABEL, html).replace(PDF_META_SLOT, meta)
        if labelled != html_pages[page]:
            page.write_text(labelled, encoding="utf-8")

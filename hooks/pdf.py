"""MkDocs hooks for the council PDF built by mkdocs-to-pdf and WeasyPrint.

Listed in mkdocs.yml under `hooks:`. They do nothing unless the `to-pdf`
plugin is configured; PDF rendering itself stays opt-in (ENABLE_PDF_EXPORT=1).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import weasyprint
from bs4 import BeautifulSoup, Tag
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import event_priority
from mkdocs.utils import get_build_datetime
from mkdocs_to_pdf.plugin import WithPdfPlugin

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

"""The pages of past editions and of the 新旧対照表, and each item's history. Pure: no MkDocs.

Every edition that is not the current text gets the document's pages under `editions/DATE/` (the same page
layout as the root, rendered from the edition's own model) behind a banner that says it is not the latest and
links to the same page at the root; `editions/DATE/index.md` lists its chapters and files. Every edition after
the first gets `editions/DATE/comparison.md`, the 新旧対照表 against the edition before it. The adapter adds
these pages with MkDocs' `File.generated`; their Markdown is a macro call, so that no text from the data ever
passes through the page's Jinja.
"""

from __future__ import annotations

import datetime
import functools
import html
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from .editions import Edition, SiteEditions, edition_dir
from .ja import edition_line, edition_of
from .pages import Links, Page, all_pages, anchor_pages, file_url, relative_url
from .render import ENV, render_page

if TYPE_CHECKING:
    from .comparison import Comparison

# macros.comparison (and macros.diff) are imported where a 新旧対照表 is drawn: a site with one edition, the usual
# case, never pays for them.

Kind = Literal["home", "document", "comparison"]
# Archive and comparison pages stay out of the search index (front matter): a search finds the current text only.
MACRO_CALL = "{{ edition_page() }}\n"


@dataclass(frozen=True)
class ArchivePage:
    """One generated page: an edition's home, one of its document pages, or its 新旧対照表."""

    src: str
    kind: Kind
    edition: Edition
    page: Page | None = None


def _prefixed(page: Page, prefix: str) -> Page:
    return Page(prefix + page.path, page.section, tuple(_prefixed(c, prefix) for c in page.children))


def comparison_path(edition: Edition) -> str:
    """The docs path of an edition's 新旧対照表 page."""
    return f"{edition_dir(edition.slug)}comparison.md"


def generated_pages(site: SiteEditions) -> dict[str, ArchivePage]:
    """Every page to generate, by docs path."""
    pages: dict[str, ArchivePage] = {}
    for edition in site.archived:
        prefix = edition_dir(edition.slug)
        pages[prefix + "index.md"] = ArchivePage(prefix + "index.md", "home", edition)
        for page in all_pages(edition.strategy):
            pages[prefix + page.path] = ArchivePage(
                prefix + page.path, "document", edition, _prefixed(page, prefix)
            )
    for _previous, edition in site.pairs:
        src = comparison_path(edition)
        pages[src] = ArchivePage(src, "comparison", edition)
    return dict(sorted(pages.items()))


def page_title(page: ArchivePage) -> str:
    """The page's title for the theme: HTML-escaped (the theme prints it as it is) and without braces, so that
    mkdocs-macros' Jinja never reads it."""
    if page.kind == "comparison":
        text = f"新旧対照表（{edition_label(page.edition)}）"
    elif page.kind == "home" or page.page is None:
        text = edition_label(page.edition)
    else:
        text = f"{page.page.section.heading}（{edition_of(page.edition.entry.date)}）"
    return html.escape(text, quote=True).replace("{", "&#123;").replace("}", "&#125;")


def page_content(page: ArchivePage, cached_template: str | None = None) -> str:
    """The Markdown source of a generated page: its title, kept out of search, and only a macro call.

    With `cached_template` (hooks/editions.py has this page's HTML from an earlier build with the same inputs),
    the page renders nothing: no macro call, that theme template, and `sd_cached` for the other hooks."""
    front = f"---\ntitle: {json.dumps(page_title(page), ensure_ascii=False)}\nsearch:\n  exclude: true\n"
    if cached_template is not None:
        return front + f"template: {json.dumps(cached_template)}\nsd_cached: true\n---\n"
    return front + "---\n\n" + MACRO_CALL


@functools.lru_cache(maxsize=64)
def edition_anchors(edition: Edition) -> dict[str, str]:
    """Where each id of an archived edition is anchored, below its folder."""
    prefix = edition_dir(edition.slug)
    return {item_id: prefix + path for item_id, path in anchor_pages(edition.strategy).items()}


@functools.lru_cache(maxsize=64)
def comparison_of(previous: Edition, edition: Edition) -> Comparison:
    """The 新旧対照表 from one edition to the next (cached: frozen editions never change)."""
    from .comparison import build

    return build(
        previous.strategy,
        edition.strategy,
        old_label=edition_label(previous),
        new_label=edition_label(edition),
    )


def edition_label(edition: Edition) -> str:
    """An edition as one line: its label, date and status."""
    entry = edition.entry
    return edition_line(entry.label, entry.date, entry.status)


def history(site: SiteEditions) -> dict[str, tuple[tuple[str, str, str], ...]]:
    """For every item id, the editions in which it changed: (the edition's label, its table's docs path, row)."""
    found: dict[str, list[tuple[str, str, str]]] = {}
    for previous, edition in site.pairs:
        from .comparison import changed_ids

        for item_id, anchor in changed_ids(comparison_of(previous, edition)):
            found.setdefault(item_id, []).append((edition_label(edition), comparison_path(edition), anchor))
    return {k: tuple(v) for k, v in found.items()}


def latest_path(page: ArchivePage, current_anchors: dict[str, str]) -> str:
    """The docs path of the same page at the root (the page that shows its section now), else the home page."""
    if page.page is None:
        return "index.md"
    return current_anchors.get(page.page.section.id, "index.md")


def latest_targets(
    page: ArchivePage, current_anchors: dict[str, str], use_directory_urls: bool = True
) -> str:
    """For the banner's script, as JSON: every id anchored on this page of a past edition that the current text
    still has (headings, items, points), and the link to it there."""
    if page.kind != "document":
        return "{}"
    here = {i for i, path in edition_anchors(page.edition).items() if path == page.src}
    targets = {
        i: relative_url(page.src, current_anchors[i], i, use_directory_urls)
        for i in sorted(here)
        if i in current_anchors
    }
    return json.dumps(targets, ensure_ascii=False, separators=(",", ":"))


def render(
    page: ArchivePage,
    site: SiteEditions,
    current_anchors: dict[str, str],
    files: dict[str, str] | None = None,
    use_directory_urls: bool = True,
) -> str:
    """The Markdown of a generated page. `files` are the edition's published files (label -> site path);
    `use_directory_urls` as in mkdocs.yml (the adapter passes it)."""
    edition = page.edition
    links = (
        Links(page.src, current_anchors, use_directory_urls=use_directory_urls)
        if page.kind == "comparison"
        else Links(
            page.src, edition_anchors(edition), latest=current_anchors, use_directory_urls=use_directory_urls
        )
    )
    banner = ENV.get_template("editions/banner.html.j2").render(
        e=edition,
        label=edition_label(edition),
        latest=links.page(latest_path(page, current_anchors)),
        targets=latest_targets(page, current_anchors, use_directory_urls),
        revisions=links.page("about/revisions.md"),
        home=links.page(edition_dir(edition.slug) + "index.md"),
        is_home=page.kind == "home",
    )
    if page.kind == "document":
        assert page.page is not None
        return _compact(banner) + "\n\n" + render_page(edition.strategy, page.page, links)
    if page.kind == "home":
        return ENV.get_template("editions/home.html.j2").render(
            e=edition,
            s=edition.strategy,
            label=edition_label(edition),
            banner=_compact(banner),
            links=links,
            files=_relative_files(links, files),
            comparison=links.page(comparison_path(edition)) if site.previous(edition) else None,
        )
    from .comparison import render_html

    previous = site.previous(edition)
    assert previous is not None
    return ENV.get_template("editions/comparison.html.j2").render(
        e=edition,
        label=edition_label(edition),
        table=render_html(comparison_of(previous, edition)),
        files=_relative_files(links, files),
        revisions=links.page("about/revisions.md"),
    )


def _relative_files(links: Links, files: dict[str, str] | None) -> list[tuple[str, str]]:
    """(label, link) for files below the site root, linked from the page of `links`."""
    return [(label, links.file(path)) for label, path in (files or {}).items()]


def _compact(html: str) -> str:
    return "\n".join(line for line in html.splitlines() if line.strip())


# --- files and the 改訂履歴 ---------------------------------------------------------------------------------


def data_files(edition: Edition) -> dict[str, str]:
    """The open data of an edition: title -> path below the site root."""
    from .export import FILES

    return {f"{f.title}": f"{edition_dir(edition.slug)}data/{f.name}" for f in FILES}


def files_of(page: ArchivePage, site: SiteEditions, pdf: bool) -> dict[str, str]:
    """The files a generated page links to (label -> path below the site root)."""
    folder = edition_dir(page.edition.slug)
    if page.kind == "comparison":
        files = {"新旧対照表（PDF、A4 横）": f"{folder}comparison.pdf"} if pdf else {}
        return files | {"新旧対照表（Markdown）": f"{folder}comparison.md"}
    files = {"この版の議会配付用 PDF（A4）": f"{folder}strategy.pdf"} if pdf else {}
    return files | data_files(page.edition)


@dataclass(frozen=True)
class Row:
    """One edition on the 改訂履歴 page, with links relative to that page."""

    label: str
    date: datetime.date
    status: str
    summary: str | None
    current: bool
    text: str
    pdf: str | None
    comparison: str | None
    comparison_pdf: str | None
    data: str


def revision_rows(site: SiteEditions, here: str, pdf: bool, use_directory_urls: bool = True) -> list[Row]:
    """The editions, newest first, as the 改訂履歴 page lists them (`use_directory_urls` as in mkdocs.yml)."""

    def link(path: str) -> str:
        return file_url(here, path, use_directory_urls)

    def page(path: str) -> str:
        return relative_url(here, path, use_directory_urls=use_directory_urls)

    rows = []
    for edition in reversed(site.editions):
        folder = edition_dir(edition.slug)
        current = edition is site.current_edition
        has_previous = site.previous(edition) is not None
        rows.append(
            Row(
                label=edition.entry.label,
                date=edition.entry.date,
                status=edition.entry.status,
                summary=edition.entry.summary,
                current=current,
                text=page("index.md" if current else folder + "index.md"),
                pdf=(link("pdf/strategy.pdf") if current else link(folder + "strategy.pdf")) if pdf else None,
                comparison=page(comparison_path(edition)) if has_previous else None,
                comparison_pdf=link(folder + "comparison.pdf") if has_previous and pdf else None,
                data=link(folder + "data/strategy.json"),
            )
        )
    return rows

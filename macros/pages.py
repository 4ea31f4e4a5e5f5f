"""Which part of the document stands on which page, and where every id lives. Pure: of MkDocs, only its URLs.

A chapter is a page (`<chapter>/index.md`); a numbered top-level section of it, such as "(1)", is a page of
its own (`<chapter>/<section>.md`); everything else stays on its parent's page. Renaming a page never touches
the data, and a link to an id always goes to the one place that anchors it.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mkdocs.structure.files import File
from mkdocs.utils import get_relative_url

if TYPE_CHECKING:  # types only: the model imports this module (its layout check places ids on pages)
    from .model import Section, Strategy

HOME = "index.md"
# Pages about the site rather than the document: (path, title). Their text lives in docs/.
ABOUT_PAGES = (
    ("about/editorial.md", "資料の文言と編集注"),
    ("about/open-data.md", "オープンデータ"),
    ("about/revisions.md", "改訂履歴"),
    ("about/accessibility.md", "アクセシビリティ"),
)


@dataclass(frozen=True)
class Page:
    """One page of the site that shows part of the document."""

    path: str
    section: Section
    children: tuple[Page, ...] = ()


@functools.lru_cache(maxsize=4096)
def url_of(path: str, use_directory_urls: bool = True) -> str:
    """The site URL (relative to the site root, "" for the home page) of a docs path: MkDocs' own, from its
    File object (`use_directory_urls` as in mkdocs.yml, where it is true)."""
    url = File(path, src_dir=None, dest_dir="", use_directory_urls=use_directory_urls).url
    return "" if url == "./" else url


def relative_url(from_path: str, to_path: str, anchor: str = "", use_directory_urls: bool = True) -> str:
    """A link from one docs page to another (and an anchor on it), as MkDocs makes it (`get_relative_url`)."""
    here, there = url_of(from_path, use_directory_urls), url_of(to_path, use_directory_urls)
    rel = get_relative_url(there or "./", here or "./") if here != there else ""
    return f"{rel}#{anchor}" if anchor else (rel or "./")


def file_url(from_path: str, to_file: str, use_directory_urls: bool = True) -> str:
    """A link from a docs page to a file below the site root (`data/strategy.json`), as MkDocs makes it."""
    return get_relative_url(to_file, url_of(from_path, use_directory_urls) or "./")


def is_page(section: Section, depth: int) -> bool:
    """Whether a section gets a page of its own: chapters, and numbered sections directly under a chapter."""
    return depth == 0 or (depth == 1 and section.number is not None)


def chapter_pages(strategy: Strategy) -> list[Page]:
    """The document's pages: a page per chapter, with its numbered sections as child pages."""
    pages = []
    for chapter in strategy.chapters:
        children = tuple(Page(f"{chapter.id}/{s.id}.md", s) for s in chapter.sections if is_page(s, 1))
        pages.append(Page(f"{chapter.id}/index.md", chapter, children))
    return pages


def all_pages(strategy: Strategy) -> Iterator[Page]:
    """Every document page, in reading order."""
    for page in chapter_pages(strategy):
        yield page
        yield from page.children


def sections_on(page: Page) -> Iterator[tuple[Section, int]]:
    """The sections a page shows, with their depth below the page's own heading (0 = the page's h1)."""
    child_sections = {child.section.id for child in page.children}

    def walk(section: Section, depth: int) -> Iterator[tuple[Section, int]]:
        yield section, depth
        for sub in section.sections:
            if sub.id not in child_sections:
                yield from walk(sub, depth + 1)

    yield from walk(page.section, 0)


def block_anchors(strategy: Strategy, block: Any) -> list[str]:
    """The ids that a block anchors: the one place each cited item lives. Each block class declares them
    (`anchors`, beside its template in macros/model/schema.py); most blocks anchor none."""
    anchors = getattr(block, "anchors", None)
    return anchors(strategy) if anchors is not None else []


def anchor_pages(strategy: Strategy) -> dict[str, str]:
    """Map every id to the docs path of the page that anchors it."""
    where: dict[str, str] = {}
    for page in all_pages(strategy):
        for section, _depth in sections_on(page):
            where.setdefault(section.id, page.path)
            for block in section.blocks:
                for item_id in block_anchors(strategy, block):
                    where.setdefault(item_id, page.path)
    return where


@dataclass(frozen=True)
class Links:
    """Resolves ids to links from one page."""

    here: str
    where: dict[str, str]
    # item id -> the editions in which it changed: (edition label, docs path of the 新旧対照表, row anchor)
    changes: dict[str, tuple[tuple[str, str, str], ...]] = field(default_factory=dict)
    # On a past edition's page: where each id is anchored in the current text (at the root); None elsewhere.
    latest: dict[str, str] | None = None
    use_directory_urls: bool = True  # mkdocs.yml's setting (the adapter passes it)

    def in_latest(self, item_id: str) -> str | None:
        """On a past edition's page, a link to the same item in the current text ("" when it is not there any
        more); None on the pages of the current text."""
        if self.latest is None:
            return None
        path = self.latest.get(item_id)
        return relative_url(self.here, path, item_id, self.use_directory_urls) if path else ""

    def history(self, item_id: str) -> list[tuple[str, str]]:
        """(edition label, link to the row of its 新旧対照表) for every edition in which the item changed."""
        return [
            (label, relative_url(self.here, path, anchor, self.use_directory_urls))
            for label, path, anchor in self.changes.get(item_id, ())
        ]

    def href(self, item_id: str) -> str:
        """A link to the one place that anchors `item_id`."""
        return relative_url(self.here, self.where[item_id], item_id, self.use_directory_urls)

    def page(self, path: str) -> str:
        """A link to a page."""
        return relative_url(self.here, path, use_directory_urls=self.use_directory_urls)

    def file(self, path: str) -> str:
        """A link to a file below the site root (not a page): the open data, a PDF."""
        return file_url(self.here, path, self.use_directory_urls)

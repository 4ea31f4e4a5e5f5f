"""MkDocs hook: `mkdocs serve` converts to HTML only the pages whose Markdown changed, indexes for search only
the pages whose HTML changed, and lists the theme's files again only when a folder of the theme changed.

`mkdocs serve` rebuilds the whole site on every save, and a save of data/strategy.yaml changes the Markdown of one
or a few pages: the other pages' conversion by Python-Markdown (about a quarter of a rebuild) and their parse by
Material's search plugin give the same result again. In a preview (hooks/site_output.py sets macros.PREVIEW_ENV
for `mkdocs serve` only; `mkdocs build`, scripts/build and CI never use this hook's memo) both results are kept by
a digest of everything they depend on, and a rebuild reuses them:

- The conversion (`Page.render`): the page's final Markdown (after mkdocs-macros), its file's source path,
  destination and URL, every file of the build with its destination, URL and inclusion (links between pages are
  resolved against them), the Markdown extensions and their settings, `use_directory_urls`, `validation`, and
  whether anchor links are collected. The page keeps what MkDocs' own render leaves on it (content, table of
  contents, title from the first heading, anchors, links to anchors in other pages), each a copy. A conversion
  that logged anything (a broken link, an unknown extension's warning) is never kept, so every rebuild says it
  again and strict mode still counts it. Settings that are not plain text (an extension given as an object) keep
  nothing.
- The search entries of a page (Material's `SearchIndex.add_entry_from_context`): the page's HTML at that event,
  its URL, title, table of contents, and its `search` and `tags` metadata. Entries are copied in and out.
- The list of the theme's files (MkDocs walks Material's 14 500 files, nearly all icons, on every build to find
  the static files it copies): kept while every folder walked has the same modification time (adding, removing or
  renaming a file changes its folder's). MkDocs filters and copies the files as usual.

The memos are content-addressed, like hooks/citizen.py's `_by_digest` and hooks/search_ja.py's `_words` (the
theme's list is checked against the folders themselves): a key holds only what its inputs make, so no build can
read another build's state; each build's counters are in `config.plugins[STATE]` (tests/test_serve.py checks hits,
misses and a byte-for-byte comparison with a cold build).
"""

from __future__ import annotations

import copy
import functools
import hashlib
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jinja2
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import event_priority
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page

from macros import PREVIEW_ENV
from macros.memo import Kept

MEMO = True  # tests/test_serve.py turns this off for the cold build it compares with
STATE = f"{__name__}:memo"  # this build's PreviewMemo in config.plugins (tests read its counters)
LIMIT = 4096  # results kept per memo; beyond it the memo starts again (a site has some hundred pages)


def _kept_by_key(function: Callable[..., Any]) -> Callable[..., Any]:
    """Keep a function's results by its first argument, a digest of every input the result depends on. A result of
    None is not kept (the function had something to say, or could not name its inputs)."""
    kept: Kept[bytes, Any] = Kept(LIMIT)

    @functools.wraps(function)
    def cached(key: bytes, *args: Any) -> tuple[Any, bool]:
        if key in kept:
            return kept[key], True
        result = function(key, *args)
        if result is not None:
            kept.keep(key, result)
        return result, False

    return cached


def _digest(*parts: str) -> bytes:
    h = hashlib.blake2b(digest_size=20)
    for part in parts:
        h.update(part.encode("utf-8", "surrogatepass"))
        h.update(b"\0\1\0")
    return h.digest()


@event_priority(100)
def on_config(config: MkDocsConfig) -> MkDocsConfig:
    """In a preview, register this build's memo user (it wraps each page's conversion and the search index) and
    list the theme's folders through the memo."""
    if MEMO and os.environ.get(PREVIEW_ENV) == "1":
        memo = config.plugins[STATE] = PreviewMemo()  # type: ignore[assignment]
        theme = config.theme
        make_env = theme.get_env

        def get_env() -> jinja2.Environment:
            env = make_env()
            if type(env.loader) is jinja2.FileSystemLoader:  # as MkDocs 1.6 makes it
                env.loader.list_templates = functools.partial(memo.theme_files, env.loader)  # type: ignore[method-assign]
            return env

        theme.get_env = get_env  # type: ignore[method-assign]  (this build's theme object only)
    return config


# --- conversion -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Converted:
    """What MkDocs' `Page.render` leaves on a page."""

    content: str
    toc: Any  # mkdocs.structure.toc.TableOfContents, copied in and out
    title: str | None
    anchors: frozenset[str]
    links_to_anchors: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] | None  # by the target's src_uri


@_kept_by_key
def _convert(key: bytes, page: Page, config: MkDocsConfig, files: Files) -> Converted | None:
    """MkDocs' own conversion of the page (the result is on the page); kept unless it logged anything."""
    del key
    records: list[logging.LogRecord] = []
    catcher = _Catcher(records)
    loggers = [logging.getLogger(), logging.getLogger("mkdocs")]
    for logger in loggers:
        logger.addHandler(catcher)
    try:
        Page.render(page, config, files)
    finally:
        for logger in loggers:
            logger.removeHandler(catcher)
    if records:
        return None
    links = page.links_to_anchors
    return Converted(
        content=page.content or "",
        toc=copy.deepcopy(page.toc),
        title=page._title_from_render,
        anchors=frozenset(page.present_anchor_ids or ()),
        links_to_anchors=None
        if links is None
        else tuple((f.src_uri, tuple(anchors.items())) for f, anchors in links.items()),
    )


class _Catcher(logging.Handler):
    """Collects what the building thread logs (the server's other threads log requests meanwhile)."""

    def __init__(self, records: list[logging.LogRecord]) -> None:
        super().__init__(logging.NOTSET)
        self.records, self.thread = records, threading.get_ident()

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            self.records.append(record)


# --- search ---------------------------------------------------------------------------------------------------


@_kept_by_key
def _index(
    key: bytes, add: Callable[[Page], None], entries: list[dict[str, Any]], page: Page
) -> tuple | None:
    """Material's search entries of the page (appended to the index as usual), as copies."""
    del key
    before = len(entries)
    add(page)
    return tuple(copy.deepcopy(entries[before:]))


def _toc_key(toc: Any) -> str:
    """The table of contents as text: every item's id, URL, title and level, in order."""
    out: list[str] = []

    def walk(items: Any) -> None:
        for item in items or ():
            out.append(f"{item.id}\1{item.url}\1{item.title}\1{item.level}")
            walk(item.children)

    walk(toc)
    return "\2".join(out)


# --- the theme's files ----------------------------------------------------------------------------------------


def _kept_listings() -> Callable[[jinja2.FileSystemLoader], tuple[list[str], bool]]:
    """Jinja's list of a loader's templates, kept while none of the folders it walked has changed.

    MkDocs lists every file of the theme on every build (about 14 500 for Material, nearly all icons) to copy the
    theme's static files. A folder's modification time changes whenever a file or folder is added to it, removed
    from it or renamed in it, so the same times of every folder walked (taken before the walk) mean the same list.
    """
    kept: dict[tuple[tuple[str, ...], bool], tuple[tuple[tuple[str, int, int], ...], list[str]]] = {}

    def stamp(folder: str) -> tuple[str, int, int]:
        try:
            info = os.stat(folder)
        except OSError:
            return (folder, -1, -1)  # missing: it must still be missing
        return (folder, info.st_mtime_ns, info.st_ino)

    def stamps(roots: tuple[str, ...], followlinks: bool) -> tuple[tuple[str, int, int], ...]:
        out = [stamp(root) for root in roots]
        for root in roots:
            out += [stamp(folder) for folder, _, _ in os.walk(root, followlinks=followlinks)]
        return tuple(out)

    def unchanged(stamped: tuple[tuple[str, int, int], ...]) -> bool:
        return all(stamp(folder) == (folder, mtime, inode) for folder, mtime, inode in stamped)

    def listing(loader: jinja2.FileSystemLoader) -> tuple[list[str], bool]:
        key = (tuple(os.fspath(p) for p in loader.searchpath), bool(loader.followlinks))
        found = kept.get(key)
        if found is not None and unchanged(found[0]):
            return list(found[1]), True
        stamped = stamps(*key)
        names = jinja2.FileSystemLoader.list_templates(loader)
        if len(kept) >= 64:
            kept.clear()
        kept[key] = (stamped, list(names))
        return names, False

    return listing


_theme_listing = _kept_listings()


# --- one build ------------------------------------------------------------------------------------------------


class PreviewMemo:
    """One preview build's use of the memos, and its counters."""

    def __init__(self) -> None:
        self.stats = {
            "converted": 0,
            "reused": 0,
            "indexed": 0,
            "index_reused": 0,
            "theme_listed": 0,
            "theme_reused": 0,
        }
        # (id and length of the build's Files, their digest): made once per build, again if a plugin adds a file
        self._files: tuple[int, int, str] | None = None

    def on_pre_build(self, config: MkDocsConfig) -> None:
        """Route Material's search index through the memo (its index is made anew at every on_config)."""
        search = config.plugins.get("material/search")
        index = getattr(search, "search_index", None)
        add = getattr(index, "add_entry_from_context", None)
        entries = getattr(index, "entries", None)
        if add is None or not isinstance(entries, list):
            return  # the search plugin changed shape or is off: it indexes as before

        def add_entry_from_context(page: Page) -> None:
            meta = page.meta or {}
            key = _digest(
                "search",
                page.content or "",
                str(page.url),
                str(page.title),
                repr(meta.get("title")),
                repr(meta.get("search")),
                repr(meta.get("tags")),
                _toc_key(page.toc),
            )
            result, hit = _index(key, add, entries, page)
            if hit:
                entries.extend(copy.deepcopy(list(result)))
            self.stats["index_reused" if hit else "indexed"] += 1

        index.add_entry_from_context = add_entry_from_context

    def theme_files(self, loader: jinja2.FileSystemLoader) -> list[str]:
        """The loader's `list_templates`, through the memo (Jinja's Environment filters the names as usual)."""
        names, hit = _theme_listing(loader)
        self.stats["theme_reused" if hit else "theme_listed"] += 1
        return names

    @event_priority(-100)
    def on_pre_page(self, page: Page, config: MkDocsConfig, files: Files) -> Page:
        """Convert this page through the memo (MkDocs calls `page.render` after the page_markdown events)."""
        page.render = functools.partial(self.render, page)  # type: ignore[method-assign]
        return page

    def render(self, page: Page, config: MkDocsConfig, files: Files) -> None:
        """MkDocs' `Page.render`, or its kept result for the same inputs."""
        settings = self._settings(config, files)
        if settings is None or page.markdown is None:
            Page.render(page, config, files)
            self.stats["converted"] += 1
            return
        file = page.file
        key = _digest("render", page.markdown, file.src_uri, file.dest_uri, str(file.url), settings)
        result, hit = _convert(key, page, config, files)
        self.stats["reused" if hit else "converted"] += 1
        if not hit or result is None:
            return  # converted just now: MkDocs' result is on the page
        page.content = result.content
        page.toc = copy.deepcopy(result.toc)
        page._title_from_render = result.title
        page.present_anchor_ids = set(result.anchors)
        if result.links_to_anchors is not None:
            page.links_to_anchors = {
                target: dict(anchors)
                for src, anchors in result.links_to_anchors
                if (target := files.get_file_from_path(src)) is not None
            }

    def _settings(self, config: MkDocsConfig, files: Files) -> str | None:
        """Everything besides the page that the conversion reads, as one digest (None: not plain text)."""
        extensions = config.markdown_extensions
        if not all(isinstance(e, str) for e in extensions):
            return None
        if self._files is None or self._files[:2] != (id(files), len(files)):
            listing = "\2".join(
                f"{f.src_uri}\1{f.dest_uri}\1{f.url}\1{f.inclusion.name}\1{f.is_documentation_page()}"
                for f in files
            )
            self._files = (id(files), len(files), _digest(listing).hex())
        try:
            mdx, validation = _plain(config.mdx_configs), _plain(config.validation)
        except TypeError:
            return None
        return "\2".join(
            (
                self._files[2],
                repr(list(extensions)),
                repr(mdx),
                repr(validation),
                str(config.use_directory_urls),
                str(logging.getLogger("mkdocs.structure.pages").getEffectiveLevel() > logging.DEBUG),
            )
        )


def _plain(value: Any) -> Any:
    """Settings as plain, sorted Python values (config objects become pairs); TypeError for anything else (a
    function's repr names its address, which a later object may reuse)."""
    if hasattr(value, "items"):
        return sorted((str(k), _plain(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(type(value).__name__)

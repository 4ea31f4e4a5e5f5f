"""MkDocs hook: word-segment Japanese text in Material's search index.

Material for MkDocs builds its lunr index in the browser. With ``lang: ja`` it
splits Japanese with TinySegmenter at index time but never segments the query,
so a compound typed without spaces (「デジタル格差」) matches no index token.

This hook segments every Japanese run in ``search/search_index.json`` at build
time with SudachiPy (split mode A, the shortest units) and joins the words with
U+200B ZERO WIDTH SPACE. The search plugin's ``separator`` contains U+200B, so
the browser's index holds exactly these words; ``lang: en`` keeps TinySegmenter
from re-splitting them. ``docs/javascripts/search-ja.js`` then segments the
query against the same vocabulary (see there).

Required mkdocs.yml (checked in ``on_config``)::

    hooks: [hooks/search_ja.py]
    plugins:
      - search:
          lang: en
          separator: '[\\s\\-\u3000、。，．\\u200b]+'
          pipeline: []
    extra_javascript: [javascripts/search-ja.js]
"""

from __future__ import annotations

import functools
import itertools
import json
import logging
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.pages import Page

from macros.html_scan import feed_plain

log = logging.getLogger("mkdocs.hooks.search_ja")

FAST_PARSE = True  # tests/test_search_units.py turns this off to compare with Material's own indexing

ZWSP = "\u200b"
SCRIPT = "javascripts/search-ja.js"
# Hidden index field holding the adjacent word pairs of each entry (「デジタル格差」
# for 「デジタル」+「格差」): the query adds them as optional terms, so sections
# where the words of a compound are adjacent rank first. Not displayed.
# Each pair is fenced with a private-use character, so that the word terms of a
# query (「発信*」, 「*識者」) can never match a pair by prefix or suffix.
PAIR_FIELD = "pairs"
PAIR_BOOST = 1000.0  # as high as Material's title boost
PAIR_FENCE = "\ue000"

# Japanese characters: iteration marks, kana, CJK ideographs, half-width kana.
# PAIR_FENCE and _JA are the browser script's too: the build writes them into it (`js_constants`).
_JA = "\u3005\u3006\u3040-\u309f\u30a0-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f"
# A run of word characters (Japanese, ASCII and full-width alphanumerics).
_WORD_RUN = re.compile(f"[0-9A-Za-z\uff10-\uff19\uff21-\uff3a\uff41-\uff5a{_JA}]+")
_HAS_JA = re.compile(f"[{_JA}]")
_TAG = re.compile(r"(<[^>]*>)")


@functools.cache
def _tokenizer() -> Callable[[str], list[str]]:
    """Return a function that splits text into SudachiPy mode-A surfaces."""
    from sudachipy import SplitMode

    from macros.sudachi import dictionary

    tok = dictionary().tokenizer(mode=SplitMode.A)
    return lambda text: [m.surface() for m in tok.tokenize(text)]


# SudachiPy refuses input over 49 149 bytes ("Input is too long"); a word run is cut into pieces well below
# that (a Japanese character is 3 bytes in UTF-8). Real runs are short; only text without punctuation is cut.
MAX_CHUNK = 4096


@functools.lru_cache(maxsize=1 << 16)
def _words(chunk: str) -> tuple[str, ...]:
    """SudachiPy's mode-A words of one chunk, kept: the same runs recur on many pages, and `mkdocs serve` segments
    the whole index again on every save (a failure is not kept)."""
    return tuple(_tokenizer()(chunk))


def split_run(run: str) -> list[str]:
    """Split one Japanese word run into SudachiPy mode-A words (a very long run piece by piece)."""
    words: list[str] = []
    for start in range(0, len(run), MAX_CHUNK):
        chunk = run[start : start + MAX_CHUNK]
        try:
            words += _words(chunk)
        except Exception as exc:  # noqa: BLE001  (the index must never fail the build after pages are written)
            log.info(f"search_ja: 検索用の分かち書きができなかった文字列をそのまま索引に入れます（{exc}）")
            words.append(chunk)
    return [w for w in words if w]


def segment_text(text: str, pairs: list[str] | None = None) -> str:
    """Segment the Japanese runs of an index field, leaving HTML tags intact.

    Words are joined with U+200B, and each run is also fenced with U+200B so
    that adjacent punctuation (“ ” 「 ( …) never sticks to a word. Adjacent
    word pairs of each run are appended to ``pairs`` if given.
    """

    def replace(match: re.Match[str]) -> str:
        if not _HAS_JA.search(match[0]):
            return match[0]
        words = split_run(match[0])
        if pairs is not None:
            pairs.extend(PAIR_FENCE + a + b + PAIR_FENCE for a, b in itertools.pairwise(words))
        return ZWSP + ZWSP.join(words) + ZWSP

    parts = _TAG.split(text)
    for i in range(0, len(parts), 2):  # even indexes are text, odd ones are tags
        parts[i] = _WORD_RUN.sub(replace, parts[i])
    return "".join(parts)


def _search_config(config: MkDocsConfig) -> Any:
    """Return the config of Material's search plugin, or raise if it is absent."""
    for name in ("material/search", "search"):
        plugin = config.plugins.get(name)
        if plugin is not None:
            return plugin.config
    raise PluginError("search_ja: Material's search plugin is not enabled")


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    """Fail the build early if the search plugin is configured inconsistently."""
    search = _search_config(config)
    problems = []
    if ZWSP not in re.sub(r"\\u200b", ZWSP, search.separator or ""):
        problems.append(r"'separator' must contain \u200b")
    if search.lang and "ja" in search.lang:
        problems.append("'lang' must not contain 'ja' (TinySegmenter would re-split words)")
    if search.pipeline != []:
        problems.append(
            "'pipeline' must be [] (trimmer strips non-ASCII, the English "
            "stop-word filter drops 'it' of 「IT人材」)"
        )
    if not any(str(s) == SCRIPT for s in config.extra_javascript):
        problems.append(f"'extra_javascript' must list {SCRIPT}")
    if problems:
        raise PluginError("search_ja: " + "; ".join(problems))
    _fast_search_entries(config)
    return config


def _fast_search_entries(config: MkDocsConfig) -> None:
    """Material's search entries, with each page's HTML read by macros.html_scan's plain walk.

    Material's `SearchIndex.add_entry_from_context` feeds every page's HTML to its `Parser` (an HTMLParser, which
    steps through the markup in Python): 12% of a build at 100× data. For plain markup (tags, text and character
    references: what Python-Markdown and the templates write) `feed_plain` calls the same parser's handlers
    with the same arguments from two regular expressions; anything else is fed to it as before. The entries, and
    so search/search_index.json, are Material's (tests/test_search_units.py builds the site both ways and compares).
    Called from `on_config`, after Material's own, which makes the build's index."""
    if not FAST_PARSE:
        return
    search = config.plugins.get("material/search")
    index = getattr(search, "search_index", None)
    create = getattr(index, "create_entry_for_section", None)
    parser_class = getattr(sys.modules.get(type(index).__module__), "Parser", None)
    if create is None or parser_class is None:
        return  # the search plugin changed shape or is off: it indexes as before

    def add_entry_from_context(page: Page) -> None:  # Material's method, the parse aside
        search = page.meta.get("search") or {}
        if search.get("exclude"):
            return
        parser = parser_class()
        if not feed_plain(parser, page.content):
            parser.feed(page.content)
        parser.close()
        for section in parser.data:
            if not section.is_excluded():
                create(section, page.toc, page.url, page)

    index.add_entry_from_context = add_entry_from_context


# The lines of docs/javascripts/search-ja.js between these two that the build writes from this module's constants.
JS_BEGIN = "  /* Constants shared with hooks/search_ja.py: the build writes them from there. */\n"
JS_END = "  /* End of the shared constants. */\n"


def _js(text: str) -> str:
    """A string as JavaScript source: ASCII as it is, any other character as a \\u escape."""
    return "".join(c if c.isascii() else f"\\u{ord(c):04x}" for c in text)


def js_constants() -> str:
    """The shared constants as the browser script declares them (between JS_BEGIN and JS_END)."""
    return (
        f"{JS_BEGIN}"
        "  /** Japanese characters (kana, ideographs, iteration marks). */\n"
        f"  const JA = /[{_js(_JA)}]/\n"
        "  /** Fence around the word pairs of the hidden `pairs` index field. */\n"
        f'  const FENCE = "{_js(PAIR_FENCE)}"\n'
        f"{JS_END}"
    )


def with_constants(script: str) -> str:
    """The browser script with its shared constants written from this module."""
    start, end = script.find(JS_BEGIN), script.find(JS_END)
    if start < 0 or end < start:
        raise PluginError(f"search_ja: {SCRIPT} has lost its marked block of shared constants")
    return script[:start] + js_constants() + script[end + len(JS_END) :]


@event_priority(-100)  # after Material's search plugin has written the index
def on_post_build(config: MkDocsConfig) -> None:
    """Write the shared constants into the browser script; rewrite ``search/search_index.json`` with segmented
    titles and texts."""
    script = Path(config.site_dir) / SCRIPT
    if script.exists():
        script.write_text(with_constants(script.read_text(encoding="utf-8")), encoding="utf-8")
    path = Path(config.site_dir) / "search" / "search_index.json"
    if not path.exists():
        return
    data = json.loads(path.read_text(encoding="utf-8"))
    for doc in data["docs"]:
        pairs: list[str] = []
        for field in ("title", "text"):
            if isinstance(doc.get(field), str):
                doc[field] = segment_text(doc[field], pairs)
        if pairs:
            doc[PAIR_FIELD] = " ".join(dict.fromkeys(pairs))
    data["config"]["fields"][PAIR_FIELD] = {"boost": PAIR_BOOST}
    path.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    log.debug("search_ja: segmented %d index entries", len(data["docs"]))

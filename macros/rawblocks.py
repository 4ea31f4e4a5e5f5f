"""HTML blocks of the document pages carried through Python-Markdown without being parsed as HTML.

A document page's Markdown is headings (Markdown: the table of contents, anchors and search see them) and, between
them, HTML blocks from the templates (macros/render.py). Python-Markdown's HtmlBlockPreprocessor feeds the whole
page through an HTMLParser to find where each raw HTML block ends and stash it, and MkDocs' own preprocessor
(`_RawHTMLPreprocessor`, mkdocs/structure/pages.py) feeds it through another HTMLParser for the ids it can link
to: at 100× data, 13% of a build, for blocks whose extent and ids the renderer already knows.

So the adapter (macros/__init__.py) renders each block as one line, `token(html)`: a prefix and the block's
UTF-8 in base64 (no `<` or `&`: both parsers pass over it as plain text). This module is also a Markdown
extension (the adapter adds "macros.rawblocks" to `markdown_extensions`): right after those two preprocessors,
it puts each block into Python-Markdown's stash, as HtmlBlockPreprocessor would have, and adds the block's ids
(`id` of any tag, `name` of an `<a>`, as MkDocs records them) to MkDocs' set, so strict builds still validate
links to them. Python-Markdown's RawHtmlPostprocessor puts the block back, so the page's HTML is byte for byte
what it was (tests/test_rawblocks.py builds the site both ways and compares every file).

The token carries the block itself, so there is no state between the macro and the conversion: `mkdocs serve`'s
conversion memo (hooks/preview_cache.py) keys on the page's Markdown, which holds every block. `expand` turns a
page's Markdown back into the plain Markdown with HTML blocks (the benchmark's plain-Markdown baseline).
"""

from __future__ import annotations

import base64
import binascii
import html
import re
import secrets
from typing import Any

import markdown
from markdown.preprocessors import Preprocessor
from markdown.util import BLOCK_LEVEL_ELEMENTS

# A line of its own: PREFIX + base64 of the block's UTF-8. The prefix holds a secret made when the process starts
# (forked children share it): a text from the data can never be a token, even one that reached a line of its
# own in some page's Markdown (tests/test_hardening.py tries it with the prefix in hand).
PREFIX = f"sd-html-block-{secrets.token_hex(8)}:"
_TOKEN = re.compile(rf"^{re.escape(PREFIX)}([A-Za-z0-9+/=]+)$", re.MULTILINE)
_BLOCK_START = re.compile(r"<([a-zA-Z][a-zA-Z0-9]*)[\s>/]")
_TAG = re.compile(r"<([a-zA-Z][^\s/>]*)((?:\s[^>]*)?)>")
_BLOCK_LEVEL = frozenset(BLOCK_LEVEL_ELEMENTS)  # what Python-Markdown's RawHtmlPostprocessor leaves unwrapped
# One attribute at a time, from the tag's name on: a quoted value is consumed whole, so ` id=` inside another
# attribute's value (data text reaches aria-label) is never taken for an id.
_ATTR = re.compile(r"""([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?""")


def applies(block: str) -> bool:
    """Whether a block can be carried as a token: it starts with a block-level tag and is one Markdown block
    (no blank line, no comment, nothing that HtmlBlockPreprocessor would treat other than as one stash)."""
    m = _BLOCK_START.match(block)
    return (
        m is not None
        and m.group(1).lower() in _BLOCK_LEVEL
        and block.endswith(">")
        and "\n\n" not in block
        and "<!" not in block
        and "<?" not in block
        and "<script" not in block
        and "<style" not in block
        and 'markdown="' not in block
    )


def token(block: str) -> str:
    """The line that stands for an HTML block in a page's Markdown (the block itself if it cannot be carried)."""
    if not applies(block):
        return block
    return PREFIX + base64.b64encode(block.encode("utf-8")).decode("ascii")


def _decode(data: str) -> str | None:
    try:
        return base64.b64decode(data, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None


def expand(text: str) -> str:
    """A page's Markdown with every token replaced by its HTML block."""
    return _TOKEN.sub(lambda m: _decode(m.group(1)) or m.group(0), text)


def anchor_ids(block: str) -> set[str]:
    """The ids that MkDocs' `_HTMLHandler` records for this HTML: `id` of any tag, `name` of an `<a>`."""
    ids: set[str] = set()
    for tag in _TAG.finditer(block):
        attrs = tag.group(2)
        lowered = attrs.lower()
        if "id" not in lowered and "name" not in lowered:
            continue
        name = tag.group(1).lower()
        for attr in _ATTR.finditer(attrs):
            key = attr.group(1).lower()
            value = next((v for v in attr.group(2, 3, 4) if v is not None), None)
            if value is not None and (key == "id" or (key == "name" and name == "a")):
                ids.add(html.unescape(value) if "&" in value else value)
    return ids


class _Stash(Preprocessor):
    """Each token line becomes a stash placeholder of its block, after HtmlBlockPreprocessor (20) and MkDocs'
    anchor scan (21) have passed over the page."""

    def run(self, lines: list[str]) -> list[str]:
        ids: set[str] = set()
        out = []
        for i, line in enumerate(lines):
            if line.startswith(PREFIX) and (block := _decode(line[len(PREFIX) :])) is not None:
                # HtmlBlockPreprocessor keeps the line's end with a block that a blank line (or the end) follows.
                end = "\n" if i + 1 == len(lines) or not lines[i + 1].strip() else ""
                out.append(self.md.htmlStash.store(block + end))
                ids |= anchor_ids(block)
            else:
                out.append(line)
        if ids and "mkdocs_raw_html" in self.md.preprocessors:
            self.md.preprocessors["mkdocs_raw_html"].present_anchor_ids.update(ids)
        return out


class RawBlocks(markdown.Extension):
    def extendMarkdown(self, md: markdown.Markdown) -> None:
        md.preprocessors.register(_Stash(md), "sd_raw_blocks", 19)


def makeExtension(**kwargs: Any) -> RawBlocks:
    return RawBlocks(**kwargs)

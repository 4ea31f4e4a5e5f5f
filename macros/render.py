"""Pure render functions: model in, Markdown (with escaped HTML blocks) out. No MkDocs here.

Headings are Markdown, so that the table of contents, navigation and search see them; everything else is an
HTML block from a Jinja template with autoescape on. Text from the data is always escaped; the one markup the
data may carry is the source's own emphasis, `**…**`, turned into <strong> after escaping. A block whose source
underlines its emphasis (`emphasis: underline`) gets <strong class="sd-underline">: still emphasis to a screen
reader, drawn underlined and not bold (strategy.css, print.css).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup, escape

from .ja import date_ja, edition_note
from .model import Section, Strategy
from .pages import Links, Page, sections_on
from .publication import Publication
from .words import words

TEMPLATES = Path(__file__).parent / "templates"
CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
_EMPHASIS = re.compile(r"\*\*(.+?)\*\*")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|])")  # what Python-Markdown can escape


_STRONG = {"bold": "<strong>", "underline": '<strong class="sd-underline">'}


def inline(text: str, emphasis: str = "bold") -> Markup:
    """Escape text for HTML, keeping the source's `**…**` emphasis as <strong> (styled as `emphasis` says)."""
    escaped = str(escape(text))
    return Markup(_EMPHASIS.sub(lambda m: f"{_STRONG[emphasis]}{m.group(1)}</strong>", escaped))


@functools.lru_cache(maxsize=1 << 14, typed=True)  # `mkdocs serve` renders the same cells on every save
def cell_text(text: str, emphasis: str = "bold") -> Markup:
    """A table cell's text as runs that a line never breaks inside (`<span class="sd-word">`, see
    macros/words.py) with a <wbr> between two runs (WeasyPrint sizes a column from its longest run only when the
    break between runs is explicit), the source's emphasis kept; the runs joined are the text.

    Kept by text and emphasis (SudachiPy cuts the runs: a third of the pages' rendering)."""
    out = []
    for i, part in enumerate(_EMPHASIS.split(text)):  # odd parts are the emphasised ones
        html = "<wbr>".join(_run(run) for run in words(part)).replace(" <wbr>", " ")
        out.append(f"{_STRONG[emphasis]}{html}</strong>" if i % 2 else html)
    return Markup("<wbr>".join(o for o in out if o))


def _run(run: str) -> str:
    core = run.strip()
    if not core:
        return run
    head, tail = run[: len(run) - len(run.lstrip())], run[len(run.rstrip()) :]
    return f'{head}<span class="sd-word">{escape(core)}</span>{tail}'


def md_text(text: str) -> Markup:
    """Escape text for a Markdown heading: HTML characters and Markdown syntax become literal."""
    return Markup(_MARKDOWN_SPECIAL.sub(r"\\\1", str(escape(text)).replace("**", "")))


def circled(number: int) -> str:
    """①, ②, … for the numbers the source circles."""
    return CIRCLED[number - 1] if 1 <= number <= len(CIRCLED) else f"({number})"


ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    # Compiled templates kept between builds (checked against each template's source): a build compiles none.
    bytecode_cache=jinja2.FileSystemBytecodeCache(),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
ENV.filters["inline"] = inline
ENV.filters["cell_text"] = cell_text
ENV.filters["circled"] = circled
ENV.filters["md_text"] = md_text
ENV.filters["date_ja"] = date_ja
ENV.filters["edition_note"] = edition_note


def _compact(html: str) -> str:
    """Drop blank lines, so that Markdown keeps the HTML block whole."""
    return "\n".join(line for line in html.splitlines() if line.strip())


def render_block(strategy: Strategy, block: Any, links: Links) -> str:
    """One block as an HTML block."""
    template = ENV.get_template(f"blocks/{block.type}.html.j2")
    return _compact(template.render(b=block, s=strategy, links=links))


def heading(section: Section, level: int) -> str:
    """A Markdown heading with the section's id as its anchor."""
    return f"{'#' * min(level, 6)} {md_text(section.heading)} {{#{section.id}}}"


def _as_is(block: str) -> str:
    return block


def render_page(strategy: Strategy, page: Page, links: Links, raw: Callable[[str], str] = _as_is) -> str:
    """The Markdown of a document page: its sections' headings and blocks, in document order. `raw` gives the
    Markdown of an HTML block (the adapter's carries it past Python-Markdown's HTML parsing, macros/rawblocks.py).
    """
    parts: list[str] = []
    for section, depth in sections_on(page):
        parts.append(heading(section, depth + 1))
        parts.extend(raw(render_block(strategy, block, links)) for block in section.blocks)
        if depth == 0 and page.children:
            parts.append(raw(_compact(ENV.get_template("children.html.j2").render(page=page, links=links))))
    return "\n\n".join(parts) + "\n"


def render_template(
    name: str,
    strategy: Strategy,
    links: Links,
    pdf: str | None = None,
    pub: Publication | None = None,
    **extra: Any,
) -> str:
    """Render a page-level template (home page, about pages) from the model and the publication settings."""
    pub = pub if pub is not None else Publication()
    return ENV.get_template(name).render(s=strategy, links=links, pdf=pdf, pub=pub, **extra) + "\n"

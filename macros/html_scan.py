"""Reading and marking built pages in one pass over their HTML, in time proportional to the page.

hooks/citizen.py needs three things from every written page: its first sentences (the description), the text
nodes of its article (for ふりがな) and, in each table, every body cell's column heading (for phones); and it
marks English fragments `lang="en"` (`mark_english`, two regular expressions over the page). It used to
build a BeautifulSoup tree for each. BeautifulSoup's `html.parser` builder keeps every void element it has seen
(`<wbr>`, `<br>`, …) in a list that it scans at each end tag, so a page costs the product of its void elements and
its end tags: the table cells hold a `<wbr>` between words (macros/words.py), and the long pages of a large
document (all remarks on one page) took seconds each. Here the page is walked once, keeping only a stack of the
open elements: markup of plain tags, text and character references (all that Python-Markdown and the templates
write in an article or a table) by two regular expressions, anything else by the standard library's HTMLParser,
with the same calls to the same handlers (tests/test_html_scan.py compares the two walks).

The results are BeautifulSoup's for the same markup (tests/test_html_scan.py compares both on every built page):
the same tree rules (void elements close at once, an end tag closes up to the nearest open element of its name
and is ignored if there is none), the same strings (adjacent data joined, whitespace-only strings outside
<pre>/<textarea> folded to one space or newline, strings inside <script>, <style>, <template>, <rt>, <rp> of their
own kind and not text), the same character references.
"""

from __future__ import annotations

import html
import html.entities
import re
from collections.abc import Callable, Iterable
from html.parser import HTMLParser

# BeautifulSoup's HTMLTreeBuilder: void elements, elements whose strings are not text, whitespace kept.
VOID = frozenset(
    [
        "area",
        "base",
        "basefont",
        "bgsound",
        "br",
        "col",
        "command",
        "embed",
        "frame",
        "hr",
        "image",
        "img",
        "input",
        "isindex",
        "keygen",
        "link",
        "menuitem",
        "meta",
        "nextid",
        "param",
        "source",
        "spacer",
        "track",
        "wbr",
    ]
)
STRING_CONTAINERS = frozenset({"rt", "rp", "style", "script", "template"})
PRESERVE_WHITESPACE = frozenset({"pre", "textarea"})
_ASCII_SPACES = frozenset("\x20\x0a\x09\x0c\x0d")

# The plain walk (`Walker._walk_plain`): markup with none of these goes through HTMLParser instead. Elements whose
# content HTMLParser reads as raw text (script, style; textarea and title in newer Pythons) are left to it too.
_NOT_PLAIN = re.compile(
    r"<[!?]|<(?:script|style|textarea|title|xmp|iframe|noembed|noframes|noscript|plaintext)(?![a-zA-Z0-9-])",
    re.IGNORECASE,
)
# A start or end tag: `<name attr="v" attr='v' attr=v attr>` or `</name>`, with an optional `/` before `>`.
_PLAIN_TAG = re.compile(
    r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)"
    r"((?:\s+[^\s\"'>/=]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s\"'=<>`/]+(?=[\s>])))?)*\s*)(/?)>"
)
_PLAIN_ATTRIBUTE = re.compile(r"\s+([^\s\"'>/=]+)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s\"'=<>`/]+)))?")
_PLAIN_ENTITY = re.compile(r"&(#[0-9]+|#[xX][0-9a-fA-F]+|[a-zA-Z][a-zA-Z0-9]*);")


def _plain_attributes(attributes: str) -> list[tuple[str, str | None]]:
    return [
        (m[1], m[2] if m[2] is not None else m[3] if m[3] is not None else m[4])
        for m in _PLAIN_ATTRIBUTE.finditer(attributes)
    ]


class Element:
    """An open (or closed) element: its name, attributes, and where its start tag is in the markup."""

    __slots__ = (
        "attrs",
        "classes",
        "container",
        "end_of_start",
        "ended",
        "name",
        "parent",
        "skip",
        "start",
        "texts",
    )

    def __init__(self, name: str, attrs: dict[str, str], parent: Element | None) -> None:
        self.name = name
        self.attrs = attrs
        self.classes = attrs.get("class", "").split()
        self.parent = parent
        self.start = self.end_of_start = 0
        # the innermost open element whose strings are of their own kind (BeautifulSoup's string containers)
        self.container = name if name in STRING_CONTAINERS else (parent.container if parent else "")
        self.skip = False
        self.ended = False
        self.texts: list[str] | None = None


def _plain_tokens(markup: str) -> list[str] | None:
    """Plain markup cut at its tags (text, closing "/", name, attributes, "/", text, …), or None if it is not
    plain (see `Walker._walk_plain`)."""
    if _NOT_PLAIN.search(markup):
        return None
    tokens = _PLAIN_TAG.split(markup)
    if any("<" in text for text in tokens[::5]):
        return None  # a tag the pattern does not take
    for text in tokens[::5]:
        if "&" in text and text.count("&") != len(_PLAIN_ENTITY.findall(text)):
            return None  # an `&` that is text, or a reference HTMLParser reads its own way
    return tokens


def feed_plain(parser: HTMLParser, markup: str) -> bool:
    """Call the handlers of an HTMLParser that converts character references (`convert_charrefs=True`, the
    default) for plain markup as its `feed` and `close` would: one `handle_data` per run of text between two tags,
    references converted; `handle_starttag`, `handle_startendtag` (`<br/>`) and `handle_endtag` with the names
    lower-cased and the attribute values unescaped. False, having called nothing, for markup that is not plain
    (the caller feeds it to the parser). Material's search plugin reads every page's HTML with such a parser
    (hooks/search_ja.py); tests/test_html_scan.py compares the calls with HTMLParser's own."""
    tokens = _plain_tokens(markup)
    if tokens is None:
        return False
    for i in range(1, len(tokens) - 1, 5):
        if tokens[i] and (tokens[i + 2].strip() or tokens[i + 3]):
            return False  # an end tag with attributes or a `/`: HTMLParser reads it its own way
    unescape = html.unescape
    data, start, start_end, end = (
        parser.handle_data,
        parser.handle_starttag,
        parser.handle_startendtag,
        parser.handle_endtag,
    )
    for i in range(0, len(tokens) - 1, 5):
        text, closing, name, attributes, empty = tokens[i : i + 5]
        if text:
            data(unescape(text) if "&" in text else text)
        if closing:
            end(name.lower())
            continue
        attrs = [
            (key.lower(), None if value is None else unescape(value))
            for key, value in _plain_attributes(attributes)
        ]
        (start_end if empty else start)(name.lower(), attrs)
    if tokens[-1]:
        data(unescape(tokens[-1]) if "&" in tokens[-1] else tokens[-1])
    return True


class Walker(HTMLParser):
    """Walks markup once, calling `opened(element)` and `closed(element)` and `text(string, open_elements)` for
    each string as BeautifulSoup would hold it (only NavigableStrings: no comments, no strings of containers)."""

    positions = False  # whether elements get `start` and `end_of_start` (offsets in the markup)

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.stack: list[Element] = []
        self._data: list[str] = []
        self._lines: list[int] = [0]
        self._closed: dict[str, int] = {}  # void elements closed at their start tag, by name
        self._span: tuple[int, int] | None = None  # the start tag's offsets, on the plain walk

    # what a walk does ---------------------------------------------------------------------------------------------

    def opened(self, element: Element) -> None:
        pass

    def closed(self, element: Element) -> None:
        pass

    def text(self, string: str) -> None:
        pass

    def gather(self, string: str) -> None:
        """Add a string to the text of every open element that gathers its text (its `texts` is a list), as
        BeautifulSoup's `get_text(" ", strip=True)` would; nothing inside a skipped element."""
        if self.stack and self.stack[-1].skip:
            return
        stripped = string.strip()
        if stripped:
            for element in self.stack:
                if element.texts is not None:
                    element.texts.append(stripped)

    # the walk -----------------------------------------------------------------------------------------------------

    def walk(self, markup: str) -> None:
        if not self._walk_plain(markup):
            if self.positions:
                self._lines = [0] + [m.end() for m in re.finditer("\n", markup)]
            self.feed(markup)
            self.close()
        self._flush()
        while self.stack:
            self.closed(self.stack.pop())

    def _walk_plain(self, markup: str) -> bool:
        """Walk markup made of plain tags, text and simple character references (what Python-Markdown and the
        templates write) with two regular expressions, calling the handlers exactly as HTMLParser would; False,
        having done nothing, for anything else (comments, declarations, scripts, a `<` or `&` that is text, an
        unusual attribute), which HTMLParser then walks. HTMLParser steps through the page in Python and counts
        lines after every token: this is several times faster on the long pages."""
        tokens = _plain_tokens(markup)
        if tokens is None:
            return False
        position = 0
        for i in range(0, len(tokens) - 1, 5):
            text, closing, name, attributes, empty = tokens[i : i + 5]
            if text:
                self._plain_text(text)
            start = position + len(text)
            self._span = (start, start + len(closing) + len(name) + len(attributes) + len(empty) + 2)
            position = self._span[1]
            tag = name.lower()
            if closing:
                self.handle_endtag(tag)
                continue
            attrs = [
                (key.lower(), None if value is None else html.unescape(value))
                for key, value in _plain_attributes(attributes)
            ]
            if empty:
                self.handle_startendtag(tag, attrs)
            else:
                self.handle_starttag(tag, attrs)
        if tokens[-1]:
            self._plain_text(tokens[-1])
        self._span = None
        return True

    def _plain_text(self, text: str) -> None:
        """Text with its character references, as HTMLParser hands them over (data, references, data, …)."""
        if "&" not in text:
            self.handle_data(text)
            return
        parts = _PLAIN_ENTITY.split(text)  # data, "#…" or name, data, …
        for j, part in enumerate(parts):
            if j % 2 == 0:
                if part:
                    self.handle_data(part)
            elif part.startswith("#"):
                self.handle_charref(part[1:])
            else:
                self.handle_entityref(part)

    def _offset(self) -> int:
        line, column = self.getpos()
        return self._lines[line - 1] + column

    def _flush(self) -> None:
        if not self._data:
            return
        string = "".join(self._data)
        self._data = []
        if all(c in _ASCII_SPACES for c in string) and not any(
            e.name in PRESERVE_WHITESPACE for e in self.stack
        ):
            string = "\n" if "\n" in string else " "
        if not (self.stack and self.stack[-1].container):
            self.text(string)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._open(tag, attrs)
        if tag in VOID:  # closed at once; an end tag for it later is ignored, as BeautifulSoup does
            self._pop_to(tag)
            self._closed[tag] = self._closed.get(tag, 0) + 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._open(tag, attrs)
        self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if self._closed.get(tag):  # BeautifulSoup: the end of a void element it has closed already
            self._closed[tag] -= 1
            return
        self._pop_to(tag)

    def _open(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._flush()
        values: dict[str, str] = {}
        for key, value in attrs:  # BeautifulSoup keeps the last of a repeated attribute
            values[key] = "" if value is None else value
        element = Element(tag, values, self.stack[-1] if self.stack else None)
        if self.positions:
            if self._span:
                element.start, element.end_of_start = self._span
            else:
                element.start = self._offset()
                element.end_of_start = element.start + len(self.get_starttag_text() or "")
        self.stack.append(element)
        self.opened(element)

    def _pop_to(self, tag: str) -> None:
        """Close the nearest open element named `tag` and all open inside it; nothing if none is open."""
        self._flush()
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i].name == tag:
                while len(self.stack) > i:
                    self.closed(self.stack.pop())
                return

    def handle_data(self, data: str) -> None:
        self._data.append(data)

    def handle_charref(self, name: str) -> None:
        try:
            number = int(name[1:], 16) if name[:1] in "xX" else int(name)
        except ValueError:
            self._data.append(f"&#{name}")
            return
        self._data.append(_character(number))

    def handle_entityref(self, name: str) -> None:
        # BeautifulSoup looks the name up whole (no HTML5 prefix matching: `&notit;` stays text)
        self._data.append(html.entities.html5.get(f"{name};", f"&{name}"))

    def handle_comment(self, data: str) -> None:
        self._flush()

    def handle_decl(self, decl: str) -> None:
        self._flush()

    def handle_pi(self, data: str) -> None:
        self._flush()

    def unknown_decl(self, data: str) -> None:
        self._flush()
        if data.startswith(
            "CDATA["
        ):  # BeautifulSoup keeps it as a CData string: text for get_text, no text node
            self.cdata(data[len("CDATA[") :])

    def cdata(self, string: str) -> None:
        pass


# --- the page's text nodes (ふりがな) -------------------------------------------------------------------------------


def text_nodes(markup: str, *, skip_names: Iterable[str], skip_class: str) -> tuple[str, ...]:
    """Every text string of the markup, in order, except inside elements named `skip_names` or of class
    `skip_class`."""
    names = frozenset(skip_names)
    found: list[str] = []

    class Texts(Walker):
        def opened(self, element: Element) -> None:
            parent = element.parent
            element.skip = (
                bool(parent and parent.skip) or element.name in names or skip_class in element.classes
            )

        def text(self, string: str) -> None:
            if not (self.stack and self.stack[-1].skip):
                found.append(string)

    Texts().walk(markup)
    return tuple(found)


# --- the page's first sentences (description) ----------------------------------------------------------------------


def element_texts(
    markup: str,
    *,
    wanted: Callable[[Element], bool],
    dropped: Callable[[Element], bool],
    ended: Callable[[Element], None] | None = None,
) -> list[tuple[Element, str]]:
    """Each `wanted` element in document order with its text as BeautifulSoup's `get_text(" ", strip=True)`
    gives it, after every `dropped` element (and all inside it) has been removed. `ended` is called when a wanted
    element ends; if it raises `Enough`, the walk stops there and the elements found so far are returned."""
    order: list[Element] = []

    class Texts(Walker):
        def opened(self, element: Element) -> None:
            parent = element.parent
            element.skip = bool(parent and parent.skip) or dropped(element)
            if not element.skip and wanted(element):
                element.texts = []
                order.append(element)

        def closed(self, element: Element) -> None:
            element.ended = True
            if ended is not None and element.texts is not None:
                ended(element)

        text = cdata = Walker.gather  # get_text counts CDATA sections

    try:
        Texts().walk(markup)
    except Enough:
        pass
    return [(element, " ".join(element.texts or ())) for element in order]


class Enough(Exception):
    """Raised by a walk's callback: what follows in the markup cannot change the result."""


_FIRST = frozenset({"p"})
_THEN = frozenset({"li", "dd", "td", "th", "h2", "h3"})
_DROPPED = frozenset({"script", "style", "h1"})


def _not_own_text(element: Element) -> bool:
    """Not the page's own text: site notes, permalinks, scripts, the title."""
    return (
        element.name in _DROPPED
        or element.attrs.get("data-origin") == "site"
        or "headerlink" in element.classes
        or "sd-permalink" in element.classes
    )


def _take(texts: list[str], text: str) -> None:
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) >= 8 and text not in texts:
        texts.append(text)


def first_sentences(content: str, low: int, high: int) -> str:
    """The first texts of the page's paragraphs (else also of its list items, cells and subheadings) of 8
    characters or more, until there are `low` characters, cut at the last 。 before `high` (or at `high` with …).
    Site notes, permalinks and the title are not the page's own text.

    The walk stops as soon as the paragraphs read so far, all ended, give `low` characters: the rest of the page
    cannot change them (a long page is not read to its end for its first sentences)."""
    paragraphs: list[Element] = []
    so_far: list[str] = []

    def wanted(element: Element) -> bool:
        if element.name in _FIRST:
            paragraphs.append(element)
            return True
        return element.name in _THEN

    def ended(element: Element) -> None:
        if element.name not in _FIRST:
            return
        while paragraphs and paragraphs[0].ended:
            first = paragraphs.pop(0)
            _take(so_far, " ".join(first.texts or ()))
            if sum(map(len, so_far)) >= low:
                raise Enough

    found = element_texts(content, wanted=wanted, dropped=_not_own_text, ended=ended)
    texts: list[str] = []
    for names in (_FIRST, _THEN):
        for element, text in found:
            if element.name not in names:
                continue
            _take(texts, text)
            if sum(map(len, texts)) >= low:
                break
        if sum(map(len, texts)) >= low:
            break
    text = " ".join(texts)
    if len(text) > high:
        cut = text.rfind("。", 0, high)
        text = text[: cut + 1] if cut >= low else text[: high - 1] + "…"
    return text


# --- table cells labelled with their column's heading (phones) -----------------------------------------------------


def label_cells(table: str) -> str | None:
    """The table's markup with `data-sd-stack` on the <table> and, on each body cell (a th or td directly in a
    <tr> directly in a <tbody>), `data-label` with its column's heading; None if the table has no <thead> or a
    <thead> of more than one row (such a table keeps its grid)."""
    tables: list[Element] = []
    heads: list[Element] = []
    head_rows: list[Element] = []
    head_cells: list[tuple[Element, list[str]]] = []
    rows: list[tuple[Element, list[Element]]] = []

    class Cells(Walker):
        positions = True

        def opened(self, element: Element) -> None:
            name, parent = element.name, element.parent
            if name == "table":
                tables.append(element)
            elif name == "thead":
                heads.append(element)
            elif name == "tr":
                if heads and heads[0] in _ancestors(element):
                    head_rows.append(element)
                if parent is not None and parent.name == "tbody":
                    rows.append((element, []))
            elif name in ("th", "td"):
                if head_rows and head_rows[0] in _ancestors(element):
                    element.texts = []
                    head_cells.append((element, element.texts))
                if parent is not None and parent.name == "tr" and rows and rows[-1][0] is parent:
                    rows[-1][1].append(element)

        text = cdata = Walker.gather  # get_text counts CDATA sections

    Cells().walk(table)
    if not tables or not heads or len(head_rows) != 1:
        return None
    labels: list[str] = []
    for cell, texts in head_cells:
        labels += [re.sub(r"\s+", " ", " ".join(texts))] * int(cell.attrs.get("colspan", 1))
    inserts: list[tuple[Element, str]] = []
    taken: dict[int, int] = {}  # column -> rows still covered by a rowspan from above
    for _, cells in rows:
        column = 0
        for cell in cells:
            while taken.get(column, 0) > 0:
                column += 1
            if column < len(labels) and labels[column] and "data-label" not in cell.attrs:
                inserts.append((cell, f' data-label="{html.escape(labels[column], quote=True)}"'))
            span = int(cell.attrs.get("colspan", 1))
            for c in range(column, column + span):
                taken[c] = int(cell.attrs.get("rowspan", 1))
            column += span
        taken = {c: n - 1 for c, n in taken.items() if n > 1}
    if "data-sd-stack" not in tables[0].attrs:  # a table labelled before keeps its attributes once
        inserts.append((tables[0], ' data-sd-stack=""'))
    out, done = [], 0
    for element, attribute in sorted(inserts, key=lambda pair: pair[0].start):
        close = element.end_of_start - (
            2 if table[element.start : element.end_of_start].endswith("/>") else 1
        )
        out += [table[done:close], attribute]
        done = close
    out.append(table[done:])
    return "".join(out)


def _character(number: int) -> str:
    """A numeric character reference as BeautifulSoup reads it: 128-159 as windows-1252, anything that is no
    character as U+FFFD."""
    if 0x80 <= number <= 0x9F:
        try:
            return bytes([number]).decode("cp1252")
        except UnicodeDecodeError:
            return chr(number)
    if number > 0x10FFFF or 0xD800 <= number <= 0xDFFF:
        return "\ufffd"
    return chr(number)


def _ancestors(element: Element) -> Iterable[Element]:
    parent = element.parent
    while parent is not None:
        yield parent
        parent = parent.parent


# --- English fragments (lang="en") ---------------------------------------------------------------------------------

NO_LANG = ("script", "style", "code", "pre", "kbd", "samp", "title", "textarea", "svg", "option")
_NO_LANG_TAG = re.compile(r"<(/?)(" + "|".join(NO_LANG) + r")(?![a-zA-Z0-9])[^>]*>", re.IGNORECASE)
_ENGLISH_TEXT = re.compile(r">(\s*+)([A-Za-z]{5,}(?: [A-Za-z]+)*|[A-Za-z]+(?: [A-Za-z]+)+)(\s*+)(?=<)")


def _tag_start(markup: str, end: int) -> int:
    """Where the tag ending with the `>` at `end` starts: the first `<` after the `>` before it."""
    return markup.find("<", markup.rfind(">", 0, end) + 1, end)


def _in_tag(markup: str, at: int) -> bool:
    """Whether position `at` is inside a tag (after a `<` with no `>` since)."""
    return markup.rfind("<", 0, at) > markup.rfind(">", 0, at)


def mark_english(body: str) -> str:
    """Wrap every text that is English words alone (「APPENDIX」, 「JSON Schema」; not code, not 4-letter
    acronyms such as CSV) in <span lang="en">, so that screen readers read it in English. The text is unchanged.

    A text is what lies between two tags (`<…>`); texts inside code, scripts, styles, titles, form fields and SVG,
    or right after a tag that sets `lang=`, keep their language. Only the tags of those elements and the English
    texts are looked at, so a page costs a pass of two regular expressions, not a step per tag."""
    events: list[tuple[int, int, str, re.Match[str]]] = []  # (position, order, kind, match)
    for match in _NO_LANG_TAG.finditer(body):
        if not match[0].endswith("/>") and not _in_tag(body, match.start()):
            events.append((match.start(), 0, "close" if match[1] else "open", match))
    for match in _ENGLISH_TEXT.finditer(body):
        if _in_tag(body, match.start()):  # the `>` ends a tag
            events.append((match.start() + 1, 1, "text", match))
    events.sort(key=lambda event: (event[0], event[1]))
    skip: list[str] = []
    out: list[str] = []
    done = 0
    for _, _, kind, match in events:
        if kind == "open":
            skip.append(match[2].lower())
        elif kind == "close":
            if skip and skip[-1] == match[2].lower():
                skip.pop()
        elif not skip and "lang=" not in body[_tag_start(body, match.start()) : match.start()]:
            out += [body[done : match.start() + 1], f'{match[1]}<span lang="en">{match[2]}</span>{match[3]}']
            done = match.end()
    out.append(body[done:])
    return "".join(out)

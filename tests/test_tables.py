"""Tables and lists read as the source does: in the council PDF, in the built HTML, in the open data, in the diff.

The PDF is built once for this module (mkdocs-pdf.yml, in-process) and read back page by page with
`pdftotext -raw`, which gives each table row in reading order. Expected texts come from the model, never from
the HTML the templates wrote.

- Every table cell prints unbroken: each space-separated piece of a cell that fits a line (numbers, years,
  labels such as 「2019~2028」 and 「いわて県民計画」) is one whole word of one line of the table's pages, and in
  a longer piece that wraps, every run of digits or Latin letters stays on one line with its neighbours.
  A table's pages are the pages where its header row is one whole line (print repeats it on each page).
- A group cell (rowspan) is on every page that one of its rows reaches.
- 「label：value」 lines of a fields block with a separator print as one line and read as one line in HTML.
- Every nested list item keeps its children: in the HTML (a <li> with its own <ul>), in strategy.json, and the
  新旧対照表 names a change inside it by its nested path.
"""

from __future__ import annotations

import functools
import json
import re
import subprocess
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup, Tag
from pydantic import BaseModel

from macros.model import FieldsBlock, NestedItem, SpanCell, Strategy, TableBlock
from tests.conftest import DATA, ROOT, normalise, read_pages, site_pages

pytestmark = [pytest.mark.pdf, pytest.mark.slow]  # one PDF build and WeasyPrint renders: about two minutes

SHORT = 8  # a piece of a cell up to this many characters is a label that fits a line of any column here


def printed_below(markup: str, offset: int, css: Any) -> str:
    """The text (pdftotext -raw, pages split by form feeds) of `markup` printed with the print styles `css` below
    an empty block `offset` mm tall, so that a table meets a page end at a chosen place."""
    import weasyprint  # the PDF stack, only for the tests that print

    page = (
        '<html lang="ja"><head><meta charset="utf-8"></head><body>'
        f'<article class="md-content__inner md-typeset"><div style="height: {offset}mm"></div>{markup}'
        "</article></body></html>"
    )
    return subprocess.run(
        ["pdftotext", "-raw", "-enc", "UTF-8", "-", "-"],
        input=weasyprint.HTML(string=page).write_pdf(stylesheets=css),
        capture_output=True,
        check=True,
    ).stdout.decode("utf-8")


def page_image(pdf: Path, number: int, dpi: int, prefix: Path) -> Any:
    """Page `number` (from 1) of the PDF as a greyscale image at `dpi`, drawn by poppler's pdftoppm."""
    from PIL import Image

    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-gray", "-png", "-singlefile", "-f", str(number), "-l", str(number)]
        + [str(pdf), str(prefix)],
        check=True,
    )
    return Image.open(f"{prefix}.png").convert("L")


def norm(text: str) -> str:
    """NFKC (pdftotext gives compatibility forms for some glyphs) and whitespace folded."""
    return normalise(text, spaces=" ", emphasis=False)


@pytest.fixture(scope="module")
def built(pdf_site: Path) -> Path:
    """The real project built with its PDF: the session's (TABLES_SITE names an already built site instead)."""
    return pdf_site


@pytest.fixture(scope="module")
def pages(built: Path) -> list[list[str]]:
    """The PDF's pages, each as its lines (pdftotext -raw, reading order), normalised."""
    pdf = built / "pdf" / "strategy.pdf"
    raw = subprocess.run(
        ["pdftotext", "-raw", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    return [[norm(line) for line in page.split("\n") if line.strip()] for page in raw.split("\f")]


@pytest.fixture(scope="module")
def html(built: Path) -> dict[str, BeautifulSoup]:
    return read_pages(built)


def words(line: str) -> list[str]:
    return line.split(" ")


def contains_run(line: str, pieces: list[str]) -> bool:
    """True if the line's space-separated words hold `pieces` consecutively."""
    w, n = words(line), len(pieces)
    return any(w[i : i + n] == pieces for i in range(len(w) - n + 1))


def contains_in_order(line: str, pieces: list[str]) -> bool:
    """True if the line's words hold `pieces` in order (a row's cells, with the group cell among them)."""
    rest = iter(words(line))
    return all(any(w == piece for w in rest) for piece in pieces)


def cell_texts(cell: Any) -> list[str]:
    if isinstance(cell, SpanCell):
        return [t for t in (cell.text, *cell.items) if t.strip()]
    if isinstance(cell, list):
        return [t for t in cell if t.strip()]
    return [cell] if cell.strip() else []


def plain(text: str) -> str:
    """The text as printed: the source's ** emphasis marks are not printed."""
    return normalise(text, spaces=" ")


def header_line(table: TableBlock) -> list[str]:
    return [w for c in table.head[0] for t in cell_texts(c) for w in words(plain(t))]


def table_pages(table: TableBlock, pages: list[list[str]]) -> list[int]:
    """The pages where the table's first header row is printed as one whole line."""
    return head_pages(header_line(table), pages)


def head_pages(head: list[str], pages: list[list[str]]) -> list[int]:
    """The pages where a table's header words are printed as one whole line."""
    return [i for i, lines in enumerate(pages) if any(contains_run(line, head) for line in lines)]


def tables(strategy: Strategy) -> list[TableBlock]:
    return list(strategy.blocks(TableBlock))


def table_id(table: TableBlock) -> str:
    return table.title or "・".join(header_line(table))[:20] or "table"


# The source's own separators: a line may break after 「、」「。」「・」「/」, at a space, before or after a bracket.
SEPARATORS = set("、。・/,()「」『』【】[]“”‘’")


def table_region(head: list[str], pages: list[list[str]]) -> list[str]:
    """A table's text: on each page with its header words on one line, the lines from there to the page's end,
    joined by \\n."""
    out = []
    for i in head_pages(head, pages):
        lines = pages[i]
        first = next(n for n, line in enumerate(lines) if contains_run(line, head))
        out.append("\n".join(lines[first:]))
    return out


@functools.cache
def _tokenizer() -> Any:
    from sudachipy import Dictionary, SplitMode

    return Dictionary(dict="core").tokenizer(mode=SplitMode.C)


def allowed_breaks(text: str) -> set[int]:
    """Where a printed line may end inside `text` (positions in the text without spaces, a break after char i).

    Between the source's pieces (at its separators and spaces) always; inside a piece of up to SHORT characters
    (a label, a name: 「企業ヒアリング」) never; inside a longer piece (prose that must wrap in a column) only
    between two words (SudachiPy mode C, its longest units; a one-character noun belongs to the word after it),
    never inside a number or a Latin word.
    """
    allowed: set[int] = set()
    pieces: list[tuple[int, str]] = []  # (position of the piece's first char, the piece)
    pos, piece, start = 0, "", 0
    for ch in text:
        if ch.isspace() or ch in SEPARATORS:
            if pos:
                allowed.add(pos - 1)  # a break before the separator, or at the space
            if not ch.isspace():
                pos += 1
                allowed.add(pos - 1)  # and after it
            if piece:
                pieces.append((start, piece))
            piece, start = "", pos
            continue
        piece += ch
        pos += 1
    if piece:
        pieces.append((start, piece))
    for start, piece in pieces:
        if len(piece) <= SHORT:
            continue
        at, before = start, ""
        for morpheme in _tokenizer().tokenize(piece):
            surface = morpheme.surface()
            at += len(surface)
            # 「見／守り」: a one-character noun is a part of the word after it (a counter, 「3点」, of the number)
            if not (
                len(surface) == 1 and morpheme.part_of_speech()[0] == "名詞" and not before[-1:].isdigit()
            ):
                allowed.add(at - 1)
            before = surface
        for m in re.finditer(r"[0-9A-Za-z]+", piece):
            allowed -= set(range(start + m.start(), start + m.end() - 1))
    allowed.discard(pos - 1)
    return allowed


def unbroken_problems(text: str, regions: list[str]) -> list[str]:
    """How `text` (one cell's text) is broken on the table's pages, if it is: an empty list when it prints whole,
    or breaks only where allowed_breaks() allows. Every place where the text is printed counts."""
    chars = [c for c in plain(text) if not c.isspace()]
    if len(chars) < 2:
        return []
    body = "".join(re.escape(c) + r"(\s*)" for c in chars[:-1]) + re.escape(chars[-1])
    # a number or Latin word is not a part of a longer one (「22」 is not the end of 「p.2」 and the next row's 2)
    before = r"(?<![0-9A-Za-z.])" if chars[0].isascii() and chars[0].isalnum() else ""
    after = r"(?![0-9A-Za-z])" if chars[-1].isascii() and chars[-1].isalnum() else ""
    pattern = re.compile(before + body + after)
    allowed = allowed_breaks(plain(text))
    found, problems = 0, []
    for region in regions:
        for m in pattern.finditer(region):
            found += 1
            bad = [i for i in range(len(chars) - 1) if "\n" in m.group(i + 1) and i not in allowed]
            if bad:
                shown = "".join(c + ("／" if i in bad else "") for i, c in enumerate(chars[:-1]))
                problems.append(f"「{shown}{chars[-1]}」 broken inside a word (／)")
    if not found:
        problems.append(f"not on the table's pages: {text}")
    return problems


def test_every_table_is_printed(strategy: Strategy, pages: list[list[str]]) -> None:
    """Each table's header row prints as one whole line (no header cell, year or number broken)."""
    missing = [table_id(t) for t in tables(strategy) if not table_pages(t, pages)]
    assert missing == [], f"header row not printed whole on one line: {missing}"


@pytest.mark.parametrize("index", range(4))
def test_table_cells_print_unbroken(strategy: Strategy, pages: list[list[str]], index: int) -> None:
    all_tables = tables(strategy)
    assert len(all_tables) == 4  # the parametrisation covers every table of the data
    table = all_tables[index]
    at = table_pages(table, pages)
    assert at, f"{table_id(table)}: header row not printed whole on one line"
    regions = table_region(header_line(table), pages)
    problems = [
        p
        for row in [*table.head, *table.rows]
        for cell in row
        for t in cell_texts(cell)
        for p in unbroken_problems(t, regions)
    ]
    assert problems == [], f"{table_id(table)}: {problems}"


def framework_tables(strategy: Strategy) -> dict[str, tuple[list[str], list[str]]]:
    """The document's other tables (their own templates): (header words that print on one line, every text of
    their cells), by block type."""
    from macros.model import RemarksBlock, SolutionsBlock, ViewpointIssuesBlock

    viewpoints = strategy.framework.viewpoints
    out = {}
    for block in strategy.blocks(RemarksBlock):
        texts = [*block.columns]
        for r in block.items:
            texts += [str(r.number), r.text, r.page, *([r.response] if r.response else [])]
            texts += [p.text for p in strategy.points_naming(r.id)]
        out["remarks"] = (words(plain(" ".join(block.columns[:2]))), texts)
    for block in strategy.blocks(ViewpointIssuesBlock):
        texts = [*block.columns]
        for v in viewpoints:
            texts += [
                v.name,
                *(c.name for c in v.categories),
                *(i.text for c in v.categories for i in c.issues),
            ]
        out["viewpoint_issues"] = (words(plain(" ".join(block.columns))), texts)
    for block in strategy.blocks(SolutionsBlock):
        texts = [*block.columns]
        for v in viewpoints:
            texts += [
                v.name,
                *(g.title for g in strategy.guidelines_of(v.id)),
                *(s.text for s in v.solutions),
            ]
        out["solutions"] = (words(plain(" ".join(block.columns))), texts)
    return out


@pytest.mark.parametrize("kind", ["remarks", "viewpoint_issues", "solutions"])
def test_framework_table_cells_print_unbroken(strategy: Strategy, pages: list[list[str]], kind: str) -> None:
    """The remarks, the viewpoints' issues and the solutions are tables too: no word broken inside itself."""
    head, texts = framework_tables(strategy)[kind]
    regions = table_region(head, pages)
    assert regions, f"{kind}: header row not printed whole on one line"
    problems = [p for t in texts for p in unbroken_problems(t, regions)]
    assert problems == [], f"{kind}: {problems}"


def test_iwate_table_fits_one_page(strategy: Strategy, pages: list[list[str]]) -> None:
    """The Iwate plan's time axis: one page, the ten years as one line, the row label readable."""
    table = next(t for t in tables(strategy) if "2019" in header_line(t))
    at = table_pages(table, pages)
    assert len(at) == 1, at
    years = [f"{y}" for y in range(2019, 2029)]
    assert any(contains_run(line, years) for line in pages[at[0]])
    label = next(c for c in table.rows[0] if isinstance(c, SpanCell) and c.rowspan > 1)
    for piece in words(plain(label.text)):  # at most a break between its words, none inside one
        assert any(piece in words(line) for line in pages[at[0]]), piece


def group_rows(table: TableBlock) -> list[tuple[str, list[list[str]]]]:
    """(group cell text, the printed words of each of its rows but the group cell) for every rowspan group."""
    out = []
    for grouped, rows in table.row_groups:
        if not grouped:
            continue
        label = next(c for _, c in rows[0] if isinstance(c, SpanCell) and c.rowspan > 1)
        own = [
            [w for _, c in row if c is not label for t in cell_texts(c) for w in words(plain(t))]
            for row in rows
        ]
        out.append((plain(label.text), own))
    return out


def test_group_cells_are_on_every_page_their_rows_reach(strategy: Strategy, pages: list[list[str]]) -> None:
    grouped = [t for t in tables(strategy) if group_rows(t)]
    assert any(t.title == "参加者" for t in grouped)
    lost = []
    for table in grouped:
        at = table_pages(table, pages)
        for label, rows in group_rows(table):
            for row in rows:
                where = [i for i in at if any(contains_in_order(line, row) for line in pages[i])]
                assert where, (label, row)
                for i in where:
                    if not all(any(w in words(line) for line in pages[i]) for w in words(label)):
                        lost.append(
                            f"{table_id(table)}: row {' '.join(row)} on page {i + 1} without 「{label}」"
                        )
    assert lost == [], lost


def test_participant_rows_stay_with_their_group(strategy: Strategy, pages: list[list[str]]) -> None:
    """Each participant row prints on the page of its group's first row (the group's name is there)."""
    table = next(t for t in tables(strategy) if t.title == "参加者")
    at = table_pages(table, pages)
    for label, rows in group_rows(table):
        first = [i for i in at for line in pages[i] if contains_run(line, [rows[0][0], *words(label)])]
        assert len(first) == 1, (label, first)
        for row in rows:
            assert any(contains_in_order(line, row) for line in pages[first[0]]), (label, row)


def print_css(built: Path) -> str:
    """The council PDF's stylesheets in the plugin's order: the page's own (Material, strategy.css, print.css),
    then the plugin's print styles and its Material theme, then docs/overrides/pdf/styles.scss."""
    import sass
    from mkdocs_to_pdf import styles as plugin_styles
    from mkdocs_to_pdf import themes as plugin_themes

    css = [
        p.read_text(encoding="utf-8") for p in sorted((built / "assets" / "stylesheets").glob("main.*.css"))
    ]
    css += [
        (built / "stylesheets" / name).read_text(encoding="utf-8") for name in ("strategy.css", "print.css")
    ]
    css.append(sass.compile(filename=str(Path(plugin_styles.__file__).parent / "report-print.scss")))
    css.append(sass.compile(filename=str(Path(plugin_themes.__file__).parent / "material.scss")))
    css.append(sass.compile(filename=str(ROOT / "docs" / "overrides" / "pdf" / "styles.scss")))
    return "\n".join(css)


def test_group_cells_survive_any_page_break(
    strategy: Strategy, built: Path, html: dict[str, BeautifulSoup]
) -> None:
    """Wherever a grouped table meets the end of a page, each row prints on a page with its group's cell.

    The document's own flow may happen to keep a table on one page; this moves each grouped table down the page
    in 6 mm steps (the real table HTML, the PDF's real stylesheets, WeasyPrint) so that every break is tried.
    """
    import weasyprint

    css = [weasyprint.CSS(string=print_css(built))]  # parsed once for every render below
    grouped = [t for t in tables(strategy) if group_rows(t)]
    assert len(grouped) >= 2
    lost = []
    for table in grouped:
        head = header_line(table)
        markup = next(
            str(div)
            for soup in html.values()
            for div in soup.select("article div.sd-table")
            if [w for th in div.select("thead tr")[0].find_all("th") for w in words(plain(th.get_text(" ")))]
            == head
        )
        for offset in range(0, 240, 6):
            raw = printed_below(markup, offset, css)
            texts = [[norm(x) for x in p.split("\n") if x.strip()] for p in raw.split("\f")]
            for label, rows in group_rows(table):
                for row in rows:
                    for i, lines in enumerate(texts):
                        if any(contains_in_order(line, row) for line in lines) and not all(
                            any(w in words(line) for line in lines) for w in words(label)
                        ):
                            lost.append(f"{table_id(table)} at {offset} mm: {' '.join(row)} on page {i + 1}")
    assert lost == [], lost


# --- labelled lines ----------------------------------------------------------------------------------------


def labelled(strategy: Strategy) -> list[str]:
    lines = [
        f"{f.label}{b.separator}{f.value}"
        for b in strategy.blocks(FieldsBlock)
        if b.separator
        for f in b.items
        if isinstance(f.value, str)
    ]
    assert "アンケート対象：盛岡市役所全課" in lines
    return lines


def test_labelled_lines_read_as_the_source_writes_them(
    strategy: Strategy, pages: list[list[str]], html: dict[str, BeautifulSoup]
) -> None:
    all_lines = {line for page in pages for line in page}
    expected = labelled(strategy)
    assert [t for t in expected if plain(t) not in all_lines] == []
    shown = {
        norm(dt.get_text("") + dd.get_text(""))
        for soup in html.values()
        for dl in soup.select(".sd-fields dl")
        for dt, dd in zip(dl.find_all("dt"), dl.find_all("dd"), strict=True)
    }
    assert [t for t in expected if plain(t) not in shown] == []


# --- nested lists ------------------------------------------------------------------------------------------


def nested_items(node: Any) -> list[NestedItem]:
    """Every list item with a sub-list, in the data's order."""
    if isinstance(node, NestedItem):
        return [node, *(n for child in node.items for n in nested_items(child))]
    if isinstance(node, BaseModel):
        return [n for name in type(node).model_fields for n in nested_items(getattr(node, name))]
    if isinstance(node, (list, tuple)):
        return [n for item in node for n in nested_items(item)]
    return []


def own_text(li: Tag) -> str:
    """A list item's own text, without its sub-list."""
    return norm(
        "".join(c.get_text("") if isinstance(c, Tag) else str(c) for c in li.children if c.name != "ul")
    )


def child_texts(item: NestedItem) -> list[str]:
    return [plain(c if isinstance(c, str) else c.text) for c in item.items]


def nested_ids() -> list[str]:
    from macros.loader import load_file
    from macros.model import parse

    return [n.text[:24] for n in nested_items(parse(load_file(DATA)))]


@pytest.fixture(scope="module")
def exported(built: Path) -> Any:
    return json.loads((built / "data" / "strategy.json").read_text(encoding="utf-8"))


def json_items(node: Any) -> list[dict[str, Any]]:
    """Every {text, items} object in the exported JSON."""
    if isinstance(node, dict):
        here = [node] if set(node) == {"text", "items"} else []
        return here + [n for v in node.values() for n in json_items(v)]
    if isinstance(node, list):
        return [n for v in node for n in json_items(v)]
    return []


@pytest.mark.parametrize("index", range(len(nested_ids())), ids=nested_ids())
def test_nested_list_keeps_its_children(
    strategy: Strategy, html: dict[str, BeautifulSoup], exported: Any, index: int
) -> None:
    item = nested_items(strategy)[index]
    # HTML: a <li> whose own text is the item's, with its own <ul> holding the children, in order.
    found = [
        [own_text(li) for li in ul.find_all("li", recursive=False)]
        for soup in html.values()
        for li in soup.select("article li")
        if own_text(li) == plain(item.text)
        for ul in li.find_all("ul", recursive=False)
    ]
    assert child_texts(item) in found, (item.text, found)
    # JSON: the same object with its children, nested the same way.
    dumped = item.model_dump(mode="json")
    assert dumped in json_items(exported), item.text


def test_workshop_steps_are_children_of_the_workshop_item(strategy: Strategy, exported: Any) -> None:
    """【内容】: STEP1–3 belong under item 2 (the WS), as in the source, not beside items 1 and 2."""
    field = next(f for b in strategy.blocks(FieldsBlock) for f in b.items if f.label == "【内容】")
    assert isinstance(field.value, list) and len(field.value) == 2
    ws = field.value[1]
    assert isinstance(ws, NestedItem) and ws.text.startswith("2. WS")
    assert [s[:5] for s in ws.items] == ["STEP1", "STEP2", "STEP3"]
    assert ws.model_dump(mode="json") in json_items(exported)


def test_diff_names_a_change_inside_a_nested_list(tmp_path: Path) -> None:
    """The 新旧対照表 shows a changed sub-item under its parent item, not as a flat list line."""
    from macros.diff import compare_files

    text = DATA.read_text(encoding="utf-8")
    old = "STEP2：“目指すべき盛岡市の姿”を考えよう"
    assert text.count(old) == 1
    changed = tmp_path / "strategy.yaml"
    changed.write_text(text.replace(old, "STEP2：“目指すべき盛岡の姿”を考えよう"), encoding="utf-8")
    report, _status = compare_files(DATA, changed)
    row = next(line for line in report.splitlines() if "目指すべき盛岡の姿" in line)
    assert "内容 2 › items 2" in row, row


@pytest.fixture(scope="module")
def pdf_lines(built: Path) -> list[tuple[int, float, str]]:
    """Every printed line of the PDF in reading order: (page, x of its first word but a bullet from the page's
    left text edge, its text without spaces, NFKC), from `pdftotext -bbox-layout`."""
    xhtml = subprocess.run(
        ["pdftotext", "-bbox-layout", "-enc", "UTF-8", str(built / "pdf" / "strategy.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    soup = BeautifulSoup(xhtml, "html.parser")
    out = []
    for number, page in enumerate(soup.find_all("page")):
        lines = []
        for line in page.find_all("line"):
            found = [w for w in line.find_all("word") if w.get_text().strip() not in ("•", "◦", "▪", "✓", "")]
            if found:
                text = unicodedata.normalize("NFKC", "".join(w.get_text() for w in found)).replace(" ", "")
                lines.append((number, float(found[0]["xmin"]), text))
        # x from the page's left text edge (left and right pages have their own margins)
        left = min((x for _, x, _ in lines), default=0.0)
        out += [(n, x - left, text) for n, x, text in lines]
    return out


@pytest.mark.parametrize("index", range(len(nested_ids())), ids=nested_ids())
def test_nested_list_is_indented_in_the_pdf(
    strategy: Strategy, pdf_lines: list[tuple[int, float, str]], index: int
) -> None:
    """On paper too, a nested list item's children print under it, indented from it (not at its level)."""
    item = nested_items(strategy)[index]

    def start(text: str) -> str:
        return plain(text).replace(" ", "")[:8]

    at = next(i for i, (_, _, text) in enumerate(pdf_lines) if text.startswith(start(item.text)))
    parent_x = pdf_lines[at][1]
    for child in child_texts(item):
        at = next(i for i in range(at + 1, len(pdf_lines)) if pdf_lines[i][2].startswith(start(child)))
        page, x, _ = pdf_lines[at]
        assert x > parent_x + 6, (
            f"「{child}」 (p. {page + 1}) at x={x:.1f}, its parent 「{item.text}」 at x={parent_x:.1f}"
        )


# --- links on paper ----------------------------------------------------------------------------------------


def underlined_links(pdf: Path, work: Path) -> list[str]:
    """Links of the PDF drawn with a line under them: each link annotation's box, on the page rendered at
    100 dpi, with a row of dark pixels across it below its glyphs (where an underline is drawn)."""
    from pypdf import PdfReader

    reader = PdfReader(pdf)
    found = []
    for number, page in enumerate(reader.pages):
        rects = []
        for annot in page.get("/Annots") or []:
            a = annot.get_object()
            if a.get("/Subtype") == "/Link":
                x0, y0, x1, y1 = (float(v) for v in a["/Rect"])
                if abs(x1 - x0) >= 12:
                    rects.append((min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)))
        if not rects:
            continue
        image = page_image(pdf, number + 1, 100, work / f"p{number + 1}")
        scale, height = 100 / 72, float(page.mediabox.height)
        for x0, y0, x1, y1 in set(rects):
            left, right = round(x0 * scale) + 2, round(x1 * scale) - 2
            top, bottom = round((height - y1) * scale), round((height - y0) * scale)
            for row in range(
                top + round(0.7 * (bottom - top)), bottom
            ):  # below the glyphs, where a line goes
                dark = sum(image.getpixel((x, row)) < 140 for x in range(left, right))
                if dark >= 0.9 * (right - left):
                    found.append(f"p. {number + 1} at x={x0:.0f}, y={y0:.0f}")
                    break
    return found


def test_print_shows_links_as_text(built: Path, tmp_path: Path) -> None:
    """The city underlines no link: on paper, goal titles, guidelines and remark numbers read as plain text."""
    assert underlined_links(built / "pdf" / "strategy.pdf", tmp_path) == []


def test_viewpoint_names_survive_any_page_break(
    strategy: Strategy, built: Path, html: dict[str, BeautifulSoup]
) -> None:
    """The viewpoints' issues table: a page with a category's row has its viewpoint's name (the group cell),
    wherever the table meets the end of a page (moved down the page in 12 mm steps, as above)."""
    import weasyprint

    css = [weasyprint.CSS(string=print_css(built))]
    markup = next(
        str(div) for soup in html.values() for div in soup.select("article div.sd-viewpoint-issues")
    )
    flat = {
        v.name: [plain(c.name).replace(" ", "") for c in v.categories] for v in strategy.framework.viewpoints
    }
    lost = []
    for offset in range(0, 240, 12):
        raw = printed_below(markup, offset, css)
        for number, text in enumerate(raw.split("\f")):
            joined = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))
            for name, categories in flat.items():
                shown = [c for c in categories if unicodedata.normalize("NFKC", c) in joined]
                if shown and plain(name).replace(" ", "") not in joined:
                    lost.append(f"at {offset} mm, page {number + 1}: {shown} without 「{name}」")
    assert lost == [], lost


def test_chart_notes_stay_with_the_chart_note(built: Path, html: dict[str, BeautifulSoup]) -> None:
    """「※ 複数回答可の設問」 follows the site's note on the chart it describes and prints on that note's page,
    wherever the page ends (the two moved down the page in 3 mm steps, the PDF's stylesheets, WeasyPrint)."""
    import weasyprint

    notes = [
        p
        for soup in html.values()
        for p in soup.select("article p.sd-note")
        if norm(p.get_text()) == "※ 複数回答可の設問"
    ]
    assert len(notes) == 1
    chart = notes[0].find_previous_sibling()
    assert (
        chart is not None
        and chart.get("data-origin") == "site"
        and "WSに参加して得られたもの" in chart.get_text()
    )
    css = [weasyprint.CSS(string=print_css(built))]
    apart = []
    for offset in range(200, 262, 3):
        page = (
            '<html lang="ja"><head><meta charset="utf-8"></head><body>'
            f'<article class="md-content__inner md-typeset"><div style="height: {offset}mm"></div>{chart}{notes[0]}'
            "</article></body></html>"
        )
        raw = subprocess.run(
            ["pdftotext", "-raw", "-enc", "UTF-8", "-", "-"],
            input=weasyprint.HTML(string=page).write_pdf(stylesheets=css),
            capture_output=True,
            check=True,
        ).stdout.decode("utf-8")
        for text in raw.split("\f"):
            text = re.sub(r"\s+", "", text)
            if "複数回答可の設問" in text and "掲載していません" not in text:
                apart.append(offset)
    assert apart == [], f"the note printed apart from the chart's note at {apart} mm"


# --- emphasis on paper -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def font_runs(built: Path) -> tuple[str, str]:
    """The PDF's text as two streams, from the fonts it is set in (pypdf): the bold text, and the regular text;
    a run of the other weight is one "|" in each, so that a text found in a stream was set in that weight."""
    from pypdf import PdfReader

    chunks: list[tuple[bool, str]] = []

    def visit(text: str, cm: Any, tm: Any, font: Any, size: Any) -> None:
        if text.strip() and font is not None:
            chunks.append(("Bold" in str(font.get("/BaseFont", "")), unicodedata.normalize("NFKC", text)))

    for page in PdfReader(built / "pdf" / "strategy.pdf").pages:
        page.extract_text(visitor_text=visit)
    streams = []
    for weight in (True, False):
        streams.append(re.sub(r"\s+", "", "".join(t if bold == weight else "|" for bold, t in chunks)))
    return streams[0], streams[1]


def underline_texts(strategy: Strategy) -> list[str]:
    """The texts of the tables whose source underlines its emphasis (`emphasis: underline`)."""
    found = [
        t
        for table in tables(strategy)
        if table.emphasis == "underline"
        for row in [*table.head, *table.rows]
        for c in row
        for t in cell_texts(c)
    ]
    assert any("**" in t for t in found)  # the staff-hearing table (期待感/課題感)
    return found


def test_emphasis_prints_as_the_source_marks_it(strategy: Strategy, font_runs: tuple[str, str]) -> None:
    """The source's `**…**` emphasis prints bold where the source sets it bold, and only it: the words around it
    print regular; in a table whose source underlines its emphasis, the emphasised words print regular, not bold
    (their underline: test_underlined_emphasis_prints_underlined)."""
    from tests.conftest import iter_texts

    bold, regular = font_runs
    underlined = set(underline_texts(strategy))
    emphasised = [t for t in iter_texts(strategy) if "**" in t]
    assert len(emphasised) >= 10
    problems = []
    for text in emphasised:
        parts = re.split(r"\*\*(.+?)\*\*", unicodedata.normalize("NFKC", text))
        for i, part in enumerate(parts):
            part = re.sub(r"\s+", "", part)
            if i % 2 and text in underlined:
                if part in bold or part not in regular:
                    problems.append(f"bold, not regular, though the source underlines it: 「{part}」")
            elif i % 2 and part not in bold:
                problems.append(f"not bold: 「{part}」")
            if not i % 2 and len(part) >= 4 and part not in regular:
                problems.append(f"not regular: 「{part}」")
    assert problems == [], problems


def underlined_lines(pdf: Path, work: Path, texts: list[str], head: list[str]) -> tuple[dict[str, bool], int]:
    """Each printed line (a run of text in one font, pypdf) that is one of `texts` or a piece of one, on the
    pages that print the words `head`: whether a row of dark pixels runs under it, below its baseline (the page
    rendered at 200 dpi), across the width its characters take at the least (half an em each). Also the number of
    pages read."""
    from pypdf import PdfReader

    wanted = [re.sub(r"\s+", "", unicodedata.normalize("NFKC", t)) for t in texts]
    found: dict[str, bool] = {}
    pages = 0
    reader = PdfReader(pdf)
    for number, page in enumerate(reader.pages):
        runs: list[tuple[str, float, float, float]] = []

        def visit(
            text: str,
            cm: Any,
            tm: Any,
            font: Any,
            size: Any,
            runs: list[tuple[str, float, float, float]] = runs,
        ) -> None:
            text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))
            if len(text) >= 4 and font is not None and any(text in w for w in wanted):
                scale = abs(cm[0])  # WeasyPrint: CSS pixels to points, y downwards from the page's top
                runs.append((text, tm[4] * scale + cm[4], tm[5] * scale, float(size) * scale))

        content = page.extract_text(visitor_text=visit)
        if not runs or not all(h in content for h in head):
            continue
        pages += 1
        image = page_image(pdf, number + 1, 200, work / f"u{number + 1}")
        px = 200 / 72
        for text, x, baseline, size in runs:
            left, right = round((x + 1) * px), round((x + 0.5 * size * len(text)) * px)
            band = range(round(baseline * px), round((baseline + 0.4 * size) * px) + 1)
            under = any(
                sum(image.getpixel((c, row)) < 160 for c in range(left, right)) >= 0.95 * (right - left)
                for row in band
            )
            found[text] = found.get(text, False) or under
    return found, pages


def test_underlined_emphasis_prints_underlined(strategy: Strategy, built: Path, tmp_path: Path) -> None:
    """In a table whose source underlines its emphasis, every printed line of emphasised words has a line under
    it, and no line of the table's other words has one."""
    texts = underline_texts(strategy)
    emphasised = [m for t in texts for m in re.findall(r"\*\*(.+?)\*\*", t)]
    around = [p for t in texts for i, p in enumerate(re.split(r"\*\*(.+?)\*\*", t)) if not i % 2]
    pdf = built / "pdf" / "strategy.pdf"
    head = [h for table in tables(strategy) if table.emphasis == "underline" for h in header_line(table)]
    lines, pages = underlined_lines(pdf, tmp_path, emphasised, head)
    assert pages >= 1 and len(lines) >= 4, lines
    assert [t for t, under in lines.items() if not under] == []
    emphasised_flat = [re.sub(r"\s+", "", unicodedata.normalize("NFKC", e)) for e in emphasised]
    plain_lines, _ = underlined_lines(pdf, tmp_path, [p for p in around if p.strip()], head)
    plain_lines = {t: u for t, u in plain_lines.items() if not any(t in e for e in emphasised_flat)}
    assert len(plain_lines) >= 2, plain_lines
    assert [t for t, under in plain_lines.items() if under] == []


def test_underlined_emphasis_is_marked_in_html(strategy: Strategy, html: dict[str, BeautifulSoup]) -> None:
    """The built pages: a table whose source underlines its emphasis marks each emphasis as
    <strong class="sd-underline"> (still emphasis to a screen reader), and no other emphasis is marked so."""
    expected = sorted(
        plain(m)
        for table in tables(strategy)
        if table.emphasis == "underline"
        for row in [*table.head, *table.rows]
        for c in row
        for t in cell_texts(c)
        for m in re.findall(r"\*\*(.+?)\*\*", t)
    )
    assert len(expected) >= 4
    marked = sorted(
        norm(e.get_text()) for soup in html.values() for e in soup.select("article strong.sd-underline")
    )
    assert marked == expected
    for soup in html.values():
        for div in soup.select("article div.sd-table"):
            if div.select("strong.sd-underline"):
                assert all("sd-underline" in (e.get("class") or []) for e in div.select("strong"))


# --- on screen ---------------------------------------------------------------------------------------------


@pytest.mark.browser
def test_cell_words_stay_whole_on_screen(built: Path) -> None:
    """In Chromium, at a desktop's and a phone's width, every word of every table cell (a .sd-word run) is on
    one line: a cell wraps between words (the phone's cards and the scrolling grids alike)."""
    from tests.conftest import chromium, serve

    paths = [
        p for p in site_pages(built) if 'class="sd-word"' in (built / p / "index.html").read_text("utf-8")
    ]
    assert len(paths) >= 6
    broken = []
    with serve(built) as url, chromium() as browser:
        for width in (1280, 375):
            page = browser.new_page(viewport={"width": width, "height": 900})
            for path in paths:
                page.goto(url + path)
                found = page.evaluate(
                    """() => [...document.querySelectorAll("article .sd-table .sd-word")]
                         .filter(w => new Set([...w.getClientRects()].map(r => Math.round(r.top))).size > 1)
                         .map(w => w.textContent)"""
                )
                broken += [f"{width} px, {path}: 「{w}」" for w in found]
            page.close()
    assert broken == [], broken


@pytest.mark.browser
def test_underlined_emphasis_on_screen(built: Path) -> None:
    """In Chromium, the source's underlined emphasis is underlined and not bold (strategy.css), while the other
    emphasis (on pages with tables too) stays bold and not underlined."""
    from tests.conftest import chromium, serve

    texts = {p: (built / p / "index.html").read_text("utf-8") for p in site_pages(built)}
    paths = [p for p, t in texts.items() if 'class="sd-underline"' in t]
    assert len(paths) == 1, paths
    paths += [p for p, t in texts.items() if "<strong>" in t and "sd-table" in t][:2]
    styles = []
    with serve(built) as url, chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        for path in paths:
            page.goto(url + path)
            styles += page.evaluate(
                """() => [...document.querySelectorAll("article strong")].map(e => {
                     const s = getComputedStyle(e);
                     return [e.classList.contains("sd-underline"), Number(s.fontWeight), s.textDecorationLine];
                   })"""
            )
        page.close()
    underlined = [s for s in styles if s[0]]
    others = [s for s in styles if not s[0]]
    assert len(underlined) >= 4 and len(others) >= 4, styles
    assert all(w <= 400 and "underline" in d for _, w, d in underlined), underlined
    assert all(w >= 700 and "underline" not in d for _, w, d in others), others

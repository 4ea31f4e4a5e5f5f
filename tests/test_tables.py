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

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup, Tag
from pydantic import BaseModel

from macros.model import FieldsBlock, NestedItem, SpanCell, Strategy, TableBlock
from tests.conftest import DATA, ROOT, normalise, read_pages

SHORT = 7  # a piece of a cell up to this many characters is a word that fits a line of any column here


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
    head = header_line(table)
    return [i for i, lines in enumerate(pages) if any(contains_run(line, head) for line in lines)]


def tables(strategy: Strategy) -> list[TableBlock]:
    return list(strategy.blocks(TableBlock))


def table_id(table: TableBlock) -> str:
    return table.title or "・".join(header_line(table))[:20] or "table"


def unbroken_problems(text: str, lines: list[str]) -> list[str]:
    """How `text` (one cell's text) is broken in `lines`, if it is: an empty list when it prints whole."""
    problems = []
    joined = "".join(lines).replace(" ", "")
    if plain(text).replace(" ", "") not in joined:
        problems.append(f"not on the table's pages: {text}")
    for piece in words(plain(text)):
        if len(piece) <= SHORT:
            if not any(piece in words(line) for line in lines):
                problems.append(f"「{piece}」 is not one whole word of a line")
            continue
        # A long piece wraps; its numbers and Latin words do not break, and stay with their neighbours.
        for m in re.finditer(r"[0-9A-Za-z]{2,}", piece):
            context = piece[max(0, m.start() - 1) : m.end() + 1]
            if not any(context in line for line in lines):
                problems.append(f"「{m.group()}」 broken in 「{piece}」")
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
    lines = [line for i in at for line in pages[i]]
    problems = [
        p
        for row in [*table.head, *table.rows]
        for cell in row
        for t in cell_texts(cell)
        for p in unbroken_problems(t, lines)
    ]
    assert problems == [], f"{table_id(table)}: {problems}"


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
            page = (
                '<html lang="ja"><head><meta charset="utf-8"></head><body>'
                f'<article class="md-content__inner md-typeset"><div style="height: {offset}mm"></div>{markup}'
                "</article></body></html>"
            )
            raw = subprocess.run(
                ["pdftotext", "-raw", "-enc", "UTF-8", "-", "-"],
                input=weasyprint.HTML(string=page).write_pdf(stylesheets=css),
                capture_output=True,
                check=True,
            ).stdout.decode("utf-8")
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

"""Faithfulness of data/strategy.yaml to the city's source text, in both directions.

The source is the slide-deck text of the advisory-board material, committed in `source/` with its README (how to
read it), so that these tests run in any clone.

How the two sides are compared
------------------------------
Comparison is exact, except that runs of whitespace fold to one space and ends are trimmed. No NFKC, no removal of
punctuation. On the source side only presentation is taken away, never wording:

- leading list markers `-`, `・`, `•`, `▶`, `✓` (and `→`, the arrow the concept figure draws between its two
  sentences; the model's concept block draws it from `form: arrow`);
- HTML tags of the table fragments; `<u>…</u>` becomes `**…**`, which is how the data writes the underline;
- table rows are split at tabs; a `<ul>` cell is split into its `•` items.

Where the data stores one source line in parts, the model side is composed before comparing (`compositions`):
a numbered heading is `number title`; `① 市民の生活` is a goal's number and label; `① やさしい…` and the bare `1`
line before a guideline title are a guideline's number and title; `実施期間：…` is a field's label and value;
`2022年12月1日` is meta.date; the issues of one category are one table cell in the source, written one after the
other with a space; the remarks list title is printed on two slides as `（1/2）` and `（2/2）`. Where the source breaks one sentence over several
lines (slide wrapping, the vertical 「5年間計画期間」 label, the motto in the picture), the lines are joined as
listed in `JOINS`. A fields block with a `separator` holds lines such as 「アンケート対象：盛岡市役所全課」 as label,
separator and value. Table rows are compared row by row and column by column (a spanning cell's text in its first
column, the columns it covers empty), so that numbers, ages, pages and months stay in their row and column.

Deliberately absent source lines are in `EXCLUDED` and `TOC`, each with its reason; the texts that are the site's
own (not the city's) are in `OURS`; page material printed twice is in `REPEATED`; the notes the data places
next to what they describe rather than where the slide prints them are in `MOVED`. All lists are checked against
the files, so they cannot go stale.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from pydantic import BaseModel

from macros.model import (
    Category,
    FieldsBlock,
    ListBlock,
    RemarksBlock,
    Section,
    SpanCell,
    Strategy,
    TableBlock,
    TextBlock,
    ViewpointIssuesBlock,
)
from tests.conftest import DATA, ROOT, normalise

SOURCE = ROOT / "source" / "advisory-board-2022-12-01.txt"

CIRCLED = "①②③④⑤⑥⑦⑧⑨"
MARKERS = re.compile(r"^(?:[-・•▶✓→]\s*)+")

# Fields that hold ids, references to ids, or settings: not text of the document.
NOT_TEXT = frozenset(
    {
        "id",
        "type",
        "url",
        "marker",
        "style",
        "form",
        "emphasis",
        "viewpoint",
        "goal",
        "concept",
        "remarks",
        "addressed_by",
    }
)

# --- what is deliberately not in the data -------------------------------------------------------------------

# The table of contents at the top (目次 and its rows: title, dots, page). The site and the PDF make their own
# contents from the headings; the body headings are what the data holds (the TOC words differ for ①〜⑤, which a
# 原文注 in the YAML records).
TOC = [
    "1. 本戦略骨子のリバイズ",
    "(1) 前回会議でのご指摘事項",
    "(2) 戦略目標・戦略コンセプト案",
    "① 本戦略の骨子",
    "② 戦略目標案",
    "③ 戦略コンセプト案",
    "④ コンセプト策定に至る背景",
    "⑤ コンセプト案を踏まえた将来像（具体例）",
    "2. 戦略骨子を踏まえた行動指針案",
    "(1) 3つの視点の行動指針案",
    "(2) 各視点の行動指針案に紐づいた解決方法",
    "3. 市民・企業の意識・意見の取込み",
    "(1) 市民ワークショップ実施報告",
    "(2) 市民／企業向けアンケート実施概要",
    "4. 庁内（組織・職員）の意識・意見の取込み",
    "(1) 庁内アンケートの結果報告",
    "(2) 庁内ヒアリングの結果報告",
    "5. 【参考】岩手県DX推進計画（素案）",
    "• APPENDIX",
]


# Source lines (after marker stripping) that are not in the data, by reason. `must_not_publish` ones are also
# asserted absent from every text of the model.
@dataclass(frozen=True)
class Exclusion:
    reason: str
    texts: tuple[str, ...]
    must_not_publish: bool = False


EXCLUDED = [
    Exclusion("heading of the table of contents (the site makes its own contents)", ("目次",)),
    Exclusion(
        "arrows of the vertical 「5年間計画期間」 label of the skeleton figure (the label is kept)",
        ("↑", "↓"),
    ),
    Exclusion(
        "e-mail marker of the form screenshot: personal data, never published",
        ("［画面の写り込み：アカウントのメールアドレス（非掲載）］",),
        must_not_publish=True,
    ),
    Exclusion(
        "form-screen widgets of the survey screenshots, not content",
        ("アカウントを切り替える", "*必須"),
        must_not_publish=True,
    ),
    # 選択 is also a word of the city's text (選択式), so only the widget line itself is kept out.
    Exclusion("form-screen widget (the drop-down of each question), not content", ("選択",)),
    Exclusion(
        "photo captions with no picture (【参考】 当日写真)",
        ("【参考】 当日写真", "グループ1", "グループ2", "グループ3", "WSの様子"),
    ),
    Exclusion(
        "chart titles whose data the source does not give; an editorial note says so (see test_chart_titles)",
        ("WS参加の満足度", "WSに参加して得られたもの"),
    ),
]

# Form questions shown with the required marker `*` and the free-text field `: _____` of the screenshots:
# the data keeps the question without the form's marks (a 原文注 in the YAML says so).
FORM_MARKS = {
    "性別をお答えください*": "性別をお答えください",
    "年齢をお答えください*": "年齢をお答えください",
    "職業をお答えください*": "職業をお答えください",
    "貴社の業種をお答えください*": "貴社の業種をお答えください",
    "その他: _____": "その他",
}

# Source lines printed more often than the data holds them: page material repeated on a following slide.
# (Framework texts — concept, goals, guidelines, viewpoints — are repeated on purpose: the data holds them once
# and the blocks show them by reference.)
REPEATED = {
    "※ 第1回外部有識者会議議事録より抜粋": "under both slides of the remarks list, which the data holds as one table",
    "計画の基本方針と具体的な取組": "page heading of the Iwate plan, repeated on its next slide",
}

# Source rows that the data stores as lists, not as a table: compared cell by cell.
ROWS_AS_LISTS = [
    ("産業", "交通", "観光"),
    ("盛岡が抱える各種課題をデジタルで解決",),
    ("防災", "社会福祉", "教育"),
    ("歴史", "自然", "祭り"),
    ("盛岡が保有する資源・資産をデジタルで成長・発展",),
    ("スポーツ", "文化", "飲食"),
]

# Consecutive source lines that are one text in the data: (lines, separator, reason).
JOINS = [
    (
        (
            "年代問わず、岩手山や川など豊かな自然を盛岡市の良いところとして挙げる声が多く、他にも食や祭りなどの文化に対して良さを感",
            "じている",
        ),
        "",
        "slide wrapping inside a word (a 原文注 in the YAML says so)",
    ),
    (
        (
            "盛岡の良さを活かして若者が残りたいと思うまち、そして子どもからお年寄りまですべての市民が安全に暮らせるまちを目指したら",
            "よいのではないかという意見が挙がった",
        ),
        "",
        "slide wrapping inside a word",
    ),
    (
        (
            "QCDの観点から3案を検討した結果、",
            "地域への浸透のしやすさ、地域課題・長所との整合性、実行の容易性の3点より、",
            "『Quality優位』の戦略コンセプト案（前頁）を採用することとした",
        ),
        "",
        "one sentence wrapped after its commas",
    ),
    (
        ("パルクアベニュー・カワトクcube-II地下1階", "「盛岡という星でBASE STATION」"),
        "",
        "one address in two lines",
    ),
    (("2022年11月下旬～", "(約3週間程度を予定)"), " ", "one period in two lines"),
    (
        (
            "※ 3つの視点の課題⇔行動指針案⇔解決方法の一覧は、",
            "別紙「【資料02】戦略骨子を踏まえた行動指針案」を参照ください",
        ),
        "",
        "one note wrapped after its comma",
    ),
    (
        (
            "※ アンケート実施結果のまとめについては、",
            "別紙「【資料03】盛岡市_庁内アンケートまとめ」を参照ください",
        ),
        "",
        "one note wrapped after its comma",
    ),
    (
        (
            "※ ヒアリング実施結果のまとめについては、",
            "別紙「【資料04】盛岡市_庁内ヒアリングまとめ」を参照ください",
        ),
        "",
        "one note wrapped after its comma",
    ),
    (tuple("5年間計画期間"), "", "the vertical label, one character per line"),
    (
        ("コツコツと", "盛岡の良さを", "紡いで伸ばす"),
        "",
        "the motto in the centre of the future-vision picture",
    ),
]

# Texts of the model that are the site's own, not the city's, with the reason. Exact texts.
OURS = {
    "盛岡市デジタル化によるまちづくり推進戦略": "meta.title: the strategy's name, cut from the meeting's name in the title line",
    "案": "meta.status: the state of the document (every heading says 案)",
    "視点": "column header of the viewpoint tables: the source's first header cell is empty (a picture)",
    "「WS参加の満足度」は原資料ではグラフで示されており、その数値は資料の本文に含まれていないため掲載していません。": (
        "editorial note (style: editorial) in place of a chart with no data"
    ),
    "「WSに参加して得られたもの」は原資料ではグラフで示されており、その数値は資料の本文に含まれていないため掲載していません。": (
        "editorial note (style: editorial) in place of a chart with no data"
    ),
    "原資料のこの位置には、ワークショップ当日の写真があります（このサイトでは省略）。": (
        "editorial note (style: editorial) in place of the photos, whose captions are excluded above"
    ),
}

# Source notes that the data places with what they describe, not where the slide prints them:
# note → (the chart title of the editorial note it follows in the data, reason).
MOVED = {
    "※ 複数回答可の設問": (
        "WSに参加して得られたもの",
        (
            "printed at the foot of the slide, it describes the multiple-choice question charted as "
            "「WSに参加して得られたもの」, not the free-text list printed above it"
        ),
    ),
}


# --- the source, cut into units ------------------------------------------------------------------------------


def fold(text: str) -> str:
    return normalise(text, spaces=" ", nfkc=False, emphasis=False)


def clean_html(cell: str) -> list[str]:
    """A table cell as its texts: `<ul>` cells give their `•` items, other tags are dropped."""
    cell = cell.replace("<u>", "**").replace("</u>", "**")
    is_list = "<ul" in cell
    cell = fold(re.sub(r"<[^>]+>", " ", cell))
    if is_list and "•" in cell:
        return [fold(item) for item in cell.split("•") if fold(item)]
    return [cell] if cell else []


@dataclass
class Unit:
    line: int  # 1-based line of the source where the unit starts
    text: str
    kind: str  # "line", "cell", "item"


# A table row by column: each column's texts, trailing empty columns cut.
Columns = tuple[tuple[str, ...], ...]


@dataclass
class Row:
    line: int
    cells: list[str]  # non-empty cells in order, <ul> cells flattened into their items
    raw: str

    @property
    def columns(self) -> Columns:
        return trim(tuple(tuple(clean_html(cell)) for cell in self.raw.split("\t")))


def trim(columns: Columns) -> Columns:
    while columns and not columns[-1]:
        columns = columns[:-1]
    return columns


@dataclass
class Source:
    units: list[Unit] = field(default_factory=list)  # document order, TOC left out
    lines: list[Unit] = field(default_factory=list)  # the line units only (what must be in the data)
    rows: list[Row] = field(default_factory=list)
    toc: list[Row] = field(default_factory=list)
    joins_used: Counter = field(default_factory=Counter)
    raw: str = ""


def read_source() -> Source:
    raw = SOURCE.read_text(encoding="utf-8")
    src = Source(raw=raw)
    lines = raw.split("\n")
    body_start = next(
        i for i, line in enumerate(lines) if fold(line) == "1. 本戦略骨子のリバイズ" and "\t" not in line
    )
    toc_start = next(i for i, line in enumerate(lines) if fold(line) == "目次")
    i = 0
    pending_number: Unit | None = None
    while i < len(lines):
        line = lines[i]
        if "\t" in line:
            cells = [t for cell in line.split("\t") for t in clean_html(cell)]
            row = Row(i + 1, cells, line)
            if toc_start < i < body_start:
                src.toc.append(row)
            else:
                src.rows.append(row)
                for cell in line.split("\t"):
                    items = clean_html(cell)
                    kind = "item" if len(items) > 1 else "cell"
                    src.units.extend(Unit(i + 1, t, kind) for t in items)
            i += 1
            continue
        text = MARKERS.sub("", fold(line))
        if not text:
            i += 1
            continue
        for parts, sep, _reason in JOINS:
            window = [MARKERS.sub("", fold(x)) for x in lines[i : i + len(parts)]]
            if tuple(window) == parts:
                text = sep.join(parts)
                src.joins_used[parts] += 1
                i += len(parts) - 1
                break
        unit = Unit(i + 1, FORM_MARKS.get(text, text), "line")
        i += 1
        if re.fullmatch(r"\d+", unit.text):
            # A bare number is a guideline's number printed above its title: composed with the next line.
            pending_number = unit
            continue
        if pending_number is not None:
            unit = Unit(pending_number.line, f"{pending_number.text} {unit.text}", "line")
            pending_number = None
        src.units.append(unit)
        src.lines.append(unit)
    return src


# --- the model, walked generically ---------------------------------------------------------------------------


def walk(node: Any, path: str = "") -> Iterator[tuple[str, str, Any]]:
    """(path, text, owner) for every text value of the model, in file order."""
    if isinstance(node, BaseModel):
        for name in type(node).model_fields:
            if name in NOT_TEXT:
                continue
            value = getattr(node, name)
            if isinstance(value, str):
                if value.strip():
                    yield f"{path}.{name}", value, node
            else:
                yield from walk(value, f"{path}.{name}")
    elif isinstance(node, (list, tuple)):
        for index, item in enumerate(node):
            if isinstance(item, str):
                if item.strip():
                    yield f"{path}[{index}]", item, node
            else:
                yield from walk(item, f"{path}[{index}]")


def texts(strategy: Strategy) -> list[tuple[str, str, Any]]:
    return list(walk(strategy))


def compositions(strategy: Strategy) -> dict[str, list[str]]:
    """Source units that the data stores in parts: composed text → the model texts it is made of."""
    out: dict[str, list[str]] = {}
    date = strategy.meta.date  # a date, not a text: written the source's way
    out[f"{date.year}年{date.month}月{date.day}日"] = []
    for section in strategy.sections():
        if section.number:
            out[section.heading] = [section.number, section.title]
    remarks_list = strategy.get("remarks-list")
    for part in ("（1/2）", "（2/2）"):
        out[remarks_list.title + part] = [remarks_list.title]
    for goal in strategy.framework.goals:
        out[f"{CIRCLED[goal.number - 1]} {goal.label}"] = [goal.label]
    for guideline in strategy.framework.guidelines:
        out[f"{CIRCLED[guideline.number - 1]} {guideline.title}"] = [guideline.title]
        out[f"{guideline.number} {guideline.title}"] = [guideline.title]
    for composed, parts in labelled_lines(strategy):
        out[composed] = parts
    for viewpoint in strategy.framework.viewpoints:
        for category in viewpoint.categories:
            out[issues_cell(category)] = [i.text for i in category.issues]
    return out


def labelled_lines(node: Any) -> list[tuple[str, list[str]]]:
    """The source's 「label：value」 lines that fields blocks with a separator hold in parts: (line, parts)."""
    blocks = {id(o): o for _, _, o in walk(node) if isinstance(o, FieldsBlock) and o.separator}
    return [
        (f"{f.label}{b.separator}{f.value}", [f.label, b.separator, f.value])
        for b in blocks.values()
        for f in b.items
        if isinstance(f.value, str)
    ]


def issues_cell(category: Category) -> str:
    return " ".join(i.text for i in category.issues)


def flat(cell: Any) -> list[str]:
    if isinstance(cell, SpanCell):
        return [t for t in [cell.text, *cell.items] if t.strip()]
    if isinstance(cell, list):
        return [t for t in cell if t.strip()]
    return [cell] if cell.strip() else []


def grid(rows: list[list[Any]]) -> list[Columns]:
    """A table's rows by column: a spanning cell's text in its first column, the columns it covers empty."""
    covered: set[tuple[int, int]] = set()  # (row, column) taken by a rowspan from above
    out = []
    for r, row in enumerate(rows):
        columns: list[tuple[str, ...]] = []
        for cell in row:
            while (r, len(columns)) in covered:
                columns.append(())
            colspan = cell.colspan if isinstance(cell, SpanCell) else 1
            rowspan = cell.rowspan if isinstance(cell, SpanCell) else 1
            covered |= {(rr, len(columns) + c) for rr in range(r + 1, r + rowspan) for c in range(colspan)}
            columns += [tuple(flat(cell))] + [()] * (colspan - 1)
        out.append(trim(tuple(columns)))
    return out


def model_rows(strategy: Strategy) -> list[Columns]:
    """Every table row the data can show, column by column (our own column labels as empty columns)."""
    rows: list[Columns] = []
    for table in strategy.blocks(TableBlock):
        rows += grid([*table.head, *table.rows])
    for block in strategy.blocks(RemarksBlock):
        rows.append(tuple((c,) for c in block.columns))
        rows += [((str(r.number),), (r.text,), (r.page,)) for r in block.items]
    for block in strategy.blocks(ViewpointIssuesBlock):
        rows.append(tuple(() if c in OURS else (c,) for c in block.columns))
    for viewpoint in strategy.framework.viewpoints:
        for n, category in enumerate(viewpoint.categories):
            first = (viewpoint.name,) if n == 0 else ()
            rows.append((first, (category.name,), (issues_cell(category),)))
    return rows


@pytest.fixture(scope="module")
def source() -> Source:
    return read_source()


# --- 1. source → data ----------------------------------------------------------------------------------------


def test_every_source_line_is_in_the_data(strategy: Strategy, source: Source):
    model = {t for _, t, _ in texts(strategy)} | set(compositions(strategy))
    excluded = {t for e in EXCLUDED for t in e.texts}
    missing = [f"{u.line}: {u.text}" for u in source.lines if u.text not in model and u.text not in excluded]
    assert missing == [], "source lines missing from data/strategy.yaml:\n" + "\n".join(missing)


def test_every_source_table_row_is_in_the_data(strategy: Strategy, source: Source):
    rows = model_rows(strategy)
    model = {t for _, t, _ in texts(strategy)}
    missing = []
    for row in source.rows:
        if tuple(row.cells) in ROWS_AS_LISTS:
            missing += [f"{row.line}: cell {c}" for c in row.cells if c not in model]
        elif row.columns not in rows:
            missing.append(f"{row.line}: {row.columns}")
    assert missing == [], "source table rows missing from data/strategy.yaml:\n" + "\n".join(missing)


def test_exclusion_lists_are_exact(strategy: Strategy, source: Source):
    """Every exclusion, join and list-row is used by the source; residue and personal data are not published."""
    line_texts = Counter(u.text for u in source.lines)
    for exclusion in EXCLUDED:
        for text in exclusion.texts:
            assert line_texts[text] >= 1, f"stale exclusion: {text}"
    for parts, _sep, _reason in JOINS:
        assert source.joins_used[parts] >= 1, f"stale join: {parts}"
    raw_lines = {fold(x) for x in source.raw.split("\n")}
    for marked in FORM_MARKS:
        assert MARKERS.sub("", marked) in {MARKERS.sub("", x) for x in raw_lines}, (
            f"stale form mark: {marked}"
        )
    row_cells = [tuple(r.cells) for r in source.rows]
    for row in ROWS_AS_LISTS:
        assert row in row_cells, f"stale list-row: {row}"
    assert [r.cells[0] for r in source.toc] == TOC
    assert all(r.cells[-1].startswith("P") and "…" in r.raw for r in source.toc)
    published = [t for _, t, _ in texts(strategy)]
    for exclusion in (e for e in EXCLUDED if e.must_not_publish):
        for residue in exclusion.texts:
            assert not any(residue in t for t in published), residue
    assert "選択" not in published


def test_repeated_source_lines_are_the_listed_ones(strategy: Strategy, source: Source):
    """A source line that is not the framework's may be printed more often than the data has it only if listed."""
    framework = {t for _, t, _ in walk(strategy.framework)}
    comps = compositions(strategy)
    in_data = Counter(t for _, t, _ in walk(strategy.meta)) + Counter(
        t for _, t, _ in walk(strategy.chapters)
    )
    in_data.update(s.heading for s in strategy.sections() if s.number)
    in_data.update(line for line, _ in labelled_lines(strategy.chapters))
    in_data.update(strategy.get("remarks-list").title + p for p in ("（1/2）", "（2/2）"))
    in_data.update(k for k, parts in comps.items() if not parts)  # the date
    excluded = {t for e in EXCLUDED for t in e.texts}
    fewer = {
        u: n - in_data[u]
        for u, n in Counter(u.text for u in source.lines).items()
        if n > in_data[u] and u not in excluded and not set(comps.get(u, [u])) <= framework
    }
    assert fewer == dict.fromkeys(REPEATED, 1)


def test_chart_titles_are_explained_by_an_editorial_note(strategy: Strategy):
    notes = [b.text for b in strategy.blocks(TextBlock) if b.style == "editorial"]
    for title in next(e for e in EXCLUDED if e.texts[0] == "WS参加の満足度").texts:
        assert any(f"「{title}」" in n for n in notes), title


# --- 2. data → source ----------------------------------------------------------------------------------------


def test_every_data_text_is_in_the_source(strategy: Strategy, source: Source):
    units = {u.text for u in source.units}
    covered = set(units)
    for composed, parts in compositions(strategy).items():
        if composed in units:
            covered.update(parts)
    invented = [
        f"{path}: {text}" for path, text, _ in texts(strategy) if text not in covered and text not in OURS
    ]
    assert invented == [], "texts of the data that are not in the source:\n" + "\n".join(invented)


def test_our_own_texts_are_exactly_the_listed_ones(strategy: Strategy, source: Source):
    """The site's own texts are the listed ones, used, and not in the source as lines; editorial notes are listed."""
    used = {t for _, t, _ in texts(strategy)}
    assert set(OURS) <= used, set(OURS) - used
    units = {u.text for u in source.units}
    assert [t for t in OURS if t in units] == []
    editorial = {b.text for b in strategy.blocks(TextBlock) if b.style == "editorial"}
    assert editorial <= set(OURS), editorial - set(OURS)
    # The name, the author and the status are cut from the source's own words.
    for text in ("盛岡市デジタル化によるまちづくり推進戦略", "盛岡市", "案"):
        assert text in source.raw


def test_the_skipped_fields_hold_ids_and_settings_only(strategy: Strategy):
    """The generic walk skips NOT_TEXT fields; make sure they never hide text."""
    ids = set(strategy.ids)

    def check(node: Any) -> Iterator[str]:
        if isinstance(node, BaseModel):
            for name in type(node).model_fields:
                value = getattr(node, name)
                if name in NOT_TEXT and name not in ("type", "url", "marker", "style", "form", "emphasis"):
                    for v in value if isinstance(value, list) else [value]:
                        if v is not None and v not in ids:
                            yield f"{name}: {v}"
                else:
                    yield from check(value)
        elif isinstance(node, (list, tuple)):
            for item in node:
                yield from check(item)

    assert list(check(strategy)) == []


# --- 3. order ------------------------------------------------------------------------------------------------


def positions(
    strategy: Strategy, source: Source, wanted: list[str], *, whole: bool = False
) -> list[tuple[str, int | None]]:
    """Find each wanted text in the source, each at or after the previous one (a subsequence).

    A text is found in a source unit equal to it or, unless `whole`, in a unit composed of it (see compositions).
    """
    comps = {} if whole else compositions(strategy)
    covers = [{u.text, *comps.get(u.text, [])} for u in source.units]
    out, at = [], 0
    for text in wanted:
        found = next((k for k in range(at, len(covers)) if text in covers[k]), None)
        out.append((text, None if found is None else source.units[found].line))
        if found is not None:
            at = found
    return out


def test_sections_are_in_source_order(strategy: Strategy, source: Source):
    headings = [s.heading for s in strategy.sections()]
    headings = [h if h != "【参考】ご指摘事項一覧" else h + "（1/2）" for h in headings]
    found = positions(strategy, source, headings, whole=True)
    assert [h for h, line in found if line is None] == []
    lines = [line for _, line in found]
    assert lines == sorted(lines) and len(set(lines)) == len(lines), found


def chapter_texts(section: Section) -> Iterator[str]:
    """The chapter's texts in file order; not our own, and not the tag grids (see test_tag_grids)."""
    for _, text, owner in walk(section):
        if isinstance(owner, TextBlock) and owner.style == "editorial" or text in OURS or text in MOVED:
            continue
        if isinstance(owner, ListBlock) and owner.marker == "tags" or owner in TAG_ITEMS:
            continue
        yield text


TAG_ITEMS: list[Any] = []  # filled by the fixture below: the items lists of tag lists (compared by identity)


@pytest.fixture(autouse=True, scope="module")
def _tag_items(strategy: Strategy) -> None:
    TAG_ITEMS[:] = [b.items for b in strategy.blocks(ListBlock) if b.marker == "tags"]


def test_tag_grids(strategy: Strategy, source: Source):
    """A tags list is a 3×3 grid in the source: three tags, the title, three tags (rows as lists, above)."""
    rows = [tuple(r.cells) for r in source.rows]
    tags = [b for b in strategy.blocks(ListBlock) if b.marker == "tags"]
    assert len(tags) == 2
    for block in tags:
        k = rows.index((block.title,))
        assert rows[k - 1 : k + 2] == [tuple(block.items[:3]), (block.title,), tuple(block.items[3:])]
        assert source.rows[k - 1].line < source.rows[k].line < source.rows[k + 1].line
    titles = [b.title for b in tags]
    assert [t for t, line in positions(strategy, source, titles) if line is None] == []


def test_every_chapter_text_is_in_source_order(strategy: Strategy, source: Source):
    wanted = [t for chapter in strategy.chapters for t in chapter_texts(chapter)]
    out_of_order = [t for t, line in positions(strategy, source, wanted) if line is None]
    assert out_of_order == [], "not found in order (after the previous text):\n" + "\n".join(out_of_order)


def test_framework_lists_are_in_source_order(strategy: Strategy, source: Source):
    fw = strategy.framework
    for wanted in (
        [c.statement for c in fw.concepts],
        [g.title for g in fw.goals],
        [g.title for g in fw.guidelines],
        [i.text for v in fw.viewpoints for c in v.categories for i in c.issues],
        [s.text for v in fw.viewpoints for s in v.solutions],
    ):
        assert [t for t, line in positions(strategy, source, wanted) if line is None] == []


def run_at(source: Source, wanted: list[str], after: str) -> list[str]:
    """The run of source units, as long as `wanted`, that starts at wanted[0]'s first place after `after`."""
    texts_ = [u.text for u in source.units]
    start = texts_.index(after)
    k = texts_.index(wanted[0], start)
    return texts_[k : k + len(wanted)]


def test_framework_items_stand_with_their_own_texts(strategy: Strategy, source: Source):
    """Each goal, guideline, concept and solution is read with its own neighbours, as the source prints them.

    So that a description or a solution swapped between two items fails, even though both texts exist.
    """
    fw = strategy.framework

    def circled(n: int, text: str) -> str:
        return f"{CIRCLED[n - 1]} {text}"

    # The skeleton figure: goals with their titles and descriptions, then the nine guidelines.
    wanted = [t for g in fw.goals for t in (circled(g.number, g.label), g.title, g.description)]
    assert run_at(source, wanted, "戦略目標案") == wanted
    wanted = [t for g in fw.guidelines for t in (circled(g.number, g.title), g.description)]
    assert run_at(source, wanted, "行動指針案") == wanted
    # The three guideline pages.
    for section in ("guidelines-life", "guidelines-economy", "guidelines-town"):
        block = strategy.get(section).blocks[0]
        goal = strategy.get(strategy.get(block.viewpoint).goal)
        wanted = [strategy.get(section).title, block.goal_label, goal.title, goal.description]
        wanted += [
            t
            for g in strategy.guidelines_of(block.viewpoint)
            for t in (f"{g.number} {g.title}", g.description)
        ]
        assert run_at(source, wanted, "(1) 3つの視点の行動指針案") == wanted
    # The solutions table: viewpoint, its guidelines, its solutions.
    for viewpoint in fw.viewpoints:
        wanted = [viewpoint.name]
        wanted += [circled(g.number, g.title) for g in strategy.guidelines_of(viewpoint.id)]
        wanted += [x.text for x in viewpoint.solutions]
        assert run_at(source, wanted, "(デジタルを活用した) 解決方法案") == wanted
    # The concepts: label, tag, the two sentences, the statement.
    for concept in fw.concepts:
        wanted = [t for t in (concept.label, concept.tag, concept.aim, concept.motto, concept.statement) if t]
        assert run_at(source, wanted, "(2) 戦略目標・戦略コンセプト案") == wanted
    # The future vision: each viewpoint's list is one of the three picture panels, in viewpoint order.
    panels = [b for b in strategy.get("future-vision").blocks if isinstance(b, ListBlock) and b.editorial]
    assert [b.editorial.viewpoint for b in panels] == [v.id for v in fw.viewpoints]
    for block in panels:
        assert run_at(source, list(block.items), "④ コンセプト案を踏まえた将来像（具体例）") == block.items


def test_remarks_match_the_source_table(strategy: Strategy, source: Source):
    rows = [r.cells for r in source.rows if len(r.cells) == 3 and re.fullmatch(r"p\.\d+", r.cells[2])]
    assert [(str(r.number), r.text, r.page) for r in strategy.remarks] == [tuple(r) for r in rows]
    assert [r.number for r in strategy.remarks] == list(range(1, len(rows) + 1))


# --- 4. no personal data -------------------------------------------------------------------------------------


def test_no_email_or_marker(strategy: Strategy):
    raw = DATA.read_text(encoding="utf-8")
    assert "@" not in raw
    assert "画面の写り込み" not in raw
    for path, text, _ in texts(strategy):
        assert "@" not in text and "メールアドレス" not in text, path


def test_participants_stay_as_anonymised_in_the_source(strategy: Strategy, source: Source):
    start = next(k for k, r in enumerate(source.rows) if r.cells[:3] == ["#", "グループ", "氏名※"])
    src_rows = [source.rows[start].columns]
    for row in source.rows[start + 1 :]:
        if not re.fullmatch(r"\d+", row.cells[0]):
            break
        src_rows.append(row.columns)
    table = next(t for t in strategy.blocks(TableBlock) if t.title == "参加者")
    assert grid([*table.head, *table.rows]) == src_rows
    assert len(src_rows) == 13
    # Names appear nowhere else: every 「Xさん」 of the data is in that table, as many times as in the source.
    name = re.compile(r"[A-Z]さん")
    in_data = Counter(m for _, t, _ in texts(strategy) for m in name.findall(t))
    in_source = Counter(name.findall(source.raw))
    assert in_data == in_source
    assert in_data == Counter(m for row in src_rows for col in row for c in col for m in name.findall(c))


def test_moved_notes_stand_with_what_they_describe(strategy: Strategy, source: Source):
    """A moved note follows, in the data, the editorial note of what it describes; in the source it is on that
    slide (after the chart's title, before the next heading)."""
    for note, (chart, _reason) in MOVED.items():
        placed = [
            (section, k)
            for section in strategy.sections()
            for k, block in enumerate(section.blocks)
            if isinstance(block, TextBlock) and block.text == note
        ]
        assert len(placed) == 1, note
        section, k = placed[0]
        before = section.blocks[k - 1] if k else None
        assert isinstance(before, TextBlock) and before.style == "editorial", note
        assert f"「{chart}」" in before.text, (note, before.text)
        lines = [u for u in source.lines]
        at = next(i for i, u in enumerate(lines) if u.text == note)
        title = max(i for i, u in enumerate(lines[:at]) if u.text == chart)
        between = [u.text for u in lines[title + 1 : at]]
        assert not any(t.startswith(("(", "【参考】")) for t in between), between

"""The typed model of the strategy document, validated once.

`parse(loaded)` turns the loader's plain data into frozen pydantic objects. Structural errors and reference
errors (an id that does not exist, a duplicate id) are collected by pydantic in one pass, because the ids that
the file defines are gathered first and handed to the validators as context. Descriptions are Japanese: they
are what editors see in their editor's completion through `data/strategy.schema.json`.
"""

from __future__ import annotations

import datetime
import re
import types
import typing
from collections.abc import Iterator
from typing import Annotated, Any, Literal, Union

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    model_validator,
)

from .ja import date_ja, edition_line
from .kinds import BY_MODEL, KIND_NAMES, REF_KINDS
from .loader import DataError, Loaded, Problem
from .pages import anchor_pages

ID_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"


class Model(BaseModel):
    """Base: frozen, no unknown keys."""

    # strict: no coercion (0 is not a date, "yes" is not true, true is not 1, 1.0 is not an integer).
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


def _register_id(value: str, info: ValidationInfo) -> str:
    seen = (info.context or {}).get("seen")
    if seen is not None:
        if value in seen:
            raise ValueError(
                f"id「{value}」は既に使われています。id はファイル全体で一つだけにしてください。"
            )
        seen.add(value)
    return value


def _ref(kind: str):
    def check(value: str, info: ValidationInfo) -> str:
        known = (info.context or {}).get("ids", {}).get(kind)
        if known is not None and value not in known:
            raise ValueError(
                f"{KIND_NAMES[kind]}「{value}」は存在しません。使える id: {_some(sorted(known))}"
            )
        return value

    return check


# What an `ItemRef` may name: every referenced kind but the remarks themselves.
ITEM_REF_KINDS = tuple(k for k in REF_KINDS if k != "remark")
ITEM_REF_NAMES = "・".join(KIND_NAMES[k].removeprefix("戦略") for k in ITEM_REF_KINDS)


def _any_ref(value: str, info: ValidationInfo) -> str:
    ids = (info.context or {}).get("ids")
    if ids is not None and not any(value in ids[k] for k in ITEM_REF_KINDS):
        raise ValueError(f"「{value}」という id の項目はありません。{ITEM_REF_NAMES}の id を書いてください。")
    return value


def _some(names: list[str], limit: int = 12) -> str:
    """A short list for a message: at most `limit` names, then how many more."""
    shown = "、".join(names[:limit]) or "（なし）"
    return shown + (f" ほか {len(names) - limit} 件" if len(names) > limit else "")


Text = Annotated[
    str,
    StringConstraints(min_length=1),
    Field(description="文章。原文のまま書きます。**…** は強調になります。"),
]
Id = Annotated[
    str,
    StringConstraints(pattern=ID_PATTERN),
    AfterValidator(_register_id),
    Field(
        description="変わらない識別子（半角英小文字・数字・ハイフン）。ページのアンカー（#id）と参照に使います。",
        examples=["life-1"],
    ),
]
ConceptRef = Annotated[str, AfterValidator(_ref("concept")), Field(description="戦略コンセプトの id")]
GoalRef = Annotated[
    str, AfterValidator(_ref("goal")), Field(description="戦略目標の id", examples=["goal-life"])
]
ViewpointRef = Annotated[
    str, AfterValidator(_ref("viewpoint")), Field(description="視点の id", examples=["life"])
]
RemarkRef = Annotated[
    str, AfterValidator(_ref("remark")), Field(description="ご指摘事項の id", examples=["remark-01"])
]
ItemRef = Annotated[str, AfterValidator(_any_ref), Field(description=f"{ITEM_REF_NAMES}の id")]
Number = Annotated[int, Field(ge=1, le=10_000, description="番号（1 から）")]
# A heading: one line (a line break would split the Markdown heading and the navigation title).
Line = Annotated[
    str,
    StringConstraints(min_length=1, pattern=r"^[^\n]*$"),
    Field(description="一行の文。原文のまま書きます。"),
]


# --- meta ---------------------------------------------------------------------------------------------------


class Meta(Model):
    """The source document: its title, the meeting it was presented to, its date and its status."""

    title: Text = Field(description="戦略の名前")
    meeting: Text = Field(description="資料を示した会議")
    document: Text = Field(description="資料の名前")
    date: datetime.date = Field(description="資料の日付（YYYY-MM-DD）")
    status: Text = Field(description="資料の状態（案 など）")

    @property
    def date_ja(self) -> str:
        """The date as Japanese text, e.g. 2022年12月1日."""
        return date_ja(self.date)

    @property
    def edition(self) -> str:
        """The source's own edition as one line: document, date and status, e.g. 戦略立案に向けた協議資料（2022年12月1日・案）."""
        return edition_line(self.document, self.date, self.status)


# --- framework ----------------------------------------------------------------------------------------------


class Concept(Model):
    """A strategy concept proposal."""

    id: Id
    label: Text = Field(description="案の名前（例: Quality優位案）")
    adopted: bool = Field(description="採用した案なら true")
    tag: Text | None = Field(default=None, description="添え書き（例: デジ田対応）")
    aim: Text = Field(description="コンセプトの一文目")
    motto: Text = Field(description="コンセプトの二文目（合言葉）")
    statement: Text = Field(description="説明文")


class Goal(Model):
    """A strategy goal (戦略目標)."""

    id: Id
    number: Number
    label: Text = Field(description="目標の見出し（例: 市民の生活）")
    title: Text = Field(description="目標")
    description: Text = Field(description="目標の説明")


class Issue(Model):
    """A current issue (現状の主な課題)."""

    id: Id
    text: Text


class Category(Model):
    """A category of a viewpoint, with its issues."""

    id: Id
    name: Text = Field(description="主な分類")
    issues: list[Issue] = Field(min_length=1)


class Solution(Model):
    """A solution (解決方法案) of a viewpoint."""

    id: Id
    text: Text


class Viewpoint(Model):
    """One of the three viewpoints (視点)."""

    id: Id
    number: Number
    name: Text = Field(description="視点の名前")
    goal: GoalRef
    categories: list[Category] = Field(min_length=1)
    solutions: list[Solution] = Field(min_length=1)


class Guideline(Model):
    """A guideline (行動指針)."""

    id: Id
    viewpoint: ViewpointRef
    goal: GoalRef
    number: Number = Field(description="視点の中での番号")
    title: Text
    description: Text

    @model_validator(mode="after")
    def _goal_of_viewpoint(self, info: ValidationInfo) -> Guideline:
        expected = (info.context or {}).get("viewpoint_goal", {}).get(self.viewpoint)
        if expected is not None and expected != self.goal:
            raise ValueError(
                f"行動指針「{self.id}」の goal「{self.goal}」は視点「{self.viewpoint}」の目標「{expected}」と一致しません。"
            )
        return self


class Framework(Model):
    """The skeleton of the strategy: concepts, goals, viewpoints, guidelines."""

    concepts: list[Concept] = Field(min_length=1, description="戦略コンセプト案（採用案は一つ）")
    goals: list[Goal] = Field(min_length=1, description="戦略目標案")
    viewpoints: list[Viewpoint] = Field(min_length=1, description="視点")
    guidelines: list[Guideline] = Field(min_length=1, description="行動指針案")

    @model_validator(mode="after")
    def _consistent(self) -> Framework:
        adopted = [c.id for c in self.concepts if c.adopted]
        if len(adopted) != 1:
            raise ValueError(
                f"採用するコンセプト（adopted: true）はちょうど一つにしてください（いま {len(adopted)} 個）。"
            )
        _check_numbering("戦略目標", [g.number for g in self.goals])
        _check_numbering("視点", [v.number for v in self.viewpoints])
        for viewpoint in self.viewpoints:
            numbers = [g.number for g in self.guidelines if g.viewpoint == viewpoint.id]
            _check_numbering(f"視点「{viewpoint.id}」の行動指針", numbers)
        return self


def _check_numbering(what: str, numbers: list[int]) -> None:
    if numbers != list(range(1, len(numbers) + 1)):
        raise ValueError(f"{what}の number は 1 から順に欠番なく並べてください（いま {numbers}）。")


# --- blocks -------------------------------------------------------------------------------------------------


class NestedItem(Model):
    """A list item with a sub-list."""

    text: Text
    items: list[ListItem] = Field(min_length=1)


ListItem = Text | NestedItem


class ListEditorial(Model):
    """What the site's editors read from a list's place and wording (the source does not say it)."""

    viewpoint: ViewpointRef = Field(
        description="この箇条書きが当たると読み取れる視点の id。サイト編集者の読み取りで、資料には書かれていません。"
    )


class ListBlock(Model):
    """A list (箇条書き)."""

    type: Literal["list"]
    title: Text | None = Field(default=None, description="見出し")
    editorial: ListEditorial | None = Field(
        default=None,
        description="サイト編集者が加えた情報（資料には書かれていません）。ページでは「編集注」として区別して表示します。",
    )
    marker: Literal["bullet", "check", "arrow", "number", "tags", "none"] = Field(
        default="bullet", description="行頭の印。tags は短い語を並べて表示します。"
    )
    items: list[ListItem] = Field(min_length=1)


class TextBlock(Model):
    """A paragraph."""

    type: Literal["text"]
    text: Text
    style: Literal["normal", "note", "emphasis", "editorial"] = Field(
        default="normal", description="note は注記（※）、emphasis は強調、editorial はサイト編集者の注"
    )


class FieldItem(Model):
    """A label with its value."""

    label: Text
    value: Text | list[ListItem] = Field(description="内容。文か、箇条書き（入れ子は {text, items}）")
    marker: Literal["bullet", "none"] = Field(
        default="bullet",
        description="行頭の印（内容が箇条書きのとき）。項目の文が「1.」などの番号で始まるときは none",
    )


class FieldsBlock(Model):
    """Labels with values (項目と内容)."""

    type: Literal["fields"]
    title: Text | None = None
    separator: Text | None = Field(
        default=None,
        description="区切り（例: ：）。原文が項目名と内容を「アンケート対象：盛岡市役所全課」のように一行に"
        "続けて書くとき、その間の文字。書くと「項目名：内容」の一行で表示します。",
        examples=["："],
    )
    items: list[FieldItem] = Field(min_length=1)


MAX_SPAN = 50  # columns or rows one cell may span (the source's widest table has 7 columns)


class SpanCell(Model):
    """A table cell that spans columns or rows, or holds a list."""

    text: str = Field(default="", description="セルの文字")
    items: list[Text] = Field(default_factory=list, description="セルの中の箇条書き")
    colspan: Annotated[int, Field(ge=1, le=MAX_SPAN)] = 1
    rowspan: Annotated[int, Field(ge=1, le=MAX_SPAN)] = 1


Cell = str | list[Text] | SpanCell


class TableBlock(Model):
    """A table; the first column is a row header."""

    type: Literal["table"]
    title: Text | None = None
    head: list[list[Cell]] = Field(min_length=1, description="見出し行（複数行可）")
    rows: list[list[Cell]] = Field(
        min_length=1, description="行。セルは文字、箇条書き（リスト）、または {text, colspan, rowspan}"
    )

    @property
    def row_groups(self) -> list[tuple[bool, list[list[tuple[int, Cell]]]]]:
        """The body rows in runs, each cell with its column: (True, rows) for a rowspan and the rows it spans,
        (False, rows) for the rows between.

        Each run is one <tbody>, so that print keeps a group on one page with its group cell; the column tells
        the row header (column 0) from a cell that a rowspan above pushed to the left of the row.
        """
        runs: list[tuple[bool, list[list[tuple[int, Cell]]]]] = []
        covered: set[tuple[int, int]] = set()  # (row, column) taken by a rowspan from above
        reach = -1  # the last row that a rowspan of the current group covers
        for r, row in enumerate(self.rows):
            placed: list[tuple[int, Cell]] = []
            column = 0
            for cell in row:
                while (r, column) in covered:
                    column += 1
                placed.append((column, cell))
                colspan = cell.colspan if isinstance(cell, SpanCell) else 1
                rowspan = cell.rowspan if isinstance(cell, SpanCell) else 1
                covered |= {
                    (below, column + c) for below in range(r + 1, r + rowspan) for c in range(colspan)
                }
                column += colspan
            span = max((c.rowspan for c in row if isinstance(c, SpanCell)), default=1)
            if r <= reach:
                runs[-1][1].append(placed)
            elif span > 1:
                runs.append((True, [placed]))
            elif runs and not runs[-1][0]:
                runs[-1][1].append(placed)
            else:
                runs.append((False, [placed]))
            reach = max(reach, r + span - 1)
        return runs

    @model_validator(mode="after")
    def _rectangular(self) -> TableBlock:
        widths = _grid_widths([*self.head, *self.rows])
        bad = [
            f"rows の {i - len(self.head) + 1} 行目は {w} 列" for i, w in enumerate(widths) if w != widths[0]
        ]
        if bad:
            raise ValueError(
                f"表の列数が見出し（{widths[0]} 列）と合いません: {'、'.join(bad)}。colspan・rowspan も数えます。"
            )
        return self


def _grid_widths(rows: list[list[Cell]]) -> list[int]:
    carried: dict[int, int] = {}  # row index -> columns occupied by rowspans from above
    widths = []
    for r, row in enumerate(rows):
        width = carried.get(r, 0)
        for cell in row:
            span = cell.colspan if isinstance(cell, SpanCell) else 1
            width += span
            if isinstance(cell, SpanCell):
                for below in range(r + 1, min(r + cell.rowspan, len(rows))):
                    carried[below] = carried.get(below, 0) + span
        widths.append(width)
    return widths


class PointEditorial(Model):
    """What the site's editors read from a summary point's wording (the source gives no such table)."""

    remarks: list[RemarkRef] = Field(
        min_length=1,
        description="この要約のもとになったと文言から読み取れるご指摘事項の id。サイト編集者の読み取りで、資料には書かれていません。",
    )


class SummaryPoint(Model):
    """A point of the remarks summary."""

    id: Id
    text: Text
    editorial: PointEditorial | None = Field(
        default=None,
        description="サイト編集者が加えた情報（資料には書かれていません）。ページでは「編集注」として区別して表示します。",
    )

    @property
    def remarks(self) -> list[str]:
        """The remarks that the site's editors relate to this point (editorial, never the source's)."""
        return list(self.editorial.remarks) if self.editorial else []


class Theme(Model):
    """A theme of the remarks summary."""

    id: Id
    title: Text
    points: list[SummaryPoint] = Field(min_length=1)


class RemarkSummaryBlock(Model):
    """The summary of the previous meeting's remarks, by theme."""

    type: Literal["remark_summary"]
    lead: Text
    themes: list[Theme] = Field(min_length=1)

    def anchors(self, strategy: Strategy) -> list[str]:
        """The ids its template anchors (templates/blocks/remark_summary.html.j2)."""
        return [i for t in self.themes for i in (t.id, *(p.id for p in t.points))]


class Remark(Model):
    """A remark from the previous meeting's minutes."""

    id: Id
    number: Number
    text: Text = Field(description="発言文（議事録から抜粋）。原文のまま。")
    page: Annotated[str, StringConstraints(pattern=r"^p\.[0-9]+$")] = Field(
        description="議事録の記録箇所（例: p.3）", examples=["p.3"]
    )
    addressed_by: list[ItemRef] = Field(
        default_factory=list,
        description="資料がこの指摘に応えると明記している項目の id。明記がなければ空のまま。",
    )
    response: Text | None = Field(
        default=None, description="資料に書かれた市の対応。書かれていなければ省略。"
    )


class RemarksBlock(Model):
    """The numbered list of remarks."""

    type: Literal["remarks"]
    columns: Annotated[list[Text], Field(min_length=3, max_length=3)] = Field(
        description="表の見出し（番号、発言、記録箇所）"
    )
    items: list[Remark] = Field(min_length=1)

    @model_validator(mode="after")
    def _numbered(self) -> RemarksBlock:
        _check_numbering("ご指摘事項", [r.number for r in self.items])
        return self

    def anchors(self, strategy: Strategy) -> list[str]:
        """The ids its template anchors (templates/blocks/remarks.html.j2)."""
        return [r.id for r in self.items]


class ConceptBlock(Model):
    """Shows a concept from the framework."""

    type: Literal["concept"]
    concept: ConceptRef
    form: Literal["card", "arrow", "motto"] = Field(
        default="card", description="card: 全文、arrow: 合言葉 → 一文目、motto: 合言葉だけ"
    )
    label: Text | None = None

    def anchors(self, strategy: Strategy) -> list[str]:
        """The ids its template anchors (templates/blocks/concept.html.j2): the concept, as a card only."""
        return [self.concept] if self.form == "card" else []


class GoalsBlock(Model):
    """Shows the goals from the framework."""

    type: Literal["goals"]
    form: Literal["full", "titles"] = "full"
    label: Text | None = None


class Horizon(Model):
    """The time axis of the skeleton figure."""

    long: Text
    period: Text
    short: Text


class SkeletonBlock(Model):
    """The skeleton figure: concept, goals and guidelines."""

    type: Literal["skeleton"]
    horizon: Horizon
    concept_label: Text
    goals_label: Text
    guidelines_label: Text


class ViewpointIssuesBlock(Model):
    """The table of viewpoints, categories and issues."""

    type: Literal["viewpoint_issues"]
    columns: Annotated[list[Text], Field(min_length=3, max_length=3)]

    def anchors(self, strategy: Strategy) -> list[str]:
        """The ids its template anchors (templates/blocks/viewpoint_issues.html.j2)."""
        return [
            i
            for v in strategy.framework.viewpoints
            for i in (v.id, *(c.id for c in v.categories), *(x.id for c in v.categories for x in c.issues))
        ]


class ViewpointGuidelinesBlock(Model):
    """A viewpoint's goal and its guidelines."""

    type: Literal["viewpoint_guidelines"]
    viewpoint: ViewpointRef
    goal_label: Text

    def anchors(self, strategy: Strategy) -> list[str]:
        """The ids its template anchors (templates/blocks/viewpoint_guidelines.html.j2)."""
        viewpoint = strategy.get(self.viewpoint)
        return [viewpoint.goal, *(g.id for g in strategy.guidelines_of(viewpoint.id))]


class SolutionsBlock(Model):
    """The table of viewpoints, guidelines and solutions."""

    type: Literal["solutions"]
    columns: Annotated[list[Text], Field(min_length=3, max_length=3)]

    def anchors(self, strategy: Strategy) -> list[str]:
        """The ids its template anchors (templates/blocks/solutions.html.j2)."""
        return [s.id for v in strategy.framework.viewpoints for s in v.solutions]


class Step(Model):
    """A step of strategy-making, with its status."""

    id: Id
    title: Text
    items: list[Text] = Field(min_length=1)
    status: list[Text] = Field(default_factory=list, description="状況（例: タスク完了）")


class StepsBlock(Model):
    """The strategy-making steps."""

    type: Literal["steps"]
    items: list[Step] = Field(min_length=1)

    def anchors(self, strategy: Strategy) -> list[str]:
        """The ids its template anchors (templates/blocks/steps.html.j2)."""
        return [s.id for s in self.items]


class StructureBlock(Model):
    """The structure diagram, drawn from the framework."""

    type: Literal["structure"]


# The one list of block types: the union, BLOCK_TYPES and the templates (templates/blocks/<type>.html.j2)
# follow it. Each block class says which ids it anchors (`anchors`), beside its template's `id=` attributes.
BLOCK_MODELS: tuple[type[BaseModel], ...] = (
    TextBlock,
    ListBlock,
    FieldsBlock,
    TableBlock,
    RemarkSummaryBlock,
    RemarksBlock,
    ConceptBlock,
    GoalsBlock,
    SkeletonBlock,
    ViewpointIssuesBlock,
    ViewpointGuidelinesBlock,
    SolutionsBlock,
    StepsBlock,
    StructureBlock,
)
Block = Annotated[Union[BLOCK_MODELS], Field(discriminator="type")]  # noqa: UP007 (a union built from a tuple)


class Section(Model):
    """A chapter or section of the document: a heading, blocks, and sub-sections."""

    id: Id
    number: Line | None = Field(default=None, description="原文の番号（1. や (1) や ①）")
    title: Line = Field(description="見出し")
    blocks: list[Block] = Field(default_factory=list, description="中身（type で種類を選びます）")
    sections: list[Section] = Field(default_factory=list, description="下位の節")

    @property
    def heading(self) -> str:
        """Number and title as the document shows them."""
        return f"{self.number} {self.title}" if self.number else self.title

    def walk(self) -> Iterator[Section]:
        """This section and all below it, in document order."""
        yield self
        for section in self.sections:
            yield from section.walk()


class Strategy(Model):
    """The whole strategy document."""

    meta: Meta
    framework: Framework
    chapters: list[Section] = Field(min_length=1, description="本文の章")

    _by_id: dict[str, Any] = PrivateAttr(default_factory=dict)
    # Look-ups the templates make once per item, indexed once (a walk per call grew with the square of the data).
    _remarks: list[Remark] = PrivateAttr(default_factory=list)
    _themes: list[Theme] = PrivateAttr(default_factory=list)
    _points_naming: dict[str, list[SummaryPoint]] = PrivateAttr(default_factory=dict)
    _addressed_by: dict[str, list[Remark]] = PrivateAttr(default_factory=dict)

    def model_post_init(self, context: Any, /) -> None:
        """Index every item with an id, the remarks and the summary's themes."""
        for item in _items_with_id(self):
            self._by_id[item.id] = item
        self._remarks = [r for block in self.blocks(RemarksBlock) for r in block.items]
        self._themes = [t for block in self.blocks(RemarkSummaryBlock) for t in block.themes]
        for point in (p for t in self._themes for p in t.points):
            for remark_id in dict.fromkeys(point.remarks):
                self._points_naming.setdefault(remark_id, []).append(point)
        for remark in self._remarks:
            for item_id in dict.fromkeys(remark.addressed_by):
                self._addressed_by.setdefault(item_id, []).append(remark)

    def get(self, item_id: str) -> Any:
        """The item with this id."""
        return self._by_id[item_id]

    @property
    def ids(self) -> list[str]:
        """Every id, in document order."""
        return list(self._by_id)

    @property
    def adopted_concept(self) -> Concept:
        """The adopted concept."""
        return next(c for c in self.framework.concepts if c.adopted)

    def guidelines_of(self, viewpoint_id: str) -> list[Guideline]:
        """The guidelines of a viewpoint, in order."""
        return [g for g in self.framework.guidelines if g.viewpoint == viewpoint_id]

    def viewpoint_of_goal(self, goal_id: str) -> Viewpoint | None:
        """The viewpoint whose goal this is."""
        return next((v for v in self.framework.viewpoints if v.goal == goal_id), None)

    def sections(self) -> Iterator[Section]:
        """Every chapter and section, in document order."""
        for chapter in self.chapters:
            yield from chapter.walk()

    def blocks(self, kind: type[BaseModel]) -> Iterator[Any]:
        """Every block of one type, in document order."""
        for section in self.sections():
            yield from (b for b in section.blocks if isinstance(b, kind))

    @property
    def remarks(self) -> list[Remark]:
        """All remarks."""
        return list(self._remarks)

    def remarks_addressed_by(self, item_id: str) -> list[Remark]:
        """The remarks that name this item as responding to them."""
        return list(self._addressed_by.get(item_id, ()))

    @property
    def summary_themes(self) -> list[Theme]:
        """The themes of the remarks summary, in document order."""
        return list(self._themes)

    def points_naming(self, remark_id: str) -> list[SummaryPoint]:
        """The summary points that condense this remark."""
        return list(self._points_naming.get(remark_id, ()))

    def describe(self, item_id: str) -> str:
        """A reader's name for an item: its kind and its title, e.g. 行動指針「…」."""
        item = self.get(item_id)
        kind = BY_MODEL[type(item).__name__]
        return f"{kind.name}「{getattr(item, kind.title)}」"


def _items_with_id(node: Any) -> Iterator[Any]:
    if isinstance(node, BaseModel):
        if isinstance(getattr(node, "id", None), str):
            yield node
        for name in type(node).model_fields:
            yield from _items_with_id(getattr(node, name))
    elif isinstance(node, (list, tuple)):
        for item in node:
            yield from _items_with_id(item)


# --- parsing ------------------------------------------------------------------------------------------------


def _collect_ids(data: Any) -> dict[str, Any]:
    """Gather the ids the file defines, by kind, from plain data (tolerant of a broken structure)."""

    def ids_in(items: Any) -> set[str]:
        return (
            {i["id"] for i in items if isinstance(i, dict) and isinstance(i.get("id"), str)}
            if isinstance(items, list)
            else set()
        )

    def get(d: Any, *keys: str) -> Any:
        for key in keys:
            d = d.get(key) if isinstance(d, dict) else None
        return d

    framework = get(data, "framework")
    viewpoints = get(framework, "viewpoints") if isinstance(get(framework, "viewpoints"), list) else []
    ids: dict[str, set[str]] = {
        "concept": ids_in(get(framework, "concepts")),
        "goal": ids_in(get(framework, "goals")),
        "viewpoint": ids_in(viewpoints),
        "guideline": ids_in(get(framework, "guidelines")),
        "solution": set(),
        "issue": set(),
        "remark": set(),
    }
    viewpoint_goal = {}
    for v in viewpoints:
        if isinstance(v, dict):
            ids["solution"] |= ids_in(v.get("solutions"))
            for c in v.get("categories") or []:
                ids["issue"] |= ids_in(c.get("issues") if isinstance(c, dict) else None)
            if isinstance(v.get("id"), str) and isinstance(v.get("goal"), str):
                viewpoint_goal[v["id"]] = v["goal"]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "remarks":
                ids["remark"] |= ids_in(node.get("items"))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(get(data, "chapters"))
    return {"ids": ids, "viewpoint_goal": viewpoint_goal, "seen": set()}


_TYPE_NAMES = {
    "int": "整数",
    "float": "小数",
    "bool": "true/false",
    "date": "日付",
    "datetime": "日時",
    "list": "リスト",
    "dict": "「項目: 値」の組",
    "NoneType": "空",
}


def _field_loc(error: dict[str, Any]) -> tuple[Any, ...]:
    """An error's location without the names pydantic gives to members of a union (「constrained-str」…)."""
    loc = tuple(error["loc"])
    if error["type"] == "extra_forbidden":  # the unknown key the editor wrote
        return (*_field_loc({"loc": loc[:-1], "type": ""}), loc[-1])
    return tuple(p for p in loc if isinstance(p, int) or p in _FIELD_NAMES)


def _union_member(error: dict[str, Any]) -> bool:
    """Whether an error says that a whole value matched no member of a union (a type error ending there)."""
    loc = error["loc"]
    return (
        error["type"].endswith("_type")
        and bool(loc)
        and isinstance(loc[-1], str)
        and loc[-1] not in _FIELD_NAMES
    )


def _message(error: dict[str, Any]) -> str:
    """A Japanese message for one pydantic error, saying what is allowed (no internal names)."""
    kind, ctx, loc = error["type"], error.get("ctx") or {}, _field_loc(error)
    name = next((str(p) for p in reversed(loc) if isinstance(p, str)), "")
    if _union_member(error):
        return f"「{name}」の書き方が違います。{_UNION_HINTS.get(name, _UNION_HINT)}"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    if kind == "missing":
        return f"必須の項目「{name}」がありません。追加してください。"
    if kind == "extra_forbidden":
        allowed = "、".join(_allowed_keys(loc[:-1])) or "（なし）"
        return f"「{name}」という項目は使えません（綴りを確認してください）。使える項目: {allowed}"
    if kind == "union_tag_invalid":
        return f"type「{ctx.get('tag')}」は使えません。使える type: {_choices(ctx.get('expected_tags'))}"
    if kind == "union_tag_not_found":
        return f"この中身には type がありません。type を書いてください。使える type: {', '.join(BLOCK_TYPES)}"
    if kind == "string_type":
        got = _TYPE_NAMES.get(type(error["input"]).__name__, "文字以外")
        return f'「{name}」は文字で書いてください（いま {got}）。数字や true/false を文字として書くときは "…" で囲みます。'
    if kind == "string_too_short":
        return f"「{name}」が空です。文を書いてください。"
    if kind == "string_pattern_mismatch":
        if name in ("id",) or name.endswith("id"):
            return f"id「{error['input']}」は使えません。半角英小文字・数字とハイフンで書いてください（例: life-1）。"
        if name in ("title", "number"):
            return f"「{name}」は一行で書いてください（見出しになるため、改行は使えません）。"
        if name == "page":
            return f"「page」の値「{error['input']}」は書式が違います。p.3 のように、p. と半角数字で書いてください。"
        return f"「{name}」の値「{error['input']}」は書式が違います（{ctx.get('pattern')}）。"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        got = _TYPE_NAMES.get(type(error["input"]).__name__, "文字")
        return (
            f"「{name}」は整数（半角数字、例: 3）で書いてください（いま {got}）。引用符で囲まずに書きます。"
        )
    if kind == "less_than_equal":
        return f"「{name}」は {ctx.get('le')} 以下にしてください。"
    if kind == "greater_than_equal":
        return f"「{name}」は {ctx.get('ge')} 以上にしてください。"
    if kind in ("date_type", "date_parsing", "date_from_datetime_parsing"):
        return f"「{name}」は日付（YYYY-MM-DD、例: 2022-12-01）で、引用符で囲まずに書いてください。"
    if kind in ("bool_type", "bool_parsing"):
        return f"「{name}」は true か false で書いてください。"
    if kind == "literal_error":
        return f"「{name}」の値「{error['input']}」は使えません。使える値: {_choices(ctx.get('expected'))}"
    if kind == "list_type":
        return f"「{name}」はリスト（各行を「- 」で始める）で書いてください。"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"「{name}」は「項目: 値」の組で書いてください。"
    if kind == "too_short":
        return f"「{name}」には少なくとも {ctx.get('min_length')} 件書いてください。"
    if kind == "too_long":
        return f"「{name}」は {ctx.get('max_length')} 件までです。"
    return f"「{name}」の値が正しくありません。書き方を data/strategy.schema.json で確かめてください。"


def _choices(expected: Any) -> str:
    """pydantic's "'a', 'b' or 'c'" as 「a、b、c」."""
    return "、".join(re.findall(r"'([^']*)'", str(expected))) or str(expected)


_UNION_HINT = "文字、リスト（- で始まる行）、または「項目: 値」の組のどれかで書きます。"
_UNION_HINTS = {
    "items": "各項目は文字か、下位の箇条書きを持つ「text:」と「items:」の組で書きます。",
    "head": "セルは文字、箇条書き（- で始まるリスト）、または「text:」「colspan:」「rowspan:」の組で書きます。",
    "rows": "セルは文字、箇条書き（- で始まるリスト）、または「text:」「colspan:」「rowspan:」の組で書きます。",
    "value": "値は文字か、文字のリスト（- で始まる行）で書きます。",
}


def _allowed_keys(loc: tuple[Any, ...]) -> list[str]:
    """The keys that the model accepts at `loc` (a pydantic error location)."""
    annotation: Any = Strategy
    for part in loc:
        annotation = _step(annotation, part)
        if annotation is None:
            return []
    model = _model_of(annotation, None)
    return list(model.model_fields) if model else []


def _model_of(annotation: Any, tag: Any) -> type[BaseModel] | None:
    """The model class inside an annotation (Annotated, Optional, or a tagged union member named `tag`)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) is Annotated:
        return _model_of(args[0], tag)
    models = [m for a in args if (m := _model_of(a, tag)) is not None] if _is_union(annotation) else []
    return next((m for m in models if _tag(m) == tag), models[0] if len(models) == 1 else None)


def _is_union(annotation: Any) -> bool:
    return typing.get_origin(annotation) in (Union, types.UnionType)


def _step(annotation: Any, part: Any) -> Any:
    """Step into a type by one part of a pydantic error location."""
    while typing.get_origin(annotation) is Annotated:
        annotation = typing.get_args(annotation)[0]
    if _is_union(annotation):
        if (
            isinstance(part, str)
            and (member := _model_of(annotation, part)) is not None
            and _tag(member) == part
        ):
            return member
        lists = [a for a in typing.get_args(annotation) if typing.get_origin(a) is list]
        if isinstance(part, int) and lists:
            return typing.get_args(lists[0])[0]
        model = _model_of(annotation, None)
        return _step(model, part) if model else None
    if typing.get_origin(annotation) is list:
        return typing.get_args(annotation)[0] if isinstance(part, int) else None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel) and isinstance(part, str):
        field = annotation.model_fields.get(part)
        return field.annotation if field else None
    return None


def _tag(model: type[BaseModel]) -> str | None:
    field = model.model_fields.get("type")
    if field is None:
        return None
    args = typing.get_args(field.annotation)
    return args[0] if args else None


BLOCK_TYPES = [_tag(m) for m in BLOCK_MODELS]


MAX_PROBLEMS = 200  # messages reported at once; the rest are counted


def _all_models() -> set[type[BaseModel]]:
    found: set[type[BaseModel]] = set()

    def visit(annotation: Any) -> None:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if annotation in found:
                return
            found.add(annotation)
            for f in annotation.model_fields.values():
                visit(f.annotation)
        for arg in typing.get_args(annotation):
            visit(arg)

    visit(Strategy)
    return found


# Every field name and block type: the parts of an error location an editor can find in the file.
_FIELD_NAMES = frozenset(
    {name for m in _all_models() for name in m.model_fields} | {t for t in BLOCK_TYPES if t}
)


def parse(loaded: Loaded) -> Strategy:
    """Validate plain data into the model; raise DataError naming every problem with its line.

    Beyond the types, the layout that the templates and pages assume is checked here too (see `layout`), so
    that a file that passes `check` builds.
    """
    problems = list(loaded.problems)
    seen = {(p.line, p.column) for p in problems}  # the loader's message about a value is the better one
    strategy = None
    try:
        strategy = Strategy.model_validate(loaded.data, context=_collect_ids(loaded.data))
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        # A value that matches no member of a union: if some member got further, its error is the useful one.
        deeper = {_field_loc(e)[:n] for e in errors if not _union_member(e) for n in range(len(e["loc"]))}
        messages: set[tuple[tuple[Any, ...], str]] = set()
        for error in errors:
            loc, message = _field_loc(error), _message(error)
            if _union_member(error) and loc in deeper:
                continue
            if (loc, message) in messages:  # one message per value, not one per member of a union
                continue
            messages.add((loc, message))
            line, column = loaded.locate(tuple(error["loc"]))
            if (line, column) not in seen or error["type"] == "value_error":
                problems.append(Problem(line, column, message, loaded.path))
    except RecursionError:
        problems.append(Problem(1, 1, "入れ子が深すぎます。字下げを確かめてください。", loaded.path))
    if strategy is not None and not problems:
        for loc, message in layout(strategy):
            problems.append(Problem(*loaded.locate(loc), message, loaded.path))
    if problems:
        raise DataError(_capped(problems, loaded.path))
    return strategy


def _capped(problems: list[Problem], path: str) -> list[Problem]:
    """At most MAX_PROBLEMS problems, the first ones in the file, and a last line counting the rest."""
    problems = sorted(set(problems))
    if len(problems) <= MAX_PROBLEMS:
        return problems
    rest = len(problems) - MAX_PROBLEMS
    last = Problem(
        problems[MAX_PROBLEMS - 1].line,
        problems[MAX_PROBLEMS - 1].column + 1,
        f"ほかに {rest:,} 件の問題があります（最初の {MAX_PROBLEMS} 件だけを表示しています）。上から直して、もう一度検査してください。",
        path,
    )
    return [*problems[:MAX_PROBLEMS], last]


def load(path: str | Any) -> Strategy:
    """Read, parse and validate a data file: the model, or a DataError with every problem."""
    from .loader import load_file

    try:
        return parse(load_file(path))
    except RecursionError:
        raise DataError(
            [Problem(1, 1, "入れ子が深すぎます。字下げを確かめてください。", str(path))]
        ) from None


# --- what the pages assume ---------------------------------------------------------------------------------------

# Chapter ids name the folders of the site (`<chapter>/`); these names belong to the site itself.
RESERVED_FOLDERS = frozenset(
    {"about", "assets", "data", "javascripts", "stylesheets", "search", "pdf", "overrides"}
)
# Element ids that the templates and the theme generate on the same pages as the data's ids.
RESERVED_IDS = frozenset({"index", "top", "content", "main", "header", "footer"})
RESERVED_PREFIXES = ("sd-", "md-", "home-", "open-data-", "a11y-")
RESERVED_SUFFIXES = ("-title",)

Loc = tuple[str | int, ...]


def _located_sections(strategy: Strategy) -> Iterator[tuple[Section, Loc, int]]:
    """Every section with its data path and depth (0 for chapters)."""

    def walk(section: Section, loc: Loc, depth: int) -> Iterator[tuple[Section, Loc, int]]:
        yield section, loc, depth
        for i, sub in enumerate(section.sections):
            yield from walk(sub, (*loc, "sections", i), depth + 1)

    for i, chapter in enumerate(strategy.chapters):
        yield from walk(chapter, ("chapters", i), 0)


def _located_ids(node: Any, loc: Loc) -> Iterator[tuple[str, Loc]]:
    """Every id the file defines, with the data path of its `id` key."""
    if isinstance(node, BaseModel):
        if "id" in type(node).model_fields and isinstance(getattr(node, "id", None), str):
            yield node.id, (*loc, "id")
        for name in type(node).model_fields:
            yield from _located_ids(getattr(node, name), (*loc, name))
    elif isinstance(node, (list, tuple)):
        for i, item in enumerate(node):
            yield from _located_ids(item, (*loc, i))


def layout(strategy: Strategy) -> list[tuple[Loc, str]]:
    """What the templates and the pages assume of a valid model, as (data path, message) problems.

    The framework's viewpoints, issues, goals and guidelines are shown (and anchored for links) by blocks of
    the body: each must be shown exactly once, or a link would point nowhere or two elements would share an id.
    """

    problems: list[tuple[Loc, str]] = []
    fw = strategy.framework
    blocks = [
        (block, (*loc, "blocks", i))
        for section, loc, _ in _located_sections(strategy)
        for i, block in enumerate(section.blocks)
    ]

    def once(kind: type[BaseModel], what: str, missing_at: Loc) -> None:
        found = [loc for b, loc in blocks if isinstance(b, kind)]
        if not found:
            problems.append(
                (
                    missing_at,
                    f"本文に{what}（type: {_tag(kind)}）がありません。framework の内容はこの中身で表示されます。本文のどこかに一つ置いてください。",
                )
            )
        for loc in found[1:]:
            problems.append(
                (loc, f"{what}（type: {_tag(kind)}）が二つ以上あります。一つだけにしてください。")
            )

    once(ViewpointIssuesBlock, "視点・分類・課題の表", ("chapters",))
    once(SolutionsBlock, "視点・行動指針・解決方法の表", ("chapters",))

    goal_viewpoints: dict[str, list[str]] = {}
    for viewpoint in fw.viewpoints:
        goal_viewpoints.setdefault(viewpoint.goal, []).append(viewpoint.id)
    for i, goal in enumerate(fw.goals):
        owners = goal_viewpoints.get(goal.id, [])
        if not owners:
            problems.append(
                (
                    ("framework", "goals", i, "id"),
                    f"戦略目標「{goal.id}」を目標とする視点がありません。framework の viewpoints のどれかの goal に「{goal.id}」を書いてください。",
                )
            )
        elif len(owners) > 1:
            problems.append(
                (
                    ("framework", "goals", i, "id"),
                    f"戦略目標「{goal.id}」が複数の視点（{'、'.join(owners)}）の目標になっています。視点と目標は一対一にしてください。",
                )
            )
    for i, viewpoint in enumerate(fw.viewpoints):
        found = [
            loc
            for b, loc in blocks
            if isinstance(b, ViewpointGuidelinesBlock) and b.viewpoint == viewpoint.id
        ]
        if not found:
            problems.append(
                (
                    ("framework", "viewpoints", i, "id"),
                    f"視点「{viewpoint.id}」の目標と行動指針を表示する中身（type: viewpoint_guidelines、viewpoint: {viewpoint.id}）が本文にありません。",
                )
            )
        for loc in found[1:]:
            problems.append(
                (
                    loc,
                    f"視点「{viewpoint.id}」の viewpoint_guidelines が二つ以上あります。一つだけにしてください。",
                )
            )

    for i, concept in enumerate(fw.concepts):
        cards = [
            loc
            for b, loc in blocks
            if isinstance(b, ConceptBlock) and b.concept == concept.id and b.form == "card"
        ]
        shown = [loc for b, loc in blocks if isinstance(b, ConceptBlock) and b.concept == concept.id]
        if not cards and (concept.adopted or shown):
            what = "採用したコンセプト" if concept.adopted else "本文で参照しているコンセプト"
            problems.append(
                (
                    ("framework", "concepts", i, "id"),
                    f"{what}「{concept.id}」の全文を表示する中身（type: concept、concept: {concept.id}、form: card）が本文にありません。リンク先になるので一つ置いてください。",
                )
            )
        for loc in cards[1:]:
            problems.append(
                (
                    loc,
                    f"コンセプト「{concept.id}」の全文（form: card）が二つ以上あります。一つだけにしてください。",
                )
            )

    for section, loc, depth in _located_sections(strategy):
        if depth == 0 and section.id in RESERVED_FOLDERS:
            problems.append(
                (
                    (*loc, "id"),
                    f"章の id「{section.id}」はサイトのフォルダ名と重なります。別の id にしてください（使えない id: {'、'.join(sorted(RESERVED_FOLDERS))}）。",
                )
            )

    for item_id, loc in _located_ids(strategy, ()):
        if (
            item_id in RESERVED_IDS
            or item_id.startswith(RESERVED_PREFIXES)
            or item_id.endswith(RESERVED_SUFFIXES)
        ):
            problems.append(
                (
                    loc,
                    f"id「{item_id}」はサイトがページの中で使う名前と重なります。{'、'.join(p + '…' for p in RESERVED_PREFIXES)} で始まる id、…{RESERVED_SUFFIXES[0]} で終わる id、{'、'.join(sorted(RESERVED_IDS))} は使えません。",
                )
            )

    if problems:
        return problems
    anchored = anchor_pages(strategy)
    for block, loc in blocks:
        if isinstance(block, RemarksBlock):
            for r, remark in enumerate(block.items):
                for k, ref in enumerate(remark.addressed_by):
                    if ref not in anchored:
                        problems.append(
                            (
                                (*loc, "items", r, "addressed_by", k),
                                f"「{ref}」は本文のどこにも表示されていないため、リンクできません。本文に表示される項目の id を書いてください。",
                            )
                        )
    return problems


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the data file, for editors' completion and validation."""
    schema = Strategy.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "盛岡市デジタル化によるまちづくり推進戦略 data/strategy.yaml"
    return schema

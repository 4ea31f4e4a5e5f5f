"""The schema of the strategy document: the pydantic classes, with the Japanese descriptions that editors see
in their editor's completion through `data/strategy.schema.json`.

Ids and references are checked by the validators of macros/model/refs.py, which every validation runs.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from typing import Annotated, Any, Literal, Union

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    StringConstraints,
    ValidationInfo,
    model_validator,
)

from ..ja import date_ja, edition_line
from ..kinds import BY_MODEL
from .refs import ITEM_REF_NAMES, any_ref, context_for, context_of, ref, register_id, viewpoint_goal

ID_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"


class Model(BaseModel):
    """Base: frozen, no unknown keys."""

    # strict: no coercion (0 is not a date, "yes" is not true, true is not 1, 1.0 is not an integer).
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, defer_build=True)


Text = Annotated[
    str,
    StringConstraints(min_length=1),
    Field(description="文章。原文のまま書きます。**…** は強調になります。"),
]
Id = Annotated[
    str,
    StringConstraints(pattern=ID_PATTERN),
    AfterValidator(register_id),
    Field(
        description="変わらない識別子（半角英小文字・数字・ハイフン）。ページのアンカー（#id）と参照に使います。",
        examples=["life-1"],
    ),
]
ConceptRef = Annotated[str, AfterValidator(ref("concept")), Field(description="戦略コンセプトの id")]
GoalRef = Annotated[
    str, AfterValidator(ref("goal")), Field(description="戦略目標の id", examples=["goal-life"])
]
ViewpointRef = Annotated[
    str, AfterValidator(ref("viewpoint")), Field(description="視点の id", examples=["life"])
]
RemarkRef = Annotated[
    str, AfterValidator(ref("remark")), Field(description="ご指摘事項の id", examples=["remark-01"])
]
ItemRef = Annotated[str, AfterValidator(any_ref), Field(description=f"{ITEM_REF_NAMES}の id")]
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

    # One line each: they are the site's name, the PDF cover's lines and the share images' text.
    title: Line = Field(description="戦略の名前")
    meeting: Line = Field(description="資料を示した会議")
    document: Line = Field(description="資料の名前")
    date: datetime.date = Field(description="資料の日付（YYYY-MM-DD）")
    status: Line = Field(description="資料の状態（案 など）")

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
        expected = viewpoint_goal(info, self.viewpoint)
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
    emphasis: Literal["bold", "underline"] = Field(
        default="bold",
        description="強調の表し方（表の中の **…**）。bold は太字、underline は下線（原文が下線で強調している表に書きます）",
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


# Validation always checks the ids and references (macros/model/refs.py): `model_validate` and
# `model_validate_json` gather the file's ids themselves when no context is given, and any other way in
# (`Strategy(**data)`, a context without ids) stops with MISSING_CONTEXT instead of skipping the checks.
# (A comment, not the docstring: the docstring is the schema's description.)
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

    @classmethod
    def model_validate(cls, obj: Any, *, context: Any = None, **kwargs: Any) -> Strategy:
        """Validate plain data, ids and references included (the ids are gathered from `obj` unless given)."""
        return super().model_validate(obj, context=context_for(obj) if context is None else context, **kwargs)

    @classmethod
    def model_validate_json(cls, json_data: Any, *, context: Any = None, **kwargs: Any) -> Strategy:
        """Validate JSON text, ids and references included."""
        if context is None:
            context = context_for(json.loads(json_data))
        return super().model_validate_json(json_data, context=context, **kwargs)

    @model_validator(mode="after")
    def _require_context(self, info: ValidationInfo) -> Strategy:
        # Every id and reference field already raised without the context; this holds for a file without any.
        context_of(info)
        return self

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


def json_schema() -> dict[str, Any]:
    """The JSON Schema of the data file, for editors' completion and validation."""
    schema = Strategy.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "盛岡市デジタル化によるまちづくり推進戦略 data/strategy.yaml"
    return schema

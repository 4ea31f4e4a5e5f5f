"""What the pages assume of a valid model: each framework item shown once, no id that the site itself uses,
every `addressed_by` pointing at something shown. `parse` reports these with the other problems.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel

from ..pages import anchor_pages
from .introspection import tag_of
from .schema import (
    ConceptBlock,
    RemarksBlock,
    Section,
    SolutionsBlock,
    Strategy,
    ViewpointGuidelinesBlock,
    ViewpointIssuesBlock,
)

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
                    f"本文に{what}（type: {tag_of(kind)}）がありません。framework の内容はこの中身で表示されます。本文のどこかに一つ置いてください。",
                )
            )
        for loc in found[1:]:
            problems.append(
                (loc, f"{what}（type: {tag_of(kind)}）が二つ以上あります。一つだけにしてください。")
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

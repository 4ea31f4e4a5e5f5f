"""The one registry of item kinds: every kind of item with an id that the document names, in the order the
新旧対照表 lists them. The model's reference messages, `Strategy.describe`, and the diff's kinds derive from it.
Pure data: imports nothing of the project.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    """A kind of item: its key, its Japanese name, its model class, the attribute that names one item, and
    whether other items refer to it by id (`*Ref` fields)."""

    key: str
    name: str
    model: str
    title: str = ""
    referenced: bool = False


KINDS: tuple[Kind, ...] = (
    Kind("concept", "戦略コンセプト", "Concept", "label", referenced=True),
    Kind("goal", "戦略目標", "Goal", "title", referenced=True),
    Kind("viewpoint", "視点", "Viewpoint", "name", referenced=True),
    Kind("guideline", "行動指針", "Guideline", "title", referenced=True),
    Kind("solution", "解決方法", "Solution", "text", referenced=True),
    Kind("category", "課題の分類", "Category"),
    Kind("issue", "課題", "Issue", "text", referenced=True),
    Kind("remark", "ご指摘事項", "Remark", "text", referenced=True),
    Kind("theme", "ご指摘事項の要約（テーマ）", "Theme"),
    Kind("point", "ご指摘事項の要約", "SummaryPoint"),
    Kind("step", "策定の手順", "Step"),
    Kind("section", "本文の節", "Section"),
    Kind("document", "文書情報", "Strategy"),
)

# Kinds that other items refer to by id, and their Japanese names.
REF_KINDS: tuple[str, ...] = tuple(k.key for k in KINDS if k.referenced)
KIND_NAMES: dict[str, str] = {k.key: k.name for k in KINDS if k.referenced}
BY_MODEL: dict[str, Kind] = {k.model: k for k in KINDS}

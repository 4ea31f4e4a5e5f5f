"""Ids and references: the ids a data file defines, gathered before validation, and the validators that check
every id is unique and every reference names an existing item.

pydantic validates the whole file in one pass and hands these validators the gathered ids as its validation
context (`context_for`), so that a wrong reference is reported with its line together with every other problem.
The context is required: validating without it raises (`MISSING_CONTEXT`) instead of skipping the checks, and
`Strategy.model_validate` makes it itself when the caller gives none.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationInfo

from ..kinds import KIND_NAMES, REF_KINDS

MISSING_CONTEXT = (
    "id と参照を検査するための文脈がありません（プログラムの誤りです）。"
    "データは macros.model.parse() か Strategy.model_validate() で検査してください。"
)


def context_of(info: ValidationInfo) -> dict[str, Any]:
    """The ids of the file being validated; raises when validation was started without them."""
    context = info.context
    if not isinstance(context, dict) or "ids" not in context or "seen" not in context:
        raise ValueError(MISSING_CONTEXT)
    return context


def register_id(value: str, info: ValidationInfo) -> str:
    """An id: unique in the whole file."""
    seen = context_of(info)["seen"]
    if value in seen:
        raise ValueError(f"id「{value}」は既に使われています。id はファイル全体で一つだけにしてください。")
    seen.add(value)
    return value


def ref(kind: str):
    """A reference to an item of one kind: the file must define it."""

    def check(value: str, info: ValidationInfo) -> str:
        known = context_of(info)["ids"][kind]
        if value not in known:
            raise ValueError(
                f"{KIND_NAMES[kind]}「{value}」は存在しません。使える id: {_some(sorted(known))}"
            )
        return value

    return check


# What an `ItemRef` may name: every referenced kind but the remarks themselves.
ITEM_REF_KINDS = tuple(k for k in REF_KINDS if k != "remark")
ITEM_REF_NAMES = "・".join(KIND_NAMES[k].removeprefix("戦略") for k in ITEM_REF_KINDS)


def any_ref(value: str, info: ValidationInfo) -> str:
    """A reference to an item of any kind that `ItemRef` may name."""
    ids = context_of(info)["ids"]
    if not any(value in ids[k] for k in ITEM_REF_KINDS):
        raise ValueError(f"「{value}」という id の項目はありません。{ITEM_REF_NAMES}の id を書いてください。")
    return value


def _some(names: list[str], limit: int = 12) -> str:
    """A short list for a message: at most `limit` names, then how many more."""
    shown = "、".join(names[:limit]) or "（なし）"
    return shown + (f" ほか {len(names) - limit} 件" if len(names) > limit else "")


def context_for(data: Any) -> dict[str, Any]:
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


def viewpoint_goal(info: ValidationInfo, viewpoint_id: str) -> str | None:
    """The goal that the file gives to a viewpoint (None when the viewpoint does not exist)."""
    return context_of(info)["viewpoint_goal"].get(viewpoint_id)

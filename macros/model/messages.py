"""The Japanese messages: one for each pydantic error, saying what is allowed in the editor's words (no internal
names), and the cap on how many are shown at once.
"""

from __future__ import annotations

import re
from typing import Any

from ..loader import Problem
from .introspection import BLOCK_TYPES, FIELD_NAMES, allowed_keys

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


def field_loc(error: dict[str, Any]) -> tuple[Any, ...]:
    """An error's location without the names pydantic gives to members of a union (「constrained-str」…)."""
    loc = tuple(error["loc"])
    if error["type"] == "extra_forbidden":  # the unknown key the editor wrote
        return (*field_loc({"loc": loc[:-1], "type": ""}), loc[-1])
    return tuple(p for p in loc if isinstance(p, int) or p in FIELD_NAMES)


def union_member(error: dict[str, Any]) -> bool:
    """Whether an error says that a whole value matched no member of a union (a type error ending there)."""
    loc = error["loc"]
    return (
        error["type"].endswith("_type")
        and bool(loc)
        and isinstance(loc[-1], str)
        and loc[-1] not in FIELD_NAMES
    )


def message(error: dict[str, Any]) -> str:
    """A Japanese message for one pydantic error, saying what is allowed (no internal names)."""
    kind, ctx, loc = error["type"], error.get("ctx") or {}, field_loc(error)
    name = next((str(p) for p in reversed(loc) if isinstance(p, str)), "")
    if union_member(error):
        return f"「{name}」の書き方が違います。{_UNION_HINTS.get(name, _UNION_HINT)}"
    if kind == "value_error":
        return str(ctx.get("error", error["msg"]))
    if kind == "missing":
        return f"必須の項目「{name}」がありません。追加してください。"
    if kind == "extra_forbidden":
        allowed = "、".join(allowed_keys(loc[:-1])) or "（なし）"
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
        if ctx.get("pattern") == r"^[^\n]*$":
            return f"「{name}」は一行で書いてください（改行は使えません）。"
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


MAX_PROBLEMS = 200  # messages reported at once; the rest are counted


def capped(problems: list[Problem], path: str) -> list[Problem]:
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

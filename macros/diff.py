"""新旧対照表: compare two versions of the strategy through the model and print the changes as Markdown.

Items are matched by their stable `id`: every pydantic object with an `id` (Strategy.ids / Strategy.get) is
one item. An item's own fields are compared, not the items nested in it (a section's sub-sections, a
viewpoint's solutions, a block's remarks are items of their own). Lists without ids (blocks, list items,
table rows) are aligned on the elements that occur once in both versions (patience diff, O(n log n); see
`align`), so an inserted line shows as one added row, not as a cascade, and 10 000 changed items take seconds.
Whatever is not in the model (comments, quoting, indentation, key order) cannot show up here.

Reported: 追加 (added), 削除 (removed), 変更 (changed, field by field, including 所属 when an item moved to
another parent) and 順序の変更 (items kept in the same list but in another order). Text is escaped for
Markdown tables: data text is shown as written, never as markup.
"""

from __future__ import annotations

import bisect
import datetime
import html
import json
import re
import typing
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from .kinds import KINDS as ITEM_KINDS
from .loader import DataError, safe_line
from .model import Strategy, Text, load

Action = Literal["added", "removed", "changed", "reordered"]
ACTIONS: dict[str, str] = {"added": "追加", "removed": "削除", "changed": "変更", "reordered": "順序の変更"}

# Kind of item by model class name, in the order the table lists them (macros/kinds.py).
KINDS: dict[str, tuple[str, str]] = {k.model: (k.key, k.name) for k in ITEM_KINDS}
ROOT_ID = "meta"
NO_CHANGE = "内容の変更はありません。"
_NAME_FIELDS = ("heading", "title", "label", "name", "text")
_MISSING: Any = object()


@dataclass(frozen=True)
class FieldChange:
    """One changed field: where (a Japanese label path), the old and the new wording (None: absent)."""

    label: str
    old: str | None
    new: str | None


@dataclass(frozen=True)
class Change:
    """One added, removed, changed or reordered item."""

    kind: str
    id: str
    action: Action
    name: str
    fields: tuple[FieldChange, ...]


def kind_of(item: Any) -> str:
    """The kind key of an item (its model class, when unknown)."""
    return KINDS.get(type(item).__name__, (type(item).__name__, ""))[0]


def kind_name(kind: str) -> str:
    """The Japanese name of a kind."""
    return next((name for key, name in KINDS.values() if key == kind), kind)


# --- comparing ----------------------------------------------------------------------------------------------


def _has_id(value: Any) -> bool:
    return isinstance(value, BaseModel) and isinstance(getattr(value, "id", None), str)


def _is_child(value: Any) -> bool:
    """True for nested items (objects with an id, or lists of them): they are compared on their own."""
    return _has_id(value) or (isinstance(value, list) and any(_has_id(v) for v in value))


# The description every plain text field shares says nothing about the field: use the field name instead.
_GENERIC = {m.description for m in typing.get_args(Text)[1:] if isinstance(m, FieldInfo)}


def field_label(model: type[BaseModel], name: str) -> str:
    """A short Japanese label from the field's description (up to its first 。 or （), else the field name."""
    description = model.model_fields[name].description
    if not description or description in _GENERIC:
        return name
    label = re.split(r"[。（(]", description, maxsplit=1)[0].strip()
    return label if 0 < len(label) <= 16 else name


def _text(value: Any) -> str | None:
    """A value as the wording shown in a cell."""
    if value is None or value is _MISSING:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, list):
        return "\n".join(t for v in value if (t := _text(v)) is not None)
    if isinstance(value, BaseModel):
        parts = (
            f"{field_label(type(value), n)}: {_text(getattr(value, n))}" for n in type(value).model_fields
        )
        return "\n".join(parts)
    return str(value)


def _key(value: Any) -> str:
    if isinstance(value, BaseModel):
        return value.model_dump_json()
    return json.dumps(value, ensure_ascii=False, default=str)


def _join(label: str, part: str) -> str:
    return f"{label} › {part}" if label else part


def compare(old: Any, new: Any, label: str = "") -> Iterator[FieldChange]:
    """The changed leaves between two values of one item (either may be _MISSING), skipping nested items."""
    if old == new:
        return
    model = type(new) if isinstance(new, BaseModel) else type(old) if isinstance(old, BaseModel) else None
    same_model = model is not None and all(v is _MISSING or v is None or type(v) is model for v in (old, new))
    if model is not None and same_model:
        for name in model.model_fields:
            o = getattr(old, name) if isinstance(old, BaseModel) else _MISSING
            n = getattr(new, name) if isinstance(new, BaseModel) else _MISSING
            if name in ("id", "type") or _is_child(o) or _is_child(n):
                continue
            yield from compare(o, n, _join(label, field_label(model, name)))
        return
    if all(isinstance(v, list) or v is _MISSING or v is None for v in (old, new)):
        yield from _compare_lists(
            old if isinstance(old, list) else [], new if isinstance(new, list) else [], label
        )
        return
    yield FieldChange(label, _text(old), _text(new))


def _element_label(label: str, index: int, value: Any) -> str:
    kind = getattr(value, "type", None)
    return f"{label} {index + 1}" + (f"（{kind}）" if isinstance(kind, str) else "")


Opcode = tuple[str, int, int, int, int]


def align(a: list[str], b: list[str]) -> list[Opcode]:
    """Opcodes like difflib's (`equal`, `replace`, `insert`, `delete`) in O(n log n).

    The anchors are the elements that occur exactly once in each list, kept in the longest run that is in the
    same order in both (patience sorting); between anchors, the common start and end are equal and the rest is
    replaced. difflib's SequenceMatcher grows with the cube of the length when elements repeat.
    """
    ca, cb = Counter(a), Counter(b)
    where_b = {x: j for j, x in enumerate(b) if cb[x] == 1}
    pairs = [(i, where_b[x]) for i, x in enumerate(a) if ca[x] == 1 and x in where_b]
    anchors = _longest_increasing(pairs)
    ops: list[Opcode] = []
    i = j = 0
    for ai, bj in [*anchors, (len(a), len(b))]:
        ops += _gap(a, b, i, ai, j, bj)
        if ai < len(a):
            ops.append(("equal", ai, ai + 1, bj, bj + 1))
        i, j = ai + 1, bj + 1
    merged: list[Opcode] = []
    for op in ops:  # join neighbouring equal runs
        if merged and op[0] == merged[-1][0] == "equal":
            merged[-1] = ("equal", merged[-1][1], op[2], merged[-1][3], op[4])
        elif op[1] != op[2] or op[3] != op[4]:
            merged.append(op)
    return merged


def _gap(a: list[str], b: list[str], i1: int, i2: int, j1: int, j2: int) -> list[Opcode]:
    """A stretch between anchors: equal at both ends, one replace (or insert, or delete) in the middle."""
    start = 0
    while i1 + start < i2 and j1 + start < j2 and a[i1 + start] == b[j1 + start]:
        start += 1
    end = 0
    while i2 - end > i1 + start and j2 - end > j1 + start and a[i2 - end - 1] == b[j2 - end - 1]:
        end += 1
    ops: list[Opcode] = [("equal", i1, i1 + start, j1, j1 + start)]
    mi1, mi2, mj1, mj2 = i1 + start, i2 - end, j1 + start, j2 - end
    if mi1 < mi2 or mj1 < mj2:
        tag = "replace" if mi1 < mi2 and mj1 < mj2 else "delete" if mi1 < mi2 else "insert"
        ops.append((tag, mi1, mi2, mj1, mj2))
    ops.append(("equal", i2 - end, i2, j2 - end, j2))
    return ops


def _longest_increasing(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The longest subsequence of `pairs` (sorted by the first) whose second values increase: O(n log n)."""
    tails: list[int] = []  # tails[k]: the smallest second value ending a run of length k + 1
    tail_index: list[int] = []
    previous: list[int] = [-1] * len(pairs)
    for index, (_, value) in enumerate(pairs):
        k = bisect.bisect_left(tails, value)
        if k == len(tails):
            tails.append(value)
            tail_index.append(index)
        else:
            tails[k] = value
            tail_index[k] = index
        previous[index] = tail_index[k - 1] if k else -1
    run: list[tuple[int, int]] = []
    index = tail_index[-1] if tail_index else -1
    while index >= 0:
        run.append(pairs[index])
        index = previous[index]
    return run[::-1]


def _compare_lists(old: list[Any], new: list[Any], label: str) -> Iterator[FieldChange]:
    for tag, i1, i2, j1, j2 in align([_key(v) for v in old], [_key(v) for v in new]):
        if tag == "equal":
            continue
        for k in range(max(i2 - i1, j2 - j1)):
            o = old[i1 + k] if i1 + k < i2 else _MISSING
            n = new[j1 + k] if j1 + k < j2 else _MISSING
            if o is not _MISSING and n is not _MISSING and type(o) is not type(n):
                yield from compare(o, _MISSING, _element_label(label, i1 + k, o))
                yield from compare(_MISSING, n, _element_label(label, j1 + k, n))
            elif n is _MISSING:
                yield from compare(o, n, _element_label(label, i1 + k, o))
            else:
                yield from compare(o, n, _element_label(label, j1 + k, n))


def _parents(strategy: Strategy) -> dict[str, list[str]]:
    """Every list of items, keyed by `owner-id:field.path` (owner: the nearest item above; '' for the root)."""
    lists: dict[str, list[str]] = {}

    def walk(node: Any, owner: str, path: str) -> None:
        if isinstance(node, BaseModel):
            if _has_id(node):
                owner, path = node.id, ""
            for name in type(node).model_fields:
                walk(getattr(node, name), owner, _join_path(path, name))
        elif isinstance(node, list):
            for value in node:
                if _has_id(value):
                    lists.setdefault(f"{owner}:{path}", []).append(value.id)
                walk(value, owner, path)

    walk(strategy, "", "")
    return lists


def _join_path(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _where(parent: str) -> str:
    owner, path = parent.split(":", 1)
    return f"{owner} の {path}" if owner else path


def _name(item: Any) -> str:
    for attr in _NAME_FIELDS:
        value = getattr(item, attr, None)
        if isinstance(value, str) and value:
            return value if len(value) <= 40 else value[:40] + "…"
    return ""


def diff(old: Strategy, new: Strategy) -> list[Change]:
    """Every change from `old` to `new`, by item id: new document order first, then removed items."""
    old_lists, new_lists = _parents(old), _parents(new)
    old_parent = {i: p for p, ids in old_lists.items() for i in ids}
    new_parent = {i: p for p, ids in new_lists.items() for i in ids}
    changes = [Change("document", ROOT_ID, "changed", "", f) for f in [tuple(compare(old, new))] if f]
    old_ids = set(old.ids)
    for item_id in new.ids:
        item = new.get(item_id)
        before = old.get(item_id) if item_id in old_ids else _MISSING
        if before is not _MISSING and type(before) is not type(item):
            changes.append(
                Change(kind_of(before), item_id, "removed", _name(before), tuple(compare(before, _MISSING)))
            )
            before = _MISSING
        fields = list(compare(before, item))
        if before is not _MISSING and old_parent.get(item_id) != new_parent.get(item_id):
            where = [_where(p) if p else None for p in (old_parent.get(item_id), new_parent.get(item_id))]
            fields.insert(0, FieldChange("所属", *where))
        if before is _MISSING or fields:
            action: Action = "added" if before is _MISSING else "changed"
            changes.append(Change(kind_of(item), item_id, action, _name(item), tuple(fields)))
    new_ids = set(new.ids)
    for item_id in old.ids:
        if item_id not in new_ids:
            item = old.get(item_id)
            changes.append(
                Change(kind_of(item), item_id, "removed", _name(item), tuple(compare(item, _MISSING)))
            )
    for parent, ids in new_lists.items():
        now = set(ids)
        before_ids = [i for i in old_lists.get(parent, []) if i in now]
        kept = set(before_ids)
        after_ids = [i for i in ids if i in kept]
        if before_ids != after_ids:
            kind = kind_of(new.get(ids[0]))
            order = FieldChange("並び順", "、".join(before_ids), "、".join(after_ids))
            changes.append(Change(kind, _where(parent), "reordered", "", (order,)))
    return changes


# --- Markdown -----------------------------------------------------------------------------------------------

_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]~|$!#<>])")
_BREAKS = re.compile(r"[\r\n\u2028\u2029\x0b\x0c\x85]+")
MAX_SUMMARY_BYTES = 900 * 1024  # GitHub refuses a job summary over 1 MiB


def escape_inline(text: str) -> str:
    """Text for Markdown inline context, on one line: HTML escaped, Markdown punctuation backslash-escaped,
    line breaks as spaces, and @ kept from becoming a mention."""
    one_line = _BREAKS.sub(" ", text)
    return _INLINE_SPECIAL.sub(r"\\\1", html.escape(one_line, quote=False)).replace("@", "@\u2060")


def escape_cell(text: str | None) -> str:
    """Text for a Markdown table cell; line breaks become <br>, absent values （なし）."""
    if text is None:
        return "（なし）"
    if text == "":
        return "（空）"
    lines = _BREAKS.split(text)
    return "<br>".join(escape_inline(line) for line in lines)


def _version(strategy: Strategy) -> str:
    return escape_inline(strategy.meta.edition)


def render_markdown(
    changes: list[Change], old: Strategy, new: Strategy, limit: int | None = MAX_SUMMARY_BYTES
) -> str:
    """The 新旧対照表 as Markdown: a header line, counts, then one table per item, grouped by kind.

    Past `limit` bytes (a GitHub job summary holds 1 MiB) the table stops at a whole item, with a note.
    """
    if not changes:
        return NO_CHANGE
    counts = "、".join(
        f"{name} {n} 件" for a, name in ACTIONS.items() if (n := sum(c.action == a for c in changes))
    )
    lines = [f"旧: {_version(old)} → 新: {_version(new)}", "", f"{counts}。", ""]
    order = [key for key, _ in KINDS.values()]
    size, shown = sum(len(line.encode()) + 1 for line in lines), 0
    for kind in sorted({c.kind for c in changes}, key=lambda k: order.index(k) if k in order else len(order)):
        lines += [f"### {escape_inline(kind_name(kind))}", ""]
        for change in (c for c in changes if c.kind == kind):
            block = _change_lines(change)
            block_size = sum(len(line.encode()) + 1 for line in block)
            if limit is not None and size + block_size > limit:
                lines += [_cut_note(shown, len(changes))]
                return "\n".join(lines).rstrip("\n")
            lines += block
            size += block_size
            shown += 1
    return "\n".join(lines).rstrip("\n")


def _cut_note(shown: int, total: int) -> str:
    return (
        f"**（長すぎるため、ここで打ち切りました。{total:,} 件の変更のうち {shown:,} 件を表示しています。"
        "全体は手元で `python -m macros diff --full 旧 新` を実行して確かめてください。）**"
    )


def _change_lines(change: Change) -> list[str]:
    """The heading and table of one change."""
    title = f"#### {ACTIONS[change.action]}: `{change.id}`" if change.kind != "document" else "#### 変更"
    if change.action == "reordered":
        title = f"#### {ACTIONS[change.action]}: {escape_inline(change.id)}"
    lines = [title + (f" {escape_inline(change.name)}" if change.name else ""), ""]
    lines += ["| 項目 | 旧 | 新 |", "| --- | --- | --- |"]
    lines += [
        f"| {escape_cell(f.label)} | {escape_cell(f.old)} | {escape_cell(f.new)} |" for f in change.fields
    ]
    lines.append("")
    return lines


# --- files --------------------------------------------------------------------------------------------------


def compare_files(old_path: str | Path, new_path: str | Path, *, full: bool = False) -> tuple[str, int]:
    """Load, validate and compare two data files: (Markdown, exit code). Exit 0 with or without changes,
    1 when either file is invalid (then the Markdown lists every problem as PATH:LINE:COL: message)."""
    strategies: list[Strategy] = []
    out: list[str] = []
    for role, path in (("旧", old_path), ("新", new_path)):
        try:
            strategies.append(load(path))
        except DataError as exc:
            out += [
                f"{role}のファイル {path} に {len(exc.problems)} 件の問題があるため、新旧対照表は作れません。",
                "",
            ]
            out += [
                "~~~~text",
                *(safe_line(str(p)).replace("~~~~", "～～～～") for p in exc.problems),
                "~~~~",
                "",
            ]
    if out:
        return "\n".join(out).rstrip("\n"), 1
    old, new = strategies
    return render_markdown(diff(old, new), old, new, limit=None if full else MAX_SUMMARY_BYTES), 0

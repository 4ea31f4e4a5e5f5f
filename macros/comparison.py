"""新旧対照表 as councils read it: 改正後 (left) | 改正前 (right), the changed words marked in both columns.

Built on the public result of `macros.diff.diff` (its list of `Change`s): this module only arranges and renders
them. Entries are grouped by the chapter whose page shows the item and ordered as the document reads (old and
new orders merged, so that a removed item stands where it stood). Within a changed text, the changed characters
are found with a character-level `difflib.SequenceMatcher` (Japanese has no spaces between words), tiny equal
runs between two changes are folded into the change so that the marks cover readable words; added text is
wrapped in <ins> (underlined), removed text in <del> (struck through). Added and removed items are shown whole.

Three renderings from one `Comparison`: Markdown (for a pull request comment or job summary), an HTML fragment
(for the site, through Jinja templates with autoescape in `templates/comparison/`) and an A4 landscape PDF
(WeasyPrint directly, tagged PDF/UA-1, BIZ UDPGothic embedded, page numbers). Every heading, label and note
that the site adds is the site's: in HTML it sits inside an element with data-origin="site".
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

import jinja2

from .diff import Change, FieldChange, diff, escape_inline, kind_name
from .model import Strategy
from .pages import all_pages, block_anchors, sections_on

TEMPLATES = Path(__file__).parent / "templates" / "comparison"
NEW_HEADING, OLD_HEADING = "改正後", "改正前"
ADDED_NOTE, REMOVED_NOTE, ABSENT_NOTE = "（新設）", "（削除）", "（なし）"
DOCUMENT_GROUP, OTHER_GROUP, ORDER_GROUP = "文書情報", "その他の項目", "並び順の変更"
LEGEND = "下線を引いた文字は加えた文字、取り消し線を引いた文字は削った文字です。"
MIN_EQUAL = 2  # equal runs shorter than this between two changes are folded into the change


@dataclass(frozen=True)
class Part:
    """A run of text; `marked` when it was added (in 改正後) or removed (in 改正前)."""

    text: str
    marked: bool = False


@dataclass(frozen=True)
class Line:
    """One changed field: the site's label for it, the new and the old text (None: not there)."""

    label: str
    new: tuple[Part, ...] | None
    old: tuple[Part, ...] | None


@dataclass(frozen=True)
class Entry:
    """One item of the table: an added, removed, changed or reordered item."""

    anchor: str
    item_id: str
    kind: str
    action: str
    title: str
    lines: tuple[Line, ...]

    @property
    def whole(self) -> bool:
        """Added or removed: shown whole in one row, the other column holding only a note."""
        return self.action in ("added", "removed")

    @property
    def note(self) -> str:
        """The site's note in the empty column of an added or removed item."""
        return ADDED_NOTE if self.action == "added" else REMOVED_NOTE


@dataclass(frozen=True)
class Group:
    """The entries of one chapter (or of one of the site's groups), in document order."""

    anchor: str
    title: str
    site: bool  # the title is the site's words, not a chapter heading of the document
    entries: tuple[Entry, ...]


@dataclass(frozen=True)
class Comparison:
    """A whole 新旧対照表."""

    title: str
    old_label: str
    new_label: str
    groups: tuple[Group, ...]

    @property
    def entries(self) -> list[Entry]:
        """Every entry, in table order."""
        return [e for g in self.groups for e in g.entries]


# --- marking words ------------------------------------------------------------------------------------------


def mark_words(old: str, new: str) -> tuple[tuple[Part, ...], tuple[Part, ...]]:
    """The new and the old text cut into parts, the added (new) and removed (old) characters marked."""
    ops = SequenceMatcher(None, old, new, autojunk=False).get_opcodes()
    spans: list[list[Any]] = []  # [changed, i1, i2, j1, j2]
    for index, (tag, i1, i2, j1, j2) in enumerate(ops):
        changed = tag != "equal"
        between = 0 < index < len(ops) - 1
        if not changed and between and (i2 - i1) < MIN_EQUAL:
            changed = True  # a lone equal character between two changes reads as part of the change
        if spans and spans[-1][0] == changed:
            spans[-1][2], spans[-1][4] = i2, j2
        else:
            spans.append([changed, i1, i2, j1, j2])
    new_parts = tuple(Part(new[j1:j2], changed) for changed, _, _, j1, j2 in spans if j2 > j1)
    old_parts = tuple(Part(old[i1:i2], changed) for changed, i1, i2, _, _ in spans if i2 > i1)
    return new_parts, old_parts


# Field names that diff.py shows as they are (their descriptions are generic): the site's Japanese for them.
FIELD_NAMES = {"title": "見出し", "description": "説明", "text": "本文", "name": "名前", "items": "項目"}
_REFERENCE = re.compile(r"(?:^|の |› )id$")


def field_label(label: str) -> str:
    """diff.py's label path with plain field names in Japanese."""
    return " › ".join(FIELD_NAMES.get(part, part) for part in label.split(" › "))


def _line(field: FieldChange, whole: str | None = None) -> Line:
    if field.old is not None and field.new is not None and whole is None:
        new, old = mark_words(field.old, field.new)
        return Line(field_label(field.label), new, old)
    new_parts = (Part(field.new, True),) if field.new is not None else None
    old_parts = (Part(field.old, True),) if field.old is not None else None
    return Line(field_label(field.label), new_parts, old_parts)


# --- arranging ----------------------------------------------------------------------------------------------


def document_order(strategy: Strategy) -> list[tuple[str, str]]:
    """Every id that a page shows, with the id of its chapter, in reading order."""
    seen: dict[str, str] = {}
    for page in all_pages(strategy):
        chapter = page.path.split("/", 1)[0]
        for section, _depth in sections_on(page):
            seen.setdefault(section.id, chapter)
            for block in section.blocks:
                for item_id in block_anchors(strategy, block):
                    seen.setdefault(item_id, chapter)
    return list(seen.items())


def _merged_order(old: Strategy, new: Strategy) -> dict[str, tuple[int, str]]:
    """Position and chapter of every id of either version: new order, removed ids where they stood."""
    old_order, new_order = document_order(old), document_order(new)
    a, b = [i for i, _ in old_order], [i for i, _ in new_order]
    merged: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            merged += new_order[j1:j2]
        else:
            merged += old_order[i1:i2] + new_order[j1:j2]
    position: dict[str, tuple[int, str]] = {}
    for index, (item_id, chapter) in enumerate(merged):
        position.setdefault(item_id, (index, chapter))
    return position


def _title(change: Change) -> str:
    """The site's heading of an entry: the kind, and the item's name as the document words it."""
    kind = kind_name(change.kind)
    if change.action == "reordered":
        return f"{kind}（{change.id}）"
    return f"{kind}「{change.name}」" if change.name else kind


def _entry(change: Change, index: int) -> Entry:
    whole = change.action in ("added", "removed")
    # An added or removed item is shown whole: its wording, without the ids it refers to.
    fields = [f for f in change.fields if not (whole and _REFERENCE.search(f.label))]
    lines = tuple(_line(f, "whole" if whole else None) for f in fields if f.old or f.new)
    anchor = f"cmp-{change.id}" if change.action != "reordered" else f"cmp-order-{index}"
    return Entry(anchor, change.id, change.kind, change.action, _title(change), lines)


def _chapter_titles(old: Strategy, new: Strategy) -> dict[str, str]:
    titles = {c.id: c.heading for c in old.chapters}
    titles.update({c.id: c.heading for c in new.chapters})
    return titles


def build(old: Strategy, new: Strategy, old_label: str = "", new_label: str = "") -> Comparison:
    """The 新旧対照表 from `old` to `new` (labels default to each version's own edition line)."""
    changes = diff(old, new)
    position = _merged_order(old, new)
    chapters = _chapter_titles(old, new)
    chapter_rank = {cid: n for n, cid in enumerate(dict.fromkeys(ch for _, ch in sorted(position.values())))}
    buckets: dict[tuple[int, str], list[tuple[int, Entry]]] = {}
    for index, change in enumerate(changes):
        entry = _entry(change, index)
        if change.kind == "document":
            key, rank = (-1, DOCUMENT_GROUP), 0
        elif change.action == "reordered":
            key, rank = (len(chapter_rank) + 1, ORDER_GROUP), index
        elif change.id in position:
            rank, chapter = position[change.id]
            key = (chapter_rank[chapter], chapter)
        else:
            key, rank = (len(chapter_rank), OTHER_GROUP), index
        buckets.setdefault(key, []).append((rank, entry))
    groups = []
    for (_, name), entries in sorted(buckets.items()):
        site = name not in chapters
        title = name if site else chapters[name]
        anchor = f"cmp-group-{len(groups) + 1}"
        groups.append(Group(anchor, title, site, tuple(e for _, e in sorted(entries, key=lambda x: x[0]))))
    return Comparison(
        title="新旧対照表",
        old_label=old_label or old.meta.edition,
        new_label=new_label or new.meta.edition,
        groups=tuple(groups),
    )


# --- Markdown -----------------------------------------------------------------------------------------------


def _md_parts(parts: tuple[Part, ...] | None, tag: str, note: str) -> str:
    if parts is None:
        return note
    out = []
    for part in parts:
        lines = part.text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        text = "<br>".join(escape_inline(line) for line in lines)
        out.append(f"<{tag}>{text}</{tag}>" if part.marked and text else text)
    return "".join(out) or "（空）"


def _md_cell(line: Line, side: str) -> str:
    text = (
        _md_parts(line.new, "ins", ABSENT_NOTE) if side == "new" else _md_parts(line.old, "del", ABSENT_NOTE)
    )
    return f"{escape_inline(line.label)}：{text}" if line.label else text


def _md_rows(entry: Entry) -> list[str]:
    item = f" `{entry.item_id}`" if entry.action != "reordered" else ""
    rows = [f"| **{escape_inline(entry.title)}**{item} | |"]
    if entry.whole:
        side = "new" if entry.action == "added" else "old"
        whole = "<br>".join(_md_cell(line, side) for line in entry.lines)
        rows.append(f"| {whole} | {entry.note} |" if side == "new" else f"| {entry.note} | {whole} |")
    else:
        rows += [f"| {_md_cell(line, 'new')} | {_md_cell(line, 'old')} |" for line in entry.lines]
    return rows


def render_markdown(comparison: Comparison) -> str:
    """The table as GitHub Markdown: one table per chapter, one row per changed field."""
    lines = [
        f"改正後: {escape_inline(comparison.new_label)}　改正前: {escape_inline(comparison.old_label)}",
        "",
    ]
    if not comparison.groups:
        return "\n".join([*lines, "内容の変更はありません。"])
    lines += [LEGEND, ""]
    for group in comparison.groups:
        lines += [f"### {escape_inline(group.title)}", ""]
        lines += [f"| {NEW_HEADING} | {OLD_HEADING} |", "| --- | --- |"]
        for entry in group.entries:
            lines += _md_rows(entry)
        lines.append("")
    return "\n".join(lines).rstrip("\n")


# --- HTML and PDF -------------------------------------------------------------------------------------------

ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
ENV.globals.update(
    NEW_HEADING=NEW_HEADING,
    OLD_HEADING=OLD_HEADING,
    ADDED_NOTE=ADDED_NOTE,
    REMOVED_NOTE=REMOVED_NOTE,
    ABSENT_NOTE=ABSENT_NOTE,
    LEGEND=LEGEND,
)


def render_html(comparison: Comparison) -> str:
    """The table as an HTML fragment (for a page of the site); blank lines dropped so Markdown keeps it whole."""
    html = ENV.get_template("table.html.j2").render(c=comparison)
    return "\n".join(line for line in html.splitlines() if line.strip())


def render_document(comparison: Comparison) -> str:
    """A whole HTML document of the table, styled for print (A4 landscape)."""
    css = (TEMPLATES / "print.css").read_text(encoding="utf-8")
    return ENV.get_template("document.html.j2").render(c=comparison, table=render_html(comparison), css=css)


def render_pdf(comparison: Comparison, out: str | Path | None = None) -> bytes:
    """The table as a tagged (PDF/UA-1) A4 landscape PDF with the Japanese fonts embedded."""
    import weasyprint

    html = weasyprint.HTML(string=render_document(comparison), base_url=str(TEMPLATES))
    data = html.write_pdf(pdf_variant="pdf/ua-1", pdf_identifier=True, uncompressed_pdf=False)
    assert data is not None
    if out is not None:
        Path(out).write_bytes(data)
    return data


def compare(old: Strategy, new: Strategy, fmt: str, old_label: str = "", new_label: str = "") -> str | bytes:
    """One call for the command line: the table in `fmt` (md, html or pdf)."""
    comparison = build(old, new, old_label, new_label)
    if fmt == "md":
        return render_markdown(comparison)
    if fmt == "html":
        return render_document(comparison)
    return render_pdf(comparison)


def changed_ids(comparison: Comparison) -> Iterator[tuple[str, str]]:
    """(item id, anchor) of every added, removed or changed item."""
    for entry in comparison.entries:
        if entry.action != "reordered":
            yield entry.item_id, entry.anchor

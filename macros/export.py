"""Open data: the validated model as JSON, YAML and CSV, with its JSON Schema.

`FILES` describes every published file once: the page that lists them, the writer and the tests all read it.
Every file is generated from the model, never copied: the YAML is the model in canonical form (no comments,
which could hold names or internal notes), the schema is generated from the model classes, and no file on
disk (or symlink) is read. Output is deterministic (same model, same bytes): JSON keeps the model's field
order, is UTF-8 without BOM and ends with a newline; CSV is UTF-8 with BOM (so that Excel reads Japanese),
quotes only where needed and ends rows with CRLF (`\\r\\n`, RFC 4180 and Excel's own convention). A CSV cell
that a spreadsheet would run as a formula gets a leading `'` (OWASP's CSV injection rule); JSON and YAML keep
the exact text. No MkDocs here.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from . import modelcache, usercache
from .memo import Kept

# The model and pydantic are imported where files are rendered: the published list and `write` need neither (a
# build answered from the adapter's snapshot, macros/snapshot.py, imports this module but not the model).
if TYPE_CHECKING:
    from .model import Strategy
    from .publication import Publication

DATA_DIR = "data"  # where the files are published, below the site root


@dataclass(frozen=True)
class Column:
    """A CSV column: its English header, a Japanese description, and how to read it from a row."""

    name: str
    description: str
    value: Callable[[Any], object] = field(repr=False, compare=False)


@dataclass(frozen=True)
class ExportedFile:
    """One published file, as the open-data page describes it."""

    name: str
    title: str
    format: str
    description: str
    columns: tuple[Column, ...] = ()
    rows: Callable[[Strategy], Iterable[Any]] | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class Published:
    """A file with its size, for the page."""

    file: ExportedFile
    size: int

    @property
    def path(self) -> str:
        """The published file's path below the site root (pages link to it with `Links.file`)."""
        return f"{DATA_DIR}/{self.file.name}"


def _issues(strategy: Strategy) -> Iterator[tuple[Any, Any, Any]]:
    for viewpoint in strategy.framework.viewpoints:
        for category in viewpoint.categories:
            for issue in category.issues:
                yield viewpoint, category, issue


def _solutions(strategy: Strategy) -> Iterator[tuple[Any, Any]]:
    for viewpoint in strategy.framework.viewpoints:
        for solution in viewpoint.solutions:
            yield viewpoint, solution


FILES: tuple[ExportedFile, ...] = (
    ExportedFile(
        "strategy.json",
        "戦略の全体（JSON）",
        "JSON",
        "検証済みのデータ全体です。項目の並びと意味は strategy.schema.json のとおりです。省略された項目も既定値で書き出します。",
    ),
    ExportedFile(
        "metadata.json",
        "資料と公開の情報（JSON）",
        "JSON",
        "資料の名前・会議・日付・状態と、公開の設定（発行者、公開アドレス、利用条件、問い合わせ先、原資料のページ）です。"
        "公開の設定で決まっていない項目は null です。",
    ),
    ExportedFile(
        "strategy.yaml",
        "戦略の全体（YAML）",
        "YAML",
        "strategy.json と同じ内容を YAML で書いたものです。原稿 data/strategy.yaml を検証して書き出し直したもので、原稿のコメントは含みません。",
    ),
    ExportedFile(
        "strategy.schema.json",
        "データの構造（JSON Schema）",
        "JSON Schema",
        "strategy.yaml と strategy.json の構造と各項目の説明です。",
    ),
    ExportedFile(
        "goals.csv",
        "戦略目標",
        "CSV",
        "戦略目標案。1 行が 1 目標です。",
        (
            Column("id", "戦略目標の id", attrgetter("id")),
            Column("number", "番号", attrgetter("number")),
            Column("label", "目標の見出し（例: 市民の生活）", attrgetter("label")),
            Column("title", "目標", attrgetter("title")),
            Column("description", "目標の説明", attrgetter("description")),
        ),
        lambda s: s.framework.goals,
    ),
    ExportedFile(
        "viewpoints.csv",
        "視点",
        "CSV",
        "視点。1 行が 1 視点です。",
        (
            Column("id", "視点の id", attrgetter("id")),
            Column("number", "番号", attrgetter("number")),
            Column("name", "視点の名前", attrgetter("name")),
            Column("goal", "この視点の戦略目標の id（goals.csv）", attrgetter("goal")),
        ),
        lambda s: s.framework.viewpoints,
    ),
    ExportedFile(
        "guidelines.csv",
        "行動指針",
        "CSV",
        "行動指針案。1 行が 1 指針です。",
        (
            Column("id", "行動指針の id", attrgetter("id")),
            Column("viewpoint", "視点の id（viewpoints.csv）", attrgetter("viewpoint")),
            Column("goal", "戦略目標の id（goals.csv）", attrgetter("goal")),
            Column("number", "視点の中での番号", attrgetter("number")),
            Column("title", "行動指針", attrgetter("title")),
            Column("description", "行動指針の説明", attrgetter("description")),
        ),
        lambda s: s.framework.guidelines,
    ),
    ExportedFile(
        "solutions.csv",
        "解決方法",
        "CSV",
        "視点ごとの解決方法案。1 行が 1 案で、資料の順に並びます。",
        (
            Column("id", "解決方法の id", lambda r: r[1].id),
            Column("viewpoint", "視点の id（viewpoints.csv）", lambda r: r[0].id),
            Column("text", "解決方法", lambda r: r[1].text),
        ),
        _solutions,
    ),
    ExportedFile(
        "issues.csv",
        "現状の主な課題",
        "CSV",
        "視点と分類ごとの課題。1 行が 1 課題で、資料の順に並びます。",
        (
            Column("id", "課題の id", lambda r: r[2].id),
            Column("viewpoint", "視点の id（viewpoints.csv）", lambda r: r[0].id),
            Column("category", "分類の id", lambda r: r[1].id),
            Column("category_name", "分類の名前", lambda r: r[1].name),
            Column("text", "課題", lambda r: r[2].text),
        ),
        _issues,
    ),
    ExportedFile(
        "remarks.csv",
        "前回のご指摘事項",
        "CSV",
        "前回アドバイザーボードの議事録から抜粋したご指摘事項。1 行が 1 件です。",
        (
            Column("id", "ご指摘事項の id", attrgetter("id")),
            Column("number", "番号", attrgetter("number")),
            Column("text", "発言（議事録から抜粋、原文のまま）", attrgetter("text")),
            Column("page", "議事録の記録箇所（例: p.3）", attrgetter("page")),
            Column(
                "addressed_by",
                "資料がこの指摘に応えると明記している項目の id（半角空白区切り、なければ空）",
                attrgetter("addressed_by"),
            ),
            Column("response", "資料に書かれた市の対応（なければ空）", attrgetter("response")),
        ),
        lambda s: s.remarks,
    ),
)


# What makes a spreadsheet read a cell as a formula (OWASP, "CSV Injection"): such cells get a leading '.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """A CSV cell that no spreadsheet runs: a leading ' before =, +, -, @, tab or CR at the start."""
    return "'" + text if text.startswith(FORMULA_START) else text


def _cell(value: object) -> str:
    """A CSV cell: lists joined by a space, None as empty, formulas neutralised."""
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return neutralise(" ".join(str(v) for v in value))
    return neutralise(str(value))


def table(file: ExportedFile, strategy: Strategy) -> list[list[str]]:
    """The header and rows of a CSV file."""
    assert file.rows is not None, file.name
    rows = [[_cell(c.value(item)) for c in file.columns] for item in file.rows(strategy)]
    return [[c.name for c in file.columns], *rows]


def model_json(strategy: Strategy) -> bytes:
    """The validated model as JSON."""
    return (json.dumps(strategy.model_dump(mode="json"), ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def metadata_json(strategy: Strategy, publication: Publication) -> bytes:
    """The document's own edition and the publication settings (unset settings are null)."""
    data = {
        "document": strategy.meta.model_dump(mode="json"),
        "publication": publication.model_dump(mode="json"),
    }
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def model_yaml(strategy: Strategy) -> bytes:
    """The validated model as canonical YAML: block style, the model's field order, no comments, no anchors.

    Dates stay YAML dates; text that YAML would read as something else (`yes`, `010`) is quoted, so that the
    file loads back to the same model.

    Written piece by piece (each top-level field, and each item of a top-level list), each piece kept by its
    values: `mkdocs serve` writes the file on every save, and a save changes one chapter. In block style with no
    line width the pieces are independent, so their concatenation is the whole dump; PyYAML would only link two
    pieces by an anchor when one object appears twice, and then the whole is dumped at once
    (tests/test_export.py compares both ways on the real data, the synthetic data and hand-made values).
    """
    data = strategy.model_dump(mode="python")
    if _repeated_object(data):
        return _dump(data).encode("utf-8")
    pieces = []
    for key, value in data.items():
        if isinstance(value, list) and value:
            pieces.append(f"{_dump({key: []}).split(':', 1)[0]}:\n")  # the key as PyYAML writes it
            pieces += [_piece(key, item) for item in value]
        else:
            pieces.append(_piece(key, value, whole=True))
    return "".join(pieces).encode("utf-8")


def _dump(data: Any) -> str:
    return yaml.safe_dump(
        data, allow_unicode=True, sort_keys=False, default_flow_style=False, width=1_000_000
    )


def _piece(key: str, value: Any, *, whole: bool = False) -> str:
    """`key: value` as YAML, or (not whole) the lines of `value` as an item of the list `key`; kept by the values
    (their repr shows the Python types that YAML writes differently: 1 and "1", dates and text)."""
    memo = (key, whole, repr(value))
    text = _pieces.get(memo)
    if text is None:
        text = _dump({key: value if whole else [value]})
        if not whole:
            text = text.split("\n", 1)[1]  # the item's lines, without the `key:` line
        _pieces.keep(memo, text)
    return text


_pieces: Kept[tuple[str, bool, str], str] = Kept(4096)


def _repeated_object(data: Any) -> bool:
    """Whether an object that PyYAML would write as an anchor and an alias appears twice (not text, numbers,
    booleans, None or the empty tuple: SafeRepresenter.ignore_aliases)."""
    representer = yaml.representer.SafeRepresenter()
    seen: set[int] = set()
    stack = [data]
    while stack:
        node = stack.pop()
        if representer.ignore_aliases(node):
            continue
        if id(node) in seen:
            return True
        seen.add(id(node))
        if isinstance(node, dict):
            stack += [*node.keys(), *node.values()]
        elif isinstance(node, (list, tuple, set)):
            stack += list(node)
    return False


@functools.lru_cache(maxsize=1)
def schema_text() -> str:
    """The JSON Schema of the data file, generated from the model (as committed in data/).

    Made once per process: it depends on the code alone, and `mkdocs serve` renders the open data on every save."""
    from .model import json_schema

    return json.dumps(json_schema(), ensure_ascii=False, indent=2) + "\n"


def _csv(file: ExportedFile, strategy: Strategy) -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator="\r\n").writerows(table(file, strategy))
    return buffer.getvalue().encode("utf-8-sig")


# The last rendering: a build renders the current text twice otherwise (hooks/opendata.py for site/data/, and
# hooks/editions.py for the current edition's own copy, the same model object).
_last: list[tuple[Strategy, Publication, dict[str, bytes]]] = []


def render(
    strategy: Strategy, publication: Publication | None = None, *, data_digest: str = ""
) -> dict[str, bytes]:
    """The bytes of every file in `FILES`, by name, generated from the model without reading or writing files.

    `data_digest`: the SHA-256 of the data file the model was validated from, if known; it then names the model in
    the cache key (the code is in the key anyway) instead of its dump, which pydantic makes only after building the
    model's serializer: the model read back from macros/modelcache.py has none yet (about 20 ms at 1×)."""
    from .publication import Publication

    publication = publication if publication is not None else Publication()
    for done, settings, files in _last:
        if done is strategy and settings == publication:  # models are frozen: the same object, the same bytes
            return dict(files)
    files = _cached(strategy, publication, data_digest)
    _last[:] = [(strategy, publication, files)]
    return dict(files)


CACHE_KEEP = (
    16  # rendered texts kept in the user's cache (macros/usercache.py): each save in `mkdocs serve` adds one
)


def _cached(strategy: Strategy, publication: Publication, data_digest: str = "") -> dict[str, bytes]:
    """`_render`'s bytes, kept by a digest of what they are made from: the model's values (with their Python
    types, as the YAML writer sees them) or the digest of the data file it was validated from, the publication
    settings, and the code (macros/modelcache.py's digest of this process's macros package, pydantic, PyYAML and
    Python).
    A build of unchanged data reads them back instead of writing YAML and CSV again."""
    digest = hashlib.sha256()
    for part in (
        f"data file {data_digest}" if data_digest else repr(strategy.model_dump(mode="python")),
        repr(publication.model_dump(mode="python")),
        modelcache.code_digest(),  # the code running in this process (`mkdocs serve` keeps what it imported)
    ):
        digest.update(part.encode("utf-8") + b"\0")
    path = usercache.folder("export") / f"{digest.hexdigest()}.json"
    stored = usercache.read(path)
    if stored is not None:
        try:
            kept = json.loads(stored.decode("utf-8"))
            return {name: bytes.fromhex(kept[name]) for name in (f.name for f in FILES)}
        except (ValueError, KeyError, TypeError):
            pass  # damaged: made again
    files = _render(strategy, publication)
    text = json.dumps({name: content.hex() for name, content in files.items()})
    usercache.write(path, text.encode("utf-8"), CACHE_KEEP)
    return files


def _render(strategy: Strategy, publication: Publication) -> dict[str, bytes]:
    sources: dict[str, Callable[[ExportedFile], bytes]] = {
        "JSON": lambda f: (
            metadata_json(strategy, publication) if f.name == "metadata.json" else model_json(strategy)
        ),
        "YAML": lambda f: model_yaml(strategy),
        "JSON Schema": lambda f: schema_text().encode("utf-8"),
        "CSV": lambda f: _csv(f, strategy),
    }
    return {f.name: sources[f.format](f) for f in FILES}


def published(data: dict[str, bytes]) -> list[Published]:
    """Every file with its size, from `render`'s bytes."""
    return [Published(f, len(data[f.name])) for f in FILES]


def write(data: dict[str, bytes], out_dir: str | Path) -> list[ExportedFile]:
    """Write `render`'s bytes into `out_dir` (created if missing) and return the files' descriptions.

    Each file is written beside its name and renamed over it: a symlink at the name is replaced, never followed,
    and a reader never sees half a file.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name, content in data.items():
        fd, temp = tempfile.mkstemp(dir=out, prefix=f".{name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(content)
            os.chmod(temp, 0o644)
            os.replace(temp, out / name)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
    return list(FILES)


def export(
    strategy: Strategy, out_dir: str | Path, publication: Publication | None = None
) -> list[ExportedFile]:
    """Render every file from the model (and the publication settings) and write it into `out_dir`."""
    return write(render(strategy, publication), out_dir)

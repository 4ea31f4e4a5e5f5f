"""Editions: the strategy as it is published, frozen, and revised. No MkDocs here.

`data/strategy.yaml` stays the one file editors change. When the city publishes an edition, `python -m macros
edition` copies it byte for byte to `data/editions/DATE.yaml` and records it in `data/editions/index.yaml`
(label, date, status 案・策定・改訂, 改訂の概要, the model version it was frozen under, and the SHA-256 of the
file). A frozen file never changes: loading refuses one whose digest differs from the registry's. Frozen
editions are brought up to the current model by `macros.migrations` before they are validated.

Which edition the site shows where (`SiteEditions`): the current text at the root; every edition that is not
the current text under `editions/DATE/`; a 新旧対照表 for every edition after the first, against the one before.
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import hashlib
import json
import os
import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, ValidationError, model_validator

from . import modelcache
from .ja import date_ja
from .loader import DataError, Loaded, Problem, load_file
from .migrations import MODEL_VERSION, MigrationError, migrate
from .model import Model, Strategy, Text, parse

EDITIONS_DIR = "data/editions"
REGISTRY = f"{EDITIONS_DIR}/index.yaml"
STATUSES = ("案", "策定", "改訂")
REGISTRY_HEADER = """\
# 公開した版の一覧（改訂履歴）。新しい版は `python -m macros edition` が末尾に書き足します。
# 各版の原稿は data/editions/（日付）.yaml に凍結してあり、sha256 はそのファイルの指紋です。
# 凍結した版と、ここに書いた date・model・sha256 は書き換えないでください（テストとビルドが照合します）。
# label・status・summary（改訂の概要）はサイトの改訂履歴に出ます。
editions:
"""


class EditionEntry(Model):
    """One published edition, as the registry records it."""

    date: datetime.date = Field(
        description="版の日付（YYYY-MM-DD）。ファイル名とアドレス（/editions/日付/）になります。"
    )
    label: Text = Field(description="版の名前（例: 第2回アドバイザーボード「戦略立案に向けた協議資料」）")
    status: Literal["案", "策定", "改訂"] = Field(description="版の状態: 案・策定・改訂")
    summary: Text | None = Field(default=None, description="改訂の概要（最初の版では省略できます）")
    model: Annotated[int, Field(ge=1)] = Field(description="凍結したときのモデルの版（macros/migrations.py）")
    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")] = Field(
        description="凍結したファイルの SHA-256（16 進 64 桁）"
    )

    @property
    def slug(self) -> str:
        """The edition's name in paths and addresses: its date."""
        return self.date.isoformat()

    @property
    def date_ja(self) -> str:
        """The date as Japanese text."""
        return date_ja(self.date)


class Registry(Model):
    """The list of published editions, oldest first."""

    editions: list[EditionEntry] = Field(default_factory=list)

    @model_validator(mode="after")
    def _in_order(self) -> Registry:
        dates = [e.date for e in self.editions]
        if dates != sorted(set(dates)):
            raise ValueError("版は日付の古い順に、同じ日付を二度使わずに並べてください。")
        return self


@dataclass(frozen=True)
class Edition:
    """A frozen edition: its registry entry, its file and its validated model."""

    entry: EditionEntry
    path: Path
    strategy: Strategy = field(compare=False, repr=False)

    @property
    def slug(self) -> str:
        """Its date, as in its file name and address."""
        return self.entry.slug


def digest(path: str | Path) -> str:
    """SHA-256 of a file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _problem(loaded: Loaded, loc: tuple, message: str) -> Problem:
    line, column = loaded.locate(loc)
    return Problem(line, column, message, loaded.path)


_MESSAGES = {
    "missing": "必須の項目「{name}」がありません。",
    "extra_forbidden": "「{name}」という項目は使えません。使える項目: date、label、status、summary、model、sha256",
    "literal_error": "status は 案・策定・改訂 のどれかにしてください。",
    "string_pattern_mismatch": "sha256 は 16 進 64 桁で書いてください（`python -m macros edition` が書きます）。",
    "date_type": "「{name}」は日付（YYYY-MM-DD）で書いてください。",
    "date_parsing": "「{name}」は日付（YYYY-MM-DD）で書いてください。",
    "string_too_short": "「{name}」が空です。",
    "string_type": "「{name}」は文字で書いてください。",
    "int_type": "「{name}」は整数で書いてください。",
    "int_parsing": "「{name}」は整数で書いてください。",
}


def load_registry(root: str | Path = ".") -> Registry:
    """Read and validate `data/editions/index.yaml` (an empty registry when there is none)."""
    path = Path(root) / REGISTRY
    if not path.exists():
        return Registry()
    loaded = load_file(path)
    loaded.path = REGISTRY if Path(root).resolve() == Path.cwd() else str(path)
    problems = list(loaded.problems)
    try:
        registry = Registry.model_validate(loaded.data)
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            loc = tuple(error["loc"])
            name = next((str(p) for p in reversed(loc) if isinstance(p, str)), "")
            template = _MESSAGES.get(error["type"])
            message = (
                template.format(name=name)
                if template
                else str(error.get("ctx", {}).get("error", error["msg"]))
            )
            problems.append(_problem(loaded, loc, message))
        raise DataError(problems) from None
    if problems:
        raise DataError(problems)
    return registry


@functools.lru_cache(maxsize=64)
def _load_frozen(path: str, sha256: str, version: int) -> Strategy:
    """A frozen edition, migrated and validated (cached by its digest: it never changes)."""
    del sha256  # part of the cache key only
    loaded = load_file(path)
    try:
        data = migrate(loaded.data, version)
    except MigrationError as exc:
        raise DataError([Problem(1, 1, str(exc), path)]) from None
    return parse(Loaded(data, loaded.marks, loaded.path, loaded.problems))


CACHE_ENV = "EDITIONS_CACHE"  # the editions cache (hooks/editions.py); else .cache/editions/ in the project


def _code_digest() -> str:
    """A digest of the code that turns a frozen file into a model: this package (with the model package), pydantic,
    PyYAML, Python."""
    return modelcache.code_digest()


def _frozen_model(root: Path, path: Path, entry: EditionEntry, code: str) -> Strategy:
    """A frozen edition's validated model, kept in the editions cache (pickled, under a key of the file's digest,
    its model version and this package's code): reading and validating 20 editions' YAML takes seconds. The
    cache is the build's own folder, as trusted as the code; a missing or unreadable entry is made again."""
    cache = Path(os.environ.get(CACHE_ENV) or root / ".cache" / "editions") / "models"
    key = hashlib.sha256(f"{entry.sha256}\0{entry.model}\0{code}".encode()).hexdigest()
    kept = cache / f"{key}.pickle"
    strategy = None
    with contextlib.suppress(Exception):  # absent, partial or from another version: made again
        strategy = pickle.loads(kept.read_bytes())
    if isinstance(strategy, Strategy):
        return strategy
    strategy = _load_frozen(str(path), entry.sha256, entry.model)
    try:
        cache.mkdir(parents=True, exist_ok=True)
        partial = kept.with_name(f"{kept.name}.{os.getpid()}.part")
        partial.write_bytes(pickle.dumps(strategy))
        partial.replace(kept)
    except OSError:
        pass
    return strategy


def load_editions(root: str | Path = ".", current: tuple[str, Strategy] | None = None) -> list[Edition]:
    """Every frozen edition, oldest first, each checked against its recorded digest, migrated and validated.

    `current` is (SHA-256, model) of the current text: an edition with the same bytes under today's model is that
    very model, not parsed again."""
    root = Path(root)
    registry = load_registry(root)
    problems: list[Problem] = []
    editions = []
    code = _code_digest()
    for index, entry in enumerate(registry.editions):
        path = root / EDITIONS_DIR / f"{entry.slug}.yaml"
        shown = f"{EDITIONS_DIR}/{entry.slug}.yaml"
        if not path.exists():
            problems.append(Problem(1, 1, f"{index + 1} 番目の版のファイル {shown} がありません。", REGISTRY))
            continue
        actual = digest(path)
        if actual != entry.sha256:
            problems.append(
                Problem(
                    1,
                    1,
                    f"凍結した版 {shown} が変更されています（記録: {entry.sha256[:12]}…、いま: {actual[:12]}…）。"
                    "公開した版は書き換えず、data/strategy.yaml を直して新しい版を作ってください。",
                    shown,
                )
            )
            continue
        if current is not None and current[0] == entry.sha256 and entry.model == MODEL_VERSION:
            editions.append(Edition(entry, path, current[1]))
            continue
        try:
            strategy = _frozen_model(root, path, entry, code)
        except DataError as exc:
            problems += [Problem(p.line, p.column, p.message, shown) for p in exc.problems]
            continue
        editions.append(Edition(entry, path, strategy))
    if problems:
        raise DataError(problems)
    return editions


def load_any(path: str | Path) -> Strategy:
    """A data file for the command line: a frozen edition (migrated by its registry entry) or any other file."""
    path = Path(path)
    registry_file = path.parent / "index.yaml"
    if path.parent.name == "editions" and registry_file.exists():
        root = path.parent.parent.parent
        for entry in load_registry(root).editions:
            if f"{entry.slug}.yaml" == path.name:
                return _load_frozen(str(path), digest(path), entry.model)
    return parse(load_file(path))


# --- freezing -----------------------------------------------------------------------------------------------


def _yaml_string(text: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML) on one line."""
    return json.dumps(text, ensure_ascii=False)


def freeze(
    root: str | Path,
    date: datetime.date,
    label: str,
    status: str,
    summary: str | None,
    data_file: str = "data/strategy.yaml",
) -> Path:
    """Copy the current text to data/editions/DATE.yaml and append it to the registry; return the new file.

    Refuses (DataError) when the current text is invalid, when the date is not after the latest edition's, when
    the text is the same as the latest edition's, or when the new registry entry does not validate."""
    root = Path(root)
    source = root / data_file
    parse(load_file(source))  # an invalid text is never frozen
    registry = load_registry(root)
    problems = []
    if status not in STATUSES:
        problems.append(
            Problem(1, 1, f"status は 案・策定・改訂 のどれかにしてください（いま「{status}」）。", "edition")
        )
    if not label.strip():
        problems.append(Problem(1, 1, "label（版の名前）を書いてください。", "edition"))
    if registry.editions:
        latest = registry.editions[-1]
        if date <= latest.date:
            problems.append(
                Problem(
                    1,
                    1,
                    f"日付は最新の版（{latest.slug}）より後にしてください（いま {date.isoformat()}）。",
                    "edition",
                )
            )
        latest_path = root / EDITIONS_DIR / f"{latest.slug}.yaml"
        current = parse(load_file(source))
        if latest_path.exists() and _load_frozen(str(latest_path), latest.sha256, latest.model) == current:
            problems.append(
                Problem(1, 1, f"内容が最新の版（{latest.slug}）と同じです。版は作りません。", "edition")
            )
        if not (summary or "").strip():
            problems.append(Problem(1, 1, "summary（改訂の概要）を書いてください。", "edition"))
    if problems:
        raise DataError(problems)
    target = root / EDITIONS_DIR / f"{date.isoformat()}.yaml"
    target.parent.mkdir(parents=True, exist_ok=True)
    content = source.read_bytes()
    registry_path = root / REGISTRY
    before = registry_path.read_text(encoding="utf-8") if registry_path.exists() else REGISTRY_HEADER
    if not before.endswith("\n"):
        before += "\n"
    lines = [
        f"  - date: {date.isoformat()}",
        f"    label: {_yaml_string(label.strip())}",
        f"    status: {status}",
        *([f"    summary: {_yaml_string(summary.strip())}"] if summary and summary.strip() else []),
        f"    model: {MODEL_VERSION}",
        f"    sha256: {hashlib.sha256(content).hexdigest()}",
    ]
    target.write_bytes(content)
    registry_path.write_text(before + "\n".join(lines) + "\n", encoding="utf-8")
    try:
        load_editions(root)
    except DataError:
        target.unlink()
        if before == REGISTRY_HEADER:
            registry_path.unlink()
        else:
            registry_path.write_text(before, encoding="utf-8")
        raise
    return target


# --- what the site shows where ------------------------------------------------------------------------------


def edition_dir(slug: str) -> str:
    """The folder of an edition below the site root (and the docs)."""
    return f"editions/{slug}/"


@dataclass(frozen=True)
class SiteEditions:
    """The editions as the site shows them, the current text at the root."""

    editions: tuple[Edition, ...]
    current: Strategy = field(repr=False)

    @functools.cached_property
    def current_edition(self) -> Edition | None:
        """The latest edition when the current text is exactly it (then the root shows it)."""
        if self.editions and self.editions[-1].strategy == self.current:
            return self.editions[-1]
        return None

    @property
    def archived(self) -> list[Edition]:
        """The editions with pages of their own under editions/DATE/ (every one that is not the current text)."""
        return [e for e in self.editions if e is not self.current_edition]

    @property
    def pairs(self) -> list[tuple[Edition, Edition]]:
        """(previous, edition) for every edition after the first: the 新旧対照表 the site publishes."""
        return list(zip(self.editions, self.editions[1:], strict=False))

    def previous(self, edition: Edition) -> Edition | None:
        """The edition before this one."""
        index = self.editions.index(edition)
        return self.editions[index - 1] if index else None

    def by_slug(self, slug: str) -> Edition:
        """The edition with this date."""
        return next(e for e in self.editions if e.slug == slug)

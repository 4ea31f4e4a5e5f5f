"""Safe YAML loading that keeps where every value came from.

The loader turns `data/strategy.yaml` into plain Python data (dicts, lists, scalars) and a map from each data
path to its (line, column), so that every later error can name the editor's line. It refuses what a data file
does not need and what silently changes meaning: tags, anchors and aliases, non-string keys and duplicate keys.
Keys are always read as text, so `no:` or `on:` can never become booleans.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

Path_ = tuple[str | int, ...]


@dataclass(frozen=True, order=True)
class Problem:
    """One problem in the data file, at a 1-based line and column."""

    line: int
    column: int
    message: str
    path: str = field(default="data/strategy.yaml", compare=False)

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.message}"


class DataError(Exception):
    """Raised with every problem found in the data file."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(set(problems))
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass
class Loaded:
    """Plain data and where each part of it stands in the file."""

    data: Any
    marks: dict[Path_, tuple[int, int]]
    path: str
    problems: list[Problem] = field(default_factory=list)  # found while reading; the model adds its own

    def locate(self, loc: Path_) -> tuple[int, int]:
        """Return the (line, column) of the deepest known part of `loc` (unknown parts are skipped)."""
        best: Path_ = ()
        for part in loc:
            candidate = (*best, part)
            if candidate in self.marks:
                best = candidate
        return self.marks.get(best, (1, 1))


def _mark(node: Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


_scalar_loader = yaml.SafeLoader("")
_FAST_LOADER = getattr(yaml, "CSafeLoader", None)  # libyaml, when PyYAML was built with it


def _compose_fast(text: str) -> Node | None:
    """Compose with libyaml, ten times faster than pure Python, when the text is clean YAML.

    Returns None when libyaml is missing or the text has a tag, an anchor, an alias or an error: the pure-Python
    path then finds every problem with its own messages. Node values, tags and marks are the same either way.
    """
    if _FAST_LOADER is None:
        return None
    try:
        refused = (yaml.TagToken, yaml.AnchorToken, yaml.AliasToken)
        if any(isinstance(token, refused) for token in yaml.scan(text, Loader=_FAST_LOADER)):
            return None
        return yaml.compose(text, Loader=_FAST_LOADER)
    except yaml.YAMLError:
        return None


def load_text(text: str, path: str = "data/strategy.yaml") -> Loaded:
    """Parse YAML text into plain data with marks.

    Unreadable YAML, tags and anchors raise DataError at once. Duplicate keys and unreadable values are kept
    in `Loaded.problems` (the first value is kept), so that the model can report its own problems with them.
    """
    problems: list[Problem] = []

    def problem(at: tuple[int, int], message: str) -> None:
        problems.append(Problem(at[0], at[1], message, path))

    root = _compose_fast(text)
    try:
        for token in yaml.scan(text, Loader=yaml.SafeLoader) if root is None else ():
            at = (token.start_mark.line + 1, token.start_mark.column + 1)
            if isinstance(token, yaml.TagToken):
                problem(at, "YAML のタグ（! で始まる指定）は使えません。値だけを書いてください。")
            elif isinstance(token, (yaml.AnchorToken, yaml.AliasToken)):
                problem(
                    at,
                    "YAML のアンカー（&）と別名（*）は使えません。同じ内容でも、その場所に書いてください。",
                )
        if root is None:
            root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        at = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        reason = exc.problem or exc.context or "YAML として読めません"
        if exc.context_mark and mark and exc.context_mark.line != mark.line:
            reason += f"。{exc.context_mark.line + 1} 行目から続く部分"
        problem(
            at,
            f"YAML の書き方に誤りがあります（{reason}）。字下げ、「:」の後の空白、引用符の閉じ忘れを確認してください。",
        )
        raise DataError(problems) from None
    if problems:
        raise DataError(problems)
    if root is None:
        raise DataError([Problem(1, 1, "ファイルが空です。", path)])

    marks: dict[Path_, tuple[int, int]] = {}

    def build(node: Node, at: Path_) -> Any:
        marks[at] = _mark(node)
        if isinstance(node, MappingNode):
            result: dict[str, Any] = {}
            first_seen: dict[str, int] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, ScalarNode):
                    problem(
                        _mark(key_node), "キーには文字を書いてください（リストや対応表はキーにできません）。"
                    )
                    continue
                key = str(key_node.value)
                if key in first_seen:
                    problem(
                        _mark(key_node),
                        f"キー「{key}」が重複しています（最初は {first_seen[key]} 行目）。どちらか一方にまとめてください。",
                    )
                    continue
                first_seen[key] = _mark(key_node)[0]
                result[key] = build(value_node, (*at, key))
            return result
        if isinstance(node, SequenceNode):
            return [build(item, (*at, index)) for index, item in enumerate(node.value)]
        try:
            return _scalar_loader.construct_object(node, deep=True)
        except (ValueError, yaml.YAMLError):
            problem(
                _mark(node),
                f"値「{node.value}」を読めません。日付は YYYY-MM-DD（例: 2022-12-01）で書いてください。",
            )
            return node.value

    data = build(root, ())
    return Loaded(data, marks, path, problems)


def load_file(path: str | Path) -> Loaded:
    """Read and parse a YAML file; the path in messages is the one given."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DataError([Problem(1, 1, f"UTF-8 で保存してください（{exc.reason}）。", str(path))]) from None
    return load_text(text, str(path))

"""Safe YAML loading that keeps where every value came from.

The loader turns `data/strategy.yaml` into plain Python data (dicts, lists, scalars) and a map from each data
path to its (line, column), so that every later error can name the editor's line. It refuses what a data file
does not need and what silently changes meaning: tags, anchors and aliases, non-string keys and duplicate keys,
control characters, and scalars that YAML 1.1 would quietly turn into something else (`yes` → true, `010` → 8,
`2022-1-1` → a date). Keys are always read as text, so `no:` or `on:` can never become booleans.

Every failure is a `DataError` with Japanese messages at a line and column: a missing or unreadable file, a
file too large or nested too deeply, and YAML syntax errors, which are reworded (with the clerk's usual slips
named: 全角スペース in the indentation, 全角コロン「：」 after a key, tabs, an unclosed quote).
"""

from __future__ import annotations

import collections
import contextlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

Path_ = tuple[str | int, ...]

MAX_BYTES = 16 * 1024 * 1024  # the real file is 74 KB; the benchmark's 100× data is 7.4 MB
MAX_DEPTH = 40  # levels of nesting (the real file uses 14)
MAX_ITEMS = 20_000  # entries of one list or mapping


@dataclass(frozen=True, order=True)
class Problem:
    """One problem in the data file, at a 1-based line and column (line 0: the file as a whole)."""

    line: int
    column: int
    message: str
    path: str = field(default="data/strategy.yaml", compare=False)

    def __str__(self) -> str:
        if self.line <= 0:
            return f"{self.path}: {self.message}"
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


# --- characters -----------------------------------------------------------------------------------------------

# C0 controls but tab and line feed (CR is a line break the reader normalises), DEL, C1 controls, the Unicode
# line and paragraph separators, and the bidirectional overrides and isolates ("Trojan source").
_CONTROL = re.compile(
    "[\x00-\x08\x0b-\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufff9-\ufffb]"
)
_CONTROL_NAMES = {
    "\x00": "NUL",
    "\x07": "ベル",
    "\x08": "バックスペース",
    "\x0b": "垂直タブ",
    "\x0c": "改ページ",
    "\x1b": "エスケープ",
    "\x7f": "DEL",
    "\x85": "改行（NEL）",
    "\u2028": "行区切り",
    "\u2029": "段落区切り",
}


def describe_char(char: str) -> str:
    """A control character named for an editor, e.g. 改ページ（U+000C）."""
    name = _CONTROL_NAMES.get(char)
    if name is None:
        name = "文字の向きを変える制御文字" if "\u202a" <= char <= "\u2069" else "制御文字"
    return f"{name}（U+{ord(char):04X}）"


def control_message(char: str) -> str:
    """The message for a control character found in the data."""
    return (
        f"見えない{describe_char(char)}が含まれています。PDF などから貼り付けた文に混じることがあります。"
        "その文字を消してください（文字の前後をいったん消して打ち直すと確実です）。"
    )


def first_control(text: str) -> str | None:
    """The first control character in `text`, if any."""
    match = _CONTROL.search(text)
    return match[0] if match else None


_UNSAFE = re.compile(_CONTROL.pattern[:-1] + "\t\n\r]")


def safe_line(text: str) -> str:
    """Text made safe to print as one line of a terminal, a log or a job summary.

    Line breaks, tabs and other control characters become visible escapes (\\n, \\u0007); a line that would
    start with `::` (a GitHub workflow command) is prefixed, so that data can neither add lines nor commands.
    """
    text = _UNSAFE.sub(
        lambda m: {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(m[0], f"\\u{ord(m[0]):04x}"), text
    )
    return "(出力) " + text if text.lstrip().startswith("::") else text


_TAB_MESSAGE = "タブ文字があります。字下げも文中の空白も、半角スペースで書いてください。"
# Keys of the data file are lower-case ASCII words (title, number, …): a line that starts with one followed by
# a full-width colon, or indented with full-width spaces before one, is a slip, never a sentence of the source.
_ZENKAKU_INDENT = re.compile(r"^[ \u3000]*\u3000[ \u3000]*(?:-[ \u3000]+)?[a-z][a-z_]*[ \u3000]*[:：]")
_ZENKAKU_COLON = re.compile(r"^[ \u3000]*(?:-[ \u3000]+)?([a-z][a-z_]*)[ \u3000]*：")
_ZENKAKU_INDENT_MESSAGE = (
    "行頭に全角スペースがあります。字下げは半角スペースだけで書き、上の行と桁をそろえてください。"
)


def _character_problems(text: str, path: str) -> list[Problem]:
    """Control characters, tabs and the full-width slips that change how YAML reads a line, every one."""
    problems = []
    in_block = (
        False  # inside a literal/folded block scalar the text is content, but tabs and controls still count
    )
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.removesuffix("\r")
        for match in _CONTROL.finditer(line):
            problems.append(Problem(number, match.start() + 1, control_message(match[0]), path))
        tab = line.find("\t")
        if tab >= 0:
            problems.append(Problem(number, tab + 1, _TAB_MESSAGE, path))
        if in_block:
            continue
        if _ZENKAKU_INDENT.match(line):
            problems.append(Problem(number, line.index("\u3000") + 1, _ZENKAKU_INDENT_MESSAGE, path))
        elif match := _ZENKAKU_COLON.match(line):
            problems.append(
                Problem(
                    number,
                    line.index("：") + 1,
                    f"「{match[1]}」の後のコロンが全角の「：」です。キーの後は半角の「:」と半角スペースにしてください（例: {match[1]}: …）。",
                    path,
                )
            )
    return problems


# --- YAML syntax errors, in Japanese ---------------------------------------------------------------------------

_QUOTE_HINT = '文の中に「: 」や「 #」があるとき、また文が記号で始まるときは、文全体を "…" で囲んでください。'


def _syntax_message(exc: yaml.MarkedYAMLError) -> str:
    """PyYAML's English reason as a Japanese explanation with what to do."""
    problem = exc.problem or ""
    context = exc.context or ""
    if "while scanning a quoted scalar" in context:
        if "end of stream" in problem:
            return "引用符（\" または '）が閉じていません。文の終わりに同じ引用符を書いてください。"
        if "escape" in problem:
            return "\"…\" の中の「\\」は特別な意味を持ちます。「\\」そのものを書くときは「\\\\」と二つ重ねるか、'…' で囲んでください。"
    if "mapping values are not allowed" in problem:
        return (
            "ここに「: 」（コロンと空白）は書けません。"
            + _QUOTE_HINT
            + "字下げがずれていないかも確かめてください。"
        )
    if "could not find expected ':'" in problem:
        return "「キー: 値」の「:」が見つかりません。キーの後に半角の「: 」を書くか、前の行からの字下げを確かめてください。"
    if "found character '\\t'" in problem or "found a tab character" in problem:
        return _TAB_MESSAGE
    if "cannot start any token" in problem:
        return "この文字で値を始めることはできません。" + _QUOTE_HINT
    if "did not find expected key" in problem or "expected <block end>" in problem:
        return "字下げがそろっていません。同じ階層の項目は同じ桁から書き、「- 」の位置も上の行とそろえてください。"
    if "did not find expected '-' indicator" in problem:
        return "リストの途中で字下げが変わっています。リストの各行は同じ桁の「- 」で始めてください。"
    if "did not find expected node content" in problem or "expected the node content" in problem:
        return "値がありません。「- 」や「: 」の後に値を書いてください。"
    if "flow" in context or "expected ',' or ']'" in problem or "expected ',' or '}'" in problem:
        return (
            '[ ] や { } の書き方に誤りがあります。文が [ や { で始まるときは、文全体を "…" で囲んでください。'
        )
    if "expected alphabetic or numeric character" in problem:
        return (
            '「&」や「*」の後に名前がありません。文が & や * で始まるときは、文全体を "…" で囲んでください。'
        )
    if "document separator" in problem or "expected '<document start>'" in problem:
        return "「---」や「...」の行、または字下げのない行が途中にあります。ファイルは一つの文書として書いてください。"
    return "YAML として読めません。" + _QUOTE_HINT + "字下げと引用符の閉じ忘れも確かめてください。"


def _syntax_problem(text: str, exc: yaml.MarkedYAMLError, path: str) -> Problem:
    """Where the editor should look: an unclosed quote's opening line, else the error's own mark."""
    mark = exc.problem_mark or exc.context_mark
    line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    context = exc.context or ""
    if "while scanning a quoted scalar" in context and exc.context_mark is not None:
        line, column = exc.context_mark.line + 1, exc.context_mark.column + 1
    else:
        opened = _unclosed_quote_before(text, line)
        if opened is not None:
            return Problem(
                *opened,
                'YAML の書き方に誤りがあります: この引用符（"）が同じ行で閉じていないため、次の行以降まで一つの文として読まれています。'
                '文の終わりに " を書いてください。',
                path,
            )
    return Problem(line, column, "YAML の書き方に誤りがあります: " + _syntax_message(exc), path)


def _unclosed_quote_before(text: str, error_line: int) -> tuple[int, int] | None:
    """The (line, column) where a quoted scalar opened on an earlier line and ran into the error's line."""
    tokens: collections.deque[Any] = collections.deque(maxlen=6)
    with contextlib.suppress(yaml.YAMLError):
        tokens.extend(yaml.scan(text, Loader=yaml.SafeLoader))
    for token in reversed(tokens):
        if isinstance(token, yaml.ScalarToken) and token.style in ('"', "'"):
            start, end = token.start_mark.line + 1, token.end_mark.line + 1
            if start < end and end >= error_line - 1:
                return start, token.start_mark.column + 1
    return None


# --- composing -------------------------------------------------------------------------------------------------


def _mark(node: Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


_scalar_loader = yaml.SafeLoader("")
_FAST_LOADER = getattr(yaml, "CSafeLoader", None)  # libyaml, when PyYAML was built with it
_REFUSED_TOKENS = (yaml.TagToken, yaml.AnchorToken, yaml.AliasToken)
_OPEN_TOKENS = (
    yaml.BlockMappingStartToken,
    yaml.BlockSequenceStartToken,
    yaml.FlowMappingStartToken,
    yaml.FlowSequenceStartToken,
)
_CLOSE_TOKENS = (yaml.BlockEndToken, yaml.FlowMappingEndToken, yaml.FlowSequenceEndToken)

_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_INT = re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$")
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def _scan(text: str, loader: Any, problem: Any) -> None:
    """Scan the tokens once: refuse tags, anchors and aliases, and nesting deeper than MAX_DEPTH.

    Syntax errors propagate; too deep nesting raises _TooDeep (composing it would exhaust Python's stack).
    """
    depth = 0
    for token in yaml.scan(text, Loader=loader):
        at = (token.start_mark.line + 1, token.start_mark.column + 1)
        if isinstance(token, yaml.TagToken):
            problem(
                at,
                'YAML のタグ（! で始まる指定）は使えません。値だけを書いてください。文が ! で始まるときは "…" で囲みます。',
            )
        elif isinstance(token, (yaml.AnchorToken, yaml.AliasToken)):
            problem(
                at,
                'YAML のアンカー（&）と別名（*）は使えません。同じ内容でも、その場所に書いてください。文が & や * で始まるときは "…" で囲みます。',
            )
        elif isinstance(token, _OPEN_TOKENS):
            depth += 1
            if depth > MAX_DEPTH:
                problem(at, f"入れ子が深すぎます（{MAX_DEPTH} 段まで）。字下げを確かめてください。")
                raise _TooDeep
        elif isinstance(token, _CLOSE_TOKENS):
            depth -= 1


class _TooDeep(Exception):
    pass


def load_text(text: str, path: str = "data/strategy.yaml") -> Loaded:
    """Parse YAML text into plain data with marks.

    Unreadable YAML, control characters, tabs, tags, anchors and too deep nesting raise DataError at once.
    Duplicate keys and unreadable values are kept in `Loaded.problems` (the first value is kept), so that the
    model can report its own problems with them.
    """
    problems: list[Problem] = []

    def problem(at: tuple[int, int], message: str) -> None:
        problems.append(Problem(at[0], at[1], message, path))

    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise DataError([Problem(0, 0, _too_large(len(text.encode("utf-8", "surrogatepass"))), path)])
    text = text.removeprefix("\ufeff")
    problems += _character_problems(text, path)
    if problems:
        raise DataError(problems)
    root: Node | None = None
    try:
        # libyaml is ten times faster; on a syntax error PyYAML is asked again, for the messages we translate.
        try:
            _scan(text, _FAST_LOADER or yaml.SafeLoader, problem)
        except yaml.YAMLError:
            if _FAST_LOADER is None:
                raise
            problems.clear()
            _scan(text, yaml.SafeLoader, problem)
        if problems:
            raise DataError(problems)
        root = yaml.compose(text, Loader=_FAST_LOADER or yaml.SafeLoader)
    except _TooDeep:
        raise DataError(problems) from None
    except yaml.MarkedYAMLError as exc:
        raise DataError([_syntax_problem(text, exc, path)]) from None
    except yaml.YAMLError:
        raise DataError(
            [Problem(1, 1, "YAML として読めません。文字化けや見えない文字がないか確かめてください。", path)]
        ) from None
    except RecursionError:
        raise DataError(
            [Problem(1, 1, f"入れ子が深すぎます（{MAX_DEPTH} 段まで）。字下げを確かめてください。", path)]
        ) from None
    if root is None:
        raise DataError([Problem(1, 1, "ファイルが空です。", path)])

    marks: dict[Path_, tuple[int, int]] = {}

    def build(node: Node, at: Path_) -> Any:
        marks[at] = _mark(node)
        if isinstance(node, (MappingNode, SequenceNode)) and len(node.value) > MAX_ITEMS:
            problem(
                _mark(node), f"項目が多すぎます（{len(node.value):,} 件。一か所に {MAX_ITEMS:,} 件まで）。"
            )
            return {} if isinstance(node, MappingNode) else []
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
                if (char := first_control(key)) is not None:
                    problem(_mark(key_node), control_message(char))
                    continue
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
        return _scalar(node, problem)

    data = build(root, ())
    return Loaded(data, marks, path, problems)


def _scalar(node: ScalarNode, problem: Any) -> Any:
    """A scalar's value, read strictly: only what YAML 1.2 and the editor guide agree on becomes a non-string."""
    raw, tag, at = node.value, node.tag, _mark(node)
    if (char := first_control(raw)) is not None:  # written as an escape, e.g. "\a" or "\u202e"
        problem(at, control_message(char))
        return raw
    if not node.style:  # plain (unquoted) scalars are the ones YAML resolves (libyaml says "", PyYAML None)
        if tag == "tag:yaml.org,2002:bool" and not _BOOL.match(raw):
            return raw  # yes/no/on/off stay text; a true/false field then says so
        if tag == "tag:yaml.org,2002:int" and not _INT.match(raw):
            problem(
                at,
                f"「{raw}」は数として読めません（先頭の 0、0x・0o、「_」や「:」は使えません）。"
                f'数なら 10 進の半角数字で（例: 8）、文字なら "{raw}" のように引用符で囲んでください。',
            )
            return raw
        if tag == "tag:yaml.org,2002:timestamp" and not _DATE.match(raw):
            problem(
                at,
                f"日付「{raw}」は YYYY-MM-DD（例: 2022-12-01、月と日は 2 桁）で書いてください。時刻は書けません。",
            )
            return raw
    try:
        return _scalar_loader.construct_object(node, deep=True)
    except (ValueError, OverflowError, yaml.YAMLError):
        problem(at, f"値「{raw}」を読めません。日付は YYYY-MM-DD（例: 2022-12-01）で書いてください。")
        return raw


def _too_large(size: int) -> str:
    return f"ファイルが大きすぎます（{size:,} バイト。{MAX_BYTES // (1024 * 1024)} MiB まで）。別のファイルを貼り付けていないか確かめてください。"


def load_file(path: str | Path) -> Loaded:
    """Read and parse a YAML file; the path in messages is the one given. Every failure is a DataError."""
    p, name = Path(path), str(path)

    def fail(message: str) -> DataError:
        return DataError([Problem(0, 0, message, name)])

    try:
        if p.is_dir():
            raise fail("これはフォルダです。data/strategy.yaml のようにファイルを指定してください。")
        if p.stat().st_size > MAX_BYTES:
            raise fail(_too_large(p.stat().st_size))
        raw = p.read_bytes()
    except FileNotFoundError:
        raise fail(
            "ファイルがありません。ファイル名と場所（リポジトリの一番上のフォルダで実行しているか）を確かめてください。"
        ) from None
    except PermissionError:
        raise fail("ファイルを読む権限がありません。ファイルの権限を確かめてください。") from None
    except OSError as exc:
        raise fail(f"ファイルを読めません（{exc.strerror or exc.__class__.__name__}）。") from None
    return load_bytes(raw, name)


def load_bytes(raw: bytes, path: str | Path = "data/strategy.yaml") -> Loaded:
    """`load_file` of bytes already read (e.g. hashed first: what is validated is then what was hashed)."""
    name = str(path)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise DataError(
            [
                Problem(
                    line,
                    column,
                    "UTF-8 として読めない文字があります。ファイルを UTF-8 で保存し直してください。",
                    name,
                )
            ]
        ) from None
    return load_text(text, name)

"""Command line: `python -m macros check|schema [...]`.

check   validate data/strategy.yaml; print every problem as PATH:LINE:COL: message; exit 1 if any
schema  write data/strategy.schema.json from the model (or --check that it is current)
diff    print the changes of OLD and NEW (Markdown), or with --format md|html|pdf the 新旧対照表 (改正後 | 改正前);
        exit 0 with or without changes, 1 if either is invalid
edition freeze the current text as a new edition (data/editions/DATE.yaml) and record it in the registry
export  write the open data (JSON, CSV, the YAML and its schema) into DIR; exit 1 if the data is invalid

Every failure is a Japanese message and exit status 1, never a traceback. Every printed line is one line: text
from the data cannot add lines, start a GitHub workflow command (`::`) or close the job summary's code fence.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .diff import compare_files
from .export import export, schema_text
from .loader import DataError, Problem, safe_line
from .model import load
from .publication import parse_publication

DEFAULT_DATA = "data/strategy.yaml"
DEFAULT_SCHEMA = "data/strategy.schema.json"


def say(text: str, *, file: object = None) -> None:
    """Print text line by line, each made safe (see `safe_line`)."""
    for line in str(text).split("\n"):
        print(safe_line(line), file=file or sys.stdout)


def _github_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _github_property(text: str) -> str:
    return _github_data(text).replace(":", "%3A").replace(",", "%2C")


def github_annotation(p: Problem) -> str:
    """A problem as a GitHub error annotation (one line; properties and message escaped)."""
    where = f"file={_github_property(p.path)}"
    if p.line > 0:
        where += f",line={p.line},col={p.column}"
    return f"::error {where}::{_github_data(safe_line(p.message))}"


def cmd_check(args: argparse.Namespace) -> int:
    """Validate the data file."""
    try:
        strategy = load(args.path)
    except DataError as exc:
        for p in exc.problems:
            if args.format == "github":
                print(github_annotation(p))
            else:
                print(safe_line(str(p)))
        say(
            f"{args.path}: {len(exc.problems)} 件の問題があります。上の行番号の箇所を直してください。",
            file=sys.stderr,
        )
        return 1
    say(
        f"{args.path}: 問題はありません（項目 {len(strategy.ids)} 件、ご指摘事項 {len(strategy.remarks)} 件）。",
        file=sys.stderr,
    )
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    """Write or check the JSON Schema."""
    path = Path(args.output)
    if args.check:
        try:
            current = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            current = None
        if current != schema_text():
            say(
                f"{path} が古くなっています。`python -m macros schema` で作り直してください。",
                file=sys.stderr,
            )
            return 1
        return 0
    try:
        path.write_text(schema_text(), encoding="utf-8")
    except OSError as exc:
        say(f"{path} を書けません（{exc.strerror or exc}）。場所と権限を確かめてください。", file=sys.stderr)
        return 1
    say(f"{path} を書きました。", file=sys.stderr)
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    """Print (or write to -o) the changes or the 新旧対照表 of two data files."""
    if args.format == "changes":
        text, status = compare_files(args.old, args.new, full=args.full)
        return _output(text, args.output, status)
    from .comparison import compare
    from .editions import load_any

    strategies = []
    for role, path in (("改正前", args.old), ("改正後", args.new)):
        try:
            strategies.append(load_any(path))
        except DataError as exc:
            for p in exc.problems:
                print(safe_line(str(p)), file=sys.stderr)
            say(
                f"{role}のファイル {path} に {len(exc.problems)} 件の問題があるため、新旧対照表は作れません。",
                file=sys.stderr,
            )
        except OSError as exc:
            say(f"{role}のファイル {path} を読めません（{exc.strerror}）。", file=sys.stderr)
    if len(strategies) != 2:
        return 1
    result = compare(*strategies, args.format)
    if isinstance(result, bytes):
        if not args.output:
            say("PDF は -o ファイル名 で書き出し先を指定してください。", file=sys.stderr)
            return 2
        Path(args.output).write_bytes(result)
        say(f"{args.output} を書きました。", file=sys.stderr)
        return 0
    return _output(result, args.output, 0)


def _output(text: str, path: str | None, status: int) -> int:
    if path:
        Path(path).write_text(text + "\n", encoding="utf-8")
        say(f"{path} を書きました。", file=sys.stderr)
    else:
        say(text)
    return status


def cmd_export(args: argparse.Namespace) -> int:
    """Write the open data files into a folder."""
    try:
        strategy = load(args.data)
        publication = parse_publication(Path(args.data).with_name("publication.yaml"))
    except DataError as exc:
        for p in exc.problems:
            print(safe_line(str(p)), file=sys.stderr)
        say(f"{args.data}: {len(exc.problems)} 件の問題があります。何も書き出していません。", file=sys.stderr)
        return 1
    try:
        files = export(strategy, args.dir, publication)
    except OSError as exc:
        say(
            f"{args.dir} に書き出せません（{exc.strerror or exc}）。フォルダの場所と権限を確かめてください。",
            file=sys.stderr,
        )
        return 1
    say(f"{args.dir} に {len(files)} 件のファイルを書きました。", file=sys.stderr)
    return 0


def cmd_edition(args: argparse.Namespace) -> int:
    """Freeze the current text as a new edition."""
    import datetime

    from .editions import freeze

    try:
        date = datetime.date.fromisoformat(args.date)
    except ValueError:
        print(f"--date は YYYY-MM-DD で書いてください（いま「{args.date}」）。", file=sys.stderr)
        return 2
    try:
        path = freeze(Path(args.root), date, args.label, args.status, args.summary, args.data)
    except DataError as exc:
        print(exc, file=sys.stderr)
        print("版は作っていません。", file=sys.stderr)
        return 1
    print(f"{path} に版を凍結し、data/editions/index.yaml に書き足しました。", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point."""
    parser = argparse.ArgumentParser(prog="python -m macros", description="盛岡市デジタル戦略データの道具")
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="data/strategy.yaml を検査する")
    check.add_argument("path", nargs="?", default=DEFAULT_DATA)
    check.add_argument("--format", choices=["text", "github"], default="text")
    check.set_defaults(func=cmd_check)
    schema = sub.add_parser("schema", help="JSON Schema を書き出す")
    schema.add_argument("--output", default=DEFAULT_SCHEMA)
    schema.add_argument("--check", action="store_true", help="書き出さずに、最新かどうかだけ確かめる")
    schema.set_defaults(func=cmd_schema)
    diff = sub.add_parser("diff", help="二つの data/strategy.yaml の新旧対照表（Markdown）を出す")
    diff.add_argument("old", help="変更前のファイル")
    diff.add_argument("new", help="変更後のファイル")
    diff.add_argument(
        "--format",
        choices=["changes", "md", "html", "pdf"],
        default="changes",
        help="changes: 項目ごとの変更一覧（既定）、md・html・pdf: 改正後｜改正前の新旧対照表（pdf は A4 横）",
    )
    diff.add_argument("-o", "--output", help="書き出すファイル（省略すると画面に出します。pdf では必須）")

    diff.add_argument(
        "--full", action="store_true", help="長くても打ち切らない（GitHub の概要は 1 MiB まで）"
    )
    diff.set_defaults(func=cmd_diff)
    edition = sub.add_parser("edition", help="いまの data/strategy.yaml を新しい版として凍結する")
    edition.add_argument(
        "--date", required=True, help="版の日付（YYYY-MM-DD）。data/editions/日付.yaml になります"
    )
    edition.add_argument("--label", required=True, help="版の名前（例: 第3回アドバイザーボード「…」）")
    edition.add_argument("--status", required=True, choices=["案", "策定", "改訂"], help="版の状態")
    edition.add_argument("--summary", help="改訂の概要（二つ目からの版では必須）")
    edition.add_argument("--root", default=".", help="プロジェクトのフォルダ（既定: いまのフォルダ）")
    edition.add_argument("--data", default=DEFAULT_DATA)
    edition.set_defaults(func=cmd_edition)
    export_ = sub.add_parser("export", help="オープンデータ（JSON・CSV・YAML・JSON Schema）を DIR に書き出す")
    export_.add_argument("dir", help="書き出し先のフォルダ（なければ作ります）")
    export_.add_argument("--data", default=DEFAULT_DATA)
    export_.set_defaults(func=cmd_export)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        say("中断しました。", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001  (the promise: a message, never a traceback)
        say(
            f"予期しない理由で止まりました（{type(exc).__name__}: {exc}）。"
            "この表示をそのまま開発担当に知らせてください。",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())

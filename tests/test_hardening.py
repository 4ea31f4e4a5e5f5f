"""Hostile and unusual inputs (issue 12): every case is a Japanese message at its line, or text kept as text.

Each case of the red-team pass is here with the message words and the line it must name. The build tests run
real in-process MkDocs builds; the CLI tests run `python -m macros` as editors and CI do.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
import yaml

from macros.loader import DataError, load_text, safe_line
from macros.model import MAX_PROBLEMS, Strategy, parse
from tests.conftest import DATA, HOSTILE, ROOT, build_site, copy_project, read_pages

TEXT = DATA.read_text(encoding="utf-8")
CHAPTER_TITLE = "title: 本戦略骨子のリバイズ"
ENGLISH = re.compile(
    r"[A-Za-z]{3,} [a-z]{3,} [a-z]{3,}"
)  # three English words in a row: PyYAML's or pydantic's


def line_of(needle: str, text: str) -> int:
    return text.count("\n", 0, text.index(needle)) + 1


def problems(text: str) -> list:
    with pytest.raises(DataError) as info:
        parse(load_text(text))
    return info.value.problems


def replaced(old: str, new: str, text: str = TEXT) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


# (case, old, new, text whose line the message names (in the new text), words of the message)
CASES = [
    ("bell", CHAPTER_TITLE, "title: 本戦略\x07骨子", "本戦略\x07", ["ベル（U+0007）", "消して"]),
    ("nul", CHAPTER_TITLE, "title: 本戦略\x00骨子", "本戦略\x00", ["NUL（U+0000）"]),
    ("form feed", CHAPTER_TITLE, "title: 本戦略\x0c骨子", "本戦略\x0c", ["改ページ（U+000C）", "貼り付け"]),
    ("escaped bell", CHAPTER_TITLE, 'title: "本戦略\\a骨子"', '"本戦略', ["ベル（U+0007）"]),
    ("right-to-left override", CHAPTER_TITLE, "title: 本戦略\u202e骨子", "本戦略\u202e", ["U+202E", "向き"]),
    (
        "escaped right-to-left override",
        CHAPTER_TITLE,
        'title: "本戦略\\u202e骨子"',
        '"本戦略',
        ["U+202E"],
    ),
    (
        "full-width indent",
        "    " + CHAPTER_TITLE,
        "　　" + CHAPTER_TITLE,
        "　　title",
        ["全角スペース", "字下げ"],
    ),
    (
        "full-width colon",
        CHAPTER_TITLE,
        "title：本戦略骨子のリバイズ",
        "title：",
        ["全角", "「：」", "title: …"],
    ),
    ("tab", "    " + CHAPTER_TITLE, "\t" + CHAPTER_TITLE, "\ttitle", ["タブ", "半角スペース"]),
    ("unclosed quote", CHAPTER_TITLE, 'title: "本戦略骨子のリバイズ', '"本戦略骨子', ["引用符", "閉じて"]),
    (
        "unquoted colon",
        CHAPTER_TITLE,
        "title: 本戦略: 骨子",
        "title: 本戦略: 骨子",
        ["YAML の書き方", "「: 」", '"…"'],
    ),
    ("date 0", "  date: 2022-12-01", "  date: 0", "date: 0", ["「date」", "YYYY-MM-DD"]),
    ("date one digit", "  date: 2022-12-01", "  date: 2022-1-1", "date: 2022-1-1", ["YYYY-MM-DD"]),
    ("date with time", "  date: 2022-12-01", "  date: 2022-12-01 10:00:00", "date: 2022-12-01 10", ["時刻"]),
    ("quoted yes", "adopted: true", 'adopted: "yes"', 'adopted: "yes"', ["「adopted」", "true か false"]),
    ("bare yes", "adopted: true", "adopted: yes", "adopted: yes", ["true か false"]),
    ("number true", "number: 1\n", "number: true\n", "number: true", ["「number」", "整数", "true/false"]),
    ("number octal", "number: 1\n", "number: 010\n", "number: 010", ["「010」", "先頭の 0"]),
    ("number float", "number: 1\n", "number: 1.0\n", "number: 1.0", ["整数", "小数"]),
    ("number full-width", "number: 1\n", "number: １\n", "number: １", ["整数", "半角数字"]),
    ("page full-width", "page: p.3", "page: p.３", "page: p.３", ["「page」", "半角数字"]),
    ("huge rowspan", "rowspan: 2", "rowspan: 300000000", "rowspan: 300000000", ["「rowspan」", "50 以下"]),
    ("multi-line title", CHAPTER_TITLE, 'title: "本戦略\\n# 見出し"', '"本戦略', ["一行", "改行"]),
    (
        "no viewpoint_issues",
        "              - type: viewpoint_issues\n                columns: [視点, 主な分類, 現状の主な課題（具体例ベース）]\n",
        "",
        "  - id: revision\n",
        ["viewpoint_issues", "一つ置いて"],
    ),
    (
        "fourth goal without a viewpoint",
        "  viewpoints:\n",
        "    - id: goal-x\n      number: 4\n      label: x\n      title: x\n      description: x\n  viewpoints:\n",
        "id: goal-x",
        ["goal-x", "視点がありません"],
    ),
    ("section id index", "id: guidelines-life", "id: index", "id: index\n", ["「index」"]),
    ("chapter id data", "  - id: revision\n", "  - id: data\n", "  - id: data", ["「data」", "フォルダ"]),
    (
        "id like a template id",
        "id: guidelines-life\n",
        "id: guidelines-life-title\n",
        "life-title",
        ["-title"],
    ),
    ("id like a theme id", "id: guidelines-life\n", "id: sd-structure-caption\n", "sd-structure", ["sd-…"]),
    (
        "unknown key inside a list item",
        "      adopted: true\n",
        "      adopted: true\n      adpoted: true\n",
        "adpoted",
        ["「adpoted」", "使える項目"],
    ),
    ("list item a number", "- 都市部と地方との経済格差の拡大", "- 5", "- 5\n", ["「items」", "文字"]),
]


@pytest.mark.parametrize(("old", "new", "at", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_case_is_named_in_japanese_at_its_line(old: str, new: str, at: str, words: list[str]):
    text = replaced(old, new)
    found = problems(text)
    expected = line_of(at, text)
    assert any(p.line == expected for p in found), (expected, [str(p) for p in found])
    message = " ".join(p.message for p in found if p.line == expected)
    for word in words:
        assert word in message, (word, message)
    for p in found:
        assert not ENGLISH.search(p.message), p.message
        for internal in ("constrained-str", "NestedItem", "SpanCell", "list[", "function-after"):
            assert internal not in p.message, p.message


def test_real_data_still_passes(strategy: Strategy):
    assert len(strategy.ids) > 100


def test_nesting_500_deep_is_a_message_not_a_recursion_error():
    deep = "chapters: " + "[" * 500 + "]" * 500 + "\n"
    found = problems(replaced("chapters:\n", deep + "unused:\n"))
    assert any("入れ子が深すぎます" in p.message for p in found), found
    found = problems("a:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 500)) + "  " * 500 + "v: 1\n")
    assert any("入れ子が深すぎます" in p.message for p in found), found


def test_thousands_of_bad_references_print_a_capped_list():
    bad = "".join(
        f"    - id: g-x{i}\n      viewpoint: nowhere\n      goal: goal-life\n      number: 1\n"
        "      title: x\n      description: x\n"
        for i in range(3000)
    )
    text = replaced("\n  guidelines:\n", "\n  guidelines:\n" + bad)
    start = time.monotonic()
    found = problems(text)
    assert time.monotonic() - start < 20
    assert len(found) <= MAX_PROBLEMS + 1
    assert "ほかに" in found[-1].message
    assert sum(len(str(p)) for p in found) < 200_000
    assert all(len(p.message) < 1000 for p in found)


def test_yes_no_on_off_are_text_where_text_is_wanted():
    strategy = parse(load_text(replaced(CHAPTER_TITLE, "title: no")))
    assert strategy.chapters[0].title == "no"


# --- the command line ---------------------------------------------------------------------------------------


def run_macros(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """The command line (`python -m macros …` is `sys.exit(macros.__main__.main())`) run in this process, its
    output captured: an uncaught exception fails the test as a traceback would. tests/test_model.py runs the
    real `python -m macros check` once."""
    import contextlib
    import io

    from macros.__main__ import main

    out, err, here = io.StringIO(), io.StringIO(), os.getcwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as exc:  # argparse's usage errors
                code = exc.code
    finally:
        os.chdir(here)
    return subprocess.CompletedProcess(
        ["python", "-m", "macros", *args], code, out.getvalue(), err.getvalue()
    )


def assert_message(result: subprocess.CompletedProcess[str], *words: str) -> None:
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "Traceback" not in output and "Error:" not in output, output
    for word in words:
        assert word in output, (word, output)


def test_cli_failures_are_messages(tmp_path: Path):
    missing = tmp_path / "missing.yaml"
    assert_message(run_macros("check", str(missing)), f"{missing}: ファイルがありません")
    assert_message(run_macros("check", str(tmp_path)), "フォルダです")
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"meta:\n  title: \xff\xfe\n")
    assert_message(run_macros("check", str(binary)), f"{binary}:2:10:", "UTF-8")
    deep = tmp_path / "deep.yaml"
    deep.write_text("a: " + "[" * 500 + "]" * 500 + "\n", encoding="utf-8")
    assert_message(run_macros("check", str(deep)), "入れ子が深すぎます")
    assert_message(
        run_macros("export", str(tmp_path / "out"), "--data", str(missing)), "ファイルがありません"
    )
    blocked = tmp_path / "a-file"
    blocked.write_text("x", encoding="utf-8")
    assert_message(run_macros("export", str(blocked / "out")), "書き出せません")
    assert_message(run_macros("diff", str(missing), str(DATA)), "旧のファイル", "ファイルがありません")
    assert_message(run_macros("diff", str(DATA), str(tmp_path)), "新のファイル", "フォルダです")


def test_check_output_cannot_add_lines_or_workflow_commands(tmp_path: Path):
    bad = tmp_path / "strategy.yaml"
    evil = 'id: "x\\n::error file=a::injected\\n~~~~\\n![beacon](https://example.com/b.png) @everyone"'
    bad.write_text(replaced("id: remark-01\n", evil + "\n"), encoding="utf-8")
    text = run_macros("check", str(bad))
    assert_message(text, "::error")
    lines = text.stdout.splitlines()
    assert lines and all(line.startswith(f"{bad}:") for line in lines), lines
    github = run_macros("check", "--format", "github", str(bad))
    assert_message(github)
    assert len(github.stdout.splitlines()) == len(lines)  # one annotation per problem, each on one line
    for line in github.stdout.splitlines():
        assert line.startswith("::error file="), line
    assert not any(line.startswith("::") for line in github.stderr.splitlines())


def test_safe_line():
    assert safe_line("a\nb\r\tc\x07\u202e") == "a\\nb\\r\\tc\\u0007\\u202e"
    assert safe_line("::warning::x").startswith("(出力) ")


# --- diff ---------------------------------------------------------------------------------------------------


def test_diff_aligns_10000_changed_items_in_seconds():
    from macros.diff import _compare_lists, align

    old = ["同上"] * 10_000
    new = [("同上" if i % 2 else f"変更 {i}") for i in range(10_000)]
    start = time.monotonic()
    changes = list(_compare_lists(old, new, "項目"))
    assert time.monotonic() - start < 5
    assert len(changes) == 5_000
    ops = align(list("abcdef"), list("abXcdef"))
    assert ops == [("equal", 0, 2, 0, 2), ("insert", 2, 2, 2, 3), ("equal", 2, 6, 3, 7)]


def test_diff_headings_are_one_line_of_text(strategy: Strategy):
    from macros.diff import Change, FieldChange, render_markdown

    name = "見出し\n# 注入\n- リスト\n![b](https://e.example/b.png) @everyone"
    change = Change("goal", "goal-life", "changed", name, (FieldChange("目標", "a\n## x", "b"),))
    out = render_markdown([change], strategy, strategy)
    heading = next(line for line in out.splitlines() if line.startswith("#### "))
    assert "注入" in heading and "\n" not in heading
    assert not any(line.startswith(("# ", "- ", "## ")) for line in out.splitlines())
    assert "![" not in out and "@everyone" not in out


def test_job_summary_stays_under_one_mebibyte(strategy: Strategy):
    from macros.diff import MAX_SUMMARY_BYTES, Change, FieldChange, render_markdown

    changes = [
        Change("remark", f"remark-{i}", "changed", "発言", (FieldChange("発言", "旧" * 200, "新" * 200),))
        for i in range(5000)
    ]
    out = render_markdown(changes, strategy, strategy)
    assert len(out.encode("utf-8")) <= MAX_SUMMARY_BYTES < 1024 * 1024
    assert "打ち切りました" in out.splitlines()[-1] and "5,000 件" in out
    assert "打ち切りました" not in render_markdown(changes, strategy, strategy, limit=None)


# --- open data ----------------------------------------------------------------------------------------------


def test_csv_cells_that_spreadsheets_run_are_neutralised():
    from macros.export import FILES, render

    formulas = ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"]
    text = replaced("label: 市民の生活", f"label: {json.dumps(formulas[0])}")
    text = replaced("title: 地域の市民・企業の誰もがデジタル恩恵を享受", "title: '+1'", text)
    text = replaced("label: 地域の経済", "label: '-1'", text)
    description = next(
        line for line in text.splitlines() if line.startswith("      description: 市民一人ひとり")
    )
    text = replaced(
        description, f"      description: {json.dumps('@SUM(A1)' + description.split(': ', 1)[1])}", text
    )
    strategy = parse(load_text(text))
    data = render(strategy)
    goals = data["goals.csv"].decode("utf-8-sig")
    assert "'=1+1" in goals and "'+1" in goals and "'-1" in goals and "'@SUM(A1)" in goals
    for line in goals.splitlines():
        for cell in next(iter(__import__("csv").reader([line]))):
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    parsed = json.loads(data["strategy.json"])
    assert parsed["framework"]["goals"][0]["label"] == "=1+1"  # JSON keeps the exact text
    assert yaml.safe_load(data["strategy.yaml"])["framework"]["goals"][0]["label"] == "=1+1"
    assert {f.name for f in FILES if f.format == "CSV"} == {n for n in data if n.endswith(".csv")}
    from macros.export import neutralise

    for formula in formulas:
        assert neutralise(formula) == "'" + formula


def test_published_yaml_is_the_model_without_comments(strategy: Strategy):
    from macros.export import model_yaml, render, schema_text

    text = model_yaml(strategy).decode("utf-8")
    assert not any(line.lstrip().startswith("#") for line in text.splitlines())
    assert parse(load_text(text)) == strategy
    assert render(strategy)["strategy.schema.json"] == schema_text().encode("utf-8")
    assert schema_text() == (ROOT / "data" / "strategy.schema.json").read_text(encoding="utf-8")


def test_export_never_follows_a_symlink(tmp_path: Path, strategy: Strategy):
    from macros.export import export

    outside = tmp_path / "outside.txt"
    outside.write_text("untouched", encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    (out / "strategy.yaml").symlink_to(outside)
    export(strategy, out)
    assert outside.read_text(encoding="utf-8") == "untouched"
    assert not (out / "strategy.yaml").is_symlink()
    assert (out / "strategy.yaml").read_text(encoding="utf-8").startswith("meta:")


# --- search -------------------------------------------------------------------------------------------------


def test_a_64_kb_run_without_punctuation_is_indexed():
    from hooks.search_ja import segment_text

    run = "市民の生活と地域の経済" * 3000  # 99 KB of UTF-8, one word run
    out = segment_text(run)
    assert out.replace("\u200b", "") == run


# --- builds -------------------------------------------------------------------------------------------------


def test_titles_and_text_are_never_templates(hostile):
    """Titles and texts that look like Jinja, HTML or Markdown (conftest.HOSTILE_EDITS): shown as they are."""
    project, site, pages = hostile
    assert not (project / "PWNED").exists() and not Path("PWNED").exists()
    chapter = pages["revision/index.html"]
    assert chapter.find("h1").get_text().startswith("1. 章{{ 7*7 }}{# stray")
    assert "章{{ 7*7 }}{# stray" in chapter.title.get_text()
    nav = " ".join(a.get_text(" ", strip=True) for a in pages["index.html"].select("nav a"))
    assert "章{{ 7*7 }}{# stray" in nav and "49" not in nav
    every = " ".join(p.get_text(" ") for p in pages.values())
    assert HOSTILE[3] in every and "{% raw %}<script>alert(1)</script>" in every
    assert " ".join(HOSTILE) in every
    for soup in pages.values():
        assert not any("alert(1)" in s.get_text() for s in soup.find_all("script"))
    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    titles = " ".join(d["title"] for d in index["docs"]).replace("\u200b", "")
    assert "49" not in titles
    # the logo tooltip is escaped once, not twice
    header = pages["index.html"].select_one("a.md-logo")
    assert header is not None and "&amp;" not in header["title"]


def test_text_is_never_a_raw_html_token(hostile):
    """A text from the data that is macros/rawblocks.py's token for an HTML block (with the secret prefix in hand,
    alone or after a line break: conftest.HOSTILE_EDITS) stays text: no path puts a text on a Markdown line of
    its own, where the token would become the block."""
    from tests.conftest import RAW_TOKEN

    _, _, pages = hostile
    assert RAW_TOKEN.startswith("sd-html-block-")
    assert not any(soup.find(id="evil-block") for soup in pages.values())
    every = " ".join(p.get_text(" ") for p in pages.values())
    assert every.count(RAW_TOKEN) >= 2, "both texts are shown as they are"


@pytest.fixture(scope="module")
def reshaped(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One build of a copy whose data reshapes the document three ways at once: a chapter added at the end, the
    section `survey` renamed `questionnaire`, the chapter `iwate` dropped. No file in docs/ follows any of it."""
    base = tmp_path_factory.mktemp("reshaped")
    project = copy_project(base / "project")
    text = TEXT.replace("      - id: survey\n", "      - id: questionnaire\n")
    assert text != TEXT
    data = load_text(text).data
    data["chapters"] = [c for c in data["chapters"] if c["id"] != "iwate"]
    data["chapters"].append(
        {"id": "extra", "number": "7.", "title": "追加の章", "blocks": [{"type": "text", "text": "本文"}]}
    )
    (project / "data" / "strategy.yaml").write_text(
        yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    return build_site(project, base / "site")


@pytest.fixture(scope="module")
def reshaped_pages(reshaped: Path) -> dict:
    """The reshaped site's pages, parsed once (read only)."""
    return read_pages(reshaped)


def test_a_new_chapter_without_a_docs_file_builds(reshaped_pages: dict):
    pages = reshaped_pages
    assert pages["extra/index.html"].find("h1").get_text().startswith("7. 追加の章")
    assert "revision/index.html" in pages


def test_docs_holds_no_document_page():
    """docs/ keeps only the hand-written pages about the site: the document's pages are generated."""
    from macros.loader import load_file
    from macros.pages import ABOUT_PAGES, HOME, all_pages

    docs = ROOT / "docs"
    pages = {p.relative_to(docs).as_posix() for p in docs.rglob("*.md") if "overrides" not in p.parts}
    assert pages == {HOME, *(path for path, _title in ABOUT_PAGES)}
    assert not any("document_page" in (docs / p).read_text(encoding="utf-8") for p in pages)
    assert not pages & {page.path for page in all_pages(parse(load_file(DATA)))}


def test_a_hand_written_file_in_a_document_page_s_place_is_a_clear_error(tmp_path: Path, caplog):
    from mkdocs.exceptions import Abort, PluginError

    project = copy_project(tmp_path / "project")
    (project / "docs" / "iwate").mkdir()
    (project / "docs" / "iwate" / "index.md").write_text("# 手書き\n", encoding="utf-8")
    with pytest.raises((PluginError, Abort, SystemExit)):
        build_site(project, tmp_path / "site")
    assert "docs/iwate/index.md は資料のページ" in caplog.text


def test_a_renamed_section_builds(reshaped_pages: dict):
    """Renaming a section that has a page of its own moves its page: no file in docs/ to keep in step."""
    pages = reshaped_pages
    assert "citizens/questionnaire/index.html" in pages and "citizens/survey/index.html" not in pages
    assert pages["citizens/questionnaire/index.html"].select_one("#questionnaire") is not None


def test_a_dropped_chapter_leaves_no_failing_stub(reshaped: Path):
    assert not (reshaped / "iwate").exists() and (reshaped / "revision" / "index.html").exists()


def test_a_failed_build_keeps_the_previous_site(site: Path, tmp_path: Path, caplog):
    import shutil

    from mkdocs.exceptions import Abort, PluginError

    project = copy_project(tmp_path / "project")
    previous, site = site, tmp_path / "site"
    shutil.copytree(previous, site)  # the previous site: the session's build of the repository
    before = {p.relative_to(site): p.read_bytes() for p in site.rglob("*") if p.is_file()}
    assert len(before) > 50
    # A build that fails late (strict mode aborts after every page is written), then one with bad data.
    (project / "docs" / "broken.md").write_text("# x\n\n[壊れたリンク](nowhere.md)\n", encoding="utf-8")
    with pytest.raises((PluginError, Abort, SystemExit)):
        build_site(project, site)
    (project / "docs" / "broken.md").unlink()
    (project / "data" / "strategy.yaml").write_text(replaced("marker: tags", "marker: tag"), encoding="utf-8")
    with pytest.raises((PluginError, Abort, SystemExit)):
        build_site(project, site)
    after = {p.relative_to(site): p.read_bytes() for p in site.rglob("*") if p.is_file()}
    assert after == before
    assert not list(tmp_path.glob("site.building-*"))


def _mkdocs(project: Path, *args: str, **kwargs) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k != "ENABLE_PDF_EXPORT"}
    return subprocess.Popen(
        [sys.executable, "-m", "mkdocs", *args],
        cwd=project,
        env={**env, "NO_MKDOCS_2_WARNING": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=interruptible,  # noqa: PLW1509 (no threads here: it only resets a signal)
        **kwargs,
    )


def interruptible() -> None:
    """In the child: Ctrl+C (SIGINT) as a terminal gives it. A shell that starts the tests in the background
    (`cmd &`) makes them ignore SIGINT, and Python then never raises KeyboardInterrupt in the child."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.slow  # four full builds in their own processes, two at once
def test_interrupted_and_concurrent_builds_keep_a_whole_site(tmp_path: Path):
    project = copy_project(tmp_path / "project")
    site = tmp_path / "site"
    first = _mkdocs(project, "build", "-q", "-d", str(site))
    assert first.wait(timeout=300) == 0, first.stdout.read() if first.stdout else ""
    files = sorted(p.relative_to(site) for p in site.rglob("*") if p.is_file())
    # Two builds at once, then one interrupted while it writes: the site is always one whole build.
    builds = [_mkdocs(project, "build", "-q", "-d", str(site)) for _ in range(2)]
    assert [b.wait(timeout=300) for b in builds] == [0, 0]
    assert sorted(p.relative_to(site) for p in site.rglob("*") if p.is_file()) == files
    interrupted = _mkdocs(project, "build", "-q", "-d", str(site))
    deadline = time.monotonic() + 120
    while not list(tmp_path.glob("site.building-*")) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    interrupted.send_signal(signal.SIGINT)
    interrupted.wait(timeout=120)
    assert sorted(p.relative_to(site) for p in site.rglob("*") if p.is_file()) == files
    assert (site / "search" / "search_index.json").exists() and (site / "data" / "strategy.json").exists()


def test_serve_shows_the_problems_in_the_browser(tmp_path: Path):
    project = copy_project(tmp_path / "project")
    (project / "data" / "strategy.yaml").write_text(replaced("marker: tags", "marker: tag"), encoding="utf-8")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = _mkdocs(project, "serve", "--no-livereload", "-a", f"127.0.0.1:{port}", start_new_session=True)
    try:
        page = ""
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as response:
                    page = response.read().decode("utf-8")
                break
            except OSError:
                time.sleep(0.5)
        line = line_of("marker: tag\n", replaced("marker: tags", "marker: tag"))
        assert f"data/strategy.yaml:{line}:" in page, page[:2000]
        assert "データに誤りがあります" in page and 'data-origin="site"' in page
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def test_a_build_without_the_data_file_is_a_message(tmp_path: Path):
    project = copy_project(tmp_path / "project")
    (project / "data" / "strategy.yaml").unlink()
    build = _mkdocs(project, "build", "-q", "-d", str(tmp_path / "site"))
    output = build.communicate(timeout=300)[0]
    assert build.returncode == 1, output
    assert "data/strategy.yaml: ファイルがありません" in output and "Traceback" not in output, output
    assert not (tmp_path / "site").exists()

"""The 新旧対照表 (`python -m macros diff OLD NEW`) on real pairs of YAML files edited as text."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from macros.__main__ import main
from macros.diff import NO_CHANGE, Change, FieldChange, diff, render_markdown
from macros.loader import load_file
from macros.model import parse

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data" / "strategy.yaml"

GUIDELINE_OLD = "description: 高齢者も子どもも障がい者も置き去りにせず、デジタル格差を解消する"
GUIDELINE_NEW = "description: 高齢者も子どもも障がい者も外国人も置き去りにせず、デジタル格差を解消する"
SOLUTION = """        - id: sol-life-divide
          text: デジタル格差を解消するため、デジタル端末の配布や利用方法の講座開催等を実施
"""
LAST_REMARK = """                    page: p.10
              - type: text"""
NEW_REMARK = """                    page: p.10
                  - id: remark-28
                    number: 28
                    text: 新しいご指摘です
                    page: p.11
              - type: text"""


def edit(tmp_path: Path, *replacements: tuple[str, str]) -> tuple[Path, Path]:
    """Copy the real data to old.yaml and write new.yaml with each (old, new) text replaced once."""
    text = DATA.read_text(encoding="utf-8")
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old.write_text(text, encoding="utf-8")
    for before, after in replacements:
        assert text.count(before) == 1, f"the data no longer has exactly one {before!r}"
        text = text.replace(before, after)
    new.write_text(text, encoding="utf-8")
    return old, new


def run_cli(old: Path, new: Path) -> subprocess.CompletedProcess[str]:
    """`python -m macros diff OLD NEW` in a subprocess, from the repository root."""
    command = [sys.executable, "-m", "macros", "diff", str(old), str(new)]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, encoding="utf-8", check=False)


def run_main(old: Path, new: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """The same command in-process."""
    status = main(["diff", str(old), str(new)])
    return status, capsys.readouterr().out


def cells(markdown: str, text: str) -> list[str]:
    """The cells of the one table row that contains `text` (split on unescaped |)."""
    rows = [line for line in markdown.splitlines() if line.startswith("| ") and text in line]
    assert len(rows) == 1, f"expected one row with {text!r} in:\n{markdown}"
    return [c.strip() for c in re.split(r"(?<!\\)\|", rows[0])[1:-1]]


def section_of(markdown: str, heading: str) -> str:
    """The Markdown from an item heading (####) to the next heading."""
    start = markdown.index(heading)
    end = markdown.find("\n#", start + 1)
    return markdown[start : end if end != -1 else None]


def test_changed_guideline_description_old_and_new_in_one_row(tmp_path: Path) -> None:
    old, new = edit(tmp_path, (GUIDELINE_OLD, GUIDELINE_NEW))
    result = run_cli(old, new)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "### 行動指針" in out
    assert "#### 変更: `life-1` やさしいデジタル化を目指す" in out
    assert cells(out, "外国人も") == [
        "description",
        GUIDELINE_OLD.removeprefix("description: "),
        GUIDELINE_NEW.removeprefix("description: "),
    ]
    assert "変更 1 件。" in out
    assert out.startswith(
        "旧: 戦略立案に向けた協議資料（2022年12月1日・案） → 新: 戦略立案に向けた協議資料（2022年12月1日・案）"
    )


def test_added_remark(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old, new = edit(tmp_path, (LAST_REMARK, NEW_REMARK))
    status, out = run_main(old, new, capsys)
    assert status == 0
    block = section_of(out, "#### 追加: `remark-28` 新しいご指摘です")
    assert "### ご指摘事項" in out
    assert cells(block, "新しいご指摘です") == ["発言文", "（なし）", "新しいご指摘です"]
    assert cells(block, "p.11") == ["議事録の記録箇所", "（なし）", "p.11"]
    assert "追加 1 件。" in out  # the remarks block that holds it is not reported as changed


def test_removed_solution(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old, new = edit(tmp_path, (SOLUTION, ""))
    changes = diff(parse(load_file(old)), parse(load_file(new)))
    assert [(c.kind, c.id, c.action) for c in changes] == [("solution", "sol-life-divide", "removed")]
    status, out = run_main(old, new, capsys)
    assert status == 0
    assert "### 解決方法" in out and "#### 削除: `sol-life-divide`" in out
    assert cells(out, "端末の配布")[1:] == [
        "デジタル格差を解消するため、デジタル端末の配布や利用方法の講座開催等を実施",
        "（なし）",
    ]


def test_renamed_section_title(tmp_path: Path) -> None:
    old, new = edit(tmp_path, ("title: 前回会議でのご指摘事項\n", "title: 前回会議における指摘事項\n"))
    result = run_cli(old, new)
    assert result.returncode == 0
    assert "### 本文の節" in result.stdout
    assert "#### 変更: `remarks` (1) 前回会議における指摘事項" in result.stdout
    assert cells(result.stdout, "前回会議における指摘事項") == [
        "見出し",
        "前回会議でのご指摘事項",
        "前回会議における指摘事項",
    ]


def test_block_text_in_section(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old, new = edit(
        tmp_path, ("text: ※ 第1回外部有識者会議議事録より抜粋", "text: ※ 第1回外部有識者会議の議事録より抜粋")
    )
    status, out = run_main(old, new, capsys)
    assert status == 0
    assert "#### 変更: `remarks-list`" in out
    assert cells(out, "会議の議事録")[1:] == [
        "※ 第1回外部有識者会議議事録より抜粋",
        "※ 第1回外部有識者会議の議事録より抜粋",
    ]


def test_only_comments_indentation_quoting_and_key_order(tmp_path: Path) -> None:
    old, new = edit(
        tmp_path,
        ("meta:\n", "# a new comment\nmeta:  # and another\n"),
        ("title: やさしいデジタル化を目指す\n", "title: 'やさしいデジタル化を目指す'\n"),
        ("  title: 盛岡市デジタル化", "    title: 盛岡市デジタル化"),  # re-indent the whole meta mapping
        ("\n  meeting: 第2回", "\n    meeting: 第2回"),
        ("\n  document: 戦略", "\n    document: 戦略"),
        ("\n  date: 2022-12-01\n", "\n    date: 2022-12-01\n"),
        ("\n  status: 案\n", "\n    status: 案\n"),
        (
            "      number: 2\n      title: 地元企業",
            "      title: 地元企業",
        ),  # move `number` below `description`
        (
            "description: デジタル化推進による地元企業の業務効率化・生産性向上を実現し、労働者不足問題等を解消する\n",
            "description: デジタル化推進による地元企業の業務効率化・生産性向上を実現し、労働者不足問題等を解消する\n"
            + "      number: 2\n",
        ),
    )
    assert old.read_text(encoding="utf-8") != new.read_text(encoding="utf-8")
    result = run_cli(old, new)
    assert (result.returncode, result.stdout) == (0, NO_CHANGE + "\n")


def test_escaping_of_pipe_and_html(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    evil = "description: 格差 | 解消 <script>alert(1)</script> & **強調** [link](x)"
    old, new = edit(tmp_path, (GUIDELINE_OLD, evil))
    status, out = run_main(old, new, capsys)
    assert status == 0
    assert "<script>" not in out
    row = cells(out, "alert(1)")
    assert len(row) == 3
    assert row[2] == r"格差 \| 解消 &lt;script&gt;alert(1)&lt;/script&gt; &amp; \*\*強調\*\* \[link\](x)"


def test_reorder_and_move(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    value = "        - id: sol-town-value\n          text: 盛岡の文化・歴史的価値を高める事業を実施\n"
    community = "        - id: sol-town-community\n          text: 市内外に向けた魅力発信と関係人口のコミュニティ形成を実施\n"
    snow = "            - id: issue-snow\n              text: 積雪寒冷地のため、冬期の除雪・排雪といった対応も必要になっている\n"
    heritage = "            - id: issue-heritage\n              text: 歴史遺産（町家等）の老朽化が進んでいるほか、有効活用を進められていない\n"
    old, new = edit(tmp_path, (value + community, community + value), (snow, ""), (heritage, heritage + snow))
    status, out = run_main(old, new, capsys)
    assert status == 0
    assert "#### 順序の変更: town の solutions" in out
    assert cells(out, "並び順")[1:] == [
        "sol-town-infrastructure、sol-town-value、sol-town-community",
        "sol-town-infrastructure、sol-town-community、sol-town-value",
    ]
    assert "#### 変更: `issue-snow`" in out
    assert cells(out, "所属")[1:] == ["town-hard-infrastructure の issues", "town-heritage の issues"]


def test_new_edition_in_header_and_document_info(tmp_path: Path) -> None:
    old, new = edit(tmp_path, ("  date: 2022-12-01\n  status: 案\n", "  date: 2023-03-24\n  status: 策定\n"))
    out = run_cli(old, new).stdout
    assert out.splitlines()[0] == (
        "旧: 戦略立案に向けた協議資料（2022年12月1日・案） → 新: 戦略立案に向けた協議資料（2023年3月24日・策定）"
    )
    assert "### 文書情報" in out
    assert cells(out, "策定")[1:] == ["案", "策定"]


def test_invalid_new_file_lists_every_problem_with_line_and_column(tmp_path: Path) -> None:
    bad_goal = "      viewpoint: life\n      goal: goal-life\n      number: 1\n"
    old, new = edit(
        tmp_path,
        (bad_goal, "      viewpoint: life\n      goal: goal-nine\n      number: 1\n"),
        ("  status: 案\n", "  status: 案\n  status: 策定\n"),
    )
    lines = new.read_text(encoding="utf-8").splitlines()
    duplicate_line = lines.index("  status: 策定") + 1
    result = run_cli(old, new)
    assert result.returncode == 1
    assert "新のファイル" in result.stdout and "新旧対照表は作れません" in result.stdout
    assert f"{new}:{duplicate_line}:3: キー「status」が重複しています" in result.stdout
    # The loader stops at duplicate keys; with those fixed, the reference error is reported at its line.
    new.write_text("\n".join(line for line in lines if line != "  status: 策定") + "\n", encoding="utf-8")
    goal_line = new.read_text(encoding="utf-8").splitlines().index("      goal: goal-nine") + 1
    result = run_cli(old, new)
    assert result.returncode == 1
    assert re.search(rf"^{re.escape(str(new))}:{goal_line}:\d+: .*goal-nine", result.stdout, re.MULTILINE), (
        result.stdout
    )


def test_invalid_old_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old, new = edit(tmp_path)
    old.write_text("meta: [\n", encoding="utf-8")
    status, out = run_main(old, new, capsys)
    assert status == 1
    assert f"旧のファイル {old} に 1 件の問題" in out
    assert re.search(rf"^{re.escape(str(old))}:\d+:\d+: YAML の書き方に誤りがあります", out, re.MULTILINE)


def test_render_markdown_escapes_newlines_and_absent_values(tmp_path: Path) -> None:
    strategy = parse(load_file(DATA))
    change = Change("guideline", "life-1", "changed", "a|b", (FieldChange("説明", "一行目\n二行目", None),))
    out = render_markdown([change], strategy, strategy)
    assert "#### 変更: `life-1` a\\|b" in out
    assert "| 説明 | 一行目<br>二行目 | （なし） |" in out
    assert render_markdown([], strategy, strategy) == NO_CHANGE


def test_emphasis_style_alone_is_a_setting_not_a_wording_change(tmp_path: Path) -> None:
    """A table whose emphasis style alone changes (a frozen edition without the field reads as bold): the diff
    names the setting by its label, once, and reports no change of any cell's wording."""
    old, new = edit(tmp_path, ("                emphasis: underline\n", ""))
    changes = diff(parse(load_file(new)), parse(load_file(old)))  # bold (default) -> underline
    assert [(c.id, [(f.label, f.old, f.new) for f in c.fields]) for c in changes] == [
        ("staff-hearing-summary", [("中身 2（table） › 強調の表し方", "bold", "underline")])
    ]

"""The 新旧対照表 (macros/comparison.py) as councils read it: 改正後 left, 改正前 right, changed words marked.

Real pairs of data files (the real data and a copy edited as text), the command line as editors run it, the
PDF read back with poppler and pypdf.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from pypdf import PdfReader

from macros.comparison import build, mark_words, render_html, render_markdown
from macros.loader import load_file
from macros.model import parse
from tests.conftest import DATA, ROOT

TEXT = DATA.read_text(encoding="utf-8")
OLD_SENTENCE = "高齢者も子どもも障がい者も置き去りにせず、デジタル格差を解消する"
NEW_SENTENCE = "高齢者も子どもも障がい者も外国人も置き去りにせず、デジタル格差を確実に解消する"
REMOVED_GUIDELINE = """    - id: town-3
      viewpoint: town
      goal: goal-town
      number: 3
      title: 市内外の多くの人がつながるまちを目指す
      description: デジタル技術を活用して盛岡の魅力を積極的・効果的に打ち出し、関係人口を増加させる
"""
LAST_REMARK = """                    page: p.10
              - type: text"""
NEW_REMARK_TEXT = "人材の誘致と育成を一体で進めてほしい"
NEW_REMARK = f"""                    page: p.10
                  - id: remark-28
                    number: 28
                    text: {NEW_REMARK_TEXT}
                    page: p.11
              - type: text"""


def revised(text: str = TEXT) -> str:
    """The real data with a changed sentence, an added remark and a removed guideline."""
    for before, after in ((OLD_SENTENCE, NEW_SENTENCE), (REMOVED_GUIDELINE, ""), (LAST_REMARK, NEW_REMARK)):
        assert text.count(before) == 1, before
        text = text.replace(before, after)
    return text


@pytest.fixture(scope="module")
def pair(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("pair")
    old, new = folder / "old.yaml", folder / "new.yaml"
    old.write_text(TEXT, encoding="utf-8")
    new.write_text(revised(), encoding="utf-8")
    return old, new


@pytest.fixture(scope="module")
def comparison(pair):
    old, new = (parse(load_file(p)) for p in pair)
    return build(old, new)


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "macros", "diff", *args], cwd=ROOT, capture_output=True, text=True, check=False
    )


def marked(parts) -> list[str]:
    return [p.text for p in parts if p.marked]


# --- marking words ------------------------------------------------------------------------------------------


def test_a_real_changed_sentence_marks_the_added_words_only():
    new, old = mark_words(OLD_SENTENCE, NEW_SENTENCE)
    assert "".join(p.text for p in new) == NEW_SENTENCE
    assert "".join(p.text for p in old) == OLD_SENTENCE
    assert "".join(marked(new)) == "も外国人確実に"  # two insertions, nothing else underlined
    assert marked(new) == ["も外国人", "確実に"]
    assert marked(old) == []  # nothing was removed


def test_a_replaced_word_is_marked_in_both_columns():
    new, old = mark_words("デジタル格差を解消する", "デジタル格差をなくす")
    assert marked(old) == ["解消する"] and marked(new) == ["なくす"]
    # A lone equal character between two changes is folded into the change, so the marks cover whole words.
    new, old = mark_words("市民の生活を守る", "企業の経営を支える")
    assert all(len(t) > 1 for t in marked(new) + marked(old))


# --- the table ----------------------------------------------------------------------------------------------


def test_grouped_by_chapter_in_document_order(comparison):
    titles = [g.title for g in comparison.groups]
    assert titles == ["1. 本戦略骨子のリバイズ", "2. 戦略骨子を踏まえた行動指針案"]
    assert [e.item_id for e in comparison.groups[1].entries] == ["life-1", "town-3"]
    assert [(e.item_id, e.action) for e in comparison.entries] == [
        ("remark-28", "added"),
        ("life-1", "changed"),
        ("town-3", "removed"),
    ]


def test_markdown_columns_new_left_old_right_with_marks(pair):
    result = cli(*map(str, pair), "--format", "md")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "| 改正後 | 改正前 |" in out and "| 改正前 | 改正後 |" not in out
    row = next(line for line in out.splitlines() if "外国人" in line)
    new_cell, old_cell = [c.strip() for c in re.split(r"(?<!\\)\|", row)[1:-1]]
    assert (
        new_cell
        == "説明：高齢者も子どもも障がい者<ins>も外国人</ins>も置き去りにせず、デジタル格差を<ins>確実に</ins>解消する"
    )
    assert old_cell == f"説明：{OLD_SENTENCE}"
    added = next(line for line in out.splitlines() if NEW_REMARK_TEXT in line and "**" not in line)
    assert added.startswith("| 番号：<ins>28</ins><br>発言文：<ins>" + NEW_REMARK_TEXT) and added.endswith(
        "| （新設） |"
    )
    removed = next(line for line in out.splitlines() if "関係人口を増加させる" in line)
    assert (
        removed.startswith("| （削除） | ") and "<del>市内外の多くの人がつながるまちを目指す</del>" in removed
    )
    assert "goal-town" not in removed  # a removed item is shown by its wording, not by the ids it refers to


def test_markdown_keeps_data_text_as_text(tmp_path: Path):
    evil = "格差 | 解消 <script>alert(1)</script> **強調**"
    old, new = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old.write_text(TEXT, encoding="utf-8")
    new.write_text(TEXT.replace(OLD_SENTENCE, evil, 1), encoding="utf-8")
    out = cli(str(old), str(new), "--format", "md").stdout
    assert "<script>" not in out and "&lt;script&gt;" in out and r"\|" in out and r"\*\*" in out
    html = cli(str(old), str(new), "--format", "html").stdout
    soup = BeautifulSoup(html, "html.parser")
    assert not soup.find("script") and "<script>alert(1)</script>" in soup.get_text()


def test_html_marks_sit_in_their_columns_and_site_labels_are_marked(comparison):
    soup = BeautifulSoup(render_html(comparison), "html.parser")
    for table in soup.select("table"):
        assert [th.get_text() for th in table.select("thead th")] == ["改正後", "改正前"]
        assert all(th["data-origin"] == "site" for th in table.select("thead th"))
    assert soup.select("td.sd-cmp-new ins") and not soup.select("td.sd-cmp-new del")
    assert soup.select("td.sd-cmp-old del") and not soup.select("td.sd-cmp-old ins")
    assert [i.get_text() for i in soup.select("#cmp-life-1 ins")] == ["も外国人", "確実に"]
    removed = soup.select_one("#cmp-town-3")
    assert removed.select_one("td.sd-cmp-new").get_text(strip=True) == "（削除）"
    assert [d.get_text() for d in removed.select("td.sd-cmp-old del")][
        1
    ] == "市内外の多くの人がつながるまちを目指す"
    added = soup.select_one("#cmp-remark-28")
    assert added.select_one("td.sd-cmp-old").get_text(strip=True) == "（新設）"
    assert NEW_REMARK_TEXT in [i.get_text() for i in added.select("td.sd-cmp-new ins")]
    # Every word the site adds (labels, notes, item headings) is inside an element marked as the site's.
    for element in soup.select(".sd-cmp-label, .sd-cmp-note, .sd-cmp-item, .sd-cmp-legend, .sd-cmp-editions"):
        assert element.get("data-origin") == "site", element


@pytest.mark.pdf
def test_pdf_is_a4_landscape_tagged_with_fonts_embedded_and_page_numbers(pair, tmp_path: Path):
    out = tmp_path / "table.pdf"
    result = cli(*map(str, pair), "--format", "pdf", "-o", str(out))
    assert result.returncode == 0, result.stderr
    reader = PdfReader(out)
    for page in reader.pages:
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert (round(width), round(height)) == (842, 595)  # A4 landscape
    root = reader.trailer["/Root"]
    assert root["/MarkInfo"]["/Marked"] and "/StructTreeRoot" in root and root["/Lang"] == "ja"
    fonts = subprocess.run(["pdffonts", str(out)], capture_output=True, text=True, check=True).stdout
    rows = fonts.splitlines()[2:]
    assert rows and all(" yes " in row.split("Identity-H")[-1] for row in rows), fonts
    assert any("BIZ-UDPGothic" in row for row in rows)
    text = subprocess.run(
        ["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True, check=True
    ).stdout
    pages = text.split("\f")[:-1]
    assert all(re.search(rf"\b{n}\s*/\s*{len(pages)}\b", p) for n, p in enumerate(pages, 1))
    # The new wording stands in the left half, the old in the right half of the page.
    bbox = subprocess.run(
        ["pdftotext", "-bbox", str(out), "-"], capture_output=True, text=True, check=True
    ).stdout
    words = re.findall(r'<word xMin="([\d.]+)"[^>]*>([^<]+)</word>', bbox)
    x_of = {word: float(x) for x, word in words}
    left = [float(x) for x, word in words if "外国人" in word]
    assert left and all(x < 842 / 2 for x in left)
    assert any(x > 842 / 2 for x, word in ((float(x), w) for x, w in words) if word.startswith("高齢者"))
    assert "改正後" in x_of and "改正前" in x_of and x_of["改正後"] < x_of["改正前"]


@pytest.mark.pdf
def test_pdf_needs_an_output_file_and_bad_files_fail_in_japanese(pair, tmp_path: Path):
    assert cli(*map(str, pair), "--format", "pdf").returncode == 2
    bad = tmp_path / "bad.yaml"
    bad.write_text(TEXT.replace("marker: tags", "marker: tag", 1), encoding="utf-8")
    result = cli(str(pair[0]), str(bad), "--format", "md")
    assert (
        result.returncode == 1 and "新旧対照表は作れません" in result.stderr and "bad.yaml:" in result.stderr
    )


def test_no_change_says_so(pair):
    result = cli(str(pair[0]), str(pair[0]), "--format", "md")
    assert result.returncode == 0 and "内容の変更はありません。" in result.stdout
    assert render_markdown(build(parse(load_file(pair[0])), parse(load_file(pair[0])))).endswith(
        "内容の変更はありません。"
    )

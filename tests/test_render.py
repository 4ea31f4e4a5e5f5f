"""Render functions alone, without MkDocs: escaping, anchors, links."""

from __future__ import annotations

import pytest

from macros.loader import load_text
from macros.model import Strategy, parse
from macros.pages import Links, all_pages, anchor_pages, relative_url, url_of
from macros.render import cell_text, inline, md_text, render_page, render_template
from macros.words import words
from tests.conftest import DATA

TEXT = DATA.read_text(encoding="utf-8")
EVIL = "<script>alert(1)</script>{{ config.site_name }}{% raw %}"


def test_inline_escapes_and_keeps_source_emphasis():
    assert str(inline("a<b>&**強調**")) == "a&lt;b&gt;&amp;<strong>強調</strong>"
    assert "<script>" not in str(inline(EVIL))
    assert str(inline("**<i>x</i>**")) == "<strong>&lt;i&gt;x&lt;/i&gt;</strong>"


def test_cell_text_breaks_only_between_words_and_keeps_the_text():
    """A table cell's runs (macros/words.py) join to its text, whatever the text; a label breaks only at the
    source's separators, prose between words, a number or Latin word never."""
    from bs4 import BeautifulSoup

    from tests.conftest import iter_texts

    for text in [*iter_texts(parse(load_text(TEXT))), EVIL, "", " ", "a  b", "「」（）", "あ" * 3000]:
        assert "".join(words(text)) == text
        shown = BeautifulSoup(str(cell_text(text)), "html.parser").get_text("")
        assert shown.split() == text.replace("**", "").split()  # the same text, as HTML shows its spaces
    assert "<script>" not in str(cell_text(EVIL))
    assert (
        str(cell_text("a**強調**"))
        == '<span class="sd-word">a</span><wbr><strong><span class="sd-word">強調</span></strong>'
    )
    assert words("市民・企業ヒアリング") == ["市民・", "企業ヒアリング"]
    assert words("2019~2028 いわて県民計画") == ["2019~2028 ", "いわて県民計画"]
    assert words("第1期アクションプランの推進") == ["第1期", "アクションプランの", "推進"]
    assert words("次年度以降にデジ田交付金へ申請する事業企画を立案") == [
        "次年度",
        "以降に",
        "デジ田",
        "交付金へ",
        "申請する",
        "事業",
        "企画を",
        "立案",
    ]


def test_markdown_heading_text_is_literal():
    assert str(md_text("a*b*_c_ [x](y) <b>")) == r"a\*b\*\_c\_ \[x\]\(y\) &lt;b&gt;"


@pytest.mark.parametrize(
    ("here", "there", "anchor", "expected"),
    [
        ("index.md", "revision/remarks.md", "remark-01", "revision/remarks/#remark-01"),
        ("revision/remarks.md", "revision/remarks.md", "remark-01", "#remark-01"),
        ("revision/remarks.md", "guidelines/index.md", "guidelines", "../../guidelines/#guidelines"),
        ("guidelines/index.md", "index.md", "", "../"),
        ("revision/index.md", "revision/remarks.md", "", "remarks/"),
    ],
)
def test_relative_urls(here, there, anchor, expected):
    assert relative_url(here, there, anchor) == expected


def test_url_of():
    assert url_of("index.md") == "" and url_of("a/index.md") == "a/" and url_of("a/b.md") == "a/b/"


def test_every_id_is_anchored_once(strategy: Strategy):
    where = anchor_pages(strategy)
    assert set(where) == set(strategy.ids)
    counts = {}
    for page in all_pages(strategy):
        html = render_page(strategy, page, Links(page.path, where))
        for item_id in strategy.ids:
            n = html.count(f'id="{item_id}"') + html.count(f"{{#{item_id}}}")
            counts[item_id] = counts.get(item_id, 0) + n
    assert {i: n for i, n in counts.items() if n != 1} == {}


def evil_strategy() -> Strategy:
    text = TEXT.replace("title: やさしいデジタル化を目指す", f"title: '{EVIL}'", 1)
    text = text.replace("- 都市部と地方との経済格差の拡大", f"- '{EVIL}'", 1)
    text = text.replace("title: 前回会議でのご指摘事項", f"title: '{EVIL}'", 1)
    return parse(load_text(text))


def test_text_from_data_is_escaped_everywhere():
    strategy = evil_strategy()
    where = anchor_pages(strategy)
    pages = [render_page(strategy, p, Links(p.path, where)) for p in all_pages(strategy)]
    pages.append(render_template("home.html.j2", strategy, Links("index.md", where)))
    joined = "\n".join(pages)
    assert "<script>" not in joined
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in joined
    assert joined.count("{{ config.site_name }}") >= 2  # kept as text in HTML blocks


def test_page_of_remarks_lists_all_remarks(strategy: Strategy):
    where = anchor_pages(strategy)
    page = next(p for p in all_pages(strategy) if p.path == "revision/remarks.md")
    md = render_page(strategy, page, Links(page.path, where))
    assert md.startswith("# \\(1\\) 前回会議でのご指摘事項 {#remarks}")
    for remark in strategy.remarks:
        assert f'<tr id="{remark.id}">' in md

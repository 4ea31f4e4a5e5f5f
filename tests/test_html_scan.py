"""macros/html_scan.py walks a page once; its results must be BeautifulSoup's for the same markup.

The references below are the BeautifulSoup code hooks/citizen.py used before (a tree per page, quadratic in a
page's void elements). They are compared with the one-pass walker on hand-made markup that exercises the tree rules,
and on every page of the built site."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from bs4 import BeautifulSoup, NavigableString, Tag

from macros.html_scan import Walker, feed_plain, first_sentences, label_cells, mark_english, text_nodes
from tests.conftest import site_pages

NO_FURIGANA = {"script", "style", "code", "pre", "kbd", "samp", "svg", "rt", "rp", "textarea", "template"}


# --- the references (BeautifulSoup) --------------------------------------------------------------------------------


def reference_description(content: str) -> str:
    soup = BeautifulSoup(content, "html.parser")
    for element in soup.select('[data-origin="site"], .headerlink, .sd-permalink, script, style, h1'):
        element.decompose()
    texts: list[str] = []
    for selector in ("p", "li, dd, td, th, h2, h3"):
        for element in soup.select(selector):
            text = re.sub(r"\s+", " ", element.get_text(" ", strip=True)).strip()
            if len(text) >= 8 and text not in texts:
                texts.append(text)
            if sum(map(len, texts)) >= 60:
                break
        if sum(map(len, texts)) >= 60:
            break
    text = " ".join(texts)
    if len(text) > 120:
        cut = text.rfind("。", 0, 120)
        text = text[: cut + 1] if cut >= 60 else text[:119] + "…"
    return text


def reference_texts(article: str) -> tuple[str, ...]:
    soup = BeautifulSoup(article, "html.parser")
    texts = []
    for node in soup.find_all(string=True):
        if type(node) is not NavigableString:
            continue
        if any(
            isinstance(p, Tag) and (p.name in NO_FURIGANA or "sd-tools" in p.get("class", []))
            for p in node.parents
        ):
            continue
        texts.append(str(node))
    return tuple(texts)


def reference_labels(chunk: str) -> str | None:
    table = BeautifulSoup(chunk, "html.parser").table
    head = table.find("thead") if table else None
    if head is None or len(head.find_all("tr")) != 1:
        return None
    labels: list[str] = []
    for cell in head.tr.find_all(["th", "td"]):
        labels += [re.sub(r"\s+", " ", cell.get_text(" ", strip=True))] * int(cell.get("colspan", 1))
    taken: dict[int, int] = {}
    for row in table.select("tbody > tr"):
        column = 0
        for cell in row.find_all(["th", "td"], recursive=False):
            while taken.get(column, 0) > 0:
                column += 1
            if column < len(labels) and labels[column]:
                cell["data-label"] = labels[column]
            span = int(cell.get("colspan", 1))
            for c in range(column, column + span):
                taken[c] = int(cell.get("rowspan", 1))
            column += span
        taken = {c: n - 1 for c, n in taken.items() if n > 1}
    table["data-sd-stack"] = ""
    return table.decode(formatter="html5")


_PIECES = re.compile(r"(<[^>]*>)")
_ENGLISH = re.compile(r"^(\s*)([A-Za-z]{5,}(?: [A-Za-z]+)*|[A-Za-z]+(?: [A-Za-z]+)+)(\s*)$")
_NO_LANG = {"script", "style", "code", "pre", "kbd", "samp", "title", "textarea", "svg", "option"}


def reference_english(body: str) -> str:
    parts = _PIECES.split(body)
    skip: list[str] = []
    for i, part in enumerate(parts):
        if i % 2:
            name = re.match(r"</?([a-zA-Z0-9]+)", part)
            if name and name[1].lower() in _NO_LANG and not part.endswith("/>"):
                if part.startswith("</"):
                    if skip and skip[-1] == name[1].lower():
                        skip.pop()
                else:
                    skip.append(name[1].lower())
            continue
        match = _ENGLISH.match(part)
        if match and not skip and "lang=" not in parts[i - 1]:
            parts[i] = f'{match[1]}<span lang="en">{match[2]}</span>{match[3]}'
    return "".join(parts)


def same_tree(a: str) -> str:
    """A table's markup as BeautifulSoup writes it, so that two spellings of the same tree compare equal."""
    return BeautifulSoup(a, "html.parser").decode(formatter="html5")


# --- hand-made markup ----------------------------------------------------------------------------------------------

TEXTS = [
    "<p>一<wbr>二<br>三</br>四<wbr/>五</p>",
    "<div><p>開いたまま<div>中</div></span>閉じない</div>後",
    "<p>&amp; &lt;x&gt; &#12354; &#x3042; &nbsp;| &unknown; &copy &#xZZ;</p>",
    "<ul>\n  <li>一</li>\n\n  <li> 二 </li>\t</ul><pre>  \n  </pre><textarea>   </textarea>",
    "<p>前<!-- 注 -->後<script>var a = '<p>x</p>';</script><style>p{}</style></p>",
    "<p>漢字<ruby>盛岡<rt>もりおか</rt><rp>(</rp></ruby><template><b>t</b></template></p>",
    '<div class="sd-tools x"><p>道具</p></div><code>c</code><p class="a  sd-tools">も</p><p>残る</p>',
    "<!DOCTYPE html><p>a</p><![CDATA[x]]><?pi?><p>b < c</p><p>d<e</p>",
    "<svg><text>図</text></svg><kbd>K</kbd><samp>S</samp>本文",
    "<p>前<![CDATA[中身]]>後ろの段落の文章です。十分に長い文が続きます。さらに続きます、まだまだ続きます。</p>",
    "<p>&notit; &ampx; &#1; &#xFFFE; &#150; &#x110000; &#xD800;の文章が続きます。さらに長くなります。</p>",
]

DESCRIPTIONS = [
    (
        "<h1>題</h1><p>短い</p><p>これは段落の文章です。十分に長い文が続きます。さらに続きます、まだまだ続きます。"
        "もっと続きます。終わり。</p>"
    ),
    (
        '<p data-origin="site">編集注の文章はここに入ります。説明に入れてはいけません。</p><ul><li>項目の一つ目の文章です'
        '<a class="headerlink" href="#x">¶</a></li><li>項目の二つ目の文章です<ul><li>入れ子の項目の文章です</li></ul></li>'
        "</ul><table><tr><th>見出しのセル</th><td>データのセルの文章です。とても長い文章がここに入ります。</td></tr></table>"
    ),
    "<p>同じ文章が二回出てきます。</p><p>同じ文章が二回出てきます。</p><h2>小見出しの文章です</h2><dd>定義の説明の文章</dd>",
    "<p>" + "あ" * 130 + "</p>",
    "<p>" + "い" * 70 + "。" + "う" * 70 + "</p>",
    '<p>前の文<span class="sd-permalink">リンク</span>後の文です。<wbr>続き<br>次の行です。</p><p>二つ目の段落の文章です。</p>',
    "",
    # a paragraph inside a paragraph ends first: the outer one's text (with the inner's) still comes first
    "<div><p>外の段落の文章が始まります。<p>"
    + "内" * 70
    + "</p>外の段落の続きの文章です。</p></div><p>後の段落です。</p>",
    "<p>短</p><p>"
    + "え" * 30
    + "</p><p>"
    + "え" * 30
    + "</p><p>"
    + "お" * 40
    + "</p><li>"
    + "か" * 80
    + "</li>",
]

TABLES = [
    (
        "<table><thead><tr><th>番号</th><th>内容</th></tr></thead><tbody><tr><td>1</td><td>一<wbr>二</td></tr>"
        "<tr><th>2</th><td>三</td><td>余り</td></tr></tbody></table>"
    ),
    (
        '<table class="x"><thead><tr><th colspan="2">分野</th><th>値</th></tr></thead><tbody>'
        '<tr><td rowspan="2">A</td><td>a1</td><td>1</td></tr><tr><td>a2</td><td>2</td></tr>'
        '<tr><td colspan="2">合計</td><td>3</td></tr><tr><td>B</td><td rowspan="3">b</td><td>4</td></tr>'
        "<tr><td>C</td><td>5</td></tr></tbody></table>"
    ),
    "<table><thead><tr><th>一</th></tr><tr><th>二</th></tr></thead><tbody><tr><td>x</td></tr></tbody></table>",
    "<table><tbody><tr><td>見出しなし</td></tr></tbody></table>",
    (
        '<table><thead><tr><th></th><th>列 &amp; "引用"</th></tr></thead><tbody><tr><td>a</td><td/>'
        "<td>b</td></tr><tr><td><table><tbody><tr><td>入れ子</td></tr></tbody></table></td></tr></tbody></table>"
    ),
    "<table><thead><tr><th>\n  複数\n  行の見出し\n</th></tr></thead><tr><td>tbody なし</td></tr></table>",
    "<table><thead><tr><th>見<![CDATA[出]]>し</th></tr></thead><tbody><tr><td>1</td></tr></tbody></table>",
]


def test_labelling_twice_changes_nothing():
    """A table labelled once (by an earlier pass) gets no second copy of its attributes."""
    once = label_cells(TABLES[1])
    assert once is not None and label_cells(once) == once


ENGLISH = [
    "<body><h1>APPENDIX</h1><p>JSON Schema</p><p>CSV</p><p>Open Data の一覧</p><p> Hello World \n</p></body>",
    '<body><code>Python code</code><pre><b>inside pre</b></pre><span lang="ja">Morioka City</span></body>',
    "<body><svg><title>Graphic title</title><text>Chart label</text></svg><p>after svg</p></body>",
    "<body><CODE>Upper case</CODE><codex>not code here</codex><br/><p>a < b <code>x</code> Later text</p></body>",
    "<body><script>if (a < b) { x = '<p>Inside script</p>'; }</script><p>Visible text</p></body>",
    "<body><pre/><p>Self closing pre</p></code><p>stray end tag</p><style>p{}</style><kbd>Keyboard key</kbd></body>",
    '<body><a title="x > y">Link text</a><p>APPENDIX</p>Trailing words</body>',
    '<body><p data-x="<code>">x</p><p>Later English</p></body>',
    '<body><p lang="de" title="a<b">Hello World</p></body>',
]


@pytest.mark.parametrize("body", ENGLISH)
def test_english_marks_are_the_tag_by_tag_ones(body: str):
    assert mark_english(body) == reference_english(body)


@pytest.mark.parametrize("markup", TEXTS)
def test_text_nodes_are_beautifulsoups(markup: str):
    assert text_nodes(markup, skip_names=NO_FURIGANA, skip_class="sd-tools") == reference_texts(markup)


@pytest.mark.parametrize("content", DESCRIPTIONS + TEXTS)
def test_description_is_beautifulsoups(content: str):
    assert first_sentences(content, 60, 120) == reference_description(content)


@pytest.mark.parametrize("table", TABLES)
def test_table_labels_are_beautifulsoups(table: str):
    expected, labelled = reference_labels(table), label_cells(table)
    assert (labelled is None) == (expected is None)
    if labelled is not None:
        assert same_tree(labelled) == same_tree(expected)


def test_labels_change_only_the_start_tags():
    """The rest of the markup is written as it was (not re-serialised): only the attributes are added."""
    table = TABLES[0]
    labelled = label_cells(table)
    assert labelled is not None
    assert re.sub(r' data-(label|sd-stack)="[^"]*"', "", labelled) == table


# --- the plain walk is HTMLParser's walk --------------------------------------------------------------------------

PLAIN = [
    "<p>一<wbr>二<br>三</br>四<wbr/>五<br /></p>",
    "<DIV Class=\"a b\" data-x=1 hidden><P ID='q'>大文字</P ></DIV>",
    '<a href="x?a=1&amp;b=2" title="a > b &lt; c">リンク</a><img alt="" src=y.png>',
    "<p>&amp; &lt;x&gt; &#12354; &#x3042; &nbsp; &copy; &ampx; &#150; &#1114112;</p>",
    '<td\n  class="x"\n  data-label="見出し"\n>セル</td\n><span/>後</b>',
    "<ul>\n  <li>一</li>\n\n  <li> 二 </li>\t</ul><pre>  \n  </pre>",
    "<p>開いたまま<div>中</div></span>閉じない</p>>後",
    *TABLES[:3],
]
NOT_PLAIN = [
    "<p>a < b</p>",
    "<p>a &b c</p>",
    "<p>&a.b;</p>",
    "<p>&copy</p>",
    "<p>前<!-- 注 -->後</p>",
    "<p><script>x</script></p>",
    "<p><TITLE>t</TITLE></p>",
    "<a href=x/>y</a>",
    '<a b="1"c="2">y</a>',
    "<!DOCTYPE html><p>a</p>",
]


def _events(markup: str, plain: bool) -> list[tuple]:
    """The handler calls of a walk (adjacent data joined), with each element's offsets."""
    calls: list[tuple] = []

    class Recorder(Walker):
        positions = True

        def handle_starttag(self, tag, attrs):
            calls.append(("start", tag, attrs))
            super().handle_starttag(tag, attrs)

        def handle_startendtag(self, tag, attrs):
            calls.append(("startend", tag, attrs))
            super().handle_startendtag(tag, attrs)

        def handle_endtag(self, tag):
            calls.append(("end", tag))
            super().handle_endtag(tag)

        def handle_data(self, data):
            if calls and calls[-1][0] == "data":
                calls[-1] = ("data", calls[-1][1] + data)
            else:
                calls.append(("data", data))

        def handle_charref(self, name):
            calls.append(("charref", name))

        def handle_entityref(self, name):
            calls.append(("entityref", name))

        def opened(self, element):
            calls.append(("at", element.start, element.end_of_start))

    walker = Recorder()
    if plain:
        assert walker._walk_plain(markup)
    else:
        walker._lines = [0] + [m.end() for m in re.finditer("\n", markup)]
        walker.feed(markup)
        walker.close()
    return calls


@pytest.mark.parametrize("markup", PLAIN)
def test_plain_walk_calls_the_handlers_as_htmlparser(markup: str):
    """Markup of plain tags and references is walked without HTMLParser, with the same calls and offsets."""
    assert _events(markup, plain=True) == _events(markup, plain=False)


@pytest.mark.parametrize("markup", NOT_PLAIN)
def test_other_markup_is_left_to_htmlparser(markup: str):
    assert not Walker()._walk_plain(markup)


class _Calls(HTMLParser):
    """Records every handler call of an HTMLParser that converts character references (as Material's search
    parser does), each data call on its own: how the text is cut into calls matters to such a parser."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple] = []

    def handle_starttag(self, tag, attrs):
        self.calls.append(("start", tag, attrs))

    def handle_startendtag(self, tag, attrs):
        self.calls.append(("startend", tag, attrs))

    def handle_endtag(self, tag):
        self.calls.append(("end", tag))

    def handle_data(self, data):
        self.calls.append(("data", data))

    def handle_comment(self, data):
        self.calls.append(("comment", data))


CONVERTED = [
    *PLAIN,
    '<h2 id="a">見出し<a class="headerlink" href="#a" title="この見出しへのリンク">#</a></h2>\n<p>本文 &amp; 続き</p>\n',
    "  <p>前後の空白</p>  \n\n<ol>\n<li>\n<p>一</p>\n</li>\n</ol>\n末尾 &lt;",
    "<p>末尾の参照 &amp;",
    "文字だけ &#12354;",
    "",
]


@pytest.mark.parametrize("markup", CONVERTED)
def test_feed_plain_calls_the_handlers_as_htmlparser_with_converted_references(markup: str):
    expected = _Calls()
    expected.feed(markup)
    expected.close()
    fast = _Calls()
    assert feed_plain(fast, markup)
    assert fast.calls == expected.calls


@pytest.mark.parametrize("markup", [*NOT_PLAIN, "<p>a</p class=x>", "<p>a</p/>"])
def test_feed_plain_leaves_other_markup_to_htmlparser(markup: str):
    parser = _Calls()
    assert not feed_plain(parser, markup)
    assert parser.calls == []


# --- every built page -----------------------------------------------------------------------------------------------


@pytest.mark.slow  # BeautifulSoup reads every page four times (about 6 s); the hand-made cases above are quick
def test_every_built_page_reads_as_with_beautifulsoup(site: Path):
    """The built pages already carry the labels and readings' texts; the references and the walker agree on
    them (descriptions and ふりがな texts of each article, labels of each table with its labels taken off)."""
    checked = {"pages": 0, "tables": 0, "labelled": 0}
    for name in site_pages(site):
        output = (site / name / "index.html").read_text(encoding="utf-8")
        start, end = output.find("<article"), output.rfind("</article>")
        if start < 0:
            continue
        article = output[start : end + len("</article>")]
        body = output[output.find("<body") :]
        bare = re.sub(r'<span lang="en">([^<]*)</span>', r"\1", body)
        assert mark_english(bare) == reference_english(bare) == body, name
        assert first_sentences(article, 60, 120) == reference_description(article), name
        assert text_nodes(article, skip_names=NO_FURIGANA, skip_class="sd-tools") == reference_texts(
            article
        ), name
        checked["pages"] += 1
        for table in re.findall(r"<table\b.*?</table>", output, re.DOTALL):
            bare = re.sub(r' data-(label|sd-stack)(="[^"]*")?', "", table)
            expected, labelled = reference_labels(bare), label_cells(bare)
            assert (labelled is None) == (expected is None), name
            checked["tables"] += 1
            if labelled is not None:
                assert same_tree(labelled) == same_tree(expected), name
                if "data-sd-stack" in table:  # the build labels all but wide tables (timelines)
                    assert same_tree(labelled) == same_tree(table), name
                    checked["labelled"] += 1
    assert checked["pages"] >= 15 and checked["labelled"] >= 5 and checked["tables"] > checked["labelled"], (
        checked
    )

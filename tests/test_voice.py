"""The city's voice, read from what is built: every text in a document page is the source's or marked as ours.

The rule (README, "資料の文言と編集注"): inside the content of every document page (and the home page), each text
is either the source's own wording or sits inside an element with `data-origin="site"`, which readers see as a
labelled 編集注. Header, navigation and footer are exempt, and so are the pages about the site itself
(`about/`), which are the site's words throughout. Texts shorter than six characters (numbers, 「案」, 「採用」)
are not judged.

The source is `source/advisory-board-2022-12-01.txt`. Both sides are compared with whitespace removed and the
source's HTML fragments and `**` emphasis marks taken away, nothing else: a word the site adds, or an id shown as
text, fails.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup, NavigableString, Tag

from macros.model import Strategy
from tests.conftest import ROOT, normalise, read_pages

SOURCE = ROOT / "source" / "advisory-board-2022-12-01.txt"
MIN_LENGTH = 6
# Elements whose text a reader sees as one run: judged as a whole, without the blocks nested in them.
BLOCKS = (
    "p",
    "li",
    "td",
    "th",
    "dt",
    "dd",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "caption",
    "figcaption",
    "div",
)
# Parts of the article that are not content: Material's buttons and permalink marks, scripts.
NOT_CONTENT = ".headerlink, .md-content__button, .md-source-file, script, style"


def squeeze(text: str) -> str:
    """Text as compared: no whitespace, no ** emphasis marks, no list markers (the source's bullets vary)."""
    return normalise(text, nfkc=False, drop="▶✓•・")


def source_corpus(path: Path = SOURCE) -> str:
    """The source as one string: HTML tags of its table fragments removed, whitespace removed."""
    raw = path.read_text(encoding="utf-8")
    return squeeze(re.sub(r"<[^>]+>", "", raw))


def site_marked(soup: BeautifulSoup | Tag) -> list[Tag]:
    """Every element that carries the site's own words."""
    return soup.select('[data-origin="site"]')


def runs(article: Tag) -> list[list[str]]:
    """The texts of an article as a reader sees them, block by block, without the site's marked notes: for each
    block, its text nodes (a block may join several of the source's texts, e.g. a title and its description)."""
    for element in site_marked(article):
        element.decompose()
    for element in article.select(NOT_CONTENT):
        element.decompose()
    out = []
    for block in article.find_all(BLOCKS):
        parts = []
        for node in block.descendants:
            if isinstance(node, NavigableString) and not any(
                isinstance(p, Tag) and p.name in BLOCKS for p in _parents_below(node, block)
            ):
                parts.append(str(node))
        if len(squeeze("".join(parts))) >= MIN_LENGTH:
            out.append(parts)
    return out


def _parents_below(node: NavigableString, top: Tag) -> list[Tag]:
    parents = []
    for parent in node.parents:
        if parent is top:
            break
        parents.append(parent)
    return parents


def unsourced(article: Tag, corpus: str) -> list[str]:
    """The texts of an article that are neither in the source nor marked as the site's: a block passes when its
    whole text is in the source, or else when each of its text nodes of six or more characters is."""
    bad = []
    for parts in runs(article):
        if squeeze("".join(parts)) in corpus:
            continue
        bad += [t for p in parts if len(t := squeeze(p)) >= MIN_LENGTH and t not in corpus]
    return bad


def document_pages(site: Path) -> dict[str, BeautifulSoup]:
    """The home page and every document page (not the pages about the site)."""
    return {name: soup for name, soup in read_pages(site).items() if not name.startswith("about/")}


@pytest.fixture(scope="module")
def corpus() -> str:
    return source_corpus()


def test_every_text_on_document_pages_is_the_sources_or_marked(site: Path, corpus: str):
    pages = document_pages(site)
    assert len(pages) >= 14
    found = {}
    for name, soup in pages.items():
        article = soup.select_one("article")
        assert article is not None, name
        if bad := unsourced(article, corpus):
            found[name] = bad
    assert found == {}


def test_the_check_catches_an_added_sentence_and_an_id(site: Path, corpus: str):
    """The rule fails on a sentence the site writes in the document's type, and on an id shown as text."""
    soup = BeautifulSoup(
        (site / "revision" / "remarks" / "index.html").read_text(encoding="utf-8"), "html.parser"
    )
    article = soup.select_one("article")
    row = article.select_one("tr#remark-05 td")
    invented = soup.new_tag("p")
    invented.string = "資料には、この指摘への対応は記載されていません。"
    row.append(invented)
    badge = soup.new_tag("span")
    badge.string = "remark-05"
    row.append(badge)
    marked = soup.new_tag("p", attrs={"data-origin": "site"})
    marked.string = "このサイトが加えた説明の文です。"
    row.append(marked)
    bad = unsourced(article, corpus)
    assert len(bad) == 2 and squeeze(invented.string) in bad[0] + bad[1]
    assert "このサイトが加えた説明の文です。" not in "".join(bad)


def test_site_notes_are_labelled_and_look_different(site: Path):
    """Every marked note that a reader sees as text carries the 編集注 label; the page about the site explains it."""
    notes = 0
    for name, soup in document_pages(site).items():
        for element in site_marked(soup.select_one("article")):
            if element.find_parent(attrs={"data-origin": "site"}) is not None:
                continue  # inside a marked element already
            text = squeeze(element.get_text())
            if len(text) >= MIN_LENGTH and element.name != "a":
                assert element.select_one(".sd-site-label") or "sd-pdf" in element.get("class", []), (
                    name,
                    text,
                )
                assert (
                    element.select_one(".sd-site-label").get_text() == "編集注"
                    if element.select_one(".sd-site-label")
                    else True
                )
                notes += 1
    assert notes >= 14  # the summary's 12 points, the three panels, the structure figure, the charts...
    about = read_pages(site)["about/editorial/index.html"].select_one("article").get_text()
    assert "編集注" in about and "data/publication.yaml" in about
    css = (ROOT / "docs" / "stylesheets" / "strategy.css").read_text(encoding="utf-8")
    assert re.search(r"\.sd-site-note\s*\{[^}]*border:[^}]*dashed", css)


def test_no_statement_about_responses_per_remark(site: Path, strategy: Strategy):
    page = (site / "revision" / "remarks" / "index.html").read_text(encoding="utf-8")
    assert "対応は記載されていません" not in page
    soup = BeautifulSoup(page, "html.parser")
    for remark in strategy.remarks:
        row = soup.select_one(f"tr#{remark.id}")
        assert row is not None
        # Only the site's marked notes, and only when the data has something to say.
        assert not row.select(".sd-trace-addressed") and not remark.addressed_by
        summary = row.select(".sd-trace-summary")
        assert bool(summary) == bool(strategy.points_naming(remark.id))
        assert all(n.get("data-origin") == "site" for n in summary)


def test_the_carbon_neutral_point_relates_remarks_14_and_15(strategy: Strategy):
    assert strategy.get("point-carbon-neutral").remarks == ["remark-14", "remark-15"]
    assert strategy.points_naming("remark-14")


def test_no_id_is_visible_text(site: Path, strategy: Strategy):
    """Ids (remark-04, issue-traffic, …) are never text a reader sees; permalinks name the item by its label."""
    ids = {i for i in strategy.ids if "-" in i}
    for name, soup in read_pages(site).items():
        article = soup.select_one("article")
        for element in article.select(NOT_CONTENT):
            element.decompose()
        words = set(re.findall(r"[a-z0-9]+(?:-[a-z0-9]+)+", article.get_text()))
        assert not words & ids, (name, sorted(words & ids)[:5])
        for link in article.select("a.sd-permalink"):
            assert link.get_text(strip=True) == "", (name, link)
            target = link["href"].removeprefix("#")
            assert target not in link["aria-label"] and target not in link.get("title", ""), (name, link)
            assert link["aria-label"].endswith("へのリンク")
            # data-label is what the phone cards print above a cell (docs/stylesheets/mobile.css): never on a link.
            assert not link.has_attr("data-label"), (name, link)


def test_permalink_names_contain_the_visible_label(site: Path, strategy: Strategy):
    """WCAG 2.5.3: a remark's permalink is named with its visible number, a guideline's with its title."""
    remarks = BeautifulSoup(
        (site / "revision" / "remarks" / "index.html").read_text(encoding="utf-8"), "html.parser"
    )
    link = remarks.select_one('a.sd-permalink[href="#remark-13"]')
    assert link["aria-label"] == "ご指摘事項 13へのリンク"
    guidelines = BeautifulSoup(
        (site / "guidelines" / "viewpoint-guidelines" / "index.html").read_text(encoding="utf-8"),
        "html.parser",
    )
    guideline = strategy.get("life-1")
    link = guidelines.select_one('a.sd-permalink[href="#life-1"]')
    assert guideline.title in link["aria-label"]


def test_no_invented_edition_licence_or_local_address(site: Path):
    """Without publication settings nothing is claimed: no 第N版, no licence, no contact, no 127.0.0.1."""
    for name, soup in read_pages(site).items():
        html = str(soup)
        assert not re.search(r"第\s*\d+(\.\d+)*\s*版", html), name
        addresses = [
            v for t in soup.find_all(True) for k, v in t.attrs.items() if k in ("href", "src", "content")
        ]
        assert not [a for a in addresses if "127.0.0.1" in a or "localhost" in a], name
        assert not soup.select('link[rel="canonical"]'), name
        assert "CC BY" not in html and "クリエイティブ・コモンズ" not in html, name
        footer = soup.select_one(".md-copyright").get_text(" ")
        assert "戦略立案に向けた協議資料" in footer and "2022年12月1日" in footer and "案" in footer, name
        assert "問い合わせ先" not in footer and "発行" not in footer, name


def test_home_keeps_the_sources_headings(site: Path):
    home = read_pages(site)["index.html"]
    for link in home.select(".headerlink"):
        link.decompose()
    headings = [h.get_text(strip=True) for h in home.select("article h2")]
    assert "戦略コンセプト案" in headings and "戦略目標案" in headings
    assert "戦略コンセプト" not in headings and not any("3つの戦略目標" in h for h in headings)

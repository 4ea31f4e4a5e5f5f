"""Beyond the document: permalinks, remarks ↔ strategy traceability, the structure diagram, the edition.

Expected values come from the model's own fields (not from the helpers the templates use), read back from a
real build with BeautifulSoup; the copy-link button and the small-screen and dark layouts run in Chromium.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup, Tag

from macros.model import Strategy
from macros.pages import Links, all_pages, anchor_pages, url_of
from macros.render import render_page
from tests.conftest import DATA, normalise, read_pages

REMARKS_PAGE = "revision/remarks/index.html"
STRUCTURE_PAGE = "guidelines/viewpoint-guidelines/index.html"
NOT_STATED = "対応は記載されていません"


@pytest.fixture(scope="module")
def soups(site: Path) -> dict[str, BeautifulSoup]:
    return read_pages(site)


def kinds(strategy: Strategy) -> dict[str, list[str]]:
    """The ids of the six kinds of item a reader cites, straight from the model's fields."""
    fw = strategy.framework
    return {
        "goal": [g.id for g in fw.goals],
        "viewpoint": [v.id for v in fw.viewpoints],
        "guideline": [g.id for g in fw.guidelines],
        "solution": [s.id for v in fw.viewpoints for s in v.solutions],
        "issue": [i.id for v in fw.viewpoints for c in v.categories for i in c.issues],
        "remark": [r.id for r in strategy.remarks],
    }


def fragments(tag: Tag, selector: str = "a[href]") -> list[str]:
    """The fragments (#id) of the links inside a tag, in order."""
    return [a["href"].partition("#")[2] for a in tag.select(selector)]


def text(tag: Tag) -> str:
    return normalise(tag.get_text(), nfkc=False, emphasis=False)


def plain(value: str) -> str:
    return normalise(value, nfkc=False)


# --- permalinks ---------------------------------------------------------------------------------------------


def test_every_item_of_six_kinds_has_a_permalink_on_its_anchor(strategy: Strategy, soups):
    badges: dict[str, list[tuple[str, Tag]]] = {}
    for name, soup in soups.items():
        for a in soup.select("article a.sd-permalink"):
            badges.setdefault(a["href"].removeprefix("#"), []).append((name, a))
    for kind, ids in kinds(strategy).items():
        assert ids, kind
        for item_id in ids:
            found = badges.get(item_id, [])
            assert len(found) == 1, (kind, item_id, len(found))
            name, badge = found[0]
            assert badge["href"] == f"#{item_id}", (kind, item_id)
            assert soups[name].find(id=item_id) is not None, (kind, item_id)
            assert badge.get("aria-label"), (kind, item_id)


def test_each_id_is_one_anchor_across_the_site(strategy: Strategy, soups):
    where: dict[str, list[str]] = {}
    for name, soup in soups.items():
        for element in soup.select("[id]"):
            where.setdefault(element["id"], []).append(name)
    expected = anchor_pages(strategy)
    for item_id in (i for ids in kinds(strategy).values() for i in ids):
        assert where.get(item_id) == [url_of(expected[item_id]) + "index.html"], item_id


def test_anchor_ids_do_not_depend_on_page_paths(strategy: Strategy):
    """Render every page as if all pages were renamed: the same anchors, equal to the model's ids."""

    def anchors(rename: bool) -> list[list[str]]:
        where = anchor_pages(strategy)
        if rename:
            where = {i: f"renamed/{path.replace('/', '-')}" for i, path in where.items()}
        out = []
        for page in all_pages(strategy):
            here = where.get(page.section.id, page.path)
            html = BeautifulSoup(render_page(strategy, page, Links(here, where)), "html.parser")
            out.append([e["id"] for e in html.select("[id]")])
        return out

    original, renamed = anchors(False), anchors(True)
    assert original == renamed
    every = {i for ids in original for i in ids}
    assert {i for ids in kinds(strategy).values() for i in ids} <= every


# --- remarks ↔ strategy ------------------------------------------------------------------------------------


def summary_themes(strategy: Strategy) -> list:
    from macros.model import RemarkSummaryBlock

    return [t for b in strategy.blocks(RemarkSummaryBlock) for t in b.themes]


def test_summary_points_relate_remarks_only_as_marked_site_notes(strategy: Strategy, soups):
    """The relation summary point → remarks is the site's reading: shown inside a labelled 編集注, never bare."""
    soup = soups[REMARKS_PAGE]
    for point in (p for t in summary_themes(strategy) for p in t.points):
        item = soup.find(id=point.id)
        assert item is not None, point.id
        refs = item.select(".sd-refs")
        assert bool(refs) == bool(point.remarks), point.id
        for ref in refs:
            assert (
                ref.get("data-origin") == "site" and ref.select_one(".sd-site-label").get_text() == "編集注"
            )
            assert fragments(ref) == point.remarks, point.id
    assert soup.select_one(".sd-remark-groups") is None


def test_each_remark_row_links_back_to_its_summary_points(strategy: Strategy, soups):
    soup = soups[REMARKS_PAGE]
    points = [p for t in summary_themes(strategy) for p in t.points]
    assert len(soup.select(".sd-remarks tbody tr")) == len(strategy.remarks)
    for remark in strategy.remarks:
        row = soup.find("tr", id=remark.id)
        expected = [p.id for p in points if remark.id in p.remarks]
        assert [f for s in row.select(".sd-trace-summary") for f in fragments(s)] == expected, remark.id


def test_remarks_without_a_stated_response_say_nothing_about_it(strategy: Strategy, soups):
    soup = soups[REMARKS_PAGE]
    silent = [r for r in strategy.remarks if not r.addressed_by and not r.response]
    assert silent, "the source states no response for most remarks"
    for remark in silent:
        row = soup.find("tr", id=remark.id)
        assert NOT_STATED not in row.get_text() and not row.select(".sd-trace-addressed"), remark.id


def test_addressed_by_links_both_ways():
    """The two pages rendered from data whose remark names a guideline (the renderers alone: what is tested
    is the links, not the build)."""
    from macros.loader import load_text
    from macros.model import parse

    source = DATA.read_text(encoding="utf-8")
    marker = "id: remark-02\n"
    start = source.index(marker)
    page_line = source.index("page: ", start)
    indent = source[source.rindex("\n", 0, page_line) + 1 : page_line]
    end = source.index("\n", page_line) + 1
    strategy = parse(load_text(source[:end] + f"{indent}addressed_by: [life-1]\n" + source[end:]))
    where = anchor_pages(strategy)
    soups = {
        f"{page.path.removesuffix('.md').removesuffix('index').rstrip('/')}/index.html": BeautifulSoup(
            render_page(strategy, page, Links(page.path, where)), "html.parser"
        )
        for page in all_pages(strategy)
    }

    row = soups[REMARKS_PAGE].find("tr", id="remark-02")
    addressed = row.select_one(".sd-trace-addressed")
    assert addressed is not None and addressed.get("data-origin") == "site"
    link = addressed.select_one("a")
    assert link["href"] == "../../guidelines/viewpoint-guidelines/#life-1"
    assert "やさしいデジタル化を目指す" in link.get_text()
    guidelines = soups[STRUCTURE_PAGE]
    trace = guidelines.find(id="life-1").select_one(".sd-trace")
    assert trace is not None and trace.get("data-origin") == "site"
    assert [a["href"] for a in trace.select("a")] == ["../../revision/remarks/#remark-02"]
    others = [g for g in guidelines.select(".sd-guidelines > li") if g.get("id") != "life-1"]
    assert others and not any(g.select(".sd-trace") for g in others)


def test_guidelines_list_no_remarks_when_none_name_them(strategy: Strategy, soups):
    addressed = {i for r in strategy.remarks for i in r.addressed_by}
    for guideline in strategy.framework.guidelines:
        item = next(s.find(id=guideline.id) for s in soups.values() if s.find(id=guideline.id))
        assert bool(item.select(".sd-trace")) == (guideline.id in addressed), guideline.id


# --- structure diagram ---------------------------------------------------------------------------------------


def test_structure_diagram_equals_the_model(strategy: Strategy, soups):
    figure = soups[STRUCTURE_PAGE].select_one(".sd-structure")
    concept = strategy.adopted_concept
    root = figure.select_one(".sd-structure-concept")
    assert fragments(root) == [concept.id] and plain(concept.motto) in text(root)
    goals = figure.select("ol.sd-structure-goals > li")
    assert len(goals) == len(strategy.framework.goals)
    for goal, li in zip(strategy.framework.goals, goals, strict=True):
        viewpoint = next(v for v in strategy.framework.viewpoints if v.goal == goal.id)
        guidelines = [g for g in strategy.framework.guidelines if g.viewpoint == viewpoint.id]
        assert fragments(li.select_one(".sd-structure-goal")) == [goal.id]
        assert plain(goal.title) in text(li.select_one(".sd-structure-goal"))
        assert fragments(li.select_one(".sd-structure-viewpoint")) == [viewpoint.id]
        assert fragments(li.select_one(".sd-structure-guidelines")) == [g.id for g in guidelines]
        assert [text(a) for a in li.select(".sd-structure-guidelines a")] == [
            plain(g.title) for g in guidelines
        ]
        assert fragments(li.select_one(".sd-structure-solutions")) == [s.id for s in viewpoint.solutions]
        assert [text(a) for a in li.select(".sd-structure-solutions a")] == [
            plain(s.text) for s in viewpoint.solutions
        ]
        for group in li.select("ol, ul"):
            label = li.find(id=group["aria-labelledby"])
            assert label is not None and label.get_text(strip=True) in ("行動指針案", "解決方法案")


# --- edition --------------------------------------------------------------------------------------------------


def test_the_sources_edition_in_every_footer_and_on_the_cover(strategy: Strategy, soups):
    from macros import pdf_cover
    from macros.publication import Publication

    cover = pdf_cover(strategy, Publication(), "")
    assert (cover["date"], cover["status"], cover["url"], cover["licence"]) == ("2022年12月1日", "案", "", "")
    for name, soup in soups.items():
        footer = soup.select_one("footer .md-copyright")
        edition = footer.select_one(".sd-edition")
        assert edition is not None, name
        words = edition.get_text()
        assert strategy.meta.meeting in words and strategy.meta.document in words and "2022年12月1日" in words
        assert not re.search(r"第\s*\d", words.replace(strategy.meta.meeting, "")), name
        link = edition.select_one("a")
        target = posixpath.normpath(posixpath.join(posixpath.dirname(name), link["href"]))
        assert target == "about/revisions", (name, target)


# --- in the browser --------------------------------------------------------------------------------------------


@pytest.mark.browser
def test_copy_link_button_copies_the_full_url(browser, base_url: str):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url.rstrip("/"))
    page = context.new_page()
    page.goto(base_url + "revision/remarks/")
    badges = page.locator("article a.sd-permalink").count()
    assert badges > 27 and page.locator("article a.sd-permalink + button.sd-copy").count() == badges
    button = page.locator('a.sd-permalink[href="#remark-13"] + button.sd-copy')
    assert button.get_attribute("aria-label") == "リンクをコピー（ご指摘事項 13）"
    # Shown on hover and focus only, like Material's heading permalinks.
    permalink = page.locator('a.sd-permalink[href="#remark-13"]')
    assert permalink.evaluate("a => getComputedStyle(a).opacity") == "0"
    page.locator("tr#remark-13 th").hover()
    assert permalink.evaluate("a => getComputedStyle(a).opacity") == "1"
    button.focus()
    page.keyboard.press("Enter")
    page.wait_for_function("document.getElementById('sd-copy-status')?.textContent === 'コピーしました'")
    assert page.evaluate("navigator.clipboard.readText()") == f"{base_url}revision/remarks/#remark-13"
    assert page.get_attribute("#sd-copy-status", "aria-live") == "polite"
    page.emulate_media(media="print")
    assert not button.is_visible() and not permalink.is_visible()
    context.close()


_CONTRAST = """
() => {
  const rgb = c => (c.match(/[\\d.]+/g) || []).map(Number)
  const lum = ([r, g, b]) => [r, g, b].map(v => v / 255)
    .map(v => v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4)
    .reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0)
  const background = el => {
    for (; el; el = el.parentElement) {
      const c = rgb(getComputedStyle(el).backgroundColor)
      if (c.length === 3 || c[3] > 0) return c.slice(0, 3)
    }
    return [255, 255, 255]
  }
  let worst = 21
  for (const el of document.querySelectorAll(".sd-structure *")) {
    if (![...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim())) continue
    const [a, b] = [lum(rgb(getComputedStyle(el).color)), lum(background(el))]
    worst = Math.min(worst, (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05))
  }
  return worst
}
"""


@pytest.mark.browser
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_structure_fits_a_small_screen_and_is_legible(browser, base_url: str, scheme: str):
    context = browser.new_context(viewport={"width": 375, "height": 800}, color_scheme=scheme)
    page = context.new_page()
    page.goto(base_url + "guidelines/viewpoint-guidelines/")
    expected = "slate" if scheme == "dark" else "default"
    assert page.get_attribute("body", "data-md-color-scheme") == expected
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    box = page.locator(".sd-structure").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 375
    assert page.evaluate(_CONTRAST) >= 4.5
    context.close()

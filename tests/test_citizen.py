"""What a citizen expects of a city's website, read from the built site and in a real Chromium.

hooks/citizen.py, docs/overrides/ and docs/javascripts/citizen.js add: a description per page from its own text,
公開日 and 更新日 from the git history (said to be the site's records), share tags with a 1200×630 image per page,
robots.txt (its sitemap line only with an address), breadcrumbs, a Japanese 404 page with a search, our own logo
and favicon, lang="en" on English fragments, a print button and ふりがな (readings from SudachiPy and
data/furigana.yaml, shown as <ruby> only when the reader turns them on). docs/stylesheets/mobile.css turns tables
into cards on phones. Browser checks run at 1280 and 375 px, in the light and the dark scheme.
"""

from __future__ import annotations

import datetime
import itertools
import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from playwright.sync_api import Browser, Page

from macros.furigana import Reader, hiragana, load_overrides
from macros.loader import DataError
from tests.conftest import ROOT, build_site, copy_project, normalise, read_pages, site_pages

WIDTHS = (1280, 375)
SCHEMES = ("light", "dark")
JST = datetime.timezone(datetime.timedelta(hours=9))
EPOCH = 1700000000  # 2023-11-15 in Japan
SETTINGS = """\
publisher: 盛岡市
site_url: https://example.github.io/strategy/
contact:
  name: 盛岡市 テスト部 テスト課
  url: https://www.example.jp/contact/
source_page: https://www.example.jp/strategy/
"""


@pytest.fixture(scope="module")
def pages(site: Path) -> dict[str, BeautifulSoup]:
    return read_pages(site)


@pytest.fixture(scope="module")
def addressed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the project (no git history) with an address and a contact, built at SOURCE_DATE_EPOCH."""
    project = copy_project(tmp_path_factory.mktemp("addressed") / "project")
    (project / "data" / "publication.yaml").write_text(SETTINGS, encoding="utf-8")
    old = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(EPOCH)
    try:
        return build_site(project, project.parent / "site")
    finally:
        if old is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = old


def article_text(soup: BeautifulSoup) -> str:
    return normalise(
        soup.select_one("article").get_text(" ", strip=True), spaces=" ", nfkc=False, emphasis=False
    )


def squeeze(text: str) -> str:
    return normalise(text, nfkc=False, emphasis=False)


# --- description, share tags and image, robots.txt ---------------------------------------------------------------


def test_each_page_has_a_description_from_its_own_text(pages: dict[str, BeautifulSoup]):
    seen = {}
    for name, soup in pages.items():
        description = soup.select_one('meta[name="description"]')["content"]
        assert 20 <= len(description) <= 120, (name, description)
        # every piece of it is the page's own text (a cut at 120 characters ends with …)
        for piece in description.removesuffix("…").split(" "):
            assert squeeze(piece) in squeeze(article_text(soup)), (name, piece)
        assert soup.select_one('meta[property="og:description"]')["content"] == description
        seen.setdefault(description, []).append(name)
    assert all(len(names) == 1 for names in seen.values()), [n for n in seen.values() if len(n) > 1]


def test_share_tags_and_a_share_image_per_page(site: Path, pages: dict[str, BeautifulSoup]):
    from PIL import Image

    images = set()
    for name, soup in pages.items():
        title = soup.select_one('meta[property="og:title"]')["content"]
        assert title and title in soup.title.get_text(), name
        assert soup.select_one('meta[property="og:locale"]')["content"] == "ja_JP"
        assert soup.select_one('meta[name="twitter:title"]')["content"] == title
        # no address: no absolute URL can be given, so no og:url, no og:image and the small card
        assert soup.select_one('meta[property="og:image"]') is None
        assert soup.select_one('meta[property="og:url"]') is None
        assert soup.select_one('meta[name="twitter:card"]')["content"] == "summary"
        slug = name.removesuffix("index.html").strip("/").replace("/", "-") or "index"
        path = site / "assets" / "social" / f"{slug}.png"
        image = Image.open(path)
        assert image.format == "PNG" and image.size == (1200, 630), name
        # the title is drawn: dark text in the middle band, and each page's image is its own
        middle = image.convert("L").crop((60, 100, 1140, 500))
        assert middle.getextrema()[0] < 60, name
        images.add(path.read_bytes())
    assert len(images) == len(pages)


def test_share_image_title_is_in_biz_udpgothic():
    from hooks.citizen import _font, font_path

    assert Path(font_path()).name.startswith("BIZUDPGothic-")
    assert _font(40).getname()[0] == "BIZ UDPGothic"


def test_share_image_is_reproducible():
    from hooks.citizen import share_image

    one = share_image("（1）前回会議でのご指摘事項", "盛岡市デジタル化によるまちづくり推進戦略", False)
    assert one == share_image(
        "（1）前回会議でのご指摘事項", "盛岡市デジタル化によるまちづくり推進戦略", False
    )
    assert one != share_image("（2）別の題", "盛岡市デジタル化によるまちづくり推進戦略", False)


def test_share_images_are_kept_by_their_texts_and_code(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A build reads back the images of unchanged titles (drawing one takes ~25 ms); another title, or other code,
    draws anew; what is read back is what would be drawn."""
    from hooks import citizen

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    site = "盛岡市デジタル化によるまちづくり推進戦略"
    code = citizen.image_code()
    drawn = citizen.stored_image("（1）前回会議でのご指摘事項", site, False, code)
    assert drawn == citizen.share_image("（1）前回会議でのご指摘事項", site, False)
    assert len(list((tmp_path / "morioka-strategy" / "share").glob("*.png"))) == 1

    calls: list[str] = []
    monkeypatch.setattr(citizen, "share_image", lambda title, *a: calls.append(title) or b"drawn")
    assert citizen.stored_image("（1）前回会議でのご指摘事項", site, False, code) == drawn
    assert calls == []
    assert citizen.stored_image("（2）別の題", site, False, code) == b"drawn"
    assert citizen.stored_image("（1）前回会議でのご指摘事項", site, True, code) == b"drawn"
    assert citizen.stored_image("（1）前回会議でのご指摘事項", site, False, b"other code") == b"drawn"
    assert calls == ["（2）別の題"] + ["（1）前回会議でのご指摘事項"] * 2


def test_with_an_address_tags_robots_and_sitemap_use_it(addressed: Path):
    base = "https://example.github.io/strategy/"
    pages = read_pages(addressed)
    for name, soup in pages.items():
        image = soup.select_one('meta[property="og:image"]')["content"]
        assert image.startswith(base + "assets/social/") and (addressed / image.removeprefix(base)).exists()
        assert soup.select_one('meta[property="og:url"]')["content"] == base + name.removesuffix("index.html")
        assert soup.select_one('meta[name="twitter:card"]')["content"] == "summary_large_image"
        assert soup.select_one('meta[name="twitter:image"]')["content"] == image
        assert soup.select_one('meta[property="og:image:width"]')["content"] == "1200"
        # the footer keeps the contact and the city's page
        footer = soup.select_one("footer .md-copyright")
        assert "盛岡市 テスト部 テスト課" in footer.select_one(".sd-contact").get_text(), name
        assert footer.select_one(".sd-source-page a")["href"] == "https://www.example.jp/strategy/"
    robots = (addressed / "robots.txt").read_text(encoding="utf-8")
    assert f"Sitemap: {base}sitemap.xml" in robots.splitlines()
    sitemap = (addressed / "sitemap.xml").read_text(encoding="utf-8")
    assert f"<loc>{base}iwate/</loc>" in sitemap


def test_robots_without_an_address_names_no_sitemap(site: Path):
    robots = (site / "robots.txt").read_text(encoding="utf-8").splitlines()
    assert robots[0] == "User-agent: *" and not any(line.startswith("Sitemap") for line in robots)


# --- dates ---------------------------------------------------------------------------------------------------------


def _git_days(path: str) -> list[str]:
    out = subprocess.run(
        ["git", "log", "--format=%ct", "--no-renames", "--", path],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return sorted(datetime.datetime.fromtimestamp(int(t), JST).date().isoformat() for t in out)


def _shallow() -> bool:
    out = subprocess.run(
        ["git", "rev-parse", "--is-shallow-repository"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    return out.stdout.strip() != "false"


def test_dates_come_from_the_history_and_say_what_they_are(pages: dict[str, BeautifulSoup]):
    if _shallow():  # a shallow checkout (CI sets fetch-depth: 0): no date is read from a cut history
        assert not any("公開日" in soup.get_text() for soup in pages.values())
        return
    data_last = _git_days("data/strategy.yaml")[-1]
    for name, soup in pages.items():
        src = "docs/" + ("index.md" if name == "index.html" else name.removesuffix("/index.html") + ".md")
        if not (ROOT / src).exists():
            src = "docs/" + name.removesuffix("index.html") + "index.md"
        if not (ROOT / src).exists():
            src = "data/strategy.yaml"  # a document page, made from the data (no file of its own)
        days = _git_days(src)
        box = soup.select_one(".sd-page-dates")
        assert box is not None and "md-source-file" in box["class"], (
            name
        )  # the page's frame, not the document
        published, updated = (t["datetime"] for t in box.select("time"))
        assert published == days[0], (name, src)
        assert updated == max(days[-1], data_last), name
        assert "公開日" in box.get_text() and "更新日" in box.get_text()
        assert "市が公表した日付ではありません" in box.get_text()


def test_a_shallow_clone_gives_no_dates_from_history(tmp_path: Path):
    """CI's default checkout is shallow: its oldest commit is not a page's first, so no 公開日 is read from it."""
    from hooks.citizen import git_dates

    shallow = tmp_path / "shallow"
    subprocess.run(
        ["git", "clone", "--quiet", "--depth", "1", "--no-checkout", ROOT.as_uri(), str(shallow)],
        check=True,
        capture_output=True,
    )
    assert git_dates(shallow) is None


def test_without_history_only_the_build_date_is_given(addressed: Path):
    for name, soup in read_pages(addressed).items():
        times = soup.select(".sd-page-dates time")
        assert [t["datetime"] for t in times] == ["2023-11-15"], name
        assert "公開日" not in soup.select_one(".sd-page-dates").get_text()


# --- breadcrumbs, 404, logo, lang ------------------------------------------------------------------------------


def test_breadcrumbs_on_every_page_but_home(pages: dict[str, BeautifulSoup]):
    for name, soup in pages.items():
        crumbs = soup.select_one('nav[aria-label="パンくずリスト"]')
        if name == "index.html":
            assert crumbs is None
            continue
        items = crumbs.select("li")
        assert items[0].get_text(strip=True) == "ホーム" and items[0].a is not None, name
        current = items[-1].select_one('[aria-current="page"]')
        assert current is not None and current.get_text(strip=True) in soup.title.get_text(), name
    nested = pages["revision/remarks/index.html"].select('nav[aria-label="パンくずリスト"] li')
    assert len(nested) == 3 and nested[1].a["href"] == "../"


def test_404_page_is_japanese_with_search_and_ways_home(site: Path):
    soup = BeautifulSoup((site / "404.html").read_text(encoding="utf-8"), "html.parser")
    assert soup.html["lang"] == "ja"
    assert soup.select_one("article h1").get_text() == "ページが見つかりません"
    assert "Not found" not in soup.get_text()
    form = soup.select_one('article form[role="search"]')
    assert form.select_one('input[name="q"]') is not None and form.select_one("label").get_text()
    links = [a.get_text(strip=True) for a in soup.select("article ul a")]
    assert links[0].startswith("ホーム") and len(links) >= 7


def test_logo_and_favicon_are_our_own(site: Path, pages: dict[str, BeautifulSoup]):
    for name, soup in pages.items():
        assert soup.select_one('link[rel="icon"]')["href"].endswith("assets/favicon.svg"), name
        assert soup.select_one(".md-logo img")["src"].endswith("assets/logo.svg"), name
    for file in ("favicon.svg", "logo.svg"):
        svg = (site / "assets" / file).read_text(encoding="utf-8")
        assert svg == (ROOT / "docs" / "assets" / file).read_text(encoding="utf-8")
    assert not any(soup.select('link[href$="assets/images/favicon.png"]') for soup in pages.values())


def test_english_fragments_are_marked_english(pages: dict[str, BeautifulSoup]):
    soup = pages["appendix/index.html"]
    h1 = soup.select_one("article h1")
    h1.select_one(".headerlink").decompose()
    assert h1.get_text(strip=True) == "APPENDIX"  # the source's own word, unchanged
    assert h1.select_one('span[lang="en"]').get_text() == "APPENDIX"
    for name, soup in pages.items():
        for node in soup.find_all(string=re.compile(r"^\s*APPENDIX\s*$")):
            if node.parent.name != "title":
                assert node.find_parent(attrs={"lang": "en"}) is not None, name
        assert soup.select_one('.md-copyright [lang="en"]').get_text(" ", strip=True).startswith("Made with")
    # code and acronyms are left alone
    data = pages["about/open-data/index.html"]
    assert not data.select('code [lang="en"]') and not data.find("span", lang="en", string="CSV")


# --- markup fixes, table labels ------------------------------------------------------------------------------------


def test_theme_markup_is_valid_and_named(site: Path, pages: dict[str, BeautifulSoup]):
    for name, soup in pages.items():
        for box in soup.select('input[type="checkbox"]'):
            assert not box.has_attr("autocomplete"), name
        assert not soup.select("input[autocorrect]"), name
        assert soup.select_one('.md-search[role="dialog"]')["aria-label"] == "検索"
        assert not soup.select('link[type="application/pdf"]')
        assert not [th for th in soup.select('th[scope="row"]') if not th.get_text(strip=True)], name
        # HTML allows aria-label on <p> only with a role that can be named (the Nu checker: an error)
        assert not [
            p for p in soup.select("p[aria-label]") if p.get("role") in (None, "paragraph", "generic")
        ], name


def test_pdf_alternate_link_is_dropped():
    from hooks.citizen import MARKUP_FIXES

    html = (
        '<head><link href="../pdf/strategy.pdf" rel="alternate" title="PDF" type="application/pdf"/></head>'
    )
    for pattern, replacement in MARKUP_FIXES:
        html = pattern.sub(replacement, html)
    assert html == "<head></head>"


def test_table_cells_carry_their_column_headings(pages: dict[str, BeautifulSoup]):
    remarks = pages["revision/remarks/index.html"].select_one(".sd-remarks table")
    assert remarks.has_attr("data-sd-stack")
    headings = [th.get_text(" ", strip=True) for th in remarks.select("thead th")]
    for row in remarks.select("tbody tr"):
        assert [c["data-label"] for c in row.find_all(["th", "td"], recursive=False)] == headings
    # rows under a cell that spans rows keep their columns
    workshop = pages["citizens/workshop/index.html"].select_one(".sd-table table")
    heads = [th.get_text(" ", strip=True) for th in workshop.select("thead th")]
    for row in workshop.select("tbody tr"):
        cells = row.find_all(["th", "td"], recursive=False)
        spanned = [h for h in heads if h != "グループ"]  # the group cell spans four rows
        assert [c["data-label"] for c in cells] == (heads if len(cells) == len(heads) else spanned)
    # grids keep their grid
    assert not pages["iwate/index.html"].select("table[data-sd-stack]")


# --- ふりがな --------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def reader() -> Reader:
    return Reader(load_overrides(ROOT / "data" / "furigana.yaml"))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "盛岡市デジタル化によるまちづくり推進戦略",
            "盛岡市(もりおかし)デジタル化(か)によるまちづくり推進(すいしん)戦略(せんりゃく)",
        ),
        ("岩手県の取り組み", "岩手県(いわてけん)の取(と)り組(く)み"),
        ("内丸の市役所", "内丸(うちまる)の市役所(しやくしょ)"),
        ("市民サービスの向上", "市民(しみん)サービスの向上(こうじょう)"),
        ("行政手続きのオンライン化", "行政(ぎょうせい)手続(てつづ)きのオンライン化(か)"),
        ("令和4年度", "令和(れいわ)4年度(ねんど)"),
        ("ICT and DX", "ICT and DX"),
    ],
)
def test_known_readings(reader: Reader, text: str, expected: str):
    assert reader.ruby(text) == expected


def test_overrides_come_first_and_are_checked(tmp_path: Path):
    assert Reader({"内丸": "ないまる"}).ruby("内丸") == "内丸(ないまる)"
    assert hiragana("モリオカ") == "もりおか"
    path = tmp_path / "furigana.yaml"
    path.write_text("盛岡: もりおか\nabc: えーびーしー\n内丸: uchimaru\n", encoding="utf-8")
    with pytest.raises(DataError) as caught:
        load_overrides(path)
    message = str(caught.value)
    assert f"{path}:2:6:" in message and "漢字がありません" in message
    assert f"{path}:3:5:" in message and "ひらがなかカタカナ" in message


def test_every_page_has_its_readings_file(site: Path, pages: dict[str, BeautifulSoup]):
    for name, soup in pages.items():
        path = site / name.removesuffix("index.html") / "furigana.json"
        readings = json.loads(path.read_text(encoding="utf-8"))
        article = soup.select_one("article").get_text()
        assert readings, name
        for text, segments in itertools.islice(readings.items(), 50):
            assert text in article, (name, text)
            for offset, length, reading in segments:
                assert re.fullmatch(r"[\u3041-\u309f\u30fc]+", reading), (name, text, reading)
                assert re.search(r"[\u4e00-\u9fff\u3005]", text[offset : offset + length])
    # the pages themselves hold no readings (they are the site's, added in the browser on request)
    assert not any(soup.select("rt, ruby") for soup in pages.values())


# --- in the browser ------------------------------------------------------------------------------------------------


def _page(browser: Browser, width: int, scheme: str) -> Page:
    ctx = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme)  # type: ignore[arg-type]
    page = ctx.new_page()
    page.add_init_script(
        """window.__shifts = 0; window.__printed = 0;
           new PerformanceObserver(l => { for (const e of l.getEntries()) if (!e.hadRecentInput) window.__shifts += e.value })
             .observe({type: "layout-shift", buffered: true});"""
    )
    return page


def _in_scheme(page: Page, scheme: str) -> None:
    """The page is really drawn in the emulated scheme (Material's palette follows prefers-color-scheme)."""
    assert (
        page.evaluate("document.body.dataset.mdColorScheme") == {"light": "default", "dark": "slate"}[scheme]
    )


def _rubies(page: Page) -> dict[str, str]:
    return page.evaluate(
        """() => Object.fromEntries([...document.querySelectorAll("article ruby")].map(r =>
             [r.firstChild.textContent, r.querySelector('rt[data-origin="site"]').textContent]))"""
    )


@pytest.mark.parametrize(("width", "scheme"), list(itertools.product(WIDTHS, SCHEMES)))
def test_furigana_toggle_print_and_search_highlight(browser: Browser, base_url: str, width: int, scheme: str):
    page = _page(browser, width, scheme)
    page.goto(base_url + "iwate/")
    _in_scheme(page, scheme)
    button = page.locator('[data-sd-tool="furigana"]')
    assert button.get_attribute("aria-pressed") == "false"
    assert page.locator("article rt").count() == 0  # off by default
    button.click()
    page.wait_for_function("document.querySelectorAll('article rt').length > 50")
    assert button.get_attribute("aria-pressed") == "true"
    rubies = _rubies(page)
    assert rubies["岩手県"] == "いわてけん" and rubies["推進"] == "すいしん", rubies
    assert page.locator("article rt").first.is_visible()
    # remembered: a reload shows the readings at once, and nothing moves
    page.reload()
    page.wait_for_function("document.querySelectorAll('article rt').length > 50")
    page.wait_for_timeout(300)
    assert page.evaluate("window.__shifts") < 0.01
    assert page.locator("article").is_visible()
    # print keeps the reader's choice and leaves the tools out
    page.emulate_media(media="print")
    assert page.locator("article rt").first.is_visible()
    assert not page.locator(".sd-tools").is_visible()
    page.emulate_media(media="screen")
    # search highlighting still works over the readings
    page.goto(base_url + "iwate/?h=推進")
    page.wait_for_function("document.querySelectorAll('article mark').length > 0", timeout=20000)
    assert page.locator("article rt").count() > 50
    # off again: no readings are visible, the text reads as the source's
    page.locator('[data-sd-tool="furigana"]').click()
    assert not page.locator("article rt").first.is_visible()
    assert "いわてけん" not in page.locator("article").inner_text()
    page.reload()
    assert page.locator('[data-sd-tool="furigana"]').get_attribute("aria-pressed") == "false"
    # the print button prints
    page.evaluate("() => { window.print = () => { window.__printed += 1 } }")
    page.locator('[data-sd-tool="print"]').click()
    assert page.evaluate("window.__printed") == 1
    page.context.close()


STACK_JS = r"""(phone) => {
  const out = {narrow: [], broken: [], hints: [], stacked: 0, gridRows: 0};
  for (const el of document.querySelectorAll("article .sd-table td, article .sd-table th")) {
    if (el.closest("thead") && el.closest("table[data-sd-stack]")) continue;
    const text = el.innerText.trim(); if (!text || !el.getClientRects().length) continue;
    const cs = getComputedStyle(el); const fs = parseFloat(cs.fontSize);
    const width = el.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
    const stacked = !!el.closest("table[data-sd-stack]");
    const chars = stacked ? 13 : 7;  // characters (full-width) a text column holds at least on phones
    // the text's own width on one line (a short name needs no more than that)
    const probe = document.createElement("div");
    probe.style.cssText = "position:absolute;visibility:hidden;white-space:nowrap;display:inline-block;width:max-content";
    probe.innerHTML = el.innerHTML;
    el.append(probe);
    const natural = probe.getBoundingClientRect().width;
    probe.remove();
    if (phone && width + 1 < Math.min(chars * fs * 0.95, natural)) out.narrow.push([text.slice(0, 20), Math.round(width)]);
    if (stacked && cs.display === "block") out.stacked++;
  }
  for (const el of document.querySelectorAll(".sd-open-data-files th a, td[data-bytes]")) {
    const range = document.createRange(); range.selectNodeContents(el);
    const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top))).size;
    if (lines > 2) out.broken.push([el.innerText, lines]);  // a name or a size on one or two lines, never a letter per line
  }
  for (const box of document.querySelectorAll("article .sd-table")) {
    if (box.scrollWidth > box.clientWidth + 1) out.hints.push(getComputedStyle(box, "::before").content);
  }
  out.width = document.documentElement.scrollWidth;
  return out;
}"""


@pytest.mark.parametrize(("width", "scheme"), list(itertools.product(WIDTHS, SCHEMES)))
def test_tables_read_on_phones_and_desktops(
    browser: Browser, site: Path, base_url: str, width: int, scheme: str
):
    page = _page(browser, width, scheme)
    stacked = 0
    for path in site_pages(site):
        page.goto(base_url + path)
        _in_scheme(page, scheme)
        facts = page.evaluate(STACK_JS, width < 600)
        assert facts["width"] <= width, (path, facts["width"])  # the page never scrolls sideways
        assert facts["narrow"] == [], (path, facts["narrow"][:5])
        assert facts["broken"] == [], (path, facts["broken"])
        if width < 600:  # on phones, every table that scrolls says so, and only the grids scroll
            assert all("スクロール" in hint for hint in facts["hints"]), (path, facts["hints"])
            assert not facts["hints"] or path in ("iwate/", "appendix/"), (path, facts["hints"])
        stacked += facts["stacked"]
    assert (stacked > 100) == (width < 600), stacked
    page.context.close()


@pytest.mark.parametrize(("width", "scheme"), list(itertools.product(WIDTHS, SCHEMES)))
def test_breadcrumbs_and_tools_fit(browser: Browser, base_url: str, width: int, scheme: str):
    page = _page(browser, width, scheme)
    page.goto(base_url + "revision/remarks/")
    _in_scheme(page, scheme)
    crumbs = page.locator('nav[aria-label="パンくずリスト"]')
    assert crumbs.is_visible()
    home = crumbs.locator("li").first
    assert home.bounding_box()["height"] < 40  # 「ホーム」 on one line, never a letter per line
    for tool in ("furigana", "print"):
        box = page.locator(f'[data-sd-tool="{tool}"]').bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width and box["height"] >= 24
    page.context.close()


@pytest.mark.parametrize(("width", "scheme"), list(itertools.product(WIDTHS, SCHEMES)))
def test_404_search_opens_the_sites_search(browser: Browser, base_url: str, width: int, scheme: str):
    page = _page(browser, width, scheme)
    page.goto(base_url + "404.html")
    _in_scheme(page, scheme)
    assert page.locator("h1").inner_text() == "ページが見つかりません"
    page.fill("#sd-404-q", "デジタル格差")
    page.locator("form.sd-404-search button").click()
    page.wait_for_url(re.compile(r"\?q="))
    query = page.locator(".md-search__input")
    page.wait_for_function("document.querySelector('.md-search__input').value === 'デジタル格差'")
    assert query.is_visible()
    page.wait_for_selector(".md-search-result__item", timeout=20000)  # the search answers
    page.context.close()


@pytest.mark.parametrize(("width", "scheme"), list(itertools.product(WIDTHS, SCHEMES)))
def test_search_index_is_fetched_when_the_reader_asks(
    browser: Browser, base_url: str, width: int, scheme: str
):
    """Reading a page fetches no search index (a phone does no search work); opening the search fetches it once,
    and the search then answers; a page opened from a search result (?h=) fetches it at once to highlight."""
    page = _page(browser, width, scheme)
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "search_index" in r.url else None)
    page.goto(base_url + "about/editorial/")
    _in_scheme(page, scheme)
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(300)
    assert asked == []
    if width < 600:
        page.locator('label[for="__search"]').first.click()
    else:
        page.locator(".md-search__input").click()
    page.keyboard.type("デジタル格差")
    page.keyboard.press("End")  # Material starts a search of typed Japanese on the next key press
    page.wait_for_selector(".md-search-result__item", timeout=20000)
    assert len(asked) == 1
    page.goto(base_url + "citizens/workshop/?h=除雪")
    page.wait_for_function("document.querySelectorAll('article mark').length > 0", timeout=20000)
    page.context.close()


def test_what_the_build_imports_is_a_direct_dependency():
    """Every third-party module that hooks/ and macros/ import (Pillow for the share images, bs4, SudachiPy, …) is
    named in requirements.in, not only pulled in by another package."""
    import ast
    import importlib.metadata
    import sys

    listed = {
        re.split(r"[<>=!~\[; ]", line.strip(), maxsplit=1)[0].lower().replace("_", "-")
        for line in (ROOT / "requirements.in").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    }
    owners = importlib.metadata.packages_distributions()
    missing = set()
    for path in [*(ROOT / "hooks").glob("*.py"), *(ROOT / "macros").glob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module]
                if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module
                else []
            )
            for name in names:
                top = name.split(".")[0]
                if top in sys.stdlib_module_names or top in ("hooks", "macros") or top not in owners:
                    continue
                dists = {d.lower().replace("_", "-") for d in owners[top]}
                if not dists & listed:
                    missing.add((path.name, top, *sorted(dists)))
    assert not missing, sorted(missing)


@pytest.mark.parametrize(("width", "scheme"), list(itertools.product(WIDTHS, SCHEMES)))
def test_contact_and_city_page_are_in_view_on_every_page(
    browser: Browser, addressed: Path, width: int, scheme: str
):
    """With publication settings, every page's footer shows 問い合わせ先 and the city's page, on screen and inside
    the page's width."""
    from tests.conftest import serve

    page = _page(browser, width, scheme)
    with serve(addressed) as url:
        for path in site_pages(addressed):
            page.goto(url + path)
            _in_scheme(page, scheme)
            for selector, href in (
                (".sd-contact a", "https://www.example.jp/contact/"),
                (".sd-source-page a", "https://www.example.jp/strategy/"),
            ):
                link = page.locator(f"footer {selector}")
                link.scroll_into_view_if_needed()
                assert link.is_visible() and link.get_attribute("href") == href, (path, selector)
                box = link.bounding_box()
                assert box["x"] >= 0 and box["x"] + box["width"] <= width, (path, selector, box)
            assert "盛岡市 テスト部 テスト課" in page.locator("footer .sd-contact").inner_text()
    page.context.close()

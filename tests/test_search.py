"""Japanese search in a real Chromium, through Material's own search box.

Builds the MkDocs project named by ``SEARCH_TEST_PROJECT`` (default: the
directory above ``tests/``) once per session, serves it on 127.0.0.1, types
queries into the search box and checks the rendered result list:

- fixed compound queries and many queries extracted from the index text itself
  must list a section that contains them among the first three result links,
  with the query highlighted by ``<mark>``;
- words that occur nowhere must give no result;
- no request leaves the site, and the home page stays within its weight budget.

Run against the stock configuration to see it fail:
``SEARCH_TEST_PROJECT=baseline pytest tests/test_search.py``.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import random
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Response
from playwright.sync_api import Error as PlaywrightError

from tests.conftest import normalise, serve

pytestmark = pytest.mark.browser

PROJECT = Path(os.environ.get("SEARCH_TEST_PROJECT", Path(__file__).resolve().parents[1])).resolve()
HOME_BUDGET = 200_000  # bytes, gzip-compressed, search index excluded
FIXED_QUERIES = [
    "格差",
    "デジタル格差",
    "デジタル化",
    "除雪",
    "若者の流出",
    "IT人材",
    "子育て",
    "マイナンバー",
    "公共交通",
    "カーボンニュートラル",
    "ワーケーション",
]
NONSENSE = ["ぴよぷにゅ", "量子猫型ロボット", "ドーナツ盛岡", "xyzzyq"]
JA = "\u3005\u3040-\u309f\u30a0-\u30ff\u4e00-\u9fff"
PER_CATEGORY = int(os.environ.get("SEARCH_TEST_PER_CATEGORY", "25"))  # per category


@dataclass(frozen=True)
class Section:
    """One entry of the search index, as plain text."""

    location: str
    text: str  # title + text, tags stripped, lower-cased, U+200B removed


@dataclass
class Site:
    """A built and served site."""

    url: str
    root: Path
    sections: list[Section]

    def holders(self, query: str) -> set[str]:
        """Locations of the sections whose text contains ``query``."""
        q = query.lower()
        return {s.location for s in self.sections if q in s.text}


def _plain(value: str) -> str:
    """Strip tags, entities and U+200B from an index field."""
    return normalise(value, tags=True, spaces=" ", nfkc=False, emphasis=False).lower()


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """Build the project once and serve it on 127.0.0.1 from a thread."""
    out = tmp_path_factory.mktemp("site")
    subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(PROJECT / "mkdocs.yml"), "-d", str(out)],
        check=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    index = json.loads((out / "search" / "search_index.json").read_text("utf-8"))
    sections = [
        Section(d["location"], _plain(d.get("title", "") + " " + d.get("text", ""))) for d in index["docs"]
    ]
    with serve(out) as url:
        yield Site(url, out, sections)


@pytest.fixture(scope="session")
def outside() -> list[str]:
    """URLs of requests that tried to leave the site (collected, then aborted)."""
    return []


@pytest.fixture(scope="module")
def page(browser: Browser, site: Site, outside: list[str]) -> Iterator[Page]:
    """The home page, opened once; every query is typed into its search box."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    origin = site.url.rstrip("/")

    def guard(route, request) -> None:  # type: ignore[no-untyped-def]
        if request.url.startswith(origin) or request.url.startswith("data:"):
            route.continue_()
        else:
            outside.append(request.url)
            route.abort()

    ctx.route("**/*", guard)
    pg = ctx.new_page()
    pg.goto(site.url)
    pg.wait_for_load_state("networkidle")
    yield pg
    ctx.close()


def _translations(page: Page) -> dict[str, str]:
    return page.evaluate("JSON.parse(document.getElementById('__config').textContent).translations")


@dataclass
class Result:
    """Result list as rendered: link locations in order, highlighting."""

    locations: list[str]
    groups: list[int]  # per link: index of its result item (one per page)
    visible: list[bool]  # per link: shown, not folded into "n more on this page"
    covered: list[bool]  # per link: is the whole query inside <mark>s there?
    marks: list[list[str]]  # per link: texts of its <mark>s

    def highlighted(self, i: int, query: str) -> bool:
        """Link ``i`` marks the query: whole, or only words sharing its text.

        Material shows at most two text blocks per result, so the block where
        the compound's words are adjacent is not always in the snippet.
        """
        q = query.lower()
        return self.covered[i] or (bool(self.marks[i]) and all(set(m) & set(q) for m in self.marks[i]))


_READ_RESULTS = """
([query, origin]) => {
  const norm = s => s.replace(/\\u200b/g, "").toLowerCase()
  const q = norm(query).replace(/\\s+/g, "")
  const out = []
  const items = [...document.querySelectorAll(".md-search-result__item")]
  for (const a of document.querySelectorAll(
      ".md-search-result__list a.md-search-result__link")) {
    const group = items.indexOf(a.closest(".md-search-result__item"))
    const visible = !a.closest("details")
    /* characters of the item with a flag: inside <mark>? */
    const chars = []
    const walk = (node, marked) => {
      for (const child of node.childNodes) {
        if (child.nodeType === Node.TEXT_NODE) {
          for (const c of norm(child.textContent))
            if (!/\\s/.test(c)) chars.push([c, marked])
        } else {
          walk(child, marked || child.nodeName === "MARK")
        }
      }
    }
    walk(a, false)
    const text = chars.map(([c]) => c).join("")
    let covered = false
    for (let i = text.indexOf(q); i >= 0 && !covered; i = text.indexOf(q, i + 1)) {
      covered = true
      for (let j = 0; j < q.length; j++) {
        const [c, m] = chars[i + j]
        const particle = /^[\\u3040-\\u309f]$/.test(c) && j > 0 && j < q.length - 1
        if (!m && !particle) { covered = false; break }
      }
    }
    const marks = [...a.querySelectorAll("mark")].map(m => norm(m.textContent))
    // search.highlight adds ?h=<query> to result links; compare the page and anchor only.
    const url = new URL(a.href)
    out.push([url.pathname.slice(1) + url.hash, covered, marks, group, visible])
  }
  return out
}
"""


def search(page: Page, site: Site, query: str) -> Result:
    """Type ``query`` into Material's search box and read the result list."""
    t = _translations(page)
    box = page.locator("input.md-search__input")
    box.fill("")
    page.keyboard.press("End")
    page.wait_for_function(
        "t => document.querySelector('.md-search-result__meta').textContent.trim() === t",
        arg=t["search.result.placeholder"],
    )
    box.fill(query)
    page.keyboard.press("End")
    page.wait_for_function(
        "t => document.querySelector('.md-search-result__meta').textContent.trim() !== t",
        arg=t["search.result.placeholder"],
        timeout=10_000,
    )
    page.wait_for_timeout(30)
    rows = page.evaluate(_READ_RESULTS, [query, site.url])
    return Result(
        [r[0] for r in rows],
        [r[3] for r in rows],
        [r[4] for r in rows],
        [r[1] for r in rows],
        [r[2] for r in rows],
    )


def check(page: Page, site: Site, query: str, level: str = "section") -> str | None:
    """Return None if ``query`` is found and highlighted, else a reason.

    Material renders one result per page: the page link and its best sections
    visible, its other sections folded into "n more on this page".
    ``level="section"``: a section holding the query is a visible link of one
    of the first three results. ``level="page"``: one of the first three
    results is a page holding the query (in any of its sections).
    Highlighted: one of the links holding the query marks it with ``<mark>``.
    """
    holders = site.holders(query)
    assert holders, f"test data error: {query!r} is not in the text"
    res = search(page, site, query)
    if level == "section":
        top = [i for i, g in enumerate(res.groups) if g < 3 and res.visible[i]]
    else:
        pages = {h.split("#")[0] for h in holders}
        groups = {g for i, g in enumerate(res.groups) if g < 3 and res.locations[i].split("#")[0] in pages}
        top = [i for i, g in enumerate(res.groups) if g in groups]
    hits = [i for i in top if res.locations[i] in holders]
    if not hits:
        shown = [res.locations[i] for i, g in enumerate(res.groups) if g < 3]
        return f"{query}: top3={shown} expected one of {sorted(holders)[:4]}"
    if not any(res.highlighted(i, query) for i in hits):
        return f"{query}: found in {res.locations[hits[0]]} but not highlighted"
    return None


def extracted_queries(site: Site) -> dict[str, list[str]]:
    """Queries taken from the text by simple patterns (not by the segmenter)."""
    text = "\n".join(s.text for s in site.sections)
    patterns = {
        "katakana": r"[ァ-ヴー]{3,}",
        "kanji": r"[一-龥々]{2,8}",
        "katakana+kanji": r"[ァ-ヴー]{2,}[一-龥々]{1,4}",
        "ascii+kanji": r"[a-z]{2,}[一-龥々]{1,4}",
        "X-no-Y": r"[一-龥々]{2,4}の[一-龥々]{2,4}",
    }
    rnd = random.Random(20221201)
    out: dict[str, list[str]] = {}
    for name, pattern in patterns.items():
        found = sorted(set(re.findall(pattern, text)))
        out[name] = rnd.sample(found, min(PER_CATEGORY, len(found)))
    runs = [r for r in re.findall(f"[{JA}]{{6,}}", text)]
    subs: set[str] = set()
    while len(subs) < PER_CATEGORY:
        run = rnd.choice(runs)
        n = rnd.randint(2, 5)
        i = rnd.randrange(0, len(run) - n + 1)
        # A run of hiragana alone (としていま) is grammar, not a word a reader looks for; the segmenter splits
        # such runs differently in different contexts (see search-ja.js), so they are not asked for.
        if not re.fullmatch(r"[ぁ-ゖー]+", run[i : i + n]):
            subs.add(run[i : i + n])
    out["random substring"] = sorted(subs)
    return out


@pytest.mark.parametrize("query", FIXED_QUERIES)
def test_fixed_query(page: Page, site: Site, query: str) -> None:
    """Each listed compound finds its section in the top three, highlighted."""
    reason = check(page, site, query)
    assert reason is None, reason


def test_extracted_queries(page: Page, site: Site) -> None:
    """Every word extracted from the text finds a page holding it (top three).

    The stricter section-level hit rate is printed for the record.
    """
    failures: dict[str, list[str]] = {}
    strict_misses = total = 0
    for name, queries in extracted_queries(site).items():
        for q in queries:
            total += 1
            if (reason := check(page, site, q, level="page")) is not None:
                failures.setdefault(name, []).append(reason)
            elif check(page, site, q, level="section") is not None:
                strict_misses += 1
    report = {k: f"{len(v)} failed" for k, v in failures.items()}
    print(
        f"extracted queries: {total}, page-level failures: {report}, "
        f"section-level misses: {strict_misses + sum(map(len, failures.values()))}"
    )
    assert not failures, json.dumps(failures, ensure_ascii=False, indent=1)


@pytest.mark.parametrize("query", NONSENSE)
def test_nowhere_gives_nothing(page: Page, site: Site, query: str) -> None:
    """A word that occurs nowhere gives an empty result list."""
    assert not site.holders(query)
    res = search(page, site, query)
    assert res.locations == []
    meta = page.locator(".md-search-result__meta").text_content() or ""
    assert meta.strip() == _translations(page)["search.result.none"]


def test_no_request_leaves_site(page: Page, site: Site, outside: list[str]) -> None:
    """Nothing was requested from another host while loading and searching."""
    search(page, site, "デジタル格差")
    assert outside == []


def test_home_page_weight(browser: Browser, site: Site) -> None:
    """Home page first load (gzip) stays within budget, search index excluded."""
    ctx = browser.new_context()
    pg = ctx.new_page()
    sizes: dict[str, int] = {}

    def record(response: Response) -> None:
        with contextlib.suppress(PlaywrightError):  # redirects and aborted requests have no body
            sizes[response.url] = len(gzip.compress(response.body(), 6))

    pg.on("response", record)
    pg.goto(site.url)
    pg.wait_for_load_state("networkidle")
    ctx.close()
    index = sum(v for k, v in sizes.items() if "search_index" in k)
    rest = sum(v for k, v in sizes.items() if "search_index" not in k)
    print(f"home page: {rest} B gzip (+ search index {index} B gzip)")
    assert rest <= HOME_BUDGET

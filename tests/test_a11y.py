"""Accessibility in a real Chromium: axe-core on every page, keyboard, structure, requests and page weight.

The site is built once (conftest's `site`, or the project named by ``A11Y_TEST_PROJECT``), served on
127.0.0.1 and every page of its sitemap is opened at 1280 and 375 px, in the light and the dark scheme, and
checked by axe-core against the WCAG 2.0/2.1 A and AA rules. One browser; one page per width and scheme.
Run against a copy with Material's default palette to see it fail:
``A11Y_TEST_PROJECT=/tmp/baseline pytest tests/test_a11y.py``.
"""

from __future__ import annotations

import contextlib
import gzip
import itertools
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from axe_playwright_python.base import AXE_SCRIPT  # the axe-core that the package bundles
from playwright.sync_api import Browser, Page, Request, Response
from playwright.sync_api import Error as PlaywrightError

from tests.conftest import build_site, serve, site_pages

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
WIDTHS = (1280, 375)
SCHEMES = {"light": "default", "dark": "slate"}  # emulated prefers-color-scheme -> Material's scheme
HOME_BUDGET = 200_000  # bytes, gzip level 6, everything the first load of the home page fetches
# Rules believed to be false positives: (rule id, selector as axe reports it) -> the reason. None so far.
ALLOWED: dict[tuple[str, str], str] = {}
KEYBOARD_PAGES = ("", "iwate/")  # the home page, and a page with wide tables


@dataclass(frozen=True)
class Violation:
    """One node that fails one axe rule, where and how."""

    where: str  # "light 1280 /iwate/"
    rule: str
    selector: str
    message: str


@dataclass
class Scan:
    """Everything learned by opening each page once per width and scheme."""

    axe_version: str = ""
    runs: int = 0
    violations: list[Violation] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    scheme_errors: list[str] = field(default_factory=list)
    facts: dict[str, dict] = field(default_factory=dict)  # page -> structure facts (light, 1280)


@pytest.fixture(scope="module")
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built site: the real one, or that of ``A11Y_TEST_PROJECT``."""
    project = os.environ.get("A11Y_TEST_PROJECT")
    if project:
        return build_site(Path(project), tmp_path_factory.mktemp("a11y") / "site")
    return request.getfixturevalue("site")


@pytest.fixture(scope="module")
def base_url(built: Path) -> Iterator[str]:
    """Serve the built site on 127.0.0.1 from a thread."""
    with serve(built) as url:
        yield url


@pytest.fixture(scope="module")
def pages(built: Path) -> list[str]:
    """Every page of the site, as a path below the site root ("" is the home page)."""
    return site_pages(built)


# Transitions and animations off, so that what is measured (colours, rings) is the final state at once.
_NO_TRANSITIONS = """document.addEventListener("DOMContentLoaded", () => document.head.insertAdjacentHTML("beforeend",
  "<style>*, ::before, ::after { transition: none !important; animation: none !important }</style>"))"""


def open_page(browser: Browser, base_url: str, width: int, scheme: str, requests: list[str]) -> Page:
    """A page in a fresh context that records every request and aborts any that leaves the server."""
    ctx = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme)  # type: ignore[arg-type]

    def guard(route, request: Request) -> None:  # type: ignore[no-untyped-def]
        (
            route.continue_
            if request.url.startswith(base_url) or request.url.startswith("data:")
            else route.abort
        )()

    ctx.route("**/*", guard)
    ctx.add_init_script(_NO_TRANSITIONS)
    page = ctx.new_page()
    page.on("request", lambda r: requests.append(r.url))
    return page


AXE_OPTIONS = {"runOnly": {"type": "tag", "values": TAGS}, "resultTypes": ["violations"]}


def start_axe(page: Page) -> None:
    """Start axe-core (put in every page by `open_page`) on the page as it is now, without waiting."""
    page.evaluate("options => { window.sdAxe = axe.run(options) }", AXE_OPTIONS)


def axe_result(page: Page, where: str) -> tuple[str, list[Violation]]:
    """Wait for the run started by `start_axe`: axe-core's version and the violations."""
    result = page.evaluate("() => window.sdAxe")
    found = [
        Violation(
            where,
            v["id"],
            " ".join(map(str, n["target"])),
            (n["any"] + n["all"] + n["none"] or [{}])[0].get("message", ""),
        )
        for v in result["violations"]
        for n in v["nodes"]
    ]
    return result["testEngine"]["version"], found


def run_axe(page: Page, where: str) -> tuple[str, list[Violation]]:
    """Run axe-core on the page and wait for it."""
    start_axe(page)
    return axe_result(page, where)


_FACTS = """() => {
  const article = document.querySelector("article")
  const style = e => getComputedStyle(e)
  return {
    lang: document.documentElement.lang,
    headings: [...article.querySelectorAll("h1, h2, h3, h4, h5, h6")].map(h => +h.tagName[1]),
    tables: [...document.querySelectorAll("table")].map(t => ({
      th: t.querySelectorAll("th").length,
      unscoped: [...t.querySelectorAll("th")].filter(
        th => !["col", "row", "colgroup", "rowgroup"].includes(th.getAttribute("scope"))).length,
    })),
    colourOnlyLinks: [...article.querySelectorAll("a[href]:not(.headerlink, .sd-permalink)")].filter(a =>
      !style(a).textDecorationLine.includes("underline") && style(a).borderBottomStyle === "none"
      && style(a).borderTopStyle === "none").map(a => a.outerHTML.slice(0, 100)),
  }
}"""


def search_results(page: Page) -> None:
    """Open Material's search and type a query, so that the result list is on screen."""
    page.keyboard.press("s")
    box = page.locator("input.md-search__input")
    box.fill("デジタル格差")
    page.keyboard.press("End")
    page.wait_for_selector(".md-search-result__item")


@pytest.fixture(scope="module")
def scan(browser: Browser, base_url: str, pages: list[str]) -> Scan:
    """Open every page at each width and scheme and run axe; also the open search and the open drawer.

    One page per width and scheme, each in its own renderer: axe runs on the four at once.
    """
    out = Scan()
    configs = [(name, scheme, width) for name, scheme in SCHEMES.items() for width in WIDTHS]
    tabs = [open_page(browser, base_url, width, name, out.requests) for name, _, width in configs]
    for tab in tabs:
        tab.context.add_init_script(AXE_SCRIPT)
    for path in pages:
        for tab, (name, scheme, width) in zip(tabs, configs, strict=True):
            tab.goto(base_url + path, wait_until="load")
            if tab.evaluate("document.body.dataset.mdColorScheme") != scheme:
                out.scheme_errors.append(f"{name} {width} /{path}")
            start_axe(tab)
        for tab, (name, _, width) in zip(tabs, configs, strict=True):
            out.axe_version, found = axe_result(tab, f"{name} {width} /{path}")
            out.violations += found
            out.runs += 1
            if (name, width) == ("light", 1280):
                out.facts[path] = tab.evaluate(_FACTS)
    for tab, (name, _, width) in zip(tabs, configs, strict=True):
        tab.goto(base_url, wait_until="load")
        if width < 1000:
            tab.click("label.md-header__button[for=__drawer]")
            assert tab.evaluate("document.getElementById('__drawer').checked"), "the drawer did not open"
            out.violations += run_axe(tab, f"{name} {width} drawer")[1]
            tab.reload(wait_until="load")
        search_results(tab)
        out.violations += run_axe(tab, f"{name} {width} search")[1]
        out.runs += 2 if width < 1000 else 1
        tab.context.close()
    return out


def test_axe_finds_no_violation(scan: Scan, pages: list[str]) -> None:
    """Zero WCAG 2.0/2.1 A/AA violations on every page, both widths, both schemes; allow-list entries still used."""
    print(
        f"axe-core {scan.axe_version}: {scan.runs} runs over {len(pages)} pages, {len(scan.violations)} violations"
    )
    assert scan.runs == len(pages) * len(WIDTHS) * len(SCHEMES) + 6
    assert scan.scheme_errors == []
    left = [v for v in scan.violations if (v.rule, v.selector) not in ALLOWED]
    assert not left, "\n".join(f"{v.where}: {v.rule} {v.selector}: {v.message}" for v in left)
    used = {(v.rule, v.selector) for v in scan.violations}
    assert set(ALLOWED) <= used, f"allow-list entries no longer needed: {set(ALLOWED) - used}"


def test_no_request_leaves_the_server(scan: Scan) -> None:
    """Every request of every page load (and search) went to the local server."""
    assert scan.requests
    assert [u for u in scan.requests if not u.startswith("http://127.0.0.1:")] == []


def test_every_page_is_japanese(scan: Scan, pages: list[str]) -> None:
    """`lang="ja"` on every page."""
    assert {p: f["lang"] for p, f in scan.facts.items() if f["lang"] != "ja"} == {}
    assert set(scan.facts) == set(pages)


def test_headings_do_not_skip_levels(scan: Scan) -> None:
    """Inside the article: one h1 first, and each heading at most one level below the one before."""
    bad = {}
    for path, facts in scan.facts.items():
        levels = facts["headings"]
        skips = [(a, b) for a, b in itertools.pairwise(levels) if b > a + 1]
        if levels[:1] != [1] or levels.count(1) != 1 or skips:
            bad[path] = levels
    assert bad == {}


def test_tables_have_scoped_header_cells(scan: Scan) -> None:
    """Every table has header cells, each with a scope."""
    bad = {p: t for p, f in scan.facts.items() for t in f["tables"] if t["th"] == 0 or t["unscoped"]}
    assert sum(len(f["tables"]) for f in scan.facts.values()) > 0
    assert bad == {}


def test_links_in_text_are_not_told_by_colour_alone(scan: Scan) -> None:
    """Every text link in the article is underlined or bordered (permalink icons, like headings' #, have no text)."""
    assert {p: f["colourOnlyLinks"] for p, f in scan.facts.items() if f["colourOnlyLinks"]} == {}


_CONTROLS = """() => {
  const all = [...document.querySelectorAll(
    "a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]:not([tabindex='-1'])")]
  const shown = e => !e.disabled && e.tabIndex >= 0 && !e.closest("[hidden]")
    && e.checkVisibility({visibilityProperty: true}) && (e.matches(".md-option") || e.getClientRects().length > 0)
    && (e.type !== "radio" || e === radioStop(e.name))
  // a radio group is one stop: its checked radio, or its first one
  const radioStop = name => document.querySelector(`input[name="${name}"]:checked`)
    || document.querySelector(`input[name="${name}"]`)
  return all.filter(shown).map((e, i) => { e.dataset.kb = i; return describe(e) })
}"""

# Helpers installed in the page: the element's ring (for Material's hidden palette radios: the shown label's),
# and the colour behind it, composed from the backgrounds of the element found just outside the ring.
_HELPERS = """
window.ringOf = e => e.matches(".md-option") ? e.parentElement.querySelector("label:not([hidden])") : e
window.rgba = s => (s.match(/[\\d.]+/g) || [0, 0, 0, 0]).map(Number).concat([1]).slice(0, 4)
window.behind = e => {
  const r = e.getBoundingClientRect(), gap = 8, s = getComputedStyle(e)
  const inset = parseFloat(s.outlineOffset) + parseFloat(s.outlineWidth) <= 0
  const points = [[r.left - gap, r.top + r.height / 2], [r.right + gap, r.top + r.height / 2],
                  [r.left + r.width / 2, r.top - gap], [r.left + r.width / 2, r.bottom + gap]]
  const [x, y] = points.find(([x, y]) => x >= 0 && y >= 0 && x < innerWidth && y < innerHeight) || [0, 0]
  let node = inset ? e : document.elementsFromPoint(x, y).find(n => n !== e && !e.contains(n))
  const layers = []
  for (; node; node = node.parentElement) {
    const c = rgba(getComputedStyle(node).backgroundColor)
    if (c[3] > 0) layers.push(c)
    if (c[3] >= 1) break
  }
  return layers.reverse().reduce((under, c) => under.map((u, i) => i < 3 ? c[i] * c[3] + u * (1 - c[3]) : 1),
                                 [255, 255, 255, 1])
}
window.describe = e => {
  const ring = ringOf(e), s = getComputedStyle(ring)
  return {kb: e.dataset.kb, tag: e.outerHTML.slice(0, 90), style: s.outlineStyle,
          width: parseFloat(s.outlineWidth), colour: rgba(s.outlineColor), behind: behind(ring),
          shown: ring.checkVisibility({opacityProperty: true, visibilityProperty: true})}
}
"""


# The focused control, once what its focus sets off (the search opening) has been drawn.
_FOCUSED = """async () => {
  await new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))
  const e = document.activeElement
  return e.dataset.kb ? describe(e) : null
}"""


def contrast(a: list[float], b: list[float]) -> float:
    """WCAG contrast ratio of two sRGB colours (0-255)."""

    def lum(c: list[float]) -> float:
        ch = [x / 255 for x in c[:3]]
        ch = [x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4 for x in ch]
        return 0.2126 * ch[0] + 0.7152 * ch[1] + 0.0722 * ch[2]

    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.fixture(scope="module", params=list(SCHEMES))
def keyboard(request: pytest.FixtureRequest, browser: Browser, base_url: str) -> Iterator[Page]:
    """A 1280 px page in each scheme, with the helpers installed on every load."""
    page = open_page(browser, base_url, 1280, request.param, [])
    page.context.add_init_script(_HELPERS)
    yield page
    page.context.close()


@pytest.mark.parametrize("path", KEYBOARD_PAGES)
def test_skip_link_moves_focus_to_the_content(keyboard: Page, base_url: str, path: str) -> None:
    """The first Tab shows the skip link; Enter on it, then Tab, lands inside the content."""
    keyboard.goto(base_url + path, wait_until="load")
    keyboard.keyboard.press("Tab")
    assert keyboard.evaluate("document.activeElement.matches('a.md-skip')")
    keyboard.wait_for_function("getComputedStyle(document.activeElement).opacity === '1'", timeout=2000)
    skip = keyboard.evaluate("""() => { const a = document.activeElement, r = a.getBoundingClientRect()
      return {href: a.getAttribute("href"), shown: r.top >= 0 && r.bottom <= innerHeight && r.height > 0} }""")
    assert skip["shown"], skip
    target = keyboard.evaluate("h => document.querySelector('article h1')?.id === h.slice(1)", skip["href"])
    assert target, f"the skip link {skip['href']} is not the article's h1"
    keyboard.keyboard.press("Enter")
    keyboard.keyboard.press("Tab")
    assert keyboard.evaluate("document.activeElement.closest('article') !== null")


@pytest.mark.parametrize("path", KEYBOARD_PAGES)
def test_every_control_is_reached_by_tab_with_a_visible_ring(
    keyboard: Page, base_url: str, path: str
) -> None:
    """Tab reaches every visible link, button, input (search, palette toggle) and focusable region; each one,
    when focused, gets a solid ring of at least 2 px that it lacks unfocused, at 3:1 against what is behind."""
    keyboard.goto(base_url + path, wait_until="load")
    controls = {c["kb"]: c for c in keyboard.evaluate(_CONTROLS)}
    assert any("md-option" in c["tag"] for c in controls.values()), "no palette toggle"
    assert any("md-search__input" in c["tag"] for c in controls.values()), "no search box"
    reached: dict[str, dict] = {}
    for _ in range(len(controls) + 20):
        keyboard.keyboard.press("Tab")
        focused = keyboard.evaluate(_FOCUSED)
        if focused and focused["kb"] in reached:
            break
        if focused:
            reached[focused["kb"]] = focused
            if "md-search__input" in focused["tag"]:
                keyboard.keyboard.press("Escape")  # close the search; the focus order goes on from the box
    missed = [c["tag"] for k, c in controls.items() if k not in reached]
    assert missed == [], (
        f"{len(missed)} of {len(controls)} controls not reached by Tab: {missed} / {[f['tag'][:50] for f in reached.values()]}"
    )
    weak = [
        (f["tag"], f["style"], f["width"], round(contrast(f["colour"], f["behind"]), 2))
        for k, f in reached.items()
        if not f["shown"]
        or f["style"] in ("none", "hidden")
        or f["width"] < 2
        or controls[k]["style"] == f["style"]
        and controls[k]["width"] == f["width"]
        or contrast(f["colour"], f["behind"]) < 3
    ]
    assert weak == [], "\n".join(map(str, weak))


def test_home_page_weight(browser: Browser, base_url: str) -> None:
    """The home page's first load, every response gzip-compressed (level 6), stays within the budget."""
    page = open_page(browser, base_url, 1280, "light", [])
    sizes: dict[str, int] = {}

    def record(response: Response) -> None:
        with contextlib.suppress(PlaywrightError):  # redirects have no body
            sizes[response.url] = len(gzip.compress(response.body(), 6))

    page.on("response", record)
    page.goto(base_url, wait_until="networkidle")
    page.context.close()
    kinds: dict[str, int] = {}
    for url, size in sizes.items():
        kind = (
            "search index" if "search_index" in url else url.rsplit(".", 1)[-1] if "." in url[-6:] else "html"
        )
        kinds[kind] = kinds.get(kind, 0) + size
    total = sum(sizes.values())
    print(f"home page first load: {total} B gzip over {len(sizes)} responses; {kinds}")
    assert "html" in kinds and "css" in kinds and "js" in kinds
    assert total <= HOME_BUDGET


def test_accessibility_page_names_the_checks(scan: Scan) -> None:
    """The accessibility page states the axe-core version and the tags these tests use."""
    text = (Path(__file__).resolve().parents[1] / "docs" / "about" / "accessibility.md").read_text("utf-8")
    assert f"axe-core {scan.axe_version}" in text
    assert all(tag in text for tag in TAGS) and all(f"{w}" in text for w in WIDTHS)

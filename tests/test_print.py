"""Every page of the site prints well from the browser: Chromium's own print (not the council PDF)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from tests.conftest import site_pages

pytestmark = [pytest.mark.browser, pytest.mark.pdf]

WEB_ONLY = [
    ".md-header",
    ".md-sidebar--primary",
    ".md-sidebar--secondary",
    ".md-search",
    ".md-footer",
    ".sd-copy",
]


@pytest.fixture(scope="module")
def pages(site: Path) -> list[str]:
    """Every page of the site, as a path below the site root."""
    return site_pages(site)


def test_every_page_prints_without_web_chrome(
    browser: Browser, base_url: str, pages: list[str], tmp_path
) -> None:
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    for path in pages:
        page.goto(base_url + path)
        page.emulate_media(media="print")
        shown = page.evaluate(
            """selectors => selectors.filter(s => [...document.querySelectorAll(s)]
                 .some(e => getComputedStyle(e).display !== "none"))""",
            WEB_ONLY,
        )
        assert shown == [], (path, shown)
        colours = page.evaluate(
            """() => { const s = getComputedStyle(document.querySelector("article"));
                       return [s.color, getComputedStyle(document.body).backgroundColor] }"""
        )
        assert colours == ["rgb(0, 0, 0)", "rgb(255, 255, 255)"], (path, colours)
        # Links read as text on paper, as the city's document prints them: no underline, black.
        underlined = page.evaluate(
            """() => [...document.querySelectorAll("article a")]
                 .filter(a => a.innerText.trim() && getComputedStyle(a).textDecorationLine !== "none")
                 .map(a => a.innerText.trim().slice(0, 20))"""
        )
        assert underlined == [], (path, underlined[:5])
        # The article uses the page's width: nothing cut off on the right.
        overflow = page.evaluate("() => document.querySelector('article').scrollWidth - innerWidth")
        assert overflow <= 0, (path, overflow)
    # One page printed for real: A4, with its text and without the search box.
    page.goto(base_url + "revision/remarks/")
    pdf = tmp_path / "printed.pdf"
    page.pdf(path=str(pdf), format="A4", print_background=True)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "(A4)" in info, info
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "前回会議でのご指摘事項" in text and "検索" not in text
    ctx.close()

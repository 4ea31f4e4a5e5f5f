"""Every link of the built site, read back with BeautifulSoup: internal targets and anchors exist.

The whole page counts (header, navigation, footer, head), not only the article: every `href` and `src`,
and the sitemap's addresses. External links are listed, never fetched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest
from bs4 import BeautifulSoup

# The address MkDocs writes into canonical links and the sitemap (mkdocs.yml's default site_url).
SITE_URL = "http://127.0.0.1:8000/"


@dataclass
class Links:
    """What the link check found."""

    checked: int = 0
    broken: list[tuple[str, str]] = field(default_factory=list)  # (page, link)
    external: dict[str, list[str]] = field(default_factory=dict)  # url -> pages that link to it


def page_url(site: Path, file: Path) -> str:
    """The address a built file is served at."""
    rel = file.relative_to(site).as_posix()
    return SITE_URL + (rel.removesuffix("index.html") if rel.endswith("index.html") else rel)


def local_file(site: Path, url: str) -> Path | None:
    """The file that serves a site address (a folder serves its index.html), or None."""
    path = unquote(urlsplit(url).path).removeprefix(urlsplit(SITE_URL).path)
    target = site / path
    if target.is_dir():
        target = target / "index.html"
    return target if target.is_file() else None


def check_links(site: Path) -> Links:
    """Check every `href`/`src` of every HTML page and every sitemap address."""
    files = sorted(site.rglob("*.html"))
    soups = {f: BeautifulSoup(f.read_text(encoding="utf-8"), "lxml") for f in files}
    anchors = {
        f: {t["id"] for t in s.find_all(id=True)} | {t["name"] for t in s.find_all("a", attrs={"name": True})}
        for f, s in soups.items()
    }
    found = Links()
    for file, soup in soups.items():
        base = page_url(site, file)
        for tag in soup.find_all(href=True) + soup.find_all(src=True):
            link = tag.get("href") or tag.get("src")
            url = urljoin(base, link)
            scheme = urlsplit(url).scheme
            if scheme in ("mailto", "tel", "data"):
                continue
            found.checked += 1
            if not url.startswith(SITE_URL):
                found.external.setdefault(url, []).append(base.removeprefix(SITE_URL) or "/")
                continue
            target = local_file(site, url)
            anchor = unquote(urlsplit(url).fragment)
            if target is None or (
                anchor and target.suffix == ".html" and anchor not in anchors.get(target, set())
            ):
                found.broken.append((base.removeprefix(SITE_URL) or "/", link))
    for loc in re.findall(r"<loc>([^<]+)</loc>", (site / "sitemap.xml").read_text(encoding="utf-8")):
        found.checked += 1
        if not loc.startswith(SITE_URL) or local_file(site, loc) is None:
            found.broken.append(("sitemap.xml", loc))
    return found


@pytest.fixture(scope="module")
def links(site: Path) -> Links:
    """The link check of the real site, done once."""
    return check_links(site)


def test_every_internal_link_and_anchor_resolves(links: Links) -> None:
    """Every internal href/src (navigation, footer and head included) points at a file and an existing id."""
    assert links.checked > 800  # ~960 with navigation.prune (each page lists its own branch of the nav)
    assert links.broken == []


def test_external_links_are_listed_not_fetched(links: Links) -> None:
    """External links are printed for a person to check; each is an absolute http(s) address."""
    for url, pages in sorted(links.external.items()):
        print(f"external: {url} ({len(pages)} pages)")
    assert links.external
    assert all(re.match(r"^https?://[^/]+", url) for url in links.external)


def test_check_finds_a_broken_link_and_anchor(tmp_path: Path) -> None:
    """The check itself: a missing page and a missing anchor are reported, a good link is not."""
    (tmp_path / "a").mkdir()
    (tmp_path / "index.html").write_text(
        '<a href="a/">ok</a><a href="b/">no page</a><a href="a/#x">no id</a>'
    )
    (tmp_path / "a" / "index.html").write_text(
        '<h1 id="y">A</h1><a href="../#top">no id</a><a href="https://example.org/">out</a>'
    )
    (tmp_path / "sitemap.xml").write_text(f"<urlset><url><loc>{SITE_URL}a/</loc></url></urlset>")
    found = check_links(tmp_path)
    assert sorted(found.broken) == [("/", "a/#x"), ("/", "b/"), ("a/", "../#top")]
    assert found.external == {"https://example.org/": ["a/"]}

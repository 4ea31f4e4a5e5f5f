"""A real `mkdocs build --strict`, in-process, read back with BeautifulSoup."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from macros.model import Strategy
from tests.conftest import (
    DATA,
    EVIL,
    ROOT,
    build_config,
    build_site,
    copy_project,
    iter_texts,
    normalise,
    read_pages,
)

TEXT = DATA.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def soup_pages(site: Path) -> dict[str, BeautifulSoup]:
    return read_pages(site)


def test_every_text_field_appears_on_some_page(strategy: Strategy, soup_pages):
    corpus = "\n".join(normalise(s.select_one("article").get_text()) for s in soup_pages.values())
    missing = [t for t in iter_texts(strategy) if normalise(t) not in corpus]
    assert missing == []


def test_every_page_is_japanese_and_offline(soup_pages, site: Path):
    assert len(soup_pages) >= 15
    for name, soup in soup_pages.items():
        assert soup.html["lang"] == "ja", name
        # Everything the browser fetches by itself (canonical and alternate links are not fetched).
        fetched = [
            t
            for t in soup.find_all("link")
            if set(t.get("rel", [])) & {"stylesheet", "icon", "preload", "modulepreload", "manifest"}
        ]
        fetched += soup.find_all(["script", "img", "iframe", "source"])
        for tag in fetched:
            url = tag.get("href") or tag.get("src") or ""
            assert not re.match(r"^(https?:)?//", url), (name, url)
    css = "".join(p.read_text(encoding="utf-8") for p in site.rglob("*.css"))
    assert "fonts.googleapis" not in css and "fonts.gstatic" not in css


def test_every_id_resolves_to_exactly_one_place(strategy: Strategy, soup_pages):
    seen: dict[str, list[str]] = {}
    for name, soup in soup_pages.items():
        for element in soup.select("article [id]"):
            seen.setdefault(element["id"], []).append(name)
    assert {i: seen.get(i) for i in strategy.ids if len(seen.get(i, [])) != 1} == {}


def test_internal_links_resolve(site: Path, soup_pages):
    ids_by_page = {name: {e["id"] for e in soup.select("[id]")} for name, soup in soup_pages.items()}
    broken = []
    for name, soup in soup_pages.items():
        for a in soup.select("article a[href]"):
            href = a["href"]
            if re.match(r"^[a-z]+:", href):
                continue
            path, _, anchor = href.partition("#")
            target = (site / name).parent / path if path else site / name
            target = target / "index.html" if target.is_dir() else target
            key = str(target.resolve().relative_to(site.resolve()))
            if not target.exists() or (anchor and anchor not in ids_by_page.get(key, set())):
                broken.append((name, href))
    assert broken == []


def test_navigation_mirrors_the_chapters(strategy: Strategy, soup_pages):
    nav = soup_pages["index.html"].select_one("nav.md-nav--primary").get_text(" ")
    positions = [nav.index(c.heading) for c in strategy.chapters]
    assert positions == sorted(positions)


def test_home_page_shows_concept_goals_and_guidelines(strategy: Strategy, soup_pages):
    text = normalise(soup_pages["index.html"].select_one("article").get_text())
    assert normalise(strategy.adopted_concept.motto) in text
    for item in (*strategy.framework.goals, *strategy.framework.guidelines):
        assert normalise(item.title) in text


def test_each_goal_card_lists_its_own_viewpoint_s_guidelines(strategy: Strategy, soup_pages):
    """A goal's card on the home page lists the guidelines of its viewpoint, in order, and no other."""
    cards = soup_pages["index.html"].select("section.sd-home-goal")
    assert len(cards) == len(strategy.framework.goals)
    for goal, card in zip(strategy.framework.goals, cards, strict=True):
        viewpoint = strategy.viewpoint_of_goal(goal.id)
        expected = [g.id for g in strategy.guidelines_of(viewpoint.id)]
        assert expected and len(expected) < len(strategy.framework.guidelines)
        shown = [a["href"].rsplit("#", 1)[1] for a in card.select("ol li a")]
        assert shown == expected, goal.id
        titles = [normalise(li.find("a").get_text()) for li in card.select("ol li")]
        assert titles == [normalise(g.title) for g in strategy.guidelines_of(viewpoint.id)]


def test_injection_is_shown_as_text(hostile):
    """Markup and template syntax in the data (conftest.HOSTILE_EDITS), reaching the theme's own templates too
    (site name, footer, navigation, PDF cover): shown as text, never run or parsed."""
    _, _, pages = hostile
    for name, soup in pages.items():
        for script in soup.find_all("script"):
            assert "alert" not in script.get_text(), name
        assert not soup.find("img", src="x"), name
        title = str(soup.title.decode_contents()) if soup.title else ""
        assert "<" not in title, (
            name,
            title,
        )  # the browser decodes entities in <title>; a raw tag could close it
        for evil_id in ("evil", "evil-title", "evil-org", "evil-status", "evil-nav"):
            assert not soup.find(id=evil_id), (name, evil_id)
    guidelines = pages["guidelines/viewpoint-guidelines/index.html"].get_text()
    assert EVIL in guidelines
    background = pages["revision/concept-and-goals/index.html"].get_text()
    assert "<img src=x onerror=alert(2)>" in background and "# not a heading {#evil}" in background


def test_bad_data_stops_the_build_and_writes_nothing(tmp_path: Path, caplog):
    from mkdocs.exceptions import Abort, PluginError

    project = copy_project(tmp_path / "project")
    data = project / "data" / "strategy.yaml"
    data.write_text(
        TEXT.replace("marker: tags", "marker: tag", 1).replace("id: remark-02", "id: remark-01", 1),
        encoding="utf-8",
    )
    site = tmp_path / "site"
    with pytest.raises((PluginError, Abort, SystemExit)) as info:
        build_site(project, site)
    message = str(info.value) + caplog.text
    assert "data/strategy.yaml:" in message and "marker" in message and "remark-01" in message
    assert not site.exists() or not any(site.iterdir())


@pytest.mark.parametrize("prune", [True, False], ids=["pruned", "full-navigation"])
def test_navigation_cache_writes_materials_html(
    site_config, tmp_path: Path, prune: bool, monkeypatch: pytest.MonkeyPatch
):
    """hooks/theme.py renders each navigation branch once: every page is what Material writes, apart from the
    navigation's indentation.

    With mkdocs.yml as it is (navigation.prune), the session's build is the cached one, compared with the
    repository built again with the cache off; with the whole navigation, two copies of the project."""
    sites, configs = {}, {}
    if prune:
        theme = site_config["hooks"]["hooks/theme.py"]
        assert theme.NAV_CACHE is True
        monkeypatch.setattr(theme, "NAV_CACHE", False)
        sites[False] = tmp_path / "site-False"
        configs[False] = build_config(ROOT, sites[False])
        monkeypatch.undo()
        sites[True], configs[True] = Path(site_config.site_dir), site_config
    for cached in () if prune else (False, True):
        project = copy_project(tmp_path / f"cached-{cached}")
        hook = project / "hooks" / "theme.py"
        text = hook.read_text(encoding="utf-8")
        assert "NAV_CACHE = True" in text and "TOP_BLOCK = 16" in text
        # Off: Material's templates as they are. On: the top level in blocks of two items, so that this site's
        # few chapters make blocks shared by pages of one depth and blocks that hold the page's own chapter.
        text = (
            text.replace("TOP_BLOCK = 16", "TOP_BLOCK = 2")
            if cached
            else text.replace("NAV_CACHE = True", "NAV_CACHE = False")
        )
        hook.write_text(text, encoding="utf-8")
        config = project / "mkdocs.yml"
        text = config.read_text(encoding="utf-8")
        assert "    - navigation.prune" in text
        config.write_text(text.replace("    - navigation.prune", "    - navigation.expand"), encoding="utf-8")
        sites[cached] = tmp_path / f"site-{cached}"
        configs[cached] = build_config(project, sites[cached])
    assert configs[False].plugins["hooks/theme.py:nav"].stats == {
        "rendered": 0,
        "reused": 0,
    }  # the cache was off
    stats = configs[True].plugins["hooks/theme.py:nav"].stats
    pages = sorted(p.relative_to(sites[True]) for p in sites[True].rglob("*.html"))
    assert pages == sorted(p.relative_to(sites[False]) for p in sites[False].rglob("*.html"))
    # The same HTML apart from whitespace: the cache writes the navigation without Material's indentation.
    words = {
        cached: {p: re.sub(r"\s+", " ", (sites[cached] / p).read_text(encoding="utf-8")) for p in pages}
        for cached in (False, True)
    }
    different = [str(p) for p in pages if words[True][p] != words[False][p]]
    assert different == []
    shorter = [p for p in pages if (sites[True] / p).stat().st_size < (sites[False] / p).stat().st_size]
    assert len(shorter) == len(pages) - 1, set(pages) - set(shorter)  # all but the 404 page (no page object)
    # The cache was used: most branches come from it (each is rendered once, then reused on other pages).
    assert stats["reused"] > stats["rendered"] > 0, stats
    if not prune:  # and top-level blocks were written at once
        assert configs[True].plugins["hooks/theme.py:nav"].blocks


def test_macros_debug_payload_is_made_only_for_debug_messages(
    site_config, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
):
    """hooks/theme.py: mkdocs-macros' pre_build event logs its INFO lines, and writes every variable (the whole
    model) as JSON only when debug messages are shown."""
    import logging

    import mkdocs_macros.plugin
    import mkdocs_macros.util

    macros = site_config.plugins["macros"]
    [event] = [e for e in site_config.plugins.events["pre_build"] if "macros" in repr(e)]
    assert getattr(event, "__self__", None) is not macros  # replaced

    def no_json(*args, **kwargs):
        raise AssertionError("the debug payload was made")

    monkeypatch.setattr(mkdocs_macros.plugin, "SuperDict", no_json)
    monkeypatch.setattr(mkdocs_macros.util.LOG, "level", logging.INFO)
    with caplog.at_level(logging.INFO, logger=mkdocs_macros.util.LOG.name):
        event(config=site_config)
    assert "Config variables:" in caplog.text and "Config macros:" in caplog.text
    monkeypatch.setattr(mkdocs_macros.util.LOG, "level", logging.DEBUG)
    with pytest.raises(AssertionError, match="payload"):
        event(config=site_config)


def test_navigation_links_shared_by_depth_are_mkdocs_links():
    """A branch's HTML is kept per folder depth for pages outside its first segments: for every pair of pages at
    one depth for which hooks/theme.py shares it, MkDocs' normalize_url gives each link the same text."""
    import importlib.util
    import itertools
    from types import SimpleNamespace

    from mkdocs.utils import normalize_url

    from tests.conftest import ROOT

    spec = importlib.util.spec_from_file_location("theme_under_test", ROOT / "hooks" / "theme.py")
    assert spec and spec.loader
    theme = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(theme)
    pages = [
        "",
        "a/",
        "b/",
        "a/x/",
        "a/y/",
        "b/x/",
        "c/d/e/",
        "a/x/z/",
        "index.html",
        "a.html",
        "a/x.html",
        "b/y.html",
    ]
    branches = [["a/"], ["a/x/", "a/y/"], ["b/x/", ""], ["c/d/e/", "c/"], ["a/x.html", "index.html"], ["d/"]]
    shared = 0
    for links in branches:
        firsts = theme._first_segments(links)
        for one, other in itertools.combinations(pages, 2):
            a, b = theme._folder(one), theme._folder(other)
            assert a is not None and b is not None
            if len(a) == len(b) and theme.same_at_depth(a, firsts) and theme.same_at_depth(b, firsts):
                shared += 1
                for link in links:
                    assert normalize_url(link, SimpleNamespace(url=one)) == normalize_url(
                        link, SimpleNamespace(url=other)
                    ), (link, one, other)
    assert shared > 20
    assert theme._first_segments(["https://example.jp/"]) is None and theme._folder("a/b") is None


# bs4 too: only the PDF plugin and hooks/pdf.py use it (hooks/citizen.py reads pages with macros/html_scan.py).
PDF_STACK = ("weasyprint", "mkdocs_to_pdf", "pypdf", "fontTools", "pydyf", "tinycss2", "cssselect2", "bs4")


def test_site_build_loads_no_pdf_stack(fresh_build):
    """mkdocs.yml makes the site alone and imports nothing of the PDF's; mkdocs-pdf.yml is mkdocs.yml plus
    the PDF plugin and hook."""
    from mkdocs.config import load_config

    assert sorted(set(fresh_build["modules"]) & set(PDF_STACK)) == []
    # the list is the build's own
    assert {"mkdocs", "macros", "material", "jinja2"} <= set(fresh_build["modules"])
    assert (fresh_build["site"] / "index.html").exists()
    assert not list(fresh_build["site"].rglob("*.pdf"))

    site, pdf = load_config(str(ROOT / "mkdocs.yml")), load_config(str(ROOT / "mkdocs-pdf.yml"))
    # hooks/site_output.py stays last (it swaps the finished site in); the PDF hook comes just before it.
    site_hooks = list(site["hooks"])
    assert list(pdf["hooks"]) == [*site_hooks[:-1], "hooks/pdf.py", site_hooks[-1]]
    assert site_hooks[-1] == "hooks/site_output.py"
    plugins = {
        name: [p for p in c.plugins if p not in c["hooks"]] for name, c in (("site", site), ("pdf", pdf))
    }
    assert plugins["pdf"] == [*plugins["site"], "to-pdf"]
    assert {k: v for k, v in pdf.items() if k not in ("hooks", "plugins", "config_file_path")} == {
        k: v for k, v in site.items() if k not in ("hooks", "plugins", "config_file_path")
    }

"""Editions: frozen files held to their digests, migrations, the freezing command, and a second edition made
from the real data, built with its PDFs and read back (archive pages, banner, 新旧対照表, per-item history)."""

from __future__ import annotations

import contextlib
import datetime
import filecmp
import hashlib
import json
import logging
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from bs4 import BeautifulSoup
from pypdf import PdfReader

from macros import editions as ed
from macros import migrations
from macros.loader import DataError
from macros.pages import Links, all_pages, anchor_pages
from macros.render import render_page
from tests.conftest import ROOT, build_site, builds_pdf, copy_project, read_pages
from tests.test_comparison import NEW_REMARK_TEXT, NEW_SENTENCE, OLD_SENTENCE, revised
from tests.test_voice import source_corpus, unsourced

REGISTRY = yaml.safe_load((ROOT / ed.REGISTRY).read_text(encoding="utf-8"))
SECOND = "2023-03-24"
SUMMARY = "行動指針の説明を改め、ご指摘事項を追加し、行動指針を一つ削除しました。"


def run_edition(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m macros edition --root PROJECT --data …/strategy.yaml ARGS`, in-process (the command's `main`;
    tests/test_model.py runs `python -m macros` as a process)."""
    import io

    from macros.__main__ import main

    argv = ["edition", "--root", str(project), "--data", str(project / "data" / "strategy.yaml"), *args]
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main(argv)
        except SystemExit as exc:  # argparse refuses the arguments
            status = int(exc.code or 0)
    return subprocess.CompletedProcess(
        ["python", "-m", "macros", *argv], status, out.getvalue(), err.getvalue()
    )


# --- the frozen editions in the repository ------------------------------------------------------------------


def test_the_first_edition_is_the_advisory_board_draft():
    first = REGISTRY["editions"][0]
    assert first["date"] == datetime.date(2022, 12, 1) and first["status"] == "案"
    assert first["label"] == "第2回アドバイザーボード「戦略立案に向けた協議資料」"


@pytest.mark.parametrize("entry", REGISTRY["editions"], ids=lambda e: str(e["date"]))
def test_every_frozen_edition_matches_its_recorded_digest(entry):
    path = ROOT / ed.EDITIONS_DIR / f"{entry['date'].isoformat()}.yaml"
    assert hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"]


@pytest.mark.parametrize("entry", REGISTRY["editions"], ids=lambda e: str(e["date"]))
def test_every_frozen_edition_validates_and_renders_with_todays_model(entry):
    edition = next(e for e in ed.load_editions(ROOT) if e.slug == entry["date"].isoformat())
    strategy = edition.strategy
    where = anchor_pages(strategy)
    for page in all_pages(strategy):
        markdown = render_page(strategy, page, Links(page.path, where))
        assert markdown.startswith("# ")


@pytest.mark.parametrize("entry", REGISTRY["editions"], ids=lambda e: str(e["date"]))
def test_a_migration_brings_an_old_edition_to_the_current_model(entry, tmp_path: Path, monkeypatch):
    """Simulate a model change on every frozen edition: its data, as if frozen under model 1, says `state:`; the
    model (version 2) wants `status:`."""
    frozen = ROOT / ed.EDITIONS_DIR / f"{entry['date'].isoformat()}.yaml"
    text = frozen.read_text(encoding="utf-8")
    expected = ed.load_any(frozen).meta.status
    old = text.replace("  status: ", "  state: ", 1)
    path = tmp_path / frozen.name
    path.write_text(old, encoding="utf-8")
    monkeypatch.setattr(migrations, "MODEL_VERSION", 2)
    monkeypatch.setattr(migrations, "MIGRATIONS", {})
    ed._load_frozen.cache_clear()
    with pytest.raises(DataError, match="移行"):
        ed._load_frozen(str(path), "a", 1)

    def rename_state(data):
        data["meta"]["status"] = data["meta"].pop("state")
        return data

    monkeypatch.setattr(migrations, "MIGRATIONS", {1: rename_state})
    ed._load_frozen.cache_clear()
    assert ed._load_frozen(str(path), "b", 1).meta.status == expected
    assert "  state: " in path.read_text(encoding="utf-8")  # the frozen file itself is never changed
    ed._load_frozen.cache_clear()


# --- the freezing command -----------------------------------------------------------------------------------


def test_freezing_refuses_the_same_text_an_older_date_and_a_bad_status(tmp_path: Path):
    project = copy_project(tmp_path / "project")
    same = run_edition(project, "--date", SECOND, "--label", "x", "--status", "策定", "--summary", "y")
    assert same.returncode == 1 and "最新の版（2022-12-01）と同じ" in same.stderr
    (project / "data" / "strategy.yaml").write_text(revised(), encoding="utf-8")
    older = run_edition(project, "--date", "2022-11-30", "--label", "x", "--status", "策定", "--summary", "y")
    assert older.returncode == 1 and "最新の版（2022-12-01）より後" in older.stderr
    assert run_edition(project, "--date", SECOND, "--label", "x", "--status", "確定").returncode == 2
    assert sorted(p.name for p in (project / ed.EDITIONS_DIR).iterdir()) == ["2022-12-01.yaml", "index.yaml"]


def test_a_changed_frozen_file_or_a_bad_registry_stops_with_the_line(tmp_path: Path):
    project = copy_project(tmp_path / "project")
    frozen = project / ed.EDITIONS_DIR / "2022-12-01.yaml"
    frozen.write_text(
        frozen.read_text(encoding="utf-8").replace("status: 案", "status: 素案", 1), encoding="utf-8"
    )
    with pytest.raises(DataError, match="凍結した版 data/editions/2022-12-01.yaml が変更されています"):
        ed.load_editions(project)
    registry = project / ed.REGISTRY
    text = registry.read_text(encoding="utf-8")
    registry.write_text(
        text.replace("status: 案", "status: 確定").replace("model: 1", "model: one"), encoding="utf-8"
    )
    with pytest.raises(DataError) as info:
        ed.load_registry(project)
    lines = {p.line: p.message for p in info.value.problems}
    status_line = next(
        i for i, l in enumerate(registry.read_text(encoding="utf-8").splitlines(), 1) if "確定" in l
    )
    assert "案・策定・改訂" in lines[status_line] and "整数" in lines[status_line + 1]
    assert all(str(p).startswith(f"{registry}:") for p in info.value.problems)


# --- a second edition, built and read back ------------------------------------------------------------------


def with_second_edition(project: Path) -> Path:
    """A copy of the project whose data has a second edition frozen from the real data (changed sentence, added
    remark, removed guideline)."""
    copy_project(project)
    (project / "data" / "strategy.yaml").write_text(revised(), encoding="utf-8")
    made = run_edition(
        project,
        "--date",
        SECOND,
        "--label",
        "第3回アドバイザーボード「戦略案」",
        "--status",
        "策定",
        "--summary",
        SUMMARY,
    )
    assert made.returncode == 0, made.stderr
    return project


@pytest.fixture(scope="module")
@builds_pdf
def second(tmp_path_factory) -> tuple[Path, Path]:
    """A project with a second edition (`with_second_edition`), built with the council PDF; (project, site)."""
    base = tmp_path_factory.mktemp("editions")
    project = with_second_edition(base / "project")
    with cache_at(base / "cache"):
        site = build_site(project, base / "site", pdf=True)
    return project, site


@contextlib.contextmanager
def cache_at(folder: Path, **env: str):
    """EDITIONS_CACHE (and any other variable given) set for an in-process build."""
    saved = {k: os.environ.get(k) for k in ("EDITIONS_CACHE", *env)}
    os.environ.update({"EDITIONS_CACHE": str(folder), **env})
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def pdf_text(path: Path) -> str:
    raw = subprocess.run(
        ["pdftotext", "-raw", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    return re.sub(r"\s+", "", raw)


@pytest.mark.pdf  # the `second` fixture builds the PDFs
def test_the_freezing_command_recorded_the_second_edition(second):
    project, _ = second
    frozen = project / ed.EDITIONS_DIR / f"{SECOND}.yaml"
    assert frozen.read_bytes() == (project / "data" / "strategy.yaml").read_bytes()
    entries = ed.load_registry(project).editions
    assert [e.slug for e in entries] == ["2022-12-01", SECOND]
    assert (
        entries[1].summary == SUMMARY and entries[1].sha256 == hashlib.sha256(frozen.read_bytes()).hexdigest()
    )


@pytest.mark.pdf  # the `second` fixture builds the PDFs
def test_the_past_edition_has_its_pages_with_a_banner_to_the_latest(second):
    _, site = second
    pages = read_pages(site)
    past = pages["editions/2022-12-01/guidelines/viewpoint-guidelines/index.html"]
    banner = past.select_one("article .sd-edition-banner")
    assert banner["data-origin"] == "site" and "この版は最新ではありません" in banner.get_text()
    latest = banner.select_one("a.sd-edition-latest")["href"]
    target = (site / "editions/2022-12-01/guidelines/viewpoint-guidelines" / latest / "index.html").resolve()
    assert target == (site / "guidelines/viewpoint-guidelines/index.html").resolve()
    text = past.select_one("article").get_text()
    assert OLD_SENTENCE in text and "市内外の多くの人がつながるまちを目指す" in text and "外国人" not in text
    now = pages["guidelines/viewpoint-guidelines/index.html"].select_one("article").get_text()
    assert NEW_SENTENCE in now and "市内外の多くの人がつながるまちを目指す" not in now
    home = pages["editions/2022-12-01/index.html"]
    assert home.select_one("a[href='strategy.pdf']") and home.select_one("a[href='data/strategy.json']")
    # The past edition's text is the source's own; whatever the site adds is marked.
    corpus = source_corpus()
    for name, soup in pages.items():
        if name.startswith("editions/2022-12-01/"):
            assert unsourced(soup.select_one("article"), corpus) == [], name
    # Archive pages stay out of search; the current text is found.
    index = (site / "search" / "search_index.json").read_text(encoding="utf-8")
    assert "editions/2022-12-01/" not in index and "guidelines/viewpoint-guidelines/" in index


@pytest.mark.pdf  # the `second` fixture builds the PDFs
def test_both_pdfs(second):
    _, site = second
    current, past = site / "pdf" / "strategy.pdf", site / "editions" / "2022-12-01" / "strategy.pdf"
    # The current edition's PDF is at its stable address too (it stays there when a newer edition comes).
    assert (site / "editions" / SECOND / "strategy.pdf").read_bytes() == current.read_bytes()
    now, then = pdf_text(current), pdf_text(past)
    assert (
        NEW_SENTENCE in now and NEW_REMARK_TEXT in now and "市内外の多くの人がつながるまちを目指す" not in now
    )
    assert (
        OLD_SENTENCE in then
        and NEW_REMARK_TEXT not in then
        and "市内外の多くの人がつながるまちを目指す" in then
    )
    for pdf in (current, past):
        reader = PdfReader(pdf)
        assert round(float(reader.pages[0].mediabox.width)) == 595  # A4 portrait
        assert reader.trailer["/Root"]["/MarkInfo"]["/Marked"]
        fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
        assert "BIZ-UDPGothic" in fonts and " no " not in "".join(r[-20:] for r in fonts.splitlines()[2:])


@pytest.mark.pdf  # the `second` fixture builds the PDFs
def test_the_comparison_as_page_markdown_and_pdf(second):
    _, site = second
    folder = site / "editions" / SECOND
    page = BeautifulSoup((folder / "comparison" / "index.html").read_text(encoding="utf-8"), "html.parser")
    row = page.select_one("#cmp-life-1")
    assert [i.get_text() for i in row.select("td.sd-cmp-new ins")] == ["も外国人", "確実に"]
    assert row.select_one("td.sd-cmp-old").get_text(strip=True).endswith(OLD_SENTENCE)
    assert page.select_one("#cmp-town-3 td.sd-cmp-old del") and page.select_one(
        "#cmp-remark-28 td.sd-cmp-new ins"
    )
    assert page.select_one("a[href='../comparison.pdf']") and page.select_one("a[href='../comparison.md']")
    markdown = (folder / "comparison.md").read_text(encoding="utf-8")
    assert "| 改正後 | 改正前 |" in markdown and "<ins>確実に</ins>" in markdown
    reader = PdfReader(folder / "comparison.pdf")
    assert round(float(reader.pages[0].mediabox.width)) == 842  # A4 landscape
    assert reader.trailer["/Root"]["/MarkInfo"]["/Marked"] and "/StructTreeRoot" in reader.trailer["/Root"]
    assert "確実に" in pdf_text(folder / "comparison.pdf")
    fonts = subprocess.run(
        ["pdffonts", str(folder / "comparison.pdf")], capture_output=True, text=True, check=True
    )
    assert "BIZ-UDPGothic" in fonts.stdout


@pytest.mark.pdf  # the `second` fixture builds the PDFs
def test_per_item_history_links_to_the_rows(second):
    _, site = second
    pages = read_pages(site)
    guideline = pages["guidelines/viewpoint-guidelines/index.html"].select_one("#life-1 .sd-history")
    assert guideline["data-origin"] == "site" and "この項目の変更履歴" in guideline.get_text()
    href = guideline.select_one("a")["href"]
    assert href.endswith("#cmp-life-1")
    path, anchor = href.split("#")
    target = (site / "guidelines/viewpoint-guidelines" / path / "index.html").resolve()
    assert target == (site / "editions" / SECOND / "comparison" / "index.html").resolve()
    assert BeautifulSoup(target.read_text(encoding="utf-8"), "html.parser").find(id=anchor)
    remarks = pages["revision/remarks/index.html"]
    assert remarks.select_one("#remark-28 .sd-history") and not remarks.select_one("#remark-01 .sd-history")
    assert not pages["guidelines/viewpoint-guidelines/index.html"].select_one("#life-2 .sd-history")


@pytest.mark.pdf  # the `second` fixture builds the PDFs
def test_the_revisions_page_lists_the_editions_with_their_summary_and_tables(second):
    _, site = second
    page = read_pages(site)["about/revisions/index.html"]
    items = page.select("li.sd-edition")
    assert [re.sub(r"\s+", "", i.select_one(".sd-edition-title").get_text())[:8] for i in items] == [
        "第3回アドバイザ",
        "第2回アドバイザ",
    ]
    assert SUMMARY in items[0].get_text()
    for link in page.select("li.sd-edition a"):
        href = link["href"]
        target = (site / "about" / "revisions" / href).resolve()
        assert target.exists() or (target / "index.html").exists(), href


def test_one_edition_shows_only_the_current_text(site: Path):
    """Today's real site: no archive pages and no tables, the history page lists the one edition."""
    assert not any(p.suffix == ".html" for p in (site / "editions").rglob("*"))
    pages = read_pages(site)
    assert not any(page.select(".sd-history") for page in pages.values())
    items = pages["about/revisions/index.html"].select("li.sd-edition")
    assert len(items) == 1 and "2022年12月1日・案" in items[0].get_text()
    assert (site / "editions" / "2022-12-01" / "data" / "strategy.json").exists()


@pytest.mark.pdf  # the `second` fixture builds the PDFs
def test_each_item_of_a_past_edition_leads_to_the_same_item_in_the_latest(second):
    _, site = second
    pages = read_pages(site)
    past = pages["editions/2022-12-01/guidelines/viewpoint-guidelines/index.html"]
    here = site / "editions/2022-12-01/guidelines/viewpoint-guidelines"
    kept = past.select_one("#life-1 .sd-edition-item")
    assert kept["data-origin"] == "site"
    path, anchor = kept.select_one("a.sd-edition-item-latest")["href"].split("#")
    assert (
        anchor == "life-1"
        and (here / path / "index.html").resolve()
        == (site / "guidelines/viewpoint-guidelines/index.html").resolve()
    )
    assert pages["guidelines/viewpoint-guidelines/index.html"].find(id="life-1")
    # The removed guideline says so, in the site's words, and links nowhere.
    gone = past.select_one("#town-3 .sd-edition-item")
    assert gone["data-origin"] == "site" and "この項目は最新の版にはありません" in gone.get_text()
    assert not gone.select("a")
    # Every goal, guideline, solution and remark of the past edition carries one; the current text none.
    kinds = {".sd-goal[id]": 0, ".sd-guidelines li[id]": 0, "ul.sd-check li[id]": 0, ".sd-remarks tr[id]": 0}
    for name, soup in pages.items():
        if not name.startswith("editions/2022-12-01/"):
            continue
        for selector in kinds:
            for element in soup.select(selector):
                kinds[selector] += 1
                links = [a["data-item"] for a in element.select("a.sd-edition-item-latest")]
                notes = [n.get_text() for n in element.select(".sd-edition-item")]
                assert element["id"] in links or any("最新の版にはありません" in n for n in notes), element[
                    "id"
                ]
    assert all(kinds.values()), kinds
    # The banner's script gets the place in the latest text of every id of this page that is still there.
    targets = json.loads(past.select_one("a.sd-edition-latest")["data-sd-latest"])
    assert "life-1" in targets and "town-3" not in targets and len(targets) > 10
    for item_id, href in targets.items():
        path, anchor = href.split("#")
        target = (here / path / "index.html").resolve()
        assert anchor == item_id and pages[str(target.relative_to(site.resolve()))].find(id=anchor), item_id
    remarks = pages["editions/2022-12-01/revision/remarks/index.html"]
    assert remarks.select_one("#remark-27 .sd-edition-item a.sd-edition-item-latest")
    assert not any(
        soup.select(".sd-edition-item") for name, soup in pages.items() if not name.startswith("editions/")
    )


@pytest.mark.browser
@pytest.mark.pdf  # the `second` fixture builds the PDFs
def test_the_banner_follows_the_item_in_the_address(second, browser):
    _, site = second
    page = browser.new_page()
    try:
        url = (site / "editions/2022-12-01/guidelines/viewpoint-guidelines/index.html").as_uri()
        page.goto(url + "#life-1")
        latest = page.locator("a.sd-edition-latest")
        assert latest.get_attribute("href") == "../../../../guidelines/viewpoint-guidelines/#life-1"
        # A heading too (not only the items that link to themselves).
        targets = json.loads(latest.get_attribute("data-sd-latest"))
        heading = next(
            i for i in targets if page.locator(f"article h2[id='{i}'], article h3[id='{i}']").count()
        )
        page.evaluate(f"location.hash = {json.dumps(heading)}")
        page.wait_for_function(
            f"document.querySelector('a.sd-edition-latest').getAttribute('href') === {json.dumps(targets[heading])}"
        )
        page.evaluate("location.hash = 'town-3'")  # not in the latest: back to the page
        page.wait_for_function("!document.querySelector('a.sd-edition-latest').href.includes('#')")
        assert latest.get_attribute("href") == "../../../../guidelines/viewpoint-guidelines/"
        page.evaluate("location.hash = 'economy-2'")
        page.wait_for_function("document.querySelector('a.sd-edition-latest').href.endsWith('#economy-2')")
    finally:
        page.close()


# --- build cost: the cache of generated pages -----------------------------------------------------------------


def build_logged(project: Path, site: Path, caplog) -> str:
    """Build the site (no PDF) and return what hooks/editions.py said about its cache."""
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="mkdocs.hooks.editions"):
        build_site(project, site)
    return " ".join(r.getMessage() for r in caplog.records if r.name == "mkdocs.hooks.editions")


def same_tree(a: Path, b: Path) -> list[str]:
    """The files that differ (or exist on one side only) between two built sites."""
    names = {p.relative_to(a).as_posix() for p in a.rglob("*") if p.is_file()}
    names |= {p.relative_to(b).as_posix() for p in b.rglob("*") if p.is_file()}
    return sorted(
        n
        for n in names
        if not ((a / n).is_file() and (b / n).is_file() and filecmp.cmp(a / n, b / n, shallow=False))
    )


@pytest.mark.slow
def test_a_warm_build_is_the_cold_build_byte_for_byte_and_never_stale(tmp_path: Path, caplog):
    project = with_second_edition(tmp_path / "project")
    cache = tmp_path / "cache"
    # With an address, so that the sitemap lists every page (the archive pages too).
    with cache_at(cache, SITE_URL="https://example.org/strategy/", SOURCE_DATE_EPOCH="1669852800"):
        cold = build_logged(project, tmp_path / "cold", caplog)
        assert re.search(r"0 ページをキャッシュから、(\d+) ページを新しく作ります", cold)
        stored = sorted(p.name for p in (cache / "pages").iterdir())
        warm = build_logged(project, tmp_path / "warm", caplog)
        made = int(re.search(r"(\d+) ページを新しく作ります", cold)[1])
        assert f"{made} ページをキャッシュから、0 ページを新しく作ります" in warm
        assert sorted(p.name for p in (cache / "pages").iterdir()) == stored
        assert same_tree(tmp_path / "cold", tmp_path / "warm") == []
        sitemap = (tmp_path / "warm" / "sitemap.xml").read_text(encoding="utf-8")
        assert "https://example.org/strategy/editions/2022-12-01/guidelines/viewpoint-guidelines/" in sitemap
        assert "editions/2022-12-01/" not in (tmp_path / "warm/search/search_index.json").read_text(
            encoding="utf-8"
        )

        # A changed theme template (the build runs in this process, whose macros package is the repository's:
        # the copy's docs/overrides/ is what it reads): every generated page is made again.
        footer = project / "docs/overrides/partials/copyright.html"
        footer.write_text(
            footer.read_text(encoding="utf-8").replace("改訂履歴</a>）", "改訂履歴</a>・変更）"),
            encoding="utf-8",
        )
        changed = build_logged(project, tmp_path / "changed", caplog)
        assert f"0 ページをキャッシュから、{made} ページを新しく作ります" in changed
        page = tmp_path / "changed/editions/2022-12-01/index.html"
        assert "改訂履歴</a>・変更）" in page.read_text(encoding="utf-8")

        # A sentence of the current text: the past edition's pages come from the cache, and equal a cold build.
        data = project / "data" / "strategy.yaml"
        data.write_text(
            data.read_text(encoding="utf-8").replace("確実に解消する", "着実に解消する", 1), encoding="utf-8"
        )
        edited = build_logged(project, tmp_path / "edited", caplog)
        # The root now shows unpublished text, so the second edition gets pages of its own (made now); the first
        # edition's pages and the 新旧対照表 do not show the current text and come from the cache.
        assert re.search(rf"{made} ページをキャッシュから、[1-9]\d* ページを新しく作ります", edited), edited
    with cache_at(
        tmp_path / "empty", SITE_URL="https://example.org/strategy/", SOURCE_DATE_EPOCH="1669852800"
    ):
        build_logged(project, tmp_path / "edited-cold", caplog)
    assert same_tree(tmp_path / "edited", tmp_path / "edited-cold") == []


def test_goals_and_solutions_show_their_history_too(tmp_path: Path):
    """Per-item history for every kind the issue names: a changed goal and a changed solution get 「この項目の
    変更履歴」 on the page that shows them, linking to their rows (pure: rendered without MkDocs)."""
    from macros import archive
    from macros.loader import load_file
    from macros.model import parse

    text = (ROOT / "data" / "strategy.yaml").read_text(encoding="utf-8")
    changed = text.replace(
        "地域の市民・企業の誰もがデジタル恩恵を享受", "地域の市民・企業の誰もがデジタルの恩恵を享受", 1
    )
    changed = changed.replace("分野の事業を実施", "分野の事業から実施", 1)
    assert changed.count("デジタルの恩恵を享受") == 1 and changed.count("分野の事業から実施") == 1
    old_file, new_file = tmp_path / "old.yaml", tmp_path / "new.yaml"
    old_file.write_text(text, encoding="utf-8")
    new_file.write_text(changed, encoding="utf-8")
    old, new = parse(load_file(old_file)), parse(load_file(new_file))
    entry = ed.EditionEntry.model_validate
    first = ed.Edition(
        entry(
            {
                "date": datetime.date(2022, 12, 1),
                "label": "一",
                "status": "案",
                "model": 1,
                "sha256": "0" * 64,
            }
        ),
        old_file,
        old,
    )
    second = ed.Edition(
        entry(
            {
                "date": datetime.date(2023, 3, 24),
                "label": "二",
                "status": "策定",
                "model": 1,
                "sha256": "1" * 64,
            }
        ),
        new_file,
        new,
    )
    changes = archive.history(ed.SiteEditions((first, second), new))
    assert {"goal-life", "sol-life-priority"} <= set(changes)
    where = anchor_pages(new)
    for item_id in ("goal-life", "sol-life-priority"):
        page = next(p for p in all_pages(new) if p.path == where[item_id])
        soup = BeautifulSoup(render_page(new, page, Links(page.path, where, changes)), "html.parser")
        history = soup.find(id=item_id).select_one(".sd-history")
        assert history is not None and history["data-origin"] == "site", item_id
        assert history.a["href"].endswith(f"editions/2023-03-24/comparison/#cmp-{item_id}")


def test_frozen_models_are_kept_under_their_digest(tmp_path: Path, monkeypatch):
    """Frozen editions are read and validated once per file and code (the editions cache), and a bad entry in
    that cache is made again, never used."""
    monkeypatch.setenv("EDITIONS_CACHE", str(tmp_path / "cache"))
    first = ed.load_editions(ROOT)
    kept = sorted((tmp_path / "cache" / "models").glob("*.pickle"))
    assert len(kept) == len(REGISTRY["editions"]) == len(first)
    load_frozen = ed._load_frozen

    def unread(*args):
        raise RuntimeError("read the YAML again")

    monkeypatch.setattr(ed, "_load_frozen", unread)
    assert [e.strategy for e in ed.load_editions(ROOT)] == [e.strategy for e in first]  # from the cache
    for path in kept:
        path.write_bytes(b"not a pickle")
    with pytest.raises(RuntimeError, match="read the YAML again"):
        ed.load_editions(ROOT)
    monkeypatch.setattr(ed, "_load_frozen", load_frozen)
    assert [e.strategy for e in ed.load_editions(ROOT)] == [e.strategy for e in first]
    assert all(p.read_bytes() != b"not a pickle" for p in kept)  # made again
    monkeypatch.setattr(ed, "_code_digest", lambda: "other code")
    ed.load_editions(ROOT)
    assert len(list((tmp_path / "cache" / "models").glob("*.pickle"))) == 2 * len(kept)

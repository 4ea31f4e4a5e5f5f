"""Editions: frozen files held to their digests, migrations, the freezing command, and a second edition made
from the real data, built with its PDFs and read back (archive pages, banner, 新旧対照表, per-item history)."""

from __future__ import annotations

import datetime
import hashlib
import re
import subprocess
import sys
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
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "macros",
            "edition",
            "--root",
            str(project),
            "--data",
            str(project / "data" / "strategy.yaml"),
            *args,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
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


def test_a_migration_brings_an_old_edition_to_the_current_model(tmp_path: Path, monkeypatch):
    """Simulate a model change: data frozen under model 1 says `state:`; the model (version 2) wants `status:`."""
    old = (
        (ROOT / "data" / "strategy.yaml")
        .read_text(encoding="utf-8")
        .replace("  status: 案", "  state: 案", 1)
    )
    path = tmp_path / "2022-12-01.yaml"
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
    assert ed._load_frozen(str(path), "b", 1).meta.status == "案"
    assert "state: 案" in path.read_text(encoding="utf-8")  # the frozen file itself is never changed
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


@pytest.fixture(scope="module")
@builds_pdf
def second(tmp_path_factory) -> tuple[Path, Path]:
    """A project with a second edition frozen from the real data (changed sentence, added remark, removed
    guideline), built with the council PDF; returns (project, site)."""
    base = tmp_path_factory.mktemp("editions")
    project = copy_project(base / "project")
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
    import os

    os.environ["EDITIONS_CACHE"] = str(base / "cache")
    try:
        site = build_site(project, base / "site", pdf=True)
    finally:
        os.environ.pop("EDITIONS_CACHE")
    return project, site


def pdf_text(path: Path) -> str:
    raw = subprocess.run(
        ["pdftotext", "-raw", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    return re.sub(r"\s+", "", raw)


def test_the_freezing_command_recorded_the_second_edition(second):
    project, _ = second
    frozen = project / ed.EDITIONS_DIR / f"{SECOND}.yaml"
    assert frozen.read_bytes() == (project / "data" / "strategy.yaml").read_bytes()
    entries = ed.load_registry(project).editions
    assert [e.slug for e in entries] == ["2022-12-01", SECOND]
    assert (
        entries[1].summary == SUMMARY and entries[1].sha256 == hashlib.sha256(frozen.read_bytes()).hexdigest()
    )


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


def test_both_pdfs(second):
    _, site = second
    current, past = site / "pdf" / "strategy.pdf", site / "editions" / "2022-12-01" / "strategy.pdf"
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

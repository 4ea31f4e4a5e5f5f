"""Japanese dates and edition lines come from one module (macros/ja.py); no other code or template formats them,
and no template writes a count the data knows."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

from macros import footer, pdf_cover
from macros.archive import Row
from macros.ja import date_ja, edition_line, edition_note, edition_of
from macros.pages import Links, anchor_pages
from macros.publication import Publication
from macros.render import render_template

ROOT = Path(__file__).resolve().parent.parent


def test_dates_and_edition_lines():
    assert date_ja(datetime.date(2022, 12, 1)) == "2022年12月1日"
    assert date_ja(datetime.date(2023, 3, 4)) == "2023年3月4日"  # no zero padding
    assert edition_note(datetime.date(2023, 3, 24), "策定") == "（2023年3月24日・策定）"
    assert edition_line("協議資料", datetime.date(2022, 12, 1), "案") == "協議資料（2022年12月1日・案）"
    assert edition_of(datetime.date(2022, 12, 1)) == "2022年12月1日の版"


def test_every_place_says_the_date_and_the_edition_the_same_way(strategy):
    """The model, the PDF cover, the footer, the home page and the 改訂履歴 all go through macros/ja.py: a date
    moved in the model moves everywhere, in the one format."""
    meta = strategy.meta.model_copy(update={"date": datetime.date(2024, 2, 9)})
    moved = strategy.model_copy(update={"meta": meta})
    assert moved.meta.date_ja == "2024年2月9日"
    assert moved.meta.edition == f"{meta.document}（2024年2月9日・{meta.status}）"
    assert pdf_cover(moved, Publication(), "")["date"] == "2024年2月9日"
    assert (
        footer(moved, Publication())["edition"]
        == f"{meta.meeting}「{meta.document}」（2024年2月9日・{meta.status}）"
    )

    where = anchor_pages(moved)
    home = render_template("home.html.j2", moved, Links("index.md", where))
    assert '<p class="sd-home-date">2024年2月9日</p>' in home
    row = Row("第2回", datetime.date(2024, 2, 9), "策定", None, True, "../", None, None, None, "x.json")
    revisions = render_template(
        "revisions.html.j2", moved, Links("about/revisions.md", where), editions=[row]
    )
    assert "<dd>2024年2月9日</dd>" in revisions
    assert "<strong>第2回</strong>（2024年2月9日・策定）" in revisions


_DATE_PARTS = re.compile(r"[}\)]\s*[年月日]|\.(year|month|day)\b|strftime")
_EDITION_NUMBER = re.compile(r"第[\s{0-9０-９.]+版")
_COUNT = re.compile(r"[0-9０-９一二三四五六七八九十]+\s*(つ|件|項目|個)(の|で|に|を|が|、|。)")


def test_no_other_code_or_template_formats_dates_editions_or_counts():
    sources = [*ROOT.glob("macros/*.py"), *ROOT.glob("hooks/*.py"), *ROOT.glob("macros/templates/**/*.j2")]
    sources += [*ROOT.glob("docs/overrides/**/*.html")]
    found = []
    for path in sources:
        if path.name == "ja.py":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#", 1)[0] if path.suffix == ".py" else line
            where = f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
            if _DATE_PARTS.search(code) and "datetime.datetime(" not in code:
                found.append(where)
            if _EDITION_NUMBER.search(line) or (path.suffix != ".py" and _COUNT.search(line)):
                found.append(where)
    assert found == []

"""The one place where the site words dates and editions in Japanese.

Every page, the PDF cover, the footer, the 新旧対照表, the 改訂履歴 and the pages' 公開日／更新日 call these, so
a date or an edition line reads the same everywhere. Templates get them as the Jinja filters `date_ja` and
`edition_note` (macros/render.py). Counts are never written in a template: a template that needs one takes it
from the data (`|length`), so that it follows the data.
"""

from __future__ import annotations

import datetime


def date_ja(date: datetime.date) -> str:
    """A date as Japanese text, e.g. 2022年12月1日 (no zero padding, Western year as in the source)."""
    return f"{date.year}年{date.month}月{date.day}日"


def edition_note(date: datetime.date, status: str) -> str:
    """The date and status that follow an edition's name, e.g. （2022年12月1日・案）."""
    return f"（{date_ja(date)}・{status}）"


def edition_line(name: str, date: datetime.date, status: str) -> str:
    """An edition as one line: its name, date and status, e.g. 戦略立案に向けた協議資料（2022年12月1日・案）."""
    return name + edition_note(date, status)


def edition_of(date: datetime.date) -> str:
    """How a page of a past edition names that edition, e.g. 2022年12月1日の版."""
    return f"{date_ja(date)}の版"

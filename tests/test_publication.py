"""Publication settings (data/publication.yaml): shown everywhere when set, nowhere when unset, checked like the data.

The real file sets nothing (the source gives no licence, contact or address): tests/test_voice.py and
tests/test_pdf.py check that nothing is claimed then. Here a fixture sets every value and builds the site with
the PDF, and the values must reach every page's footer, the open-data page, the PDF cover and metadata.json.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from macros.loader import DataError
from macros.publication import parse_publication
from tests.conftest import ROOT, build_site, copy_project, read_pages

SETTINGS = """\
publisher: 盛岡市
site_url: https://example.github.io/strategy/
licence:
  name: クリエイティブ・コモンズ 表示 4.0 国際（CC BY 4.0）
  url: https://creativecommons.org/licenses/by/4.0/deed.ja
  attribution: 出典：盛岡市「戦略立案に向けた協議資料」
contact:
  name: 盛岡市 テスト部 テスト課
  phone: 019-000-0000
  email: test@example.jp
  url: https://www.example.jp/contact/
source_page: https://www.example.jp/strategy/
"""


def test_the_real_settings_set_nothing():
    publication = parse_publication(ROOT / "data" / "publication.yaml")
    assert publication.model_dump() == {
        "publisher": None,
        "site_url": None,
        "licence": None,
        "contact": None,
        "source_page": None,
    }


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("site_url: http://127.0.0.1:8000/\n", 1, ["site_url", "https://"]),
        ("contact:\n  name: 課\n  email: not-an-address\n", 3, ["email", "メールアドレス"]),
        ("licence:\n  name: CC BY\n", 2, ["url", "必須"]),
        ("publisher: 盛岡市\nlicense: CC0\n", 2, ["license", "使える項目", "licence"]),
        ("publisher: 盛岡市\n  oops: x\n", 2, ["YAML"]),
    ],
)
def test_bad_settings_name_the_line_in_japanese(tmp_path: Path, text: str, line: int, words: list[str]):
    path = tmp_path / "publication.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError) as caught:
        parse_publication(path)
    message = str(caught.value)
    assert f"{path}:{line}:" in message, message
    for word in words:
        assert word in message, (word, message)


def test_bad_settings_stop_the_build(tmp_path: Path):
    project = copy_project(tmp_path / "project")
    (project / "data" / "publication.yaml").write_text("site_url: ftp://x/\n", encoding="utf-8")
    result = subprocess.run(
        [str(ROOT / ".venv" / "bin" / "mkdocs"), "build", "--strict", "-q", "-d", str(tmp_path / "site")],
        cwd=project,
        check=False,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "NO_MKDOCS_2_WARNING": "1"},
    )
    assert result.returncode == 1
    assert "data/publication.yaml:1:" in result.stderr and "site_url" in result.stderr
    assert not (tmp_path / "site" / "index.html").exists()


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real data with every publication setting, built with the PDF."""
    project = copy_project(tmp_path_factory.mktemp("published") / "project")
    (project / "data" / "publication.yaml").write_text(SETTINGS, encoding="utf-8")
    return build_site(project, project.parent / "site", pdf=True)


@pytest.mark.pdf
def test_settings_in_every_footer(published: Path):
    pages = read_pages(published)
    assert len(pages) >= 15
    for name, soup in pages.items():
        footer = soup.select_one("footer .md-copyright")
        words = footer.get_text(" ")
        assert "発行: 盛岡市" in words, name
        licence = footer.select_one('a[rel="license"]')
        assert licence["href"] == "https://creativecommons.org/licenses/by/4.0/deed.ja", name
        contact = footer.select_one(".sd-contact")
        assert "盛岡市 テスト部 テスト課" in contact.get_text() and "019-000-0000" in contact.get_text(), name
        assert contact.select_one("a")["href"] == "https://www.example.jp/contact/"
        assert footer.select_one(".sd-source-page a")["href"] == "https://www.example.jp/strategy/"
        canonical = soup.select_one('link[rel="canonical"]')
        assert canonical is not None and canonical["href"].startswith(
            "https://example.github.io/strategy/"
        ), name


@pytest.mark.pdf
def test_settings_on_the_open_data_page_and_in_metadata(published: Path):
    page = read_pages(published)["about/open-data/index.html"].select_one(".sd-open-data-licence")
    assert (
        page.select_one('a[rel="license"]').get_text()
        == "クリエイティブ・コモンズ 表示 4.0 国際（CC BY 4.0）"
    )
    assert "出典：盛岡市「戦略立案に向けた協議資料」" in page.get_text()
    assert "まだ示されていません" not in page.get_text()
    metadata = json.loads((published / "data" / "metadata.json").read_text(encoding="utf-8"))
    assert metadata["publication"]["publisher"] == "盛岡市"
    assert metadata["publication"]["contact"]["email"] == "test@example.jp"
    assert metadata["publication"]["licence"]["url"] == "https://creativecommons.org/licenses/by/4.0/deed.ja"
    assert metadata["publication"]["site_url"] == "https://example.github.io/strategy/"


@pytest.mark.pdf
def test_settings_on_the_pdf_cover(published: Path):
    pdf = published / "pdf" / "strategy.pdf"
    cover = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", "-enc", "UTF-8", str(pdf), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    for text in (
        "盛岡市",
        "https://example.github.io/strategy/",
        "クリエイティブ・コモンズ 表示 4.0 国際（CC BY 4.0）",
        "出典：盛岡市「戦略立案に向けた協議資料」",
        "問い合わせ先: 盛岡市 テスト部 テスト課",
    ):
        assert text in cover, text
    from pypdf import PdfReader

    from tests.test_pdf import struct_elements

    alts = [str(n.get("/Alt")) for n in struct_elements(PdfReader(pdf)) if n.get("/S") == "/Figure"]
    assert any("QRコード" in a and "https://example.github.io/strategy/" in a for a in alts), alts

"""Build the site with the council PDF and check the PDF that comes out.

The project is the directory holding mkdocs-pdf.yml (mkdocs.yml plus the PDF plugin): by default the parent
of this tests/ directory, or PDF_PROJECT_DIR. The site is built twice (session fixtures) from mkdocs-pdf.yml
with a fixed SOURCE_DATE_EPOCH; needs poppler-utils.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from bs4 import BeautifulSoup, Tag
from fontTools.ttLib import TTFont
from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from tests.conftest import normalise

pytestmark = [pytest.mark.pdf, pytest.mark.slow]

SOURCE_DATE_EPOCH = "1669852800"  # 2022-12-01T00:00:00Z
A4_POINTS = (595.28, 841.89)
PDF_CONFIG = "mkdocs-pdf.yml"  # mkdocs.yml plus the PDF plugin and hooks/pdf.py
COVER_TEXTS = (
    "盛岡市デジタル化によるまちづくり推進戦略",
    "第2回盛岡市デジタル化によるまちづくり推進戦略 アドバイザーボード",
    "戦略立案に向けた協議資料",
    "2022年12月1日",
    "案",
)
VERSION_RE = re.compile(r"第\s*\d+(?:\.\d+)*\s*版")
# Article elements that never reach print (see docs/overrides/pdf/styles.scss).
WEB_ONLY = ".headerlink, .md-content__button, .md-source-file, .md-feedback, script, .sd-children"
# Markers that print CSS draws (list bullets, ✓ before solutions): not in the HTML text.
CSS_MARKERS = re.compile(r"[•✓]")
CJK_RE = re.compile(r"[\u3000-\u30ff\u3400-\u9fff\uff00-\uffef]")


@dataclasses.dataclass(frozen=True)
class Build:
    """One site build: the site directory and the single PDF in it."""

    site: Path
    pdf: Path
    log: str = ""


def run(*args: str) -> str:
    """Run a command and return its stdout."""
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def build_site(project: Path, site_dir: Path, *, as_scripts_build: bool = False) -> Build:
    """Build the project into site_dir with the PDF enabled: `mkdocs build`, or as scripts/build starts it
    (macros/pdf_render.py forks WeasyPrint's process first and runs `mkdocs build`)."""
    env = {
        **os.environ,
        "SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH,
        "NO_MKDOCS_2_WARNING": "1",
    }
    command = ["-P", "macros/pdf_render.py"] if as_scripts_build else ["-m", "mkdocs"]
    done = subprocess.run(
        [
            sys.executable,
            *command,
            "build",
            "--clean",
            "--config-file",
            str(project / PDF_CONFIG),
            "--site-dir",
            str(site_dir),
        ],
        cwd=project,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    # The council PDF, and the current edition's copy at its stable address (editions/DATE/strategy.pdf).
    pdfs = sorted(p.relative_to(site_dir).as_posix() for p in site_dir.rglob("*.pdf"))
    copies = [p for p in pdfs if p.startswith("editions/")]
    assert [p for p in pdfs if p not in copies] == ["pdf/strategy.pdf"], pdfs
    assert (
        len(copies) == 1
        and (site_dir / copies[0]).read_bytes() == (site_dir / "pdf/strategy.pdf").read_bytes()
    ), pdfs
    return Build(site=site_dir, pdf=site_dir / "pdf" / "strategy.pdf", log=done.stderr)


@pytest.fixture(scope="session")
def project_dir() -> Path:
    """The MkDocs project under test."""
    default = Path(__file__).resolve().parents[1]
    return Path(os.environ.get("PDF_PROJECT_DIR", default)).resolve()


@pytest.fixture(scope="session")
def built_pdf(project_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Build:
    """Build once per session and return the build."""
    if shutil.which("pdffonts") is None:
        pytest.skip("poppler-utils not installed")
    return build_site(project_dir, tmp_path_factory.mktemp("site-a"))


@pytest.fixture(scope="session")
def second_build(project_dir: Path, tmp_path_factory: pytest.TempPathFactory, built_pdf: Build) -> Build:
    """A second, independent build for the reproducibility check, made the way scripts/build makes it."""
    return build_site(project_dir, tmp_path_factory.mktemp("site-b"), as_scripts_build=True)


@pytest.fixture(scope="session")
def reader(built_pdf: Build) -> PdfReader:
    """The PDF opened with pypdf."""
    return PdfReader(built_pdf.pdf)


@pytest.fixture(scope="session")
def page_texts(built_pdf: Build) -> list[str]:
    """Normalised text of each page, in content-stream order (pdftotext -raw), without CSS list markers."""
    raw = run("pdftotext", "-raw", "-enc", "UTF-8", str(built_pdf.pdf), "-")
    return [normalise(re.sub(CSS_MARKERS, "", page)) for page in raw.split("\f")[:-1]]


def excluded_patterns(project: Path) -> list[re.Pattern[str]]:
    """The plugin's exclude_pages: pages of the site that are not part of the PDF."""
    from mkdocs.config import load_config

    plugin = load_config(str(project / PDF_CONFIG)).plugins["to-pdf"]
    return [re.compile(p if p.startswith("^") else f"^{p}") for p in plugin.config["exclude_pages"]]


def site_articles(site: Path) -> Iterator[Tag]:
    """Yield the article of each page that goes into the PDF, in nav order (rel=next from the home page)."""
    excluded = excluded_patterns(Path(os.environ.get("PDF_PROJECT_DIR", Path(__file__).resolve().parents[1])))
    page: Path | None = site / "index.html"
    seen: set[Path] = set()
    while page is not None and page not in seen:
        seen.add(page)
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        article = soup.find("article")
        assert isinstance(article, Tag), f"no article in {page}"
        for element in article.select(WEB_ONLY):
            element.decompose()
        url = page.parent.relative_to(site).as_posix()
        url = "" if url == "." else url + "/"
        if not any(p.match(url) for p in excluded):
            yield article
        link = soup.find("link", rel="next")
        href = str(link["href"]) if isinstance(link, Tag) else None
        page = (page.parent / href / "index.html").resolve() if href else None


def block_texts(article: Tag) -> Iterator[str]:
    """Yield the text of headings, paragraphs, cells and list items, without nested blocks."""
    for element in article.find_all(["h1", "h2", "h3", "h4", "h5", "h6", "p", "th", "td", "li"]):
        clone = BeautifulSoup(str(element), "html.parser").find(element.name)
        assert isinstance(clone, Tag)
        for nested in clone.find_all(["ul", "ol", "table", "p", "div"]):
            nested.decompose()  # nested blocks are yielded on their own
        text = clone.get_text(" ", strip=True)
        if text:
            yield text


def headings(site: Path) -> list[tuple[int, str]]:
    """(level, text) of every heading in the site's articles, in nav order."""
    return [
        (int(h.name[1]), h.get_text(" ", strip=True))
        for article in site_articles(site)
        for h in article.find_all(["h1", "h2", "h3", "h4", "h5", "h6"])
    ]


def flatten_outline(reader: PdfReader) -> list[tuple[int, str, int]]:
    """(depth, title, page index) of every bookmark, depth-first."""
    out: list[tuple[int, str, int]] = []

    def walk(items: list, depth: int) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item, depth + 1)
            else:
                out.append((depth, str(item.title), reader.get_destination_page_number(item)))

    walk(reader.outline, 0)
    return out


def to_unicode_map(font: DictionaryObject) -> dict[int, str]:
    """Parse a font's ToUnicode CMap (bfchar and bfrange) into {cid: text}."""
    data = font["/ToUnicode"].get_object().get_data().decode("latin-1")
    mapping: dict[int, str] = {}
    for block in re.findall(r"beginbfchar(.*?)endbfchar", data, re.DOTALL):
        for cid, uni in re.findall(r"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
            mapping[int(cid, 16)] = bytes.fromhex(uni).decode("utf-16-be")
    for block in re.findall(r"beginbfrange(.*?)endbfrange", data, re.DOTALL):
        for lo, hi, uni in re.findall(r"<(\w+)>\s*<(\w+)>\s*<(\w+)>", block):
            start = int(uni, 16)
            for offset, cid in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                mapping[cid] = chr(start + offset)
    return mapping


def embedded_fonts(reader: PdfReader) -> dict[str, DictionaryObject]:
    """All Type0 fonts used on any page, by BaseFont name."""
    fonts: dict[str, DictionaryObject] = {}
    for page in reader.pages:
        resources = page.get("/Resources", {})
        for ref in resources.get("/Font", {}).values():
            font = ref.get_object()
            fonts[str(font["/BaseFont"])] = font
    return fonts


def test_page_size_is_a4(reader: PdfReader) -> None:
    """Every page is A4 portrait."""
    for number, page in enumerate(reader.pages, 1):
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        assert abs(width - A4_POINTS[0]) <= 1 and abs(height - A4_POINTS[1]) <= 1, number


def test_fonts_embedded_biz_ud(built_pdf: Build) -> None:
    """pdffonts: every font embedded; BIZ UDPGothic present; no DejaVu/Liberation fallback."""
    rows = run("pdffonts", str(built_pdf.pdf)).splitlines()[2:]
    assert rows, "no fonts in the PDF"
    names = [row.split()[0] for row in rows]
    for row in rows:
        emb = re.search(r"\s(yes|no)\s+(yes|no)\s+(yes|no)\s+\d+\s+\d+\s*$", row)
        assert emb and emb.group(1) == "yes", f"not embedded: {row}"
    assert any(re.fullmatch(r"[A-Z]{6}\+BIZ-UDPGothic", n) for n in names), names
    assert not [n for n in names if re.search(r"DejaVu|Liberation|Noto", n)], names


def test_cover_page(page_texts: list[str], reader: PdfReader) -> None:
    """Cover: the source's own edition (title, meeting, document, date, 案); with no publication settings, no
    version number, no address or QR code, no licence, no publisher and no contact."""
    cover = page_texts[0]
    for text in COVER_TEXTS:
        assert normalise(text) in cover, text
    assert not VERSION_RE.search(cover), "an edition number the source never gives"
    for absent in ("http", "127.0.0.1", "QR", "CC BY", "ライセンス", "問い合わせ", "発行"):
        assert absent not in cover, absent
    figures = [node for node in struct_elements(reader) if node.get("/S") == "/Figure"]
    assert not [f for f in figures if "QR" in str(f.get("/Alt", ""))]


def test_pdf_text_is_the_sources_or_the_sites_marked_notes(built_pdf: Build) -> None:
    """The rule of tests/test_voice.py on the PDF: every line of six or more characters is the source's, a text
    that the pages mark data-origin="site" (編集注), the page that explains them, or the PDF's own furniture."""
    from tests.test_voice import MIN_LENGTH, source_corpus, squeeze

    corpus = source_corpus()
    ours = []
    for article in site_articles(built_pdf.site):
        heading = article.select_one("h1")
        if heading is not None and heading.get_text(strip=True).startswith("資料の文言と編集注"):
            ours.append(squeeze(article.get_text()))  # the page about the site's notes: the site's words
        ours += [squeeze(e.get_text()) for e in article.select('[data-origin="site"]')]
    allowed = corpus + "\x00" + "\x00".join(ours) + "\x00目次"
    raw = run("pdftotext", "-raw", "-enc", "UTF-8", str(built_pdf.pdf), "-").split("\f")[:-1]
    bad = []
    for number, page in enumerate(raw[1:], 2):
        for line in page.splitlines():
            line = re.sub(r"[.\s]*\d+(\s*/\s*\d+)?\s*$", "", line)  # TOC leaders, page numbers, "n / N"
            text = squeeze(line)
            if len(text) < MIN_LENGTH or text in allowed:
                continue
            bad += [
                (number, c) for c in map(squeeze, line.split()) if len(c) >= MIN_LENGTH and c not in allowed
            ]
    assert bad == []


def test_running_header_and_footer(page_texts: list[str]) -> None:
    """Pages after the cover carry the title header and a 'page / pages' footer."""
    total = len(page_texts)
    title = normalise(COVER_TEXTS[0])
    assert f"1/{total}" not in page_texts[0]
    for number, text in enumerate(page_texts[1:], 2):
        assert f"{number}/{total}" in text, number
        assert text.count(title) >= 1, number


def test_site_text_in_pdf(built_pdf: Build, page_texts: list[str]) -> None:
    """Every heading, paragraph, list item and table cell of the site is in the PDF."""
    full = "".join(page_texts)
    missing = [
        text
        for article in site_articles(built_pdf.site)
        for text in block_texts(article)
        if normalise(text) not in full
    ]
    assert not missing, missing[:10]


def test_tables_repeat_header_and_keep_rows(built_pdf: Build, page_texts: list[str]) -> None:
    """Each row lies whole on one page; every page with rows of a table shows its header."""
    for article in site_articles(built_pdf.site):
        for table in article.find_all("table"):
            thead = table.find("thead")
            if not isinstance(thead, Tag):
                continue
            header = normalise(thead.get_text())
            for row in table.select("tbody tr"):
                key = normalise(row.get_text())
                pages = [i for i, text in enumerate(page_texts) if key in text]
                assert pages, f"row split or lost: {key}"
                for index in pages:
                    assert header in page_texts[index], f"no header on page {index + 1}"


def test_bookmarks_follow_headings(built_pdf: Build, reader: PdfReader) -> None:
    """Bookmarks are exactly the site's headings, in order; top level = h1."""
    outline = flatten_outline(reader)
    expected = headings(built_pdf.site)
    assert [normalise(t) for _, t, _ in outline] == [normalise(t) for _, t in expected]
    assert [normalise(t) for d, t, _ in outline if d == 0] == [
        normalise(t) for level, t in expected if level == 1
    ]


def test_toc_has_page_numbers(reader: PdfReader, page_texts: list[str]) -> None:
    """The contents page lists each h1 (and any listed h2/h3) with its bookmark's page."""
    first_chapter = min(page for depth, _title, page in flatten_outline(reader) if depth == 0)
    toc = re.sub(r"\.{2,}", "", "".join(page_texts[1:first_chapter]))  # drop leader dots
    assert normalise("目次") in toc
    for depth, title, page in flatten_outline(reader):
        title, number = normalise(title), str(page + 1)
        if depth == 0 or (depth <= 2 and title in toc):
            assert f"{number}{title}" in toc or f"{title}{number}" in toc, (
                title,
                number,
            )


def struct_elements(reader: PdfReader) -> Iterator[DictionaryObject]:
    """Walk the structure tree."""
    stack = [reader.trailer["/Root"]["/StructTreeRoot"].get_object()]
    while stack:
        node = stack.pop()
        if not isinstance(node, DictionaryObject):
            continue
        yield node
        kids = node.get("/K")
        if kids is None:
            continue
        kids = kids.get_object()
        for kid in kids if isinstance(kids, list) else [kids]:
            stack.append(kid.get_object())


def test_tagged_pdf_ua(reader: PdfReader, built_pdf: Build) -> None:
    """Tagged PDF/UA-1: StructTreeRoot, Marked, /Lang ja, title shown, outline."""
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root
    assert bool(root["/MarkInfo"]["/Marked"]) is True
    assert str(root["/Lang"]) == "ja"
    assert root["/ViewerPreferences"]["/DisplayDocTitle"]
    assert "/Outlines" in root
    assert reader.metadata is not None and reader.metadata.title == COVER_TEXTS[0]
    xmp = root["/Metadata"].get_object().get_data()
    assert b'pdfuaid:part="1"' in xmp
    assert any(node.get("/S") == "/H1" for node in struct_elements(reader))


def test_pdfua_checker_reports_no_errors(built_pdf: Build) -> None:
    """The `pdfua` checker (machine-checkable subset of PDF/UA-1) finds no errors."""
    pytest.importorskip("pdfua")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pdfua",
            "check",
            "--format",
            "json",
            str(built_pdf.pdf),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    report = json.loads(result.stdout)
    errors = [f for f in report["findings"] if str(f.get("severity", "")).upper() == "ERROR"]
    assert report["summary"]["errors"] == 0 and not errors, errors


def test_no_tofu(built_pdf: Build, reader: PdfReader) -> None:
    """Every CJK character of the site and cover is drawn with a real BIZ UDPGothic glyph.

    Via ToUnicode we find the glyph id (CIDToGIDMap is Identity, and WeasyPrint subsets
    with retained glyph ids), then check that glyph has an outline in the embedded font.
    """
    wanted = set(CJK_RE.findall("".join(COVER_TEXTS)))
    for article in site_articles(built_pdf.site):
        wanted |= set(CJK_RE.findall(article.get_text()))
    wanted -= {"\u3000"}
    drawn: dict[str, bool] = {}
    for name, font in embedded_fonts(reader).items():
        descendant = font["/DescendantFonts"][0].get_object()
        assert descendant.get("/CIDToGIDMap") == "/Identity", name
        program = descendant["/FontDescriptor"]["/FontFile2"].get_object().get_data()
        ttf = TTFont(io.BytesIO(program))
        order = ttf.getGlyphOrder()
        glyf = ttf["glyf"]
        is_biz = "BIZ-UD" in name
        for cid, text in to_unicode_map(font).items():
            for char in text:
                has_outline = cid != 0 and cid < len(order) and glyf[order[cid]].numberOfContours != 0
                drawn[char] = drawn.get(char, False) or (is_biz and has_outline)
    tofu = sorted(c for c in wanted if not drawn.get(c))
    assert not tofu, f"characters without a BIZ UD glyph: {''.join(tofu)}"


def test_reproducible(built_pdf: Build, second_build: Build) -> None:
    """Two builds with the same SOURCE_DATE_EPOCH are byte-identical (PDF and site): `mkdocs build`, whose PDF
    is rendered by a fresh process, and scripts/build's, whose renderer was forked before MkDocs started."""
    assert "fresh process" in built_pdf.log and "forked before MkDocs" not in built_pdf.log
    assert "forked before MkDocs" in second_build.log and "fresh process" not in second_build.log
    assert built_pdf.pdf.read_bytes() == second_build.pdf.read_bytes()
    first = {p.relative_to(built_pdf.site): p.read_bytes() for p in built_pdf.site.rglob("*") if p.is_file()}
    second = {
        p.relative_to(second_build.site): p.read_bytes() for p in second_build.site.rglob("*") if p.is_file()
    }
    assert first.keys() == second.keys()
    assert [str(p) for p in first if first[p] != second[p]] == []


def test_text_inside_margins(built_pdf: Build) -> None:
    """No word is cut off or outside the binding-safe area (>= 18 mm from left/right edges)."""
    html = run("pdftotext", "-bbox", str(built_pdf.pdf), "-")
    mm = 72 / 25.4
    soup = BeautifulSoup(html, "html.parser")
    for number, page in enumerate(soup.find_all("page"), 1):
        width, height = float(page["width"]), float(page["height"])
        for word in page.find_all("word"):
            box = [float(word[k]) for k in ("xmin", "ymin", "xmax", "ymax")]
            assert box[0] >= 18 * mm and box[2] <= width - 18 * mm, (
                number,
                word.text,
                box,
            )
            assert box[1] >= 8 * mm and box[3] <= height - 8 * mm, (
                number,
                word.text,
                box,
            )


def test_every_page_offers_the_pdf(built_pdf: Build) -> None:
    """Each HTML page links the PDF from its header with a Japanese name; the home page says pages and size."""
    pages = [p for p in built_pdf.site.rglob("*.html") if p.name != "404.html"]
    for page in pages:
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        button = soup.select_one("a.md-header-nav__button[href$='pdf/strategy.pdf']")
        assert isinstance(button, Tag), page
        assert button["aria-label"] == "議会配付用 PDF（A4）をダウンロード"
        assert (page.parent / str(button["href"])).resolve() == built_pdf.pdf.resolve()
    home = BeautifulSoup((built_pdf.site / "index.html").read_text(encoding="utf-8"), "html.parser")
    count = len(PdfReader(built_pdf.pdf).pages)
    size_kb = round(built_pdf.pdf.stat().st_size / 1024)
    assert f"（A4・{count} ページ・{size_kb:,} KB）" in home.select_one(".sd-pdf").get_text()
    assert not (built_pdf.pdf.parent / "styles.scss").exists()

"""MkDocs hook: what a citizen expects of a city's website, added to every page.

- **Description** (`<meta name="description">`): the first sentences of the page's own text (site notes left out).
- **Dates**: 公開日 (the commit that first added the page's file) and 更新日 (the last commit that changed the
  page's file or `data/strategy.yaml`), read from git; without git (or in a shallow clone), 更新日 is the day of SOURCE_DATE_EPOCH and no
  公開日 is shown. Reproducible: the same commit gives the same dates. The page says that these are the site's
  records, not dates the city announced (docs/overrides/partials/source-file.html).
- **Share image and OGP/X card tags**: a 1200×630 PNG per page with its title in BIZ UDPGothic, drawn with
  Pillow at build time (site/assets/social/) and kept in the user's cache directory by a digest of the title and
  the drawing code, so a build of unchanged titles reads them back; the tags are written by docs/overrides/main.html. og:url and
  og:image need an absolute address, so they are written only when the site has one (SITE_URL or
  data/publication.yaml).
- **robots.txt**: always; its `Sitemap:` line only with an address.
- **Phones**: each table with one header row gets `data-sd-stack` and each body cell its column's heading as
  `data-label` (docs/stylesheets/mobile.css turns the rows into cards on phones).
- **ふりがな**: per page, `furigana.json` next to the page (macros/furigana.py); docs/javascripts/citizen.js
  shows the readings as <ruby> when the reader turns them on. The page's HTML holds no readings.
- **Markup fixes** on the written page (Material's templates outside its partials, and the PDF plugin):
  `autocomplete="off"` is not allowed on checkboxes and `autocorrect` is no HTML attribute (W3C validator);
  Material's search dialog has no name (axe, Lighthouse); an empty `<th scope="row">` becomes a `<td>`; the PDF plugin's `<link rel="alternate" type="application/pdf">` makes Material fetch
  `pdf/sitemap.xml`, a 404 on every page (Lighthouse best practices). The PDF stays linked from the pages' text.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import html
import json
import logging
import os
import posixpath
import re
import subprocess
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.pages import Page

from macros import usercache
from macros.furigana import FURIGANA_FILE, Reader, load_overrides
from macros.html_scan import first_sentences, label_cells, mark_english, text_nodes
from macros.ja import date_ja
from macros.loader import DataError
from macros.memo import Kept

log = logging.getLogger("mkdocs.hooks.citizen")

DATA_FILE = "data/strategy.yaml"
SOCIAL_DIR = "assets/social"
FURIGANA_JSON = "furigana.json"
IMAGE_SIZE = (1200, 630)
FONT_DIRS = (
    "/usr/share/fonts/truetype/bizud-gothic",
    "/usr/share/fonts/truetype/morisawa",
    "/usr/share/fonts",
)
DESCRIPTION_MIN, DESCRIPTION_MAX = 60, 120
IMAGES_KEEP = 2048  # share images kept in the user's cache (about 60 KB each; macros/usercache.py)
# Elements whose text gets no readings: code, scripts, and the readings themselves.
NO_FURIGANA = {"script", "style", "code", "pre", "kbd", "samp", "svg", "rt", "rp", "textarea", "template"}


class Build:
    """One build's state: the ふりがな reader, the git dates and the share images to draw.

    Made by on_config and kept with this build's plugins (as hooks/site_output.py keeps its output folders), so
    nothing of one build stays in this module for another (`mkdocs serve` rebuilds, tests build in-process).
    """

    def __init__(self, reader: Reader, git: dict[str, tuple[int, int]] | None) -> None:
        self.reader, self.git = reader, git
        self.images: dict[str, tuple[str, str, bool]] = {}  # path below the site -> (title, site name, home)


STATE = f"{__name__}:build"  # this build's Build in config.plugins


def _state(config: MkDocsConfig) -> Build:
    return config.plugins[STATE]  # type: ignore[return-value]


# --- configuration ---------------------------------------------------------------------------------------------


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    """Load the ふりがな overrides (bad entries stop the build, each with its line) and the git dates."""
    root = Path(config.config_file_path).parent
    try:
        overrides = load_overrides(root / FURIGANA_FILE)
    except DataError as exc:
        raise PluginError(f"ふりがなの上書き一覧に {len(exc.problems)} 件の問題があります。\n{exc}") from None
    config.plugins[STATE] = Build(Reader(overrides), git_dates(root))  # type: ignore[assignment]
    return config


def git_dates(root: Path) -> dict[str, tuple[int, int]] | None:
    """For each file under docs/ and data/strategy.yaml: (first, last) commit time; None without git history.

    A shallow clone (CI's default checkout) holds only the last commits: the first commit of a file would be a
    wrong 公開日, so such a history counts as none (the page then gives only the build's date).
    """
    try:
        shallow = subprocess.run(
            ["git", "rev-parse", "--is-shallow-repository"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        if shallow != "false":
            return None
        out = subprocess.run(
            ["git", "log", "--format=@%ct", "--name-only", "--no-renames", "--", "docs", DATA_FILE],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    dates: dict[str, tuple[int, int]] = {}
    when = 0
    for line in out.splitlines():
        if line.startswith("@"):
            when = int(line[1:])
        elif line.strip():
            first, last = dates.get(line, (when, when))
            dates[line] = (min(first, when), max(last, when))
    return dates or None


def japanese_date(epoch: int) -> tuple[str, str]:
    """(2026年11月26日, 2026-11-26) in Japan's time zone."""
    day = datetime.datetime.fromtimestamp(epoch, datetime.timezone(datetime.timedelta(hours=9))).date()
    return date_ja(day), day.isoformat()


def page_dates(src_uri: str, dates: dict[str, tuple[int, int]] | None) -> dict[str, str]:
    """公開日 and 更新日 of a page (empty when unknown), from the build's git dates."""
    out: dict[str, str] = {}
    # A document page has no file of its own (hooks/document_pages.py makes it from the data): its dates are the
    # data file's.
    own = dates.get(f"docs/{src_uri}") or dates.get(DATA_FILE) if dates else None
    if dates and own:
        first, last = own
        last = max(last, dates.get(DATA_FILE, (0, 0))[1])
        out["published"], out["published_iso"] = japanese_date(first)
        out["updated"], out["updated_iso"] = japanese_date(last)
    elif os.environ.get("SOURCE_DATE_EPOCH", "").isdigit():
        out["updated"], out["updated_iso"] = japanese_date(int(os.environ["SOURCE_DATE_EPOCH"]))
    return out


# --- per page ----------------------------------------------------------------------------------------------------


def _by_digest(function: Any) -> Any:
    """Keep a function's results by a digest of its one text argument: `mkdocs serve` rebuilds every page on every
    save, and all pages but the edited one are the same text again."""
    kept: Kept[bytes, Any] = Kept(8192)

    @functools.wraps(function)
    def cached(text: str) -> Any:
        key = hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()
        return kept[key] if key in kept else kept.keep(key, function(text))

    return cached


@_by_digest
def description(content: str) -> str:
    """The first sentences of a page's own text (no headings, no site notes), about 60-120 characters."""
    return first_sentences(content, DESCRIPTION_MIN, DESCRIPTION_MAX)


def image_name(page: Page) -> str:
    """The share image's path below the site: assets/social/<page path with dashes>.png."""
    slug = page.file.dest_uri.removesuffix("index.html").removesuffix(".html").strip("/").replace("/", "-")
    return f"{SOCIAL_DIR}/{slug or 'index'}.png"


def on_page_context(context: dict[str, Any], page: Page, config: MkDocsConfig, nav: Any) -> dict[str, Any]:
    """Description, dates, share image and the ふりがな file of the page, for the templates (escaped here)."""
    meta = page.meta
    if meta.get("sd_cached"):  # hooks/editions.py writes this page's files from its cache
        return context
    text = description(page.content or "") or html.unescape(config.site_description or "")
    meta["description"] = html.escape(text, quote=True)  # Material prints page.meta.description as it is
    title = html.unescape(page.title or "") if not page.is_homepage else html.unescape(config.site_name)
    name = image_name(page)
    state = _state(config)
    state.images[name] = (title, html.unescape(config.site_name), page.is_homepage)
    site_url = config.site_url or ""
    meta["sd"] = {
        "title": html.escape(title, quote=True),
        "image": name,
        "image_url": (site_url + name) if site_url else "",
        "page_url": page.canonical_url or "",
        "furigana": posixpath.join(posixpath.dirname(page.file.dest_uri), FURIGANA_JSON),
        "type": "website" if page.is_homepage else "article",
        **page_dates(page.file.src_uri, state.git),
    }
    return context


def furigana_texts(output: str) -> tuple[str, ...]:
    """The text nodes of the page's article that may get readings, as the browser's DOM holds them."""
    start, end = output.find("<article"), output.rfind("</article>")
    if start < 0 or end < 0:
        return ()
    return _article_texts(output[start : end + len("</article>")])


@_by_digest
def _article_texts(article: str) -> tuple[str, ...]:
    return text_nodes(article, skip_names=NO_FURIGANA, skip_class="sd-tools")


def _fix_input(match: re.Match[str]) -> str:
    """autocomplete is not allowed on checkboxes, and autocorrect is no HTML attribute (W3C validator)."""
    tag = re.sub(r'\s+autocorrect="[^"]*"', "", match[0])
    if 'type="checkbox"' in tag:
        tag = re.sub(r'\s+autocomplete="[^"]*"', "", tag)
    return tag


MARKUP_FIXES = (
    (re.compile(r"<input\b[^>]*>"), _fix_input),
    # Material's search dialog has no accessible name
    (
        re.compile(r'(<div class="md-search" data-md-component="search" role="dialog")>'),
        r'\1 aria-label="検索">',
    ),
    # an empty row header names nothing (axe, Lighthouse: empty-table-header): a data cell, as the source means
    (re.compile(r'<th scope="row">\s*</th>'), "<td></td>"),
    # the PDF plugin's alternate link makes Material fetch pdf/sitemap.xml (404); the PDF is linked in the text.
    # (The pattern starts with its literal `<link`: a leading `\s*` made the search try every position of every
    # run of indentation, 37 ms on each page at 100× the data; the link's own line stays, empty.)
    (re.compile(r'<link[^>]*type="application/pdf"[^>]*/?>'), ""),
)


_TABLE = re.compile(r"<table\b.*?</table>", re.DOTALL)


def label_table(match: re.Match[str]) -> str:
    """Give each body cell of a table with one header row its column's heading as `data-label`, and mark the
    table `data-sd-stack`: on phones (mobile.css) its rows become cards whose cells say what they are. Wide tables
    (`sd-wide`, timelines) and tables with several header rows keep their grid and scroll."""
    chunk = match[0]
    before = match.string[max(0, match.start() - 300) : match.start()]
    if "sd-wide" in before[before.rfind("<div") :]:
        return chunk
    return _stacked_table(chunk)


@_by_digest
def _stacked_table(chunk: str) -> str:
    """`label_table`'s work on one table's HTML (kept by its digest: `mkdocs serve` rebuilds unchanged tables)."""
    labelled = label_cells(chunk)
    return chunk if labelled is None else labelled


@event_priority(-50)  # after the PDF plugin has collected the page and added its link
def on_post_page(output: str, page: Page, config: MkDocsConfig) -> str:
    """Fix the theme's markup, label the table cells for phones and write the page's ふりがな file."""
    if page.meta.get("sd_cached"):  # hooks/editions.py writes this page's files from its cache
        return output
    for pattern, replacement in MARKUP_FIXES:
        output = pattern.sub(replacement, output)
    output = _TABLE.sub(label_table, output)
    body = output.find("<body")
    if body >= 0:
        output = output[:body] + mark_english(output[body:])
    readings = _state(config).reader.page(furigana_texts(output))
    dest = Path(config.site_dir) / page.meta["sd"]["furigana"]
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(json.dumps(readings, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    return output


# --- after the build -----------------------------------------------------------------------------------------------


def on_post_build(config: MkDocsConfig) -> None:
    """Share images, robots.txt, and the markup fixes on the 404 page."""
    site = Path(config.site_dir)
    images = sorted(_state(config).images.items())
    code = image_code() if images else b""
    made: list[Path] = []
    for name, (title, site_name, home) in images:
        path = site / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(stored_image(title, site_name, home, code, made))
    if made:
        usercache.prune(made[0].parent, IMAGES_KEEP)
    lines = ["User-agent: *", "Allow: /"]
    if config.site_url:
        lines.append(f"Sitemap: {config.site_url}sitemap.xml")
    (site / "robots.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    not_found = site / "404.html"
    if not_found.exists():
        text = not_found.read_text(encoding="utf-8")
        for pattern, replacement in MARKUP_FIXES:
            text = pattern.sub(replacement, text)
        not_found.write_text(text, encoding="utf-8")


def image_code() -> bytes:
    """What every share image is drawn with: this module's code, the font file and Pillow's version."""
    import PIL

    font = Path(font_path())
    stat = font.stat()
    parts = (str(font), str(stat.st_size), str(stat.st_mtime_ns), PIL.__version__)
    return hashlib.sha256(Path(__file__).read_bytes() + "\0".join(parts).encode("utf-8")).digest()


def stored_image(
    title: str, site_name: str, home: bool, code: bytes, made: list[Path] | None = None
) -> bytes:
    """`share_image`'s PNG, kept by a digest of its texts and `image_code()`. Drawing and compressing a
    1200×630 PNG takes about 25 ms and a site has one per page (a fifth of the build at 100× the data): a build of
    unchanged titles reads them back."""
    digest = hashlib.sha256(code)
    for part in (title, site_name, str(home)):
        digest.update(part.encode("utf-8") + b"\0")
    path = usercache.folder("share") / f"{digest.hexdigest()}.png"
    stored = usercache.read(path)
    if stored is not None:
        return stored
    image = share_image(title, site_name, home)
    usercache.write(path, image, None)  # on_post_build prunes the folder once
    if made is not None:
        made.append(path)
    return image


@functools.cache
def font_path(name: str = "BIZUDPGothic") -> str:
    """The BIZ UDPGothic file (Debian's fonts-morisawa-bizud-gothic)."""
    for folder in FONT_DIRS:
        for weight in ("Bold", "Regular"):
            found = sorted(Path(folder).rglob(f"{name}-{weight}.ttf"))
            if found:
                return str(found[0])
    raise PluginError(
        f"共有用の画像に使うフォント {name} がありません（fonts-morisawa-bizud-gothic を入れてください）。"
    )


@functools.cache
def _font(size: int) -> Any:
    from PIL import ImageFont

    return ImageFont.truetype(font_path(), size)


def wrap(text: str, font: Any, width: int) -> list[str]:
    """Break Japanese text into lines of at most `width` pixels (by character; no line starts with 、。）」)."""
    lines, line = [], ""
    for char in text:
        if line and font.getlength(line + char) > width and char not in "、。，．）」』】":
            lines.append(line)
            line = ""
        line += char
    return [*lines, line] if line else lines


@functools.lru_cache(maxsize=4096)  # `mkdocs serve` rebuilds every page on every save: the same images
def share_image(title: str, site_name: str, home: bool) -> bytes:
    """A 1200×630 PNG: the page title large, the site's name below, the site's colours (no emblem)."""
    import io

    from PIL import Image, ImageDraw

    width, height = IMAGE_SIZE
    image = Image.new("RGB", IMAGE_SIZE, "#ffffff")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, width, 24), fill="#0b4f8a")
    draw.rectangle((0, height - 110, width, height), fill="#f3f6fa")
    margin = 80
    size = 72
    while True:
        font = _font(size)
        lines = wrap(title, font, width - 2 * margin)
        if len(lines) <= 4 or size <= 40:
            break
        size -= 6
    lines = lines[:4]
    line_height = int(size * 1.35)
    top = 70 + max(0, (height - 110 - 70 - line_height * len(lines)) // 2)
    for i, line in enumerate(lines):
        draw.text((margin, top + i * line_height), line, font=font, fill="#1a1a1a")
    small = _font(30)
    footer = site_name if not home else "ウェブ版"
    draw.text((margin, height - 75), wrap(footer, small, width - 2 * margin)[0], font=small, fill="#0b4f8a")
    out = io.BytesIO()
    image.save(out, "PNG", compress_level=1)  # zlib's default (6) takes 1.7× as long for 1% smaller files
    return out.getvalue()

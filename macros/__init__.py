"""MkDocs adapter (mkdocs-macros): load the strategy once, build the navigation, expose render functions.

This is the only module that knows MkDocs. It runs when MkDocs loads its config, before anything is written:
invalid data stops the build there with every problem listed, and no site is produced. Under `mkdocs serve`
(hooks/site_output.py sets PREVIEW_ENV) the preview shows the problems in the browser instead, on every page.

Text from the data is never a template: mkdocs-macros renders a page's title through Jinja when it contains
`{{`, `{%` or `{#`, so the titles given to MkDocs carry braces as HTML character references (see `theme_text`).
"""

from __future__ import annotations

import functools
import hashlib
import html
import os
from pathlib import Path
from typing import Any

from markupsafe import Markup
from mkdocs.exceptions import PluginError

from . import archive, export, modelcache, rawblocks
from .editions import SiteEditions, load_editions
from .ja import edition_line
from .loader import MAX_BYTES, DataError, Problem, safe_line
from .model import Strategy, load
from .pages import ABOUT_PAGES, HOME, Links, all_pages, anchor_pages, chapter_pages, file_url
from .publication import PUBLICATION_FILE, Publication, parse_publication
from .render import ENV, render_page, render_template

DATA_FILE = "data/strategy.yaml"
PREVIEW_ENV = "STRATEGY_PREVIEW"  # "1" while `mkdocs serve` runs (set by hooks/site_output.py)


@functools.lru_cache(maxsize=4)
def load_strategy(path: str, raw: bytes) -> Strategy:
    """Validate the data file's bytes (cached per content, so `mkdocs serve` reloads every edit; between builds
    in the user's cache, see macros/modelcache.py)."""
    return modelcache.load(path, raw)


@functools.lru_cache(maxsize=4)
def load_publication(path: str, mtime_ns: int) -> Publication:
    """Load and validate the publication settings (cached per file version)."""
    del mtime_ns
    return parse_publication(path)


def _mtime(path: Path) -> int:
    return path.stat().st_mtime_ns if path.exists() else 0


def theme_text(text: str) -> Markup:
    """Text from the data for MkDocs settings that the theme prints without escaping (titles, copyright).

    HTML-escaped, and marked as such (so that the theme's `| e` does not escape it twice); braces become
    character references, so that no template engine (mkdocs-macros renders page titles) sees `{{` or `{%`.
    """
    escaped = html.escape(text, quote=True).replace("{", "&#123;").replace("}", "&#125;")
    return Markup(escaped)


def build_nav(strategy: Strategy) -> list[Any]:
    """The navigation, mirroring the document's chapters; every title comes from the data, escaped."""
    nav: list[Any] = [{"ホーム": HOME}]
    for page in chapter_pages(strategy):
        title = theme_text(page.section.heading)
        if page.children:
            children = [{theme_text(c.section.heading): c.path} for c in page.children]
            nav.append({title: [{title: page.path}, *children]})
        else:
            nav.append({title: page.path})
    nav.append({"このサイトについて": [{title: path} for path, title in ABOUT_PAGES]})
    return nav


def document_page(env: Any) -> str:
    """Macro: the Markdown of the current document page."""
    strategy: Strategy = env.variables["strategy"]
    src = env.page.file.src_uri
    page = env.variables["document_pages"].get(src)
    if page is None:
        raise PluginError(f"{src}: この部分を表示するページが data/strategy.yaml にありません。")
    return render_page(strategy, page, links(env), raw=rawblocks.token)


def edition_page(env: Any) -> str:
    """Macro: the Markdown of a generated page of the editions (a past edition's page, its home, a 新旧対照表)."""
    src = env.page.file.src_uri
    page = env.variables["edition_pages"].get(src)
    if page is None:
        raise PluginError(f"{src}: この版のページは data/editions/ にありません。")
    site = env.variables["editions"]
    files = archive.files_of(page, site, pdf_link(env.conf, src) is not None)
    return archive.render(page, site, env.variables["anchors"], files, env.conf["use_directory_urls"])


def site_page(env: Any, template: str, **extra: Any) -> str:
    """Macro: a page-level template (home, about pages) rendered from the model."""
    src = env.page.file.src_uri
    return render_template(
        template,
        env.variables["strategy"],
        links(env),
        pdf=pdf_link(env.conf, src),
        pub=env.variables["publication"],
        editions=archive.revision_rows(
            env.variables["editions"],
            src,
            pdf_link(env.conf, src) is not None,
            env.conf["use_directory_urls"],
        ),
        **extra,
    )


def links(env: Any) -> Links:
    """Links from the current page, with MkDocs' URLs (`use_directory_urls` as configured)."""
    return Links(
        env.page.file.src_uri,
        env.variables["anchors"],
        env.variables["history"],
        use_directory_urls=env.conf["use_directory_urls"],
    )


def pdf_link(config: Any, src: str) -> str | None:
    """A link to the council PDF when this build writes it (the to-pdf plugin's `enabled_if_env` is 1)."""
    plugin = config.plugins.get("to-pdf")
    if plugin is None:
        return None
    name = plugin.config.get("enabled_if_env")
    if name and os.environ.get(name) != "1":
        return None
    return file_url(src, plugin.config["output_path"], config["use_directory_urls"])


def pdf_cover(strategy: Strategy, publication: Publication, site_url: str) -> dict[str, str]:
    """The values that the PDF cover template (docs/overrides/pdf/cover.html) shows; empty means not shown."""
    meta, licence = strategy.meta, publication.licence
    return {
        "title": meta.title,
        "meeting": meta.meeting,
        "subtitle": meta.document,
        "date": meta.date_ja,
        "status": meta.status,
        "publisher": publication.publisher or "",
        "url": site_url or "",
        "licence": f"{licence.name} {licence.url}" if licence else "",
        "attribution": licence.attribution if licence else "",
        "contact": contact_line(publication),
    }


def contact_line(publication: Publication) -> str:
    """The contact as one line of text (name, phone, e-mail), or empty when unset."""
    contact = publication.contact
    if contact is None:
        return ""
    parts = [contact.name]
    if contact.phone:
        parts.append(f"電話 {contact.phone}")
    if contact.email:
        parts.append(f"メール {contact.email}")
    return "　".join(parts)


def footer(strategy: Strategy, publication: Publication) -> dict[str, Any]:
    """What the footer partial (docs/overrides/partials/copyright.html) shows; it escapes every value."""
    contact, meta = publication.contact, strategy.meta
    return {
        "edition": edition_line(f"{meta.meeting}「{meta.document}」", meta.date, meta.status),
        "publisher": publication.publisher,
        "licence": publication.licence.model_dump() if publication.licence else None,
        "contact": contact_line(publication),
        "contact_url": contact.url if contact else None,
        "source_page": publication.source_page,
    }


def problems_page(env: Any, *args: Any, **kwargs: Any) -> str:
    """Macro used in place of every page while the data has problems (`mkdocs serve` only)."""
    del args, kwargs
    problems: list[Problem] = env.variables["data_problems"]
    return ENV.get_template("problems.html.j2").render(problems=problems, data_file=DATA_FILE) + "\n"


def previewing() -> bool:
    """Whether this build is `mkdocs serve`'s preview."""
    return os.environ.get(PREVIEW_ENV) == "1"


def define_env(env: Any) -> None:
    """mkdocs-macros entry point: validate the data once and register the macros."""
    config_dir = Path(env.conf["config_file_path"]).parent
    path = os.path.relpath(config_dir / DATA_FILE)
    settings = config_dir / PUBLICATION_FILE
    problems: list[Problem] = []
    data_digest = ""
    try:
        try:
            if (config_dir / DATA_FILE).stat().st_size > MAX_BYTES:
                raise OSError("too large")
            raw = (
                config_dir / DATA_FILE
            ).read_bytes()  # read once: validated, hashed and cached as these bytes
        except OSError:
            strategy = load(path)  # the loader says what is wrong with the file, in Japanese
        else:
            data_digest = hashlib.sha256(raw).hexdigest()
            strategy = load_strategy(path, raw)
    except DataError as exc:
        problems += exc.problems
    try:
        publication = load_publication(os.path.relpath(settings), _mtime(settings))
    except DataError as exc:
        problems += exc.problems
    try:
        current = (data_digest, strategy) if not problems else None
        editions = load_editions(config_dir, current)
    except DataError as exc:
        problems += exc.problems
    if problems:
        if previewing():
            env.variables["data_problems"] = sorted(set(problems))
            env.conf["nav"] = [{"データの誤り": HOME}]
            env.macro(functools.partial(problems_page, env), "document_page")
            env.macro(functools.partial(problems_page, env), "site_page")
            env.macro(functools.partial(problems_page, env), "edition_page")
            return
        listed = "\n".join(safe_line(str(p)) for p in DataError(problems).problems)
        raise PluginError(
            f"原稿に {len(problems)} 件の問題があります。サイトは作られていません。\n{listed}"
        ) from None
    # The published address: SITE_URL (mkdocs.yml), else the publication setting, else none at all (no
    # canonical links, no address on the PDF cover).
    if not env.conf.get("site_url") and publication.site_url:
        env.conf["site_url"] = publication.site_url
    env.variables["strategy"] = strategy
    env.variables["publication"] = publication
    env.variables["anchors"] = anchor_pages(strategy)
    # The open data, rendered once: the open-data page lists the files with their sizes, hooks/opendata.py
    # writes them into site/data/ after the build.
    # (named by the digest of the bytes the model was validated from)
    env.variables["open_data_files"] = export.render(strategy, publication, data_digest=data_digest)
    env.variables["open_data"] = export.published(env.variables["open_data_files"])
    # Editions: the current text at the root, every other edition and every 新旧対照表 under editions/ (the
    # pages are added by hooks/editions.py from `edition_pages`).
    site_editions = SiteEditions(tuple(editions), strategy)
    env.variables["editions"] = site_editions
    env.variables["edition_pages"] = archive.generated_pages(site_editions)
    env.variables["history"] = archive.history(site_editions)
    # One look-up per page instead of a walk over all pages.
    env.variables["document_pages"] = {p.path: p for p in all_pages(strategy)}
    env.conf["site_name"] = theme_text(strategy.meta.title)
    env.conf["copyright"] = None
    env.conf["nav"] = build_nav(strategy)
    if "macros.rawblocks" not in env.conf["markdown_extensions"]:  # puts back what document_page() carries
        env.conf["markdown_extensions"].append("macros.rawblocks")
    env.conf["extra"]["footer"] = footer(strategy, publication)  # escaped by the footer partial
    env.conf["extra"]["pdf_cover"] = pdf_cover(strategy, publication, env.conf.get("site_url") or "")
    env.macro(functools.partial(document_page, env), "document_page")
    env.macro(functools.partial(site_page, env), "site_page")
    env.macro(functools.partial(edition_page, env), "edition_page")

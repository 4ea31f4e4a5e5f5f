"""MkDocs adapter (mkdocs-macros): load the strategy once, build the navigation, expose render functions.

This is the only module that knows MkDocs. It runs when MkDocs loads its config, before anything is written:
invalid data stops the build there with every problem listed, and no site is produced. Under `mkdocs serve`
(hooks/site_output.py sets PREVIEW_ENV) the preview shows the problems in the browser instead, on every page.

A build whose inputs did not change since a build without problems is answered from the adapter's snapshot
(macros/snapshot.py): the same config values and variables, and each macro call's stored result, with no model
loaded. So this module and the hooks import the model, the renderers, the editions and pydantic only inside the
functions that need them; a call the snapshot does not hold loads the model and renders as before.

Text from the data is never a template: mkdocs-macros renders a page's title through Jinja when it contains
`{{`, `{%` or `{#`, so the titles given to MkDocs carry braces as HTML character references (see `theme_text`).
"""

from __future__ import annotations

import functools
import hashlib
import html
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from markupsafe import Markup
from mkdocs.exceptions import PluginError

from . import snapshot
from .ja import edition_line
from .loader import MAX_BYTES, DataError, Problem, safe_line
from .pages import ABOUT_PAGES, HOME, Links, all_pages, anchor_pages, chapter_pages, file_url

# The model, the renderers, the editions and pydantic are imported inside the functions that need them: a build
# answered from the snapshot (macros/snapshot.py) imports none of them.
if TYPE_CHECKING:
    from .editions import Edition
    from .model import Strategy
    from .publication import Publication

DATA_FILE = "data/strategy.yaml"
PUBLICATION_FILE = "data/publication.yaml"  # macros/publication.py's (tests/test_snapshot.py checks)
PREVIEW_ENV = "STRATEGY_PREVIEW"  # "1" while `mkdocs serve` runs (set by hooks/site_output.py)
MACROS = ("document_page", "site_page", "edition_page")
# hooks/editions.py's placeholder template of a page written from its cache (tests/test_snapshot.py checks)
CACHED_TEMPLATE = "sd-edition-cached.html"
log = logging.getLogger("mkdocs.plugins.macros.adapter")


@functools.lru_cache(maxsize=4)
def load_strategy(path: str, raw: bytes) -> Strategy:
    """Validate the data file's bytes (cached per content, so `mkdocs serve` reloads every edit; between builds
    in the user's cache, see macros/modelcache.py)."""
    from . import modelcache

    return modelcache.load(path, raw)


@functools.lru_cache(maxsize=4)
def load_publication(path: str, mtime_ns: int) -> Publication:
    """Load and validate the publication settings (cached per file version)."""
    from .publication import parse_publication

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
    from . import rawblocks
    from .render import render_page

    strategy: Strategy = env.variables["strategy"]
    src = env.page.file.src_uri
    page = env.variables["document_pages"].get(src)
    if page is None:
        raise PluginError(f"{src}: この部分を表示するページが data/strategy.yaml にありません。")
    return render_page(strategy, page, links(env), raw=rawblocks.token)


def edition_page(env: Any) -> str:
    """Macro: the Markdown of a generated page of the editions (a past edition's page, its home, a 新旧対照表)."""
    from . import archive

    src = env.page.file.src_uri
    page = env.variables["edition_pages"].get(src)
    if page is None:
        raise PluginError(f"{src}: この版のページは data/editions/ にありません。")
    site = env.variables["editions"]
    files = archive.files_of(page, site, pdf_link(env.conf, src) is not None)
    return archive.render(page, site, env.variables["anchors"], files, env.conf["use_directory_urls"])


def site_page(env: Any, template: str, **extra: Any) -> str:
    """Macro: a page-level template (home, about pages) rendered from the model."""
    from . import archive
    from .render import render_template

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
    from .render import ENV

    del args, kwargs
    problems: list[Problem] = env.variables["data_problems"]
    return ENV.get_template("problems.html.j2").render(problems=problems, data_file=DATA_FILE) + "\n"


def previewing() -> bool:
    """Whether this build is `mkdocs serve`'s preview."""
    return os.environ.get(PREVIEW_ENV) == "1"


@dataclass
class Loaded:
    """The validated inputs of a build: the model of data/strategy.yaml (and its bytes' SHA-256), the
    publication settings, the frozen editions."""

    strategy: Strategy
    publication: Publication
    editions: list[Edition]
    data_digest: str


def load_inputs(config_dir: Path) -> tuple[Loaded | None, list[Problem]]:
    """Validate the data files: the inputs, or every problem found."""
    from .editions import load_editions
    from .model import load

    path = os.path.relpath(config_dir / DATA_FILE)
    settings = config_dir / PUBLICATION_FILE
    problems: list[Problem] = []
    data_digest = ""
    strategy = publication = None
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
    editions: list[Edition] = []
    try:
        current = (data_digest, strategy) if not problems else None
        editions = load_editions(config_dir, current)
    except DataError as exc:
        problems += exc.problems
    if problems or strategy is None or publication is None:
        return None, problems
    return Loaded(strategy, publication, editions, data_digest), []


def model_variables(loaded: Loaded) -> dict[str, Any]:
    """The macros variables that hold the model (the renderers' inputs): absent when the build is answered from
    the snapshot, until a macro call that the snapshot does not hold needs them (`_ensure_model`)."""
    from . import archive
    from .editions import SiteEditions

    strategy = loaded.strategy
    # Editions: the current text at the root, every other edition and every 新旧対照表 under editions/ (the
    # pages are added by hooks/editions.py from `edition_pages`).
    site_editions = SiteEditions(tuple(loaded.editions), strategy)
    return {
        "strategy": strategy,
        "publication": loaded.publication,
        "anchors": anchor_pages(strategy),
        "editions": site_editions,
        "edition_pages": archive.generated_pages(site_editions),
        "history": archive.history(site_editions),
        # One look-up per page instead of a walk over all pages.
        "document_pages": {p.path: p for p in all_pages(strategy)},
    }


def produced(loaded: Loaded, model: dict[str, Any], site_url: str | None) -> tuple[dict, dict]:
    """What the adapter gives MkDocs from the inputs, as plain values (macros/snapshot.py stores them): the config
    values it sets, and the variables the hooks and docs/*.md read besides the model."""
    from . import export

    strategy, publication = loaded.strategy, loaded.publication
    # The published address: SITE_URL (mkdocs.yml), else the publication setting, else none at all (no
    # canonical links, no address on the PDF cover).
    url = publication.site_url if not site_url and publication.site_url else None
    conf = {
        "site_name": theme_text(strategy.meta.title),
        "site_url": url,
        "nav": build_nav(strategy),
        "footer": footer(strategy, publication),  # escaped by the footer partial
        "pdf_cover": pdf_cover(strategy, publication, url or site_url or ""),
    }
    # The open data, rendered once: the open-data page lists the files with their sizes, hooks/opendata.py
    # writes them into site/data/ after the build (named by the digest of the bytes the model was validated from).
    files = export.render(strategy, publication, data_digest=loaded.data_digest)
    # What hooks/editions.py needs of the editions, as plain values (`edition_plan`): with the editions' caches
    # warm, a build answered from the snapshot writes the editions' pages and files without any model.
    plan = edition_plan(model, strategy)
    variables = {
        "open_data_files": files,
        "document_page_paths": list(model["document_pages"]),
        "edition_plan": plan,
    }
    return conf, variables


def edition_plan(model: dict[str, Any], strategy: Strategy) -> dict[str, Any]:
    """What hooks/editions.py needs of the editions, as plain values (checked there before use, see its `_plan`):

    - `pages`: every generated page (`archive.generated_pages`): its src, its Markdown (`page_content`) and its
      Markdown when the page's files come from the editions' cache (`cached`), and the registry entries (JSON) of
      the editions it shows, which go into its cache key;
    - `editions`: every edition, oldest first: its slug, its open data's folder below the site, its registry
      entry (JSON, the data cache's key) and SHA-256, whether it has pages of its own (`archived`), whether its
      model is the current text's (`current`: its open data are `open_data_files`), the SHA-256 of the edition
      before it (None for the first) and the 新旧対照表 against that one as Markdown (`comparison_md`);
    - `anchors`: where each id of the current text is anchored (part of every generated page's key)."""
    from . import archive

    site = model["editions"]
    entries = {e.slug: e.entry.model_dump_json() for e in site.editions}
    pages = []
    for src, page in model["edition_pages"].items():
        previous = site.previous(page.edition)
        shown = [e for e in (previous, page.edition) if e is not None]
        pages.append(
            {
                "src": src,
                "content": archive.page_content(page),
                "cached": archive.page_content(page, cached_template=CACHED_TEMPLATE),
                "entries": [entries[e.slug] for e in shown],
            }
        )
    archived = site.archived
    editions = []
    for edition in site.editions:
        previous = site.previous(edition)
        comparison = None
        if previous is not None:  # only with two editions or more (macros.comparison: 10 ms of imports)
            from .comparison import render_markdown

            comparison = render_markdown(archive.comparison_of(previous, edition)) + "\n"
        editions.append(
            {
                "slug": edition.slug,
                "data_dir": next(iter(archive.data_files(edition).values())).rsplit("/", 1)[0],
                "entry": entries[edition.slug],
                "sha256": edition.entry.sha256,
                "archived": edition in archived,
                "current": edition.strategy is strategy,
                "previous": previous.entry.sha256 if previous is not None else None,
                "comparison_md": comparison,
            }
        )
    return {"pages": pages, "editions": editions, "anchors": dict(model["anchors"])}


@dataclass
class Kept:
    """This build's snapshot (macros/snapshot.py): its key (None: nothing is stored), what the adapter produced
    (plain values), and every macro call's result; `added` when this build rendered a call not read back."""

    key: str | None
    inputs: str  # the data files' digest (macros/snapshot.py `inputs`) when the key was taken
    conf: dict[str, Any]
    variables: dict[str, Any]
    calls: dict[str, str] = field(default_factory=dict)
    added: bool = False


def apply(env: Any, conf: dict[str, Any], variables: dict[str, Any]) -> None:
    """Set MkDocs' config values and the macros variables from what the adapter produced (or the snapshot)."""
    from . import export

    if conf["site_url"]:
        env.conf["site_url"] = conf["site_url"]
    env.conf["site_name"] = conf["site_name"]
    env.conf["copyright"] = None
    env.conf["nav"] = conf["nav"]
    if "macros.rawblocks" not in env.conf["markdown_extensions"]:  # puts back what document_page() carries
        env.conf["markdown_extensions"].append("macros.rawblocks")
    env.conf["extra"]["footer"] = conf["footer"]
    env.conf["extra"]["pdf_cover"] = conf["pdf_cover"]
    env.variables["open_data_files"] = variables["open_data_files"]
    env.variables["open_data"] = export.published(variables["open_data_files"])
    env.variables["document_page_paths"] = variables["document_page_paths"]
    env.variables["edition_plan"] = variables["edition_plan"]
    env.variables.setdefault("edition_pages", {})


def _ensure_model(env: Any) -> None:
    """The model's variables, for a macro call that the snapshot does not hold (the inputs validated when the
    snapshot was stored, so they validate now)."""
    if "strategy" in env.variables:
        return
    config_dir = Path(env.conf["config_file_path"]).parent
    loaded, problems = load_inputs(config_dir)
    if loaded is None:
        listed = "\n".join(safe_line(str(p)) for p in DataError(problems).problems)
        raise PluginError(f"原稿に {len(problems)} 件の問題があります。サイトは作られていません。\n{listed}")
    kept: Kept = env.variables["sd_snapshot"]
    if snapshot.inputs(config_dir) != kept.inputs:  # saved meanwhile: the pages so far show the other text
        raise PluginError(
            f"ビルドの途中で {DATA_FILE} などのデータが保存されました。サイトは作られていません。"
            "もう一度ビルドしてください。"
        )
    env.variables.update(model_variables(loaded))


def call(env: Any, macro: str, *args: Any, **kwargs: Any) -> str:
    """A macro call: the snapshot's result for this page and these arguments, else rendered from the model (and
    kept for the snapshot)."""
    kept: Kept = env.variables["sd_snapshot"]
    name = snapshot.call_key(macro, env.page.file.src_uri, args, kwargs)
    if name is not None and name in kept.calls:
        return kept.calls[name]
    _ensure_model(env)
    renderer = {"document_page": document_page, "site_page": site_page, "edition_page": edition_page}[macro]
    result = renderer(env, *args, **kwargs)
    if name is not None and type(result) is str:
        kept.calls[name] = result
        kept.added = True
    return result


def define_env(env: Any) -> None:
    """mkdocs-macros entry point: the snapshot of unchanged inputs, else validate the data once; register the
    macros."""
    config_dir = Path(env.conf["config_file_path"]).parent
    data = snapshot.inputs(config_dir)
    key = snapshot.key(env.conf, config_dir, data)
    stored = snapshot.read(key)
    kept = None
    if stored is not None:
        kept = Kept(key, data, stored["conf"], stored["variables"], stored["calls"])
        try:
            apply(env, snapshot.unplain(kept.conf), snapshot.unplain(kept.variables))
        except (KeyError, TypeError, ValueError, AttributeError) as exc:  # not this code's: made again
            log.debug("snapshot not used: %r", exc)
            kept = None
    if kept is None:
        loaded, problems = load_inputs(config_dir)
        if loaded is None:
            if previewing():
                env.variables["data_problems"] = sorted(set(problems))
                env.conf["nav"] = [{"データの誤り": HOME}]
                for macro in MACROS:
                    env.macro(functools.partial(problems_page, env), macro)
                return
            listed = "\n".join(safe_line(str(p)) for p in DataError(problems).problems)
            raise PluginError(
                f"原稿に {len(problems)} 件の問題があります。サイトは作られていません。\n{listed}"
            ) from None
        model = model_variables(loaded)
        conf, variables = produced(loaded, model, env.conf.get("site_url"))
        try:  # kept as plain values now: nothing MkDocs or a hook does to the config later reaches the snapshot
            kept = Kept(key, data, snapshot.plain(conf), snapshot.plain(variables))
        except TypeError as exc:
            log.debug("no snapshot: %s", exc)
            kept = Kept(None, data, {}, {})
        if snapshot.inputs(config_dir) != data:  # a file saved meanwhile: this model is not the key's
            kept.key = None
        apply(env, conf, variables)
        env.variables.update(model)
    env.variables["sd_snapshot"] = kept
    for macro in MACROS:
        env.macro(functools.partial(call, env, macro), macro)


def on_post_build(env: Any) -> None:
    """mkdocs-macros event: store the snapshot when this build rendered a call it did not hold (every call of a
    build from the data; under hooks/parallel.py the children's calls are added to the parent's)."""
    kept: Kept | None = env.variables.get("sd_snapshot")
    if kept is not None and kept.key is not None and kept.added and snapshot.unchanged():
        snapshot.write(kept.key, kept.conf, kept.variables, kept.calls)

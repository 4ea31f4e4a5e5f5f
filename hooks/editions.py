"""MkDocs hook: the pages and files of the editions (see macros/editions.py and macros/archive.py).

- on_files: adds the generated pages (MkDocs 1.6 `File.generated`, no stub files): every past edition under
  `editions/DATE/`, and the 新旧対照表 of every edition after the first at `editions/DATE/comparison/`.
- on_post_build: writes each edition's open data (`editions/DATE/data/`), each 新旧対照表 as Markdown, and, when
  the council PDF is built (mkdocs-pdf.yml), each 新旧対照表 as an A4 landscape PDF and each past edition's
  council PDF (`editions/DATE/strategy.pdf`).

A past edition's PDF is the council PDF built from that edition's frozen text by a separate MkDocs build of a
copy of this project. Frozen editions never change, so the PDFs are cached in `.cache/editions/` (or
EDITIONS_CACHE) under a key made of the edition's digest and a fingerprint of everything that draws the PDF
(macros/, hooks/, docs/overrides/, docs/stylesheets/, mkdocs.yml, data/publication.yaml, SITE_URL): a build
rebuilds only what changed. The macros package is the one the macros plugin imported at on_config.

Frozen editions cost next to nothing on a warm build. Every generated page (a past edition's pages and each
新旧対照表 page) is written by a full MkDocs build once per *page key*: a digest of the edition(s) it shows (their
SHA-256 and registry entries), of the code and settings that draw it (`_code_digest`: mkdocs*.yml, macros/,
hooks/, docs/, data/publication.yaml, data/furigana.yaml, every installed package's version, Python, the share
images' fonts, SITE_URL, SOURCE_DATE_EPOCH, whether the PDF is built) and of what the current text puts on
every page (`_site_digest`: the navigation, config.extra, the site's name, the place of every id, the git dates
of data/strategy.yaml that hooks/citizen.py prints). After that build the page's final files (its index.html as
written, its furigana.json and share image) are kept in `.cache/editions/pages/KEY/`. On a later build with the
same key the page stays a MkDocs page (sitemap, `files`, links as before) but its source is empty, its theme
template is a one-line placeholder and `sd_cached: true` in its meta tells hooks/citizen.py to skip it; the kept
files are written over the placeholder after every other hook has run. Anything that changes the output changes
the key, so a cache entry is never stale; tests/test_editions.py compares a warm build with a cold one byte for
byte. Each edition's open data is kept the same way (`data/KEY/`).

What the hook needs of the editions comes as plain values from the macros adapter (`edition_plan`, kept in its
snapshot, see macros/snapshot.py), checked by `_plan` before any value is used: with this cache warm, a build
answered from the snapshot loads no model; a cache miss loads it (`_model`) for what is missing.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import jinja2
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import CombinedEvent, event_priority
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

log = logging.getLogger("mkdocs.hooks.editions")
CACHE_ENV = "EDITIONS_CACHE"
# What draws an edition's PDF besides its data.
RENDERER = (
    "mkdocs.yml",
    "mkdocs-pdf.yml",
    "project.py",
    "macros",
    "hooks",
    "docs/overrides",
    "docs/stylesheets",
    "data/publication.yaml",
)


def _variables(config: MkDocsConfig) -> dict[str, Any]:
    return config.plugins["macros"].variables


# What draws every generated page besides its editions and the current text (see the module's docstring).
CODE = (
    "mkdocs.yml",
    "mkdocs-pdf.yml",
    "project.py",
    "macros",
    "hooks",
    "docs",
    "data/publication.yaml",
    "data/furigana.yaml",
)
FONTS = ("/usr/share/fonts/truetype/bizud-gothic", "/usr/share/fonts/truetype/morisawa")
CACHED_TEMPLATE = "sd-edition-cached.html"  # the placeholder theme template of a page served from the cache


def _state(config: MkDocsConfig) -> dict[str, Any]:
    """This build's generated pages (src -> cache entry, found (hits) or to fill (misses); misses' files by src)
    and its code digest: kept with the build's macros variables, so that two builds in one process never share
    them."""
    return _variables(config).setdefault(
        "sd_edition_cache", {"hits": {}, "misses": {}, "written": {}, "code": ""}
    )


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Add the pages of past editions and of the 新旧対照表: empty placeholders for those in the cache."""
    hits: dict[str, Path] = {}
    misses: dict[str, Path] = {}
    _state(config).update(hits=hits, misses=misses, written={})
    plan = _plan(config)  # None while `mkdocs serve` shows data problems (macros/__init__.py)
    pages = plan["pages"] if plan is not None else []
    site_digest = _site_digest(config, plan["anchors"]) if pages else ""
    store = _cache_dir(config) / "pages"
    for page in pages:
        src = page["src"]
        key = _key("page", site_digest, src, *page["entries"])
        entry = store / key
        if (entry / "manifest.json").exists():
            hits[src] = entry
            content = page["cached"]
        else:  # rendered by the `edition_page` macro (from the adapter's snapshot, else from the model)
            misses[src] = entry
            content = page["content"]
        files.append(File.generated(config, src, content=content))
    if pages:
        log.info("editions: %d ページをキャッシュから、%d ページを新しく作ります", len(hits), len(misses))
    return files


# --- the adapter's plan (macros/__init__.py `edition_plan`) ------------------------------------------------

SLUG = re.compile(r"\d{4}-\d{2}-\d{2}")  # an edition's date, as in its folder's name
SHA256 = re.compile(r"[0-9a-f]{64}")
PAGE_SRC = re.compile(r"editions/(\d{4}-\d{2}-\d{2})/(?:[A-Za-z0-9_-]+/)*[A-Za-z0-9_-]+\.md")
# A generated page's front matter (macros/archive.py `page_content`): a JSON string without braces, so that the
# page's only template code is the macro call.
PAGE_FRONT = re.compile(r'---\ntitle: "(?:[^"\\{}\n]|\\[\\"/bfnrtu])*"\nsearch:\n  exclude: true\n')
MACRO_CALL = "{{ edition_page() }}\n"  # macros/archive.py's (tests/test_snapshot.py checks)
EDITION_KEYS = {"slug", "data_dir", "entry", "sha256", "archived", "current", "previous", "comparison_md"}


def _plan(config: MkDocsConfig) -> dict[str, Any] | None:
    """The adapter's plain-values plan of the editions (`edition_plan`), checked: when a value read from the
    adapter's snapshot is not one the adapter makes (a slug that is not a date, a folder not the edition's, a page
    outside editions/, front matter with template code…), the model is loaded and the plan made again from it.
    None while `mkdocs serve` shows data problems."""
    variables = _variables(config)
    plan = variables.get("edition_plan")
    if plan is None and "editions" not in variables:
        return None
    if _valid_plan(plan):
        return plan
    # As any damaged snapshot: not a warning (`mkdocs build --strict` would stop), the build is the same.
    log.info("editions: スナップショットの版の計画が正しくないため、モデルから作り直します")
    import macros

    model = _model(config)
    plan = macros.edition_plan(model, model["strategy"])
    variables["edition_plan"] = plan
    kept = variables.get("sd_snapshot")
    if kept is not None and kept.key is not None:  # the snapshot is stored again with the plan made now
        kept.variables["edition_plan"] = plan
        kept.added = True
    return plan


def _valid_plan(plan: Any) -> bool:
    """Whether `plan` has the shape and the values the adapter makes (see `_plan`)."""
    if not (type(plan) is dict and set(plan) == {"pages", "editions", "anchors"}):
        return False
    editions, pages, anchors = plan["editions"], plan["pages"], plan["anchors"]
    if not (type(editions) is list and type(pages) is list and type(anchors) is dict):
        return False
    if not all(type(k) is str and type(v) is str for k, v in anchors.items()):
        return False
    slugs: list[str] = []
    for index, e in enumerate(editions):
        if not (type(e) is dict and set(e) == EDITION_KEYS):
            return False
        slug = e["slug"]
        if not (type(slug) is str and SLUG.fullmatch(slug) and (not slugs or slugs[-1] < slug)):
            return False
        slugs.append(slug)
        if e["data_dir"] != f"editions/{slug}/data":  # macros/archive.py `data_files`
            return False
        if not (type(e["entry"]) is str and type(e["sha256"]) is str and SHA256.fullmatch(e["sha256"])):
            return False
        if not (type(e["archived"]) is bool and type(e["current"]) is bool):
            return False
        previous = editions[index - 1]["sha256"] if index else None
        if e["previous"] != previous or (type(e["comparison_md"]) is str) != (previous is not None):
            return False
    cached = f"template: {json.dumps(CACHED_TEMPLATE)}\nsd_cached: true\n---\n"
    for page in pages:
        if not (type(page) is dict and set(page) == {"src", "content", "cached", "entries"}):
            return False
        match = PAGE_SRC.fullmatch(page["src"]) if type(page["src"]) is str else None
        if match is None or match[1] not in slugs:
            return False
        content, front = page["content"], page["cached"]
        found = PAGE_FRONT.match(content) if type(content) is str and type(front) is str else None
        if found is None or content[found.end() :] != "---\n\n" + MACRO_CALL or front != found[0] + cached:
            return False
        if not (type(page["entries"]) is list and all(type(x) is str for x in page["entries"])):
            return False
    return True


def _model(config: MkDocsConfig) -> dict[str, Any]:
    """The macros variables with the model (loaded now when the build was answered from the adapter's snapshot)."""
    import macros

    plugin = config.plugins["macros"]
    macros._ensure_model(plugin)
    return _variables(config)


def on_env(env: jinja2.Environment, config: MkDocsConfig, files: Files) -> jinja2.Environment:
    """The placeholder template of the pages written from the cache (non-empty: MkDocs skips empty output)."""
    assert env.loader is not None
    env.loader = jinja2.ChoiceLoader(
        [jinja2.DictLoader({CACHED_TEMPLATE: "<!-- hooks/editions.py: from the cache -->\n"}), env.loader]
    )
    return env


@event_priority(-1000)  # after every other hook: the page's final HTML and the files the other hooks made
def on_post_page(output: str, page: Page, config: MkDocsConfig) -> str:
    """Remember where a generated page not in the cache left its files, to keep them after the build."""
    src = page.file.src_uri
    _pages = _state(config)
    if src in _pages["misses"]:
        sd = page.meta.get("sd") if isinstance(page.meta.get("sd"), dict) else {}
        extra = [sd.get("furigana"), sd.get("image")]  # hooks/citizen.py's ふりがな file and share image
        _pages["written"][src] = [page.file.dest_uri, *(p for p in extra if isinstance(p, str) and p)]
    return output


WEB_ONLY = ".sd-history"  # links to the 新旧対照表 pages, which the council PDF does not hold


@event_priority(50)  # before the PDF plugin renders the PDF (its on_post_build, priority 0)
def _drop_history_from_pdf(config: MkDocsConfig) -> None:
    """Drop the per-item history from the articles the PDF plugin collected: it links to pages outside the PDF."""
    plugin = config.plugins.get("to-pdf")
    generator = getattr(plugin, "generator", None) if plugin is not None and _pdf_enabled(config) else None
    for article in getattr(generator, "_articles", {}).values():  # private: the plugin has no accessor
        for element in article.select(WEB_ONLY):
            element.decompose()


@event_priority(-110)  # after the council PDF (hooks/pdf.py runs at -100)
def _write_edition_files(config: MkDocsConfig) -> None:
    """Write each edition's data, each 新旧対照表 (Markdown, and PDF with the council PDF), each past PDF: from the
    adapter's plan and the editions' cache; the model is loaded only for what the cache does not hold."""
    plan = _plan(config)
    if plan is None:  # `mkdocs serve` showing data problems: nothing to write
        return
    from macros.export import FILES

    variables = _variables(config)
    out = Path(config.site_dir)
    root = Path(config.config_file_path).parent
    editions = plan["editions"]
    pdf = _pdf_enabled(config)
    cache = _cache_dir(config)
    fingerprint = _fingerprint(root) if pdf and any(e["archived"] or e["previous"] for e in editions) else ""
    for e in editions:
        slug = e["slug"]
        folder = out / "editions" / slug
        data_dir = out / e["data_dir"]
        if e["current"]:  # the current text's model: the same files as the site's open data
            files = variables["open_data_files"]
            if sorted(files) != sorted(f.name for f in FILES):
                raise PluginError("open_data_files: 公開データのファイル名が正しくありません。")
        else:
            entry = cache / "data" / _key("data", _code_digest(config), e["entry"])
            if (entry / "manifest.json").exists():
                files = _load(entry)
            else:
                from macros.export import render

                model = _model(config)
                files = render(model["editions"].by_slug(slug).strategy, model["publication"])
                _store(entry, files)
        data_dir.mkdir(parents=True, exist_ok=True)
        for name, content in files.items():
            (data_dir / name).write_bytes(content)
        if e["previous"] is not None:
            (folder / "comparison.md").write_text(e["comparison_md"], encoding="utf-8")
            if pdf:
                key = _key("comparison", e["previous"], e["sha256"], fingerprint)
                _cached(cache, key, folder / "comparison.pdf", lambda s=slug: _comparison_pdf(config, s))
        if pdf and e["archived"]:
            key = _key("edition", e["sha256"], fingerprint)
            _cached(cache, key, folder / "strategy.pdf", lambda s=slug: _archived_pdf(config, root, s))
        elif pdf and (out / _current_pdf(config)).exists():  # the current edition's PDF at its address too
            folder.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(out / _current_pdf(config), folder / "strategy.pdf")


def _archived_pdf(config: MkDocsConfig, root: Path, slug: str) -> bytes:
    """The council PDF of the past edition `slug` (the model loaded for it)."""
    return _edition_pdf(root, _model(config)["editions"].by_slug(slug))


def _comparison_pdf(config: MkDocsConfig, slug: str) -> bytes:
    """The 新旧対照表 PDF of the edition `slug` against the one before it (the model loaded for it)."""
    from macros.archive import comparison_of
    from macros.comparison import render_pdf

    site = _model(config)["editions"]
    edition = site.by_slug(slug)
    previous = site.previous(edition)
    assert previous is not None
    return render_pdf(comparison_of(previous, edition))


@event_priority(-120)  # after every hook that writes a page's files (hooks/pdf.py -100, _write_edition_files)
def _cached_pages(config: MkDocsConfig) -> None:
    """Write the pages found in the cache; keep the files of the pages made by this build."""
    site = Path(config.site_dir)
    _pages = _state(config)
    for entry in _pages["hits"].values():
        manifest = json.loads((entry / "manifest.json").read_text(encoding="utf-8"))
        for index, name in enumerate(manifest["files"]):
            target = site / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(entry / str(index), target)
        os.utime(entry / "manifest.json")  # last used
    for src, entry in _pages["misses"].items():
        names = [n for n in _pages["written"].get(src, []) if (site / n).is_file()]
        if names:
            _store(entry, {name: (site / name).read_bytes() for name in names})


on_post_build = CombinedEvent(_drop_history_from_pdf, _write_edition_files, _cached_pages)


# --- helpers ----------------------------------------------------------------------------------------------


def _pdf_enabled(config: MkDocsConfig) -> bool:
    plugin = config.plugins.get("to-pdf")
    return plugin is not None and bool(getattr(plugin, "enabled", False))


def _current_pdf(config: MkDocsConfig) -> str:
    """The council PDF of the current text, below the site (mkdocs-pdf.yml's output_path)."""
    return str(config.plugins["to-pdf"].config["output_path"])


def _cache_dir(config: MkDocsConfig) -> Path:
    return Path(os.environ.get(CACHE_ENV) or Path(config.config_file_path).parent / ".cache" / "editions")


def _files_digest(root: Path, parts: tuple[str, ...]) -> hashlib._Hash:
    digest = hashlib.sha256()
    for part in parts:
        path = root / part
        paths = (
            sorted(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
            if path.is_dir()
            else [path]
        )
        for p in paths:
            if p.exists():
                digest.update(p.relative_to(root).as_posix().encode() + b"\0" + p.read_bytes() + b"\0")
    return digest


def _code_digest(config: MkDocsConfig) -> str:
    """A digest of everything but the data that draws a generated page or an edition's open data."""
    import platform

    _pages = _state(config)
    if _pages.get("code"):  # once per build
        return _pages["code"]
    root = Path(config.config_file_path).parent
    digest = _files_digest(root, (*CODE, Path(config.config_file_path).name))
    packages = installed_packages()
    fonts = sorted(
        f"{p}:{p.stat().st_size}:{p.stat().st_mtime_ns}"
        for d in FONTS
        for p in Path(d).glob("*")
        if p.is_file()
    )
    settings = {
        "python": platform.python_version(),
        "packages": packages,
        "fonts": fonts,
        "env": {k: os.environ.get(k, "") for k in ("SITE_URL", "SOURCE_DATE_EPOCH")},
        "pdf": _pdf_enabled(config),
    }
    digest.update(json.dumps(settings, sort_keys=True).encode())
    _pages["code"] = digest.hexdigest()
    return _pages["code"]


def installed_packages() -> list[str]:
    """Every installed distribution as its metadata folder's name (name-version.dist-info): a directory listing,
    where reading every METADATA file (importlib.metadata) takes a second."""
    found: set[str] = set()
    for entry in sys.path:
        path = Path(entry or ".")
        if path.is_dir():
            found.update(p.name for p in path.iterdir() if p.suffix in (".dist-info", ".egg-info"))
    return sorted(found)


def _site_digest(config: MkDocsConfig, anchors: dict[str, str] | None = None) -> str:
    """`_code_digest` and what the current text puts on every page: navigation, footer, names, ids, dates
    (`anchors`: the current text's ids, by default the adapter's plan's)."""
    if anchors is None:
        anchors = (_plan(config) or {}).get("anchors", {})
    root = Path(config.config_file_path).parent
    try:  # hooks/citizen.py prints these dates on every generated page
        dates = subprocess.run(
            ["git", "log", "--format=%ct", "--", "data/strategy.yaml"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        dates = ""
    current = {
        "nav": config.nav,
        "extra": dict(config.extra),
        "site": [config.site_name, config.site_url, config.site_description, config.copyright],
        "urls": config.use_directory_urls,  # `mkdocs build --no-directory-urls` moves every page and link
        "anchors": anchors,
        "dates": dates,
    }
    text = json.dumps(current, sort_keys=True, default=str, ensure_ascii=False)
    return _key("site", _code_digest(config), text)


def _store(entry: Path, files: dict[str, bytes]) -> None:
    """Keep files under a cache entry: written beside it, then renamed (never a half-written entry)."""
    if entry.exists():
        return
    partial = entry.with_name(f"{entry.name}.{os.getpid()}.part")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    for index, content in enumerate(files.values()):
        (partial / str(index)).write_bytes(content)
    (partial / "manifest.json").write_text(json.dumps({"files": list(files)}), encoding="utf-8")
    try:
        partial.rename(entry)
    except OSError:  # another build stored the same entry meanwhile
        shutil.rmtree(partial, ignore_errors=True)


def _load(entry: Path) -> dict[str, bytes]:
    manifest = json.loads((entry / "manifest.json").read_text(encoding="utf-8"))
    return {name: (entry / str(index)).read_bytes() for index, name in enumerate(manifest["files"])}


def _fingerprint(root: Path) -> str:
    """A digest of every file that draws a PDF, and of the published address."""
    digest = _files_digest(root, RENDERER)
    digest.update(b"SITE_URL\0" + os.environ.get("SITE_URL", "").encode())
    return digest.hexdigest()


def _key(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def _cached(cache: Path, key: str, target: Path, make: Any) -> None:
    """Copy the cached file for `key` to `target`, making and caching it first when missing."""
    cached = cache / f"{key}.pdf"
    if not cached.exists():
        cache.mkdir(parents=True, exist_ok=True)
        data = make()
        # one partial file per process: two builds (test workers, serve and build) may make the same entry
        partial = cached.with_name(f"{cached.name}.{os.getpid()}.part")
        partial.write_bytes(data)
        partial.replace(cached)  # never a half-written file under the key
        log.info("editions: %s を作りました", target.name)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(cached, target)


def _edition_pdf(root: Path, edition: Any) -> bytes:
    """The council PDF of a frozen edition: a build of a copy of this project with the edition as its text."""
    import datetime

    import yaml

    from macros.migrations import MODEL_VERSION, migrate

    with tempfile.TemporaryDirectory(prefix="edition-") as tmp:
        project = Path(tmp) / "project"
        for part in (
            "mkdocs.yml",
            "mkdocs-pdf.yml",
            "project.py",
            "docs",
            "macros",
            "hooks",
            "data/publication.yaml",
            "data/strategy.schema.json",
        ):
            source, dest = root / part, project / part
            dest.parent.mkdir(parents=True, exist_ok=True)
            if source.is_dir():
                shutil.copytree(source, dest, ignore=shutil.ignore_patterns("__pycache__"))
            elif source.exists():
                shutil.copy2(source, dest)
        data = project / "data" / "strategy.yaml"
        if edition.entry.model == MODEL_VERSION:
            shutil.copyfile(edition.path, data)
        else:
            from macros.loader import load_file

            migrated = migrate(load_file(edition.path).data, edition.entry.model)
            data.write_text(yaml.safe_dump(migrated, allow_unicode=True, sort_keys=False), encoding="utf-8")
        # The copy's document pages come from its data (hooks/document_pages.py): the edition's, not today's.
        date = edition.entry.date
        epoch = int(datetime.datetime(date.year, date.month, date.day, tzinfo=datetime.UTC).timestamp())
        env = {**os.environ, "SOURCE_DATE_EPOCH": str(epoch)}
        site = Path(tmp) / "site"
        command = [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--quiet",
            "--strict",
            "-f",
            str(project / "mkdocs-pdf.yml"),
        ]
        result = subprocess.run(
            [*command, "-d", str(site)], cwd=project, env=env, capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            raise RuntimeError(f"版 {edition.slug} の PDF を作れませんでした:\n{result.stderr[-4000:]}")
        return (site / "pdf" / "strategy.pdf").read_bytes()

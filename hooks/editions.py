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
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import jinja2
from mkdocs.config.defaults import MkDocsConfig
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
    # Absent while `mkdocs serve` shows data problems instead of the site (macros/__init__.py).
    pages = _variables(config).get("edition_pages", {})
    if pages:
        from macros.archive import page_content  # the model's modules: not needed without past editions
    site_digest = _site_digest(config) if pages else ""
    store = _cache_dir(config) / "pages"
    for src, page in pages.items():
        previous = _variables(config)["editions"].previous(page.edition)
        editions = [e for e in (previous, page.edition) if e is not None]
        key = _key("page", site_digest, src, *(e.entry.model_dump_json() for e in editions))
        entry = store / key
        if (entry / "manifest.json").exists():
            hits[src] = entry
            content = page_content(page, cached_template=CACHED_TEMPLATE)
        else:
            misses[src] = entry
            content = page_content(page)
        files.append(File.generated(config, src, content=content))
    if pages:
        log.info("editions: %d ページをキャッシュから、%d ページを新しく作ります", len(hits), len(misses))
    return files


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
    """Write each edition's data, each 新旧対照表 (Markdown, and PDF with the council PDF), each past PDF."""
    variables = _variables(config)
    if variables.get("edition_plan") is not None:  # no edition but the current text: no model needed
        _write_current_edition(config, variables["edition_plan"])
        return
    if "editions" not in variables:  # `mkdocs serve` showing data problems: nothing to write
        return
    from macros.archive import comparison_of, data_files
    from macros.export import render
    from macros.publication import Publication

    site = variables["editions"]
    out = Path(config.site_dir)
    root = Path(config.config_file_path).parent
    publication: Publication = variables["publication"]
    pdf = _pdf_enabled(config)
    cache = _cache_dir(config)
    fingerprint = _fingerprint(root) if pdf and (site.archived or site.pairs) else ""
    code = _code_digest(config)
    for edition in site.editions:
        folder = out / "editions" / edition.slug
        data_dir = out / next(iter(data_files(edition).values())).rsplit("/", 1)[0]
        entry = cache / "data" / _key("data", code, edition.entry.model_dump_json())
        if (entry / "manifest.json").exists():
            files = _load(entry)
        else:
            files = render(edition.strategy, publication)
            _store(entry, files)
        data_dir.mkdir(parents=True, exist_ok=True)
        for name, content in files.items():
            (data_dir / name).write_bytes(content)
        previous = site.previous(edition)
        if previous is not None:
            # only with two editions or more (10 ms of imports)
            from macros.comparison import render_markdown, render_pdf

            comparison = comparison_of(previous, edition)
            (folder / "comparison.md").write_text(render_markdown(comparison) + "\n", encoding="utf-8")
            if pdf:
                key = _key("comparison", previous.entry.sha256, edition.entry.sha256, fingerprint)
                _cached(cache, key, folder / "comparison.pdf", lambda c=comparison: render_pdf(c))
        if pdf and edition in site.archived:
            key = _key("edition", edition.entry.sha256, fingerprint)
            _cached(cache, key, folder / "strategy.pdf", lambda e=edition: _edition_pdf(root, e))
        elif pdf and (out / _current_pdf(config)).exists():  # the current edition's PDF at its address too
            folder.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(out / _current_pdf(config), folder / "strategy.pdf")


def _write_current_edition(config: MkDocsConfig, plan: list[dict[str, str]]) -> None:
    """`_write_edition_files` when data/editions/ holds the current text alone (or nothing): the macros adapter's
    `edition_plan` gives the edition's folders, and its open data are the current text's (`open_data_files`: the
    same bytes, so the same files; nothing to cache), so a build answered from the adapter's snapshot
    (macros/snapshot.py) needs no model here."""
    variables = _variables(config)
    out = Path(config.site_dir)
    pdf = _pdf_enabled(config)
    for edition in plan:
        data_dir = out / edition["data_dir"]
        data_dir.mkdir(parents=True, exist_ok=True)
        for name, content in variables["open_data_files"].items():
            (data_dir / name).write_bytes(content)
        if pdf and (out / _current_pdf(config)).exists():  # the current edition's PDF at its address too
            folder = out / "editions" / edition["slug"]
            folder.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(out / _current_pdf(config), folder / "strategy.pdf")


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


def _site_digest(config: MkDocsConfig) -> str:
    """`_code_digest` and what the current text puts on every page: navigation, footer, names, ids, dates."""
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
        "anchors": _variables(config).get("anchors", {}),
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

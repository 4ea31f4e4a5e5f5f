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
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import CombinedEvent, event_priority
from mkdocs.structure.files import File, Files

log = logging.getLogger("mkdocs.hooks.editions")
CACHE_ENV = "EDITIONS_CACHE"
# What draws an edition's PDF besides its data.
RENDERER = ("mkdocs.yml", "macros", "hooks", "docs/overrides", "docs/stylesheets", "data/publication.yaml")


def _variables(config: MkDocsConfig) -> dict[str, Any]:
    return config.plugins["macros"].variables


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Add the pages of past editions and of the 新旧対照表."""
    from macros.archive import page_content

    # Absent while `mkdocs serve` shows data problems instead of the site (macros/__init__.py).
    for src, page in _variables(config).get("edition_pages", {}).items():
        files.append(File.generated(config, src, content=page_content(page)))
    return files


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
    from macros.archive import comparison_of, data_files
    from macros.comparison import render_markdown, render_pdf
    from macros.export import render
    from macros.publication import Publication

    variables = _variables(config)
    if "editions" not in variables:  # `mkdocs serve` showing data problems: nothing to write
        return
    site = variables["editions"]
    out = Path(config.site_dir)
    root = Path(config.config_file_path).parent
    publication: Publication = variables["publication"]
    pdf = _pdf_enabled(config)
    cache = Path(os.environ.get(CACHE_ENV) or root / ".cache" / "editions")
    fingerprint = _fingerprint(root) if pdf and (site.archived or site.pairs) else ""
    for edition in site.editions:
        files = render(edition.strategy, publication)
        folder = out / "editions" / edition.slug
        data_dir = out / next(iter(data_files(edition).values())).rsplit("/", 1)[0]
        data_dir.mkdir(parents=True, exist_ok=True)
        for name, content in files.items():
            (data_dir / name).write_bytes(content)
        previous = site.previous(edition)
        if previous is not None:
            comparison = comparison_of(previous, edition)
            (folder / "comparison.md").write_text(render_markdown(comparison) + "\n", encoding="utf-8")
            if pdf:
                key = _key("comparison", previous.entry.sha256, edition.entry.sha256, fingerprint)
                _cached(cache, key, folder / "comparison.pdf", lambda c=comparison: render_pdf(c))
        if pdf and edition in site.archived:
            key = _key("edition", edition.entry.sha256, fingerprint)
            _cached(cache, key, folder / "strategy.pdf", lambda e=edition: _edition_pdf(root, e))


on_post_build = CombinedEvent(_drop_history_from_pdf, _write_edition_files)


# --- helpers ----------------------------------------------------------------------------------------------


def _pdf_enabled(config: MkDocsConfig) -> bool:
    plugin = config.plugins.get("to-pdf")
    return plugin is not None and bool(getattr(plugin, "enabled", False))


def _fingerprint(root: Path) -> str:
    """A digest of every file that draws a PDF, and of the published address."""
    digest = hashlib.sha256(os.environ.get("SITE_URL", "").encode())
    for part in RENDERER:
        path = root / part
        paths = (
            sorted(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
            if path.is_dir()
            else [path]
        )
        for p in paths:
            if p.exists():
                digest.update(p.relative_to(root).as_posix().encode() + b"\0" + p.read_bytes() + b"\0")
    return digest.hexdigest()


def _key(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def _cached(cache: Path, key: str, target: Path, make: Any) -> None:
    """Copy the cached file for `key` to `target`, making and caching it first when missing."""
    cached = cache / f"{key}.pdf"
    if not cached.exists():
        cache.mkdir(parents=True, exist_ok=True)
        data = make()
        partial = cached.with_suffix(".part")
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

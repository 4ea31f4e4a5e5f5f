"""hooks/pdf.py's renderer process: WeasyPrint in a process of its own, started with the build."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.conftest import ROOT

pytestmark = pytest.mark.pdf


def load_hook():
    spec = importlib.util.spec_from_file_location("pdf_hook_under_test", ROOT / "hooks" / "pdf.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_the_renderer_makes_the_pdf_and_counts_its_pages(tmp_path: Path):
    hook = load_hook()
    from mkdocs_to_pdf.utils.metadata_util import prepend_producer

    state = hook._Build()
    state.start_renderer()
    html = "<html lang=ja><body>" + "".join(f"<p style='break-after: page'>頁 {i}</p>" for i in range(3))
    target = tmp_path / "out.pdf"
    hook._ChildHTML(state, string=html + "</body></html>").render().write_pdf(str(target), prepend_producer)
    assert state.pages == [3]
    assert target.read_bytes().startswith(b"%PDF-1.7")  # PDF/UA-1, as on_config sets it in the build
    assert "mkdocs-to-pdf" in (PdfReader(target).metadata.producer or "")  # the plugin's finisher ran
    assert state.renderer is None and not list(hook._RUNNING)


def test_a_failed_build_leaves_no_renderer_waiting():
    hook = load_hook()
    state = hook._Build()
    state.start_renderer()
    process = state.renderer
    assert process is not None and process.poll() is None and list(hook._RUNNING) == [state]
    hook.on_build_error(RuntimeError("the build failed"))
    assert process.returncode == 0 and state.renderer is None and not list(hook._RUNNING)


def test_the_plugin_reads_pages_without_their_sidebars(site: Path):
    """Patch 6: the plugin parses each page without Material's navigation and table of contents. Everything it
    keeps (the <head>, the <article>, the scripts) is there, unchanged, and the sidebars are gone."""
    import re

    hook = load_hook()
    pages = sorted(site.rglob("index.html"))
    assert len(pages) > 15
    for path in pages:
        page = path.read_text(encoding="utf-8")
        trimmed = hook.without_sidebars(page)
        assert "md-sidebar" in page and "md-sidebar" not in trimmed, path
        assert len(trimmed) < len(page) - 2000, path
        for part in (r"<head>.*?</head>", r"<article\b.*?</article>"):
            assert re.search(part, trimmed, re.DOTALL)[0] == re.search(part, page, re.DOTALL)[0], path
        assert re.findall(r"<script\b.*?</script>", trimmed, re.DOTALL) == re.findall(
            r"<script\b.*?</script>", page, re.DOTALL
        ), path
        # what is left out is whole elements: the page's tags still balance
        assert trimmed.count("<div") - trimmed.count("</div>") == page.count("<div") - page.count("</div>"), (
            path
        )


def test_the_plugin_keeps_the_same_articles_from_the_cut_pages(site: Path, tmp_path: Path):
    """Patch 6: the plugin's per-page work on the page cut to its <head> and <article> (`collect_article`) keeps
    what the plugin's own on_post_page keeps from the whole page: the same <head> and, for every page, the same
    article, serialised. (The combined HTML given to WeasyPrint is built from these alone.)"""
    from mkdocs.config import load_config
    from mkdocs.structure.files import File
    from mkdocs.structure.pages import Page
    from mkdocs_to_pdf.plugin import WithPdfPlugin

    hook = load_hook()
    config = load_config(str(ROOT / "mkdocs-pdf.yml"), site_dir=str(tmp_path / "site"))
    generators = []
    for _ in range(2):
        plugin = WithPdfPlugin()
        plugin.load_config(dict(config["plugins"]["to-pdf"].config))
        hook.on_config(config)  # Patch 1 (template path), as the build runs it
        plugin.on_config(config)
        generators.append(plugin.generator)
    own, cut = generators
    pages = sorted(site.rglob("index.html"))
    assert len(pages) > 15
    for path in pages:
        dest = path.relative_to(site)
        src = dest.parent / "index.md" if dest.parent != Path(".") else Path("index.md")
        page = Page(None, File(str(src), str(ROOT / "docs"), str(tmp_path / "site"), True), config)
        if any(pattern.match(page.url) for pattern in own._exclude_page_patterns):
            continue  # not in the PDF (the home page, about/…): the plugin logs it and keeps nothing
        html = path.read_text(encoding="utf-8")
        own.on_post_page(html, page, "pdf/strategy.pdf")
        trimmed = hook.head_and_article(html)
        assert trimmed is not None and len(trimmed) < len(hook.without_sidebars(html)), dest
        assert hook.collect_article(cut, trimmed, page), dest
        assert str(cut._articles[id(page)]) == str(own._articles[id(page)]), dest
    assert str(cut._head) == str(own._head)
    assert len(cut._articles) == len(own._articles) >= 15


def test_scripts_build_forks_the_renderer_before_mkdocs(tmp_path: Path):
    """scripts/build starts `mkdocs build` through macros/pdf_render.py, which forks the renderer first (`prestart`):
    the build takes that renderer over, once, instead of starting an interpreter that imports WeasyPrint again."""
    from mkdocs_to_pdf.utils.metadata_util import prepend_producer

    from macros import pdf_render

    hook = load_hook()
    pdf_render.prestart()
    try:
        state = hook._Build()
        state.start_renderer()
        renderer = state.renderer
        assert renderer is not None and renderer.process is None and pdf_render.RENDERER_ENV not in os.environ
        # a fork of this process (no new program, so no second import of WeasyPrint), waiting for its job
        assert Path(f"/proc/{renderer.pid}/cmdline").read_bytes() == Path("/proc/self/cmdline").read_bytes()
        assert renderer.poll() is None
        assert pdf_render.Renderer.take_over() is None  # once only
        html = "<html lang=ja><body>" + "".join(f"<p style='break-after: page'>頁 {i}</p>" for i in range(2))
        target = tmp_path / "out.pdf"
        hook._ChildHTML(state, string=html + "</body></html>").render().write_pdf(
            str(target), prepend_producer
        )
        assert state.pages == [2] and renderer.returncode == 0
        assert target.read_bytes().startswith(b"%PDF-1.7")
        assert "mkdocs-to-pdf" in (PdfReader(target).metadata.producer or "")
    finally:
        leftover = pdf_render.Renderer.take_over()
        if leftover is not None:
            leftover.communicate("")


def test_a_renderer_forked_for_no_pdf_ends_with_the_launcher():
    """`python -P macros/pdf_render.py` with a command that builds no PDF: the forked renderer gets no job and
    ends; the command's own exit code and output come through."""
    import subprocess

    done = subprocess.run(
        [sys.executable, "-P", str(ROOT / "macros" / "pdf_render.py"), "--version"],
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("mkdocs, version ")

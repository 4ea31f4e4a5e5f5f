"""hooks/pdf.py's renderer process: WeasyPrint in a process of its own, started with the build."""

from __future__ import annotations

import importlib.util
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

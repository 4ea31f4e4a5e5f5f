"""Bench-only MkDocs hook: dump what the macros layer produced (config values and each page's Markdown).

Added to a temporary copy of the project by bench/run.py; writes into $BENCH_DUMP.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import event_priority
from mkdocs.structure.files import Files
from mkdocs.structure.pages import Page

from macros.rawblocks import expand


def _out() -> Path:
    return Path(os.environ["BENCH_DUMP"])


@event_priority(-1000)  # after the macros plugin set them
def on_config(config: MkDocsConfig) -> None:
    """Dump the navigation, names and `extra` that the macros adapter set from the model."""
    keys = ("nav", "site_name", "copyright", "extra")
    values = {k: config[k] for k in keys}
    (_out() / "config.json").write_text(
        json.dumps(values, ensure_ascii=False, default=dict), encoding="utf-8"
    )


@event_priority(-1000)  # after the macros plugin rendered the page
def on_page_markdown(markdown: str, page: Page, config: MkDocsConfig, files: Files) -> str:
    """Dump the page's rendered Markdown, with its HTML blocks as HTML (the adapter carries them as tokens that
    only its Markdown extension reads, macros/rawblocks.py; the baseline is plain Markdown)."""
    path = _out() / "docs" / page.file.src_uri
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(expand(markdown), encoding="utf-8")
    return markdown

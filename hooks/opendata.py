"""MkDocs hook: write the open data (`macros.export.FILES`) into `site/data/`.

The files are rendered once per build by the macros adapter (macros/__init__.py, at on_config) from the model
it validated, and kept with that build's config (the macros plugin's `open_data_files` variable, beside the
`open_data` list that the open-data page shows with their sizes): the pages and the files come from the same
model, and nothing of one build stays in this module for the next. Every file, the YAML and the schema included,
is generated from the model.
"""

from __future__ import annotations

import logging
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.utils import CountHandler

from macros.export import DATA_DIR, write

log = logging.getLogger("mkdocs.hooks.opendata")


def on_post_build(config: MkDocsConfig) -> None:
    """Write the files into `site/data/`, unless strict mode is about to abort the build."""
    rendered = config.plugins["macros"].variables.get("open_data_files")
    if not rendered:  # `mkdocs serve` showing data problems: no files
        return
    if config.strict and _warned():
        log.debug("open data not written: the strict build is failing")
        return
    write(rendered, Path(config.site_dir) / DATA_DIR)


# --- helpers ----------------------------------------------------------------------------------------------


def _warned() -> bool:
    """Whether MkDocs' strict-mode counter has seen a warning (it aborts right after on_post_build)."""
    return any(isinstance(h, CountHandler) and h.get_counts() for h in logging.getLogger("mkdocs").handlers)

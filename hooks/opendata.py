"""MkDocs hook: publish the open data (`macros.export.FILES`) under `site/data/`.

The strategy is the object the macros adapter validated at on_config and stored as the `strategy` variable of
the macros plugin; this hook reads it from there, so the YAML is parsed once and the pages and the files come
from the same model (every file, the YAML and the schema included, is generated from it). Hooks run after the configured plugins, so the
variable is set by the time `on_config` below runs.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.utils import CountHandler

# Make the project's `macros` package importable; MkDocs restores sys.path once this module is loaded.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from macros.export import DATA_DIR, published, render, write

log = logging.getLogger("mkdocs.hooks.opendata")


# The files' bytes, rendered once per build in on_config: the page states their sizes, on_post_build writes them.
_rendered: dict[str, bytes] = {}


def on_config(config: MkDocsConfig) -> None:
    """Render the files once; give the open-data page their list with sizes (the macros variable `open_data`)."""
    _rendered.clear()
    variables = config.plugins["macros"].variables
    strategy = variables.get("strategy")
    if strategy is None:  # `mkdocs serve` showing data problems: no files
        variables["open_data"] = []
        return
    _rendered.update(render(strategy, variables["publication"]))
    config.plugins["macros"].variables["open_data"] = published(_rendered)


def on_post_build(config: MkDocsConfig) -> None:
    """Write the files into `site/data/`, unless strict mode is about to abort the build."""
    if not _rendered or (config.strict and _warned()):
        log.debug("open data not written: the strict build is failing")
        return
    write(_rendered, Path(config.site_dir) / DATA_DIR)


# --- helpers ----------------------------------------------------------------------------------------------


def _warned() -> bool:
    """Whether MkDocs' strict-mode counter has seen a warning (it aborts right after on_post_build)."""
    return any(isinstance(h, CountHandler) and h.get_counts() for h in logging.getLogger("mkdocs").handlers)

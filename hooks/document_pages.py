"""MkDocs hook: one page per part of the document, generated from the model (no stub file needed).

The pages come from `macros.pages.all_pages` (the adapter builds the navigation from the same list): a chapter
added to the data gets its page, and a stub in docs/ whose part is gone from the data is dropped instead of
failing the build. A stub is a docs file that holds only `{{ document_page() }}`.
"""

from __future__ import annotations

import sys
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from macros.pages import all_pages

STUB = "{{ document_page() }}"


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Add the document's missing pages; drop stubs of pages the data no longer has."""
    strategy = config.plugins["macros"].variables.get("strategy")
    if strategy is None:  # `mkdocs serve` showing data problems
        return files
    wanted = {page.path for page in all_pages(strategy)}
    for file in list(files):
        if file.src_uri not in wanted and _is_stub(file):
            files.remove(file)
    present = {file.src_uri for file in files}
    for path in sorted(wanted - present):
        files.append(File.generated(config, path, content=STUB + "\n"))
    return files


def _is_stub(file: File) -> bool:
    if not file.src_uri.endswith(".md") or not file.abs_src_path:
        return False
    try:
        return Path(file.abs_src_path).read_text(encoding="utf-8").strip() == STUB
    except (OSError, UnicodeDecodeError):
        return False

"""MkDocs hook: one page per part of the document, generated from the model (MkDocs 1.6 `File.generated`).

docs/ holds no file for them: the pages come from `macros.pages.all_pages` (the adapter builds the navigation
from the same list and gives their paths as the macros variable `document_page_paths`, also when it answers the
build from its snapshot, macros/snapshot.py), so a chapter added, dropped or renamed in the data gets, loses or moves its page with no
file to keep in step. Each generated page is one call of the adapter's `document_page()` macro.
"""

from __future__ import annotations

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File, Files

CONTENT = "{{ document_page() }}\n"


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Add the document's pages."""
    paths = config.plugins["macros"].variables.get("document_page_paths")
    if paths is None:  # `mkdocs serve` showing data problems
        return files
    for path in paths:
        if files.get_file_from_path(path) is not None:
            raise PluginError(
                f"docs/{path} は資料のページ（data/strategy.yaml から作られます）と同じ場所にあります。"
                "docs/ にはサイトについてのページだけを置いてください。"
            )
        files.append(File.generated(config, path, content=CONTENT))
    return files

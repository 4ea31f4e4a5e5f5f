"""MkDocs hook, listed first in mkdocs.yml and mkdocs-pdf.yml: makes the project's `macros` package importable
by the hooks listed after it. It defines no event.

MkDocs loads each hook by its path, with the hook's own folder at the front of sys.path while the hook's module
runs, and restores sys.path afterwards (mkdocs.config.config_options.Hooks). This file lives in the project's
root, so the import below finds the project's `macros` and leaves it in sys.modules; the hooks in hooks/ then
import `macros.…` from there (a submodule is found through its package, not through sys.path). So `mkdocs build`,
`mkdocs serve`, scripts/build, CI and the tests (which build in-process) import the project the same way, with
no installation and no change to sys.path of our own.
"""

import macros  # noqa: F401

"""Startup file of the project's virtualenv: mkdocs-macros gets `requests` when it first uses it, not at its import.

scripts/setup copies this file into .venv's site-packages as `morioka_strategy_startup.py`, with a `.pth` file that
imports it when Python starts (as editable installs and coverage do). Nothing else in the project imports it.

Why: mkdocs-macros imports `requests` when MkDocs loads it (mkdocs_macros/util.py, for a check against PyPI that
this site never makes), and that import (requests, urllib3, charset_normalizer, ssl, http.client) costs about
0.06 s of CPU per build (issue #16). MkDocs loads plugins before any hook of ours runs, so this cannot be done from
the project's hooks.

How: while Python executes mkdocs_macros/util.py (and only then), `sys.modules["requests"]` holds a placeholder, so
that module's `import requests` binds the placeholder. The first read of one of the placeholder's attributes
(`requests.get`) imports the real `requests` and answers from it, as does every later read. Nothing else sees the
placeholder: it leaves `sys.modules` when util.py has run, so any other `import requests` imports the real module
as usual, and a `requests` already imported is used as it is. Nothing is deferred for a module that is not
installed. A Python without this file (another virtualenv) imports `requests` at once, as before.
"""

import sys

ModuleType = type(sys)  # types.ModuleType, without importing `types` into every Python that starts here

DEFERRED = {"mkdocs_macros.util": ("requests",)}  # importer -> the modules it gets when it first uses them


class Deferred(ModuleType):
    """Stands for a module until one of its attributes is read; then the real module is imported and answers."""

    def __getattr__(self, name: str) -> object:
        __import__(self.__name__)
        return getattr(sys.modules[self.__name__], name)


class DeferringLoader:
    """The importer's own loader, executing the module with placeholders for the modules it defers."""

    def __init__(self, loader: object, deferred: tuple[str, ...]) -> None:
        self.loader = loader
        self.deferred = deferred

    def create_module(self, spec: object) -> ModuleType | None:
        return self.loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        placeholders = {name: Deferred(name) for name in self.deferred if _installed(name)}
        sys.modules.update(placeholders)
        try:
            self.loader.exec_module(module)
        finally:
            for name, placeholder in placeholders.items():
                if sys.modules.get(name) is placeholder:
                    del sys.modules[name]

    def __getattr__(self, name: str) -> object:
        """get_source, get_filename, …: the importer's own loader answers."""
        return getattr(self.loader, name)


class DeferringFinder:
    """First on `sys.meta_path`: finds an importer of DEFERRED as Python would, and gives it a DeferringLoader."""

    @staticmethod
    def find_spec(fullname: str, path: object = None, target: object = None) -> object:
        deferred = DEFERRED.get(fullname)
        if deferred is None:
            return None
        spec = _find(fullname, path, target)
        if spec is not None and spec.loader is not None:
            spec.loader = DeferringLoader(spec.loader, deferred)
        return spec


def _find(fullname: str, path: object, target: object) -> object:
    """The spec that the other finders on `sys.meta_path` give, or None."""
    for finder in sys.meta_path:
        find_spec = getattr(finder, "find_spec", None)
        if finder is DeferringFinder or find_spec is None:
            continue
        spec = find_spec(fullname, path, target)
        if spec is not None:
            return spec
    return None


def _installed(name: str) -> bool:
    """Whether a module is importable and not imported yet (an imported one is used as it is)."""
    return name not in sys.modules and _find(name, None, None) is not None


def install() -> None:
    """Put the finder first on `sys.meta_path` (once)."""
    if DeferringFinder not in sys.meta_path:
        sys.meta_path.insert(0, DeferringFinder)  # type: ignore[arg-type]


install()

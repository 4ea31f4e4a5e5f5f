"""Startup file of the project's virtualenv: mkdocs-macros gets `requests` when it first uses it, not at its import.

scripts/setup copies this file into .venv's site-packages as `morioka_strategy_startup.py`, with a `.pth` file that
imports it when Python starts (as editable installs do). Nothing else in the project imports it.

Why: mkdocs-macros imports `requests` when MkDocs loads it (mkdocs_macros/util.py, for a check against PyPI that
this site never makes), and that import (requests, urllib3, charset_normalizer, ssl, http.client) costs about
0.06 s of CPU per build (issue #16). MkDocs loads plugins before any hook of ours runs, so this cannot be done from
the project's hooks.

How: mkdocs_macros/util.py is executed with an `__import__` of its own, through its module's `__builtins__`. Its
own statement `import requests` then binds a placeholder, as long as nothing has imported `requests` yet; every other
import statement of that module (`from requests import x`, `import requests.adapters`, any other module) is
Python's. The first read of one of the placeholder's attributes (`requests.get`) imports the real `requests` and
answers from it, as does every later read. `sys.modules` never holds the placeholder: every other module imports
`requests` as usual, also while util.py runs. Nothing is deferred for a module that is not installed. A Python
without this file (another virtualenv) imports `requests` at once, as before.
"""

import builtins
import sys

ModuleType = type(sys)  # types.ModuleType, without importing `types` into every Python that starts here

DEFERRED = {"mkdocs_macros.util": ("requests",)}  # importer -> the modules it gets when it first uses them


class Deferred(ModuleType):
    """Stands for a module until one of its attributes is read; then the real module is imported and answers."""

    def __getattr__(self, name: str) -> object:
        __import__(self.__name__)
        return getattr(sys.modules[self.__name__], name)


class Builtins(dict):
    """An importer's builtins: its own `__import__`, and every other name from the `builtins` module."""

    def __missing__(self, name: str) -> object:
        return builtins.__dict__[name]


class DeferringLoader:
    """The importer's own loader, executing the module with an `__import__` that binds placeholders."""

    def __init__(self, loader: object, deferred: tuple[str, ...]) -> None:
        self.loader = loader
        self.deferred = deferred

    def create_module(self, spec: object) -> "ModuleType | None":
        return self.loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        placeholders = {name: _placeholder(name) for name in self.deferred}

        def importing(name, globals=None, locals=None, fromlist=(), level=0):
            placeholder = placeholders.get(name) if level == 0 and not fromlist else None
            if placeholder is not None and name not in sys.modules:
                return placeholder
            return builtins.__import__(name, globals, locals, fromlist, level)

        module.__dict__["__builtins__"] = Builtins(__import__=importing)
        try:
            self.loader.exec_module(module)
        finally:
            module.__dict__["__builtins__"] = (
                builtins  # as Python leaves it (its functions keep the one they had)
            )

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


def _placeholder(name: str) -> "Deferred | None":
    """A placeholder for an installed module (with the spec Python would use), or None if it is not installed."""
    spec = _find(name, None, None)
    if spec is None:
        return None
    placeholder = Deferred(name)
    placeholder.__spec__ = spec
    return placeholder


def install() -> None:
    """Put the finder first on `sys.meta_path` (once)."""
    if DeferringFinder not in sys.meta_path:
        sys.meta_path.insert(0, DeferringFinder)  # type: ignore[arg-type]


install()

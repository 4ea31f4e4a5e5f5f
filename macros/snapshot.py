"""The adapter's snapshot: what a build of unchanged inputs would compute again, kept in the user's cache.

Issue #16's macro-layer goal (a site build ≤ 1.10× the same pages built as plain Markdown) cannot be met while
every build imports pydantic and the model classes, reads the model back, validates data/publication.yaml and
data/editions/index.yaml and renders every document page: about 0.2 s of fixed cost at 1×. After a build whose
data had no problems, the adapter (macros/__init__.py) stores here everything it produced for MkDocs:

- `conf`: what it set in MkDocs' config (site_name, copyright, nav, extra.footer, extra.pdf_cover, site_url);
- `variables`: the macros variables the hooks and docs/*.md use (the open data files' bytes, the document
  pages' paths, and `edition_plan`: what hooks/editions.py needs of the editions, see macros/__init__.py);
- `calls`: the string each macro call returned (`document_page`, `site_page`, `edition_page`), by the macro's
  name, the page's src and the call's arguments (`call_key`).

The next build whose inputs have the same `key` sets the same config values and variables and answers every
macro call it finds with the stored string, importing neither pydantic nor the model, the renderers or the
editions (tests/test_snapshot.py checks `sys.modules`); a call not in the snapshot loads the model and renders
as before, and the snapshot is written again with it. Only a build with unchanged inputs benefits: a build after
any edit of the data, of the code or of a setting below pays the full cost (and stores a new snapshot).
Measured on the bench's 1× project (CPU, medians of 8 interleaved runs): the warm site build went from 1.21–1.27×
to 0.95–1.02× the plain-Markdown build of the same pages; a build after an edit costs what it did (+1%). With a
past edition (the repository's data edited once after its frozen edition), a warm build went from 0.99 s to 0.80 s
CPU (full path before: the past editions kept every build off the snapshot), against 0.78 s without one.

The key is a digest of everything the stored values are made from: the bytes of data/strategy.yaml,
data/publication.yaml and every file under data/editions/; every file of the `macros` package this process
imported (code and templates); Python's version, MkDocs' and every installed distribution's (pydantic, PyYAML,
Jinja, Markdown, SudachiPy… by their metadata folders' names); and every setting the
adapter reads: `use_directory_urls`, `site_url` as configured (SITE_URL), the to-pdf plugin's presence, its
`enabled_if_env` variable and that variable's value, its `output_path`, and STRATEGY_PREVIEW (`mkdocs serve`).

Stored values are plain Python values only (str, bytes, int, bool, None, list, tuple, dict; a `Markup` title as
a tagged tuple), pickled and read back by an unpickler that refuses every class: reading a snapshot imports
nothing. The document pages' HTML blocks are carried as tokens holding the secret prefix of the process that
rendered them (macros/rawblocks.py): the snapshot records that prefix and a read puts this process's in its
place. A snapshot is stored only when the data had no problems (a build with problems never gets here). A site with
past editions and 新旧対照表 is answered from it too: hooks/editions.py takes the editions' pages (their src,
Markdown and cache keys), folders, digests and 新旧対照表 Markdown from `edition_plan`, checks every value before
using it as a path or as a page's source (a slug that is not a date, a folder that is not the one the slug gives, a
page outside editions/, front matter with template code: the plan is made again from the model), and copies the
pages, data and PDFs from its own cache (`.cache/editions/`); whatever that cache does not hold loads the model
then, for that alone, as before (tests/test_snapshot.py). An entry that is absent, unreadable, corrupt or of
another format is ignored and written again; a folder that cannot be written leaves the build as it was. The
folder keeps the KEEP most recently used snapshots (macros/usercache.py).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import io
import json
import os
import pickle
import re
import sys
from pathlib import Path
from typing import Any

from markupsafe import Markup

from . import rawblocks, usercache

FORMAT = 3  # changes whenever what is stored, or how, changes
KEEP = 8  # snapshots kept (one per set of inputs; `mkdocs serve` adds one per save that changes the data)
FOLDER = "snapshots"
PACKAGE = Path(__file__).parent
# The data the adapter reads, below the project's folder (macros/__init__.py DATA_FILE, macros/publication.py
# PUBLICATION_FILE, macros/editions.py EDITIONS_DIR: tests/test_snapshot.py checks that they are these).
INPUTS = ("data/strategy.yaml", "data/publication.yaml", "data/editions")
PREVIEW_ENV = "STRATEGY_PREVIEW"  # macros/__init__.py's (the test checks)
_MARKUP = "\x00markup"  # a Markup string is stored as (_MARKUP, text)


# --- the key ------------------------------------------------------------------------------------------------


def inputs(project: Path) -> str:
    """The digest of the data files the adapter reads (INPUTS)."""
    digest = hashlib.sha256()
    for part in INPUTS:
        _add_files(digest, project, project / part)
    return digest.hexdigest()


def key(conf: Any, project: Path, data: str | None = None) -> str:
    """The digest of every input of the adapter's output for this config (see the module's docstring); `data`:
    the data files' digest (`inputs`), if taken already."""
    digest = hashlib.sha256(f"adapter snapshot {FORMAT}\0".encode())
    digest.update((data or inputs(project)).encode())
    digest.update(running_code().encode())
    import mkdocs

    settings = {
        "python": sys.version,
        "mkdocs": mkdocs.__version__,
        "packages": running_packages(),
        "use_directory_urls": bool(conf["use_directory_urls"]),
        "site_url": conf.get("site_url") or "",
        "pdf": pdf_settings(conf),
        "preview": os.environ.get(PREVIEW_ENV, ""),
    }
    digest.update(json.dumps(settings, sort_keys=True).encode())
    return digest.hexdigest()


def code_on_disk() -> str:
    """The digest of every file of the `macros` package (code and templates) as it is on disk now."""
    digest = hashlib.sha256()
    _add_files(digest, PACKAGE, PACKAGE)
    return digest.hexdigest()


@functools.cache
def running_code() -> str:
    """`code_on_disk()` when this module was imported (with the `macros` package): the code this process runs.
    `mkdocs serve` keeps the modules it imported while `macros/` is edited (its rebuilds run the old code:
    README), so a key taken from the files on disk would store the old code's results under the new code's key;
    see also `unchanged`."""
    return code_on_disk()


@functools.cache
def running_packages() -> tuple[str, ...]:
    """`installed_packages()` when this process first asked (as `running_code`)."""
    return tuple(installed_packages())


def unchanged() -> bool:
    """Whether the code and the packages on disk are still those this process took its keys from: a snapshot is
    stored only then (a process that runs other code than the files say stores nothing)."""
    return code_on_disk() == running_code() and tuple(installed_packages()) == running_packages()


def _add_files(digest: Any, root: Path, path: Path) -> None:
    """Each file at or below `path` (sorted; caches of compiled code left out) by its path and bytes; a missing
    file or folder by its name alone."""
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    else:
        files = [path]
    for file in files:
        name = file.relative_to(root).as_posix() if file != root else file.name
        try:
            data = file.read_bytes()
        except OSError:
            digest.update(f"absent {name}\0".encode())
            continue
        digest.update(f"file {name} {len(data)}\0".encode() + data)


def pdf_settings(conf: Any) -> dict[str, Any] | None:
    """What the adapter reads of the to-pdf plugin (macros/__init__.py `pdf_link`)."""
    plugin = conf.plugins.get("to-pdf")
    if plugin is None:
        return None
    name = plugin.config.get("enabled_if_env")
    return {
        "enabled_if_env": name,
        "value": os.environ.get(name) if name else None,
        "output_path": str(plugin.config.get("output_path")),
    }


def installed_packages() -> list[str]:
    """Every installed distribution as its metadata folder's name (name-version.dist-info): a directory listing
    (importlib.metadata would read every METADATA file)."""
    found: set[str] = set()
    for entry in sys.path:
        with contextlib.suppress(OSError):
            found.update(
                name for name in os.listdir(entry or ".") if name.endswith((".dist-info", ".egg-info"))
            )
    return sorted(found)


def call_key(macro: str, src: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> str | None:
    """The name under which a macro call's result is kept: the macro, the page and the arguments by their repr
    (the open data list is dataclasses with a stable repr); None when an argument's repr is not stable (an
    object shown by its address), so the call is never kept."""
    if not all(_stable(v) for v in (*args, *kwargs.values())):
        return None
    text = repr((macro, src, args, sorted(kwargs.items())))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _stable(value: Any) -> bool:
    """Whether a value's repr shows all of its content: builtins, and dataclasses made of them whose fields are all
    in their repr (the open-data list, `macros.export.Published`); anything else (an object shown by its address,
    or by a part of its content, such as MkDocs' Page) is not kept."""
    if value is None or type(value) in (str, bytes, int, bool, float):
        return True
    if type(value) in (list, tuple):
        return all(_stable(v) for v in value)
    if type(value) is dict:
        return all(_stable(k) and _stable(v) for k, v in value.items())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return all(
            f.repr and _stable(getattr(value, f.name)) or not f.repr and not f.compare
            for f in dataclasses.fields(value)
        )
    return False


# --- plain values -------------------------------------------------------------------------------------------


def plain(value: Any) -> Any:
    """`value` as builtins only (Markup tagged); TypeError for anything else."""
    if isinstance(value, Markup):
        return (_MARKUP, str(value))
    if value is None or type(value) in (str, bytes, int, bool, float):
        return value
    if type(value) is list:
        return [plain(v) for v in value]
    if type(value) is tuple:
        return tuple(plain(v) for v in value)
    if type(value) is dict:
        return {plain(k): plain(v) for k, v in value.items()}
    raise TypeError(f"not a plain value: {type(value).__name__}")


def unplain(value: Any) -> Any:
    """The values `plain` made, back (Markup restored)."""
    if type(value) is tuple:
        if len(value) == 2 and value[0] == _MARKUP:
            return Markup(value[1])
        return tuple(unplain(v) for v in value)
    if type(value) is list:
        return [unplain(v) for v in value]
    if type(value) is dict:
        return {unplain(k): unplain(v) for k, v in value.items()}
    return value


class _Builtins(pickle.Unpickler):
    """An unpickler that refuses every class and function: only builtin values can come out."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"not a plain value: {module}.{name}")


# --- reading and writing ------------------------------------------------------------------------------------


def entry(snapshot_key: str) -> Path:
    return usercache.folder(FOLDER) / f"{snapshot_key}.pickle"


def read(snapshot_key: str) -> dict[str, Any] | None:
    """The snapshot stored under this key as plain values (`unplain` gives the config's and variables' values
    back), its calls with this process's raw-block prefix; None if there is none usable."""
    stored = usercache.read(entry(snapshot_key))
    if stored is None:
        return None
    try:
        data = _Builtins(io.BytesIO(stored)).load()
        if not (
            isinstance(data, dict)
            and data.get("format") == FORMAT
            and data.get("key") == snapshot_key
            and isinstance(data.get("prefix"), str)
            and all(isinstance(data.get(k), dict) for k in ("conf", "variables", "calls"))
            and all(isinstance(k, str) and isinstance(v, str) for k, v in data["calls"].items())
            and _well_formed(data["conf"], data["variables"])
        ):
            return None
        calls = _reprefixed(data["calls"], data["prefix"])
        return {"conf": data["conf"], "variables": data["variables"], "calls": calls}
    except Exception:  # noqa: BLE001 - partial, corrupt, or from other code: made again by this build
        return None


CONF = {"site_name", "site_url", "nav", "footer", "pdf_cover"}  # what macros/__init__.py `produced` sets


def _well_formed(conf: Any, variables: Any) -> bool:
    """Whether stored values have the shape the adapter gives them (a snapshot from other code or another hand
    is not used): the config values it sets, the open data files the exporter writes (hooks/opendata.py and
    hooks/editions.py use their names as file names), the document pages' paths (hooks/editions.py checks
    `edition_plan` itself)."""
    from .export import FILES

    files = variables.get("open_data_files")
    paths = variables.get("document_page_paths")
    return (
        set(conf) == CONF
        and (conf["site_url"] is None or type(conf["site_url"]) is str)
        and type(conf["nav"]) is list
        and type(conf["footer"]) is dict
        and all(type(k) is str for k in conf["footer"])
        and type(conf["pdf_cover"]) is dict
        and all(type(k) is str and type(v) is str for k, v in conf["pdf_cover"].items())
        and type(files) is dict
        and sorted(files) == sorted(f.name for f in FILES)
        and all(type(b) is bytes for b in files.values())
        and isinstance(paths, list)
        and all(type(p) is str and p.endswith(".md") and ".." not in p.split("/") for p in paths)
    )


def write(snapshot_key: str, conf: dict[str, Any], variables: dict[str, Any], calls: dict[str, str]) -> bool:
    """Store a snapshot (False, and nothing stored, if a value is not plain)."""
    try:
        data = {
            "format": FORMAT,
            "key": snapshot_key,
            "prefix": rawblocks.PREFIX,
            "conf": plain(conf),
            "variables": plain(variables),
            "calls": dict(calls),
        }
        if not all(type(v) is str for v in calls.values()):
            raise TypeError("a macro's result is not a str")
    except TypeError:
        return False
    usercache.write(entry(snapshot_key), pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL), keep=KEEP)
    return True


def _reprefixed(calls: dict[str, str], prefix: str) -> dict[str, str]:
    """The stored results with the raw-block tokens of the process that rendered them made this process's
    (a token is a line of its own: the prefix, then base64)."""
    if prefix == rawblocks.PREFIX:
        return calls
    token = re.compile(rf"^{re.escape(prefix)}(?=[A-Za-z0-9+/=]+$)", re.MULTILINE)
    return {k: token.sub(lambda m: rawblocks.PREFIX, v) for k, v in calls.items()}


running_code()  # now, with the package's modules: see its docstring

"""MkDocs hook: a large site's pages are written by several processes at once.

MkDocs builds in two passes: it reads and converts every page (Markdown to HTML), then writes every page through
the theme (`mkdocs.commands.build._build_page`: the theme's templates with the navigation, the search entries, the
page's description, the markup fixes, its ふりがな file). The second pass is about 60% of a build at 100 times
today's data, and each page's work there needs only what the first pass left. So for a site of MIN_PAGES pages or
more, the second pass is shared: when MkDocs asks for the first page, the build forks; each child writes one
contiguous run of the later pages (runs of about equal work: each page's HTML plus the navigation every page
carries) and hands back what the plugins kept of its pages. The parent writes the first run, then waits for the
children and takes their results in page order, before MkDocs checks the anchors and runs `on_post_build`:

- Material's search entries (appended in page order, as one process appends them);
- hooks/citizen.py's share images to draw, hooks/editions.py's files of generated pages, the navigation
  cache's counts (hooks/theme.py);
- every log message, given to the parent's loggers as if the parent had logged it (so `--strict` counts a
  child's warnings);
- an error: the build stops with it, as it would have at that page (the other pages are written first).

The site is the same, byte for byte, as one process writes it (tests/test_parallel.py builds both ways and
compares every file). Anything a future hook keeps per page must be handed back here too; that test fails if
the site differs.

One process writes every page in `mkdocs serve` (the preview's memo lives in its process and a preview rebuilds
only changed pages cheaply) and when the PDF is built (the PDF plugin collects every page's HTML in its own
process). The environment variable STRATEGY_BUILD_PROCESSES=1 writes every page in one process; =N uses N
processes (at most the number of pages) whatever the site's size, which is how the test compares the two.
"""

from __future__ import annotations

import gc
import logging
import os
import pickle
import signal
import sys
import tempfile
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import mkdocs.commands.build
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File

from macros import PREVIEW_ENV

log = logging.getLogger("mkdocs.hooks.parallel")

PROCESSES_ENV = "STRATEGY_BUILD_PROCESSES"
MIN_PAGES = 120  # below this, forking (about 20 ms a process) and merging outweigh the halved pass
MAX_PROCESSES = 4
PAGE_WEIGHT = 12_000  # characters: each page's work beyond its own HTML (navigation, header, templates)
STATE = f"{__name__}:build"  # this build's Shared in config.plugins
SEARCH = "material/search"
CITIZEN = "hooks/citizen.py:build"
NAV = "hooks/theme.py:nav"


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    """Decide how many processes this build may use; make MkDocs' page writer ask this build first."""
    processes = _processes(config)
    if processes > 1:
        config.plugins[STATE] = Shared(processes)  # type: ignore[assignment]
    original = mkdocs.commands.build._build_page
    if not getattr(original, "sd_shared", False):
        mkdocs.commands.build._build_page = _shared(original)
    return config


def _processes(config: MkDocsConfig) -> int:
    """1 in a preview and with the PDF; the environment's number if set; else the machine's cores (up to
    MAX_PROCESSES) for a site of MIN_PAGES pages or more (`Shared.plan` checks the size)."""
    if os.environ.get(PREVIEW_ENV) == "1" or not hasattr(os, "fork"):
        return 1
    plugin = config.plugins.get("to-pdf")
    if plugin is not None and getattr(plugin, "enabled", False):
        return 1
    wanted = os.environ.get(PROCESSES_ENV, "").strip()
    if wanted:
        if not wanted.isdigit() or int(wanted) < 1:
            raise PluginError(f"{PROCESSES_ENV} は 1 以上の整数にしてください（今は「{wanted}」）。")
        return int(wanted)
    return max(1, min(MAX_PROCESSES, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1))


def _shared(original: Callable[..., None]) -> Callable[..., None]:
    """MkDocs' `_build_page`, asking the build's Shared (if any) whether this process writes the page."""

    def build_page(page: Any, config: MkDocsConfig, doc_files: Sequence[File], *args: Any, **kwargs: Any) -> None:
        shared = config.plugins.get(STATE)
        if not isinstance(shared, Shared):
            original(page, config, doc_files, *args, **kwargs)
            return
        shared.page(original, page, config, doc_files, *args, **kwargs)

    build_page.sd_shared = True  # type: ignore[attr-defined]
    build_page.__wrapped__ = original  # type: ignore[attr-defined]
    return build_page


class Shared:
    """One build's share of its pages between processes."""

    def __init__(self, processes: int) -> None:
        self.processes = processes
        self.planned = False
        self.mine: set[int] = set()  # ids of the pages this process writes (all pages when not shared)
        self.children: list[Child] = []
        self.last: int | None = None  # id of the last page: the children's results are taken there

    def page(
        self,
        original: Callable[..., None],
        page: Any,
        config: MkDocsConfig,
        doc_files: Sequence[File],
        *args: Any,
        **kwargs: Any,
    ) -> None:
        if not self.planned:
            self.planned = True
            self.plan(original, config, doc_files, *args, **kwargs)
        if not self.children or id(page) in self.mine:
            original(page, config, doc_files, *args, **kwargs)
        if self.children and id(page) == self.last:
            self.collect(config)

    def plan(self, original: Callable[..., None], config: MkDocsConfig, doc_files: Sequence[File], *args: Any, **kwargs: Any) -> None:
        """Cut the pages into runs of about equal work; fork a child for each run but the first."""
        pages = [f.page for f in doc_files if f.page is not None]
        forced = bool(os.environ.get(PROCESSES_ENV, "").strip())
        count = min(self.processes, len(pages))
        if count < 2 or (not forced and len(pages) < MIN_PAGES):
            return
        runs = cut([len(p.content or "") + PAGE_WEIGHT for p in pages], count)
        self.mine = {id(p) for p in pages[: runs[1]]}
        self.last = id(pages[-1])
        sys.stdout.flush()
        sys.stderr.flush()
        gc.freeze()  # the children share the parent's objects; a collection there would copy every page
        try:
            for start, end in zip(runs[1:], [*runs[2:], len(pages)]):
                run = pages[start:end]
                self.children.append(Child.fork(lambda r=run: _write(original, r, config, doc_files, *args, **kwargs)))
        except BaseException:
            self.stop()
            raise
        finally:
            gc.unfreeze()
        log.info("%d ページを %d つのプロセスで書きます（%s 番目のページから）", len(pages), count, "・".join(str(r + 1) for r in runs))

    def collect(self, config: MkDocsConfig) -> None:
        """Wait for every child; take its results in page order; stop with the first error."""
        children, self.children = self.children, []
        failure: BaseException | None = None
        for child in children:
            result = child.result()
            for record in result.get("records", []):
                logging.getLogger(record.name).handle(record)
            if failure is None and "error" in result:
                failure = _error(result["error"])
            if failure is None:
                give(config, result)
        if failure is not None:
            raise failure

    def stop(self) -> None:
        """Kill and reap the children (the build failed elsewhere)."""
        children, self.children = self.children, []
        for child in children:
            child.kill()

    def on_build_error(self, error: Exception) -> None:
        del error
        self.stop()


def cut(weights: list[int], count: int) -> list[int]:
    """The first index of each of `count` contiguous runs of about equal total weight (the first is 0)."""
    total = sum(weights)
    starts, running, target = [0], 0, 1
    for index, weight in enumerate(weights):
        if len(starts) < count and running >= total * target / count and index > starts[-1]:
            starts.append(index)
            target += 1
        running += weight
    while len(starts) < count:  # fewer cuts than runs (one page outweighs the rest): one page per run at the end
        starts.append(min(starts[-1] + 1, len(weights) - 1))
    return starts


# --- the children ------------------------------------------------------------------------------------------------


class Child:
    """A forked child writing one run of pages; its result is a pickle in a temporary file."""

    def __init__(self, pid: int, path: Path) -> None:
        self.pid, self.path = pid, path

    @classmethod
    def fork(cls, work: Callable[[], dict[str, Any]]) -> Child:
        handle, name = tempfile.mkstemp(prefix="sd-parallel-", suffix=".pickle")
        pid = os.fork()
        if pid == 0:  # the child: never returns to MkDocs (nor to a test runner that builds in-process)
            code = 1
            try:
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                with os.fdopen(handle, "wb") as out:
                    pickle.dump(work(), out, protocol=pickle.HIGHEST_PROTOCOL)
                code = 0
            finally:
                os._exit(code)  # no atexit handlers: the parent owns the build's folders
        os.close(handle)
        return cls(pid, Path(name))

    def result(self) -> dict[str, Any]:
        try:
            _, status = os.waitpid(self.pid, 0)
            code = os.waitstatus_to_exitcode(status)
            data = self.path.read_bytes()
            if code != 0 or not data:
                return {"error": ("PluginError", f"ページを書くプロセスが異常終了しました（終了コード {code}）。", "")}
            result: dict[str, Any] = pickle.loads(data)
            return result
        finally:
            self.path.unlink(missing_ok=True)

    def kill(self) -> None:
        try:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        self.path.unlink(missing_ok=True)


def _write(
    original: Callable[..., None], run: list[Any], config: MkDocsConfig, doc_files: Sequence[File], *args: Any, **kwargs: Any
) -> dict[str, Any]:
    """In a child: write the run's pages; what the plugins kept of them, the log and the error, if any."""
    records = _capture_logs()
    before = take(config)
    result: dict[str, Any] = {}
    try:
        for page in run:
            original(page, config, doc_files, *args, **kwargs)
    except BaseException as exc:  # noqa: BLE001 (handed to the parent, which raises it)
        result["error"] = _pickled_error(exc)
    else:
        result.update(since(before, take(config)))
    result["records"] = records
    return result


class _Capture(logging.Handler):
    """Keeps every record that reaches a logger with handlers, once, picklable."""

    def __init__(self, records: list[logging.LogRecord]) -> None:
        super().__init__(logging.NOTSET)
        self.records = records

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(record, "sd_captured", False):
            return
        record.sd_captured = True
        if record.exc_info:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        copy = logging.makeLogRecord(
            {k: v for k, v in record.__dict__.items() if k not in ("args", "exc_info", "msg", "sd_captured")}
        )
        copy.msg, copy.args, copy.exc_info = record.getMessage(), None, None
        self.records.append(copy)


def _capture_logs() -> list[logging.LogRecord]:
    """Replace every logger's handlers in this child by one that keeps the records for the parent."""
    records: list[logging.LogRecord] = []
    capture = _Capture(records)
    loggers = [logging.getLogger(), *(v for v in logging.Logger.manager.loggerDict.values() if isinstance(v, logging.Logger))]
    for logger in loggers:
        if logger.handlers:
            logger.handlers = [capture]
    return records


def _pickled_error(exc: BaseException) -> tuple[str, str, str] | bytes:
    try:
        data = pickle.dumps(exc)
        pickle.loads(data)
        return data
    except Exception:  # noqa: BLE001 (an exception that does not pickle: its class name and text)
        return (type(exc).__name__, str(exc), "".join(traceback.format_exception(exc)))


def _error(error: tuple[str, str, str] | bytes) -> BaseException:
    if isinstance(error, bytes):
        exc: BaseException = pickle.loads(error)
        return exc
    name, text, trace = error
    return PluginError(f"{name}: {text}\n{trace}".rstrip())


# --- what the plugins keep of a page -----------------------------------------------------------------------------


def take(config: MkDocsConfig) -> dict[str, Any]:
    """What the plugins have kept of the pages written so far (in the child: before and after its run)."""
    out: dict[str, Any] = {}
    search = config.plugins.get(SEARCH)
    index = getattr(search, "search_index", None)
    if index is not None:
        out["search"] = list(index.entries)
    citizen = config.plugins.get(CITIZEN)
    if citizen is not None:
        out["images"] = dict(citizen.images)  # type: ignore[attr-defined]
    nav = config.plugins.get(NAV)
    if nav is not None:
        out["nav"] = dict(nav.stats)  # type: ignore[attr-defined]
    macros = config.plugins.get("macros")
    editions = getattr(macros, "variables", {}).get("sd_edition_cache") if macros is not None else None
    if isinstance(editions, dict):
        out["written"] = dict(editions.get("written", {}))
    return out


def since(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """What a child's run added."""
    out: dict[str, Any] = {}
    if "search" in after:
        out["search"] = after["search"][len(before.get("search", [])) :]
    for key in ("images", "written"):
        if key in after:
            old = before.get(key, {})
            out[key] = {k: v for k, v in after[key].items() if k not in old or old[k] != v}
    if "nav" in after:
        out["nav"] = {k: v - before.get("nav", {}).get(k, 0) for k, v in after["nav"].items()}
    return out


def give(config: MkDocsConfig, result: dict[str, Any]) -> None:
    """Add a child's results to the parent's plugins, after those of the pages before its run."""
    if "search" in result:
        config.plugins[SEARCH].search_index.entries.extend(result["search"])  # type: ignore[attr-defined]
    if "images" in result:
        config.plugins[CITIZEN].images.update(result["images"])  # type: ignore[attr-defined]
    if "nav" in result:
        stats = config.plugins[NAV].stats  # type: ignore[attr-defined]
        for key, value in result["nav"].items():
            stats[key] = stats.get(key, 0) + value
    if "written" in result:
        config.plugins["macros"].variables["sd_edition_cache"]["written"].update(result["written"])  # type: ignore[attr-defined]

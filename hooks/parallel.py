"""MkDocs hook: a large site's pages are read and written by several processes at once.

MkDocs builds in two passes over the pages: it reads and converts every page (`_populate_page`: mkdocs-macros,
Markdown to HTML), then writes every page through the theme (`_build_page`: the templates with the navigation, the
search entries, the page's description, the markup fixes, its ふりがな file). Each page's work in a pass needs only
what the passes before it left. So for a site of MIN_PAGES pages or more, each pass is shared: when MkDocs asks
for the pass's first page, the build forks; each child does its share of the pages and hands back what it left;
the parent does its own share, then waits for the children and takes their results, before MkDocs goes on:

- reading: every n-th page to each process; a child hands back what MkDocs and the plugins left on each page
  object (its Markdown, meta, HTML, table of contents, title, anchors and links to other pages' anchors);
- writing: one contiguous run of pages to each process (runs of about equal work: each page's HTML plus the
  navigation every page carries); a child hands back Material's search entries (appended in page order, as one
  process appends them), hooks/citizen.py's share images to draw, hooks/editions.py's files of generated pages
  and the navigation cache's counts (hooks/theme.py; each process renders its own branches, so they add up to
  more than one process renders);
- in both, every log message, given to the parent's loggers as if the parent had logged it (so `--strict`
  counts a child's warnings), and an error with the child's traceback, which stops the build once the parent has
  done its own pages (if the parent fails first, its error stops the build and the children are killed).

The site is the same, byte for byte, as one process makes it (tests/test_parallel.py builds both ways and
compares every file). Anything a future hook keeps per page must be handed back here too; that test fails if
the site differs.

One process does everything in `mkdocs serve` (the preview's memo lives in its process, and a preview rebuilds
changed pages only) and when the PDF is built (the PDF plugin collects every page's HTML in its own process).
So does a process that runs other threads (a fork copies only the calling thread), such as a test runner's worker.
Children die with the parent (Linux `PR_SET_PDEATHSIG`) and are killed when the build fails or is interrupted;
their results go through anonymous temporary files. The environment variable STRATEGY_BUILD_PROCESSES=1 uses one
process; =N uses N processes (at most the number of pages) whatever the site's size, which is how the test
compares the two.
"""

from __future__ import annotations

import atexit
import bisect
import ctypes
import ctypes.util
import fcntl
import gc
import itertools
import logging
import os
import pickle
import signal
import struct
import sys
import tempfile
import threading
import traceback
from collections.abc import Callable, Iterator
from typing import Any

import mkdocs.commands.build
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, InclusionLevel
from mkdocs.structure.pages import Page

from macros import PREVIEW_ENV

log = logging.getLogger("mkdocs.hooks.parallel")

PROCESSES_ENV = "STRATEGY_BUILD_PROCESSES"
MIN_PAGES = 120  # below this, forking (about 20 ms a process) and merging outweigh the halved pass
MAX_PROCESSES = 4  # by default; STRATEGY_BUILD_PROCESSES may ask for up to MAX_FORCED
MAX_FORCED = 32
PIPE_SIZE = 65_536  # bytes a Linux pipe holds unless asked for more
PAGE_WEIGHT = 12_000  # characters: each page's work beyond its own HTML (navigation, header, templates)
Step = Callable[
    [Any], None
]  # MkDocs' `_populate_page` or `_build_page` for one page, its other arguments bound
STATE = f"{__name__}:build"  # this build's Shared in config.plugins
SEARCH = "material/search"
CITIZEN = "hooks/citizen.py:build"
NAV = "hooks/theme.py:nav"


def on_config(config: MkDocsConfig) -> MkDocsConfig:
    """Decide how many processes this build may use; make MkDocs' page reader and writer ask this build first."""
    processes = _processes(config)
    if processes > 1:
        config.plugins[STATE] = Shared(processes)  # type: ignore[assignment]
    build = mkdocs.commands.build
    for name, phase in (("_populate_page", "read"), ("_build_page", "write")):
        original = getattr(build, name)
        if not getattr(original, "sd_shared", False):
            setattr(build, name, _shared(original, phase))
    return config


def _processes(config: MkDocsConfig) -> int:
    """1 in a preview and with the PDF; the environment's number if set; else the machine's cores (up to
    MAX_PROCESSES) for a site of MIN_PAGES pages or more (`Phase.plan` checks the size)."""
    if os.environ.get(PREVIEW_ENV) == "1" or not hasattr(os, "fork"):
        return 1
    plugin = config.plugins.get("to-pdf")
    if plugin is not None and getattr(plugin, "enabled", False):
        return 1
    wanted = os.environ.get(PROCESSES_ENV, "").strip()
    if wanted:
        if not (wanted.isascii() and wanted.isdecimal()) or not 1 <= int(wanted) <= MAX_FORCED:
            raise PluginError(
                f"{PROCESSES_ENV} は 1 から {MAX_FORCED} までの整数にしてください（今は「{wanted}」）。"
            )
        return int(wanted)
    return max(1, min(MAX_PROCESSES, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1))


def _shared(original: Callable[..., None], phase: str) -> Callable[..., None]:
    """MkDocs' `_populate_page` or `_build_page`, asking the build's Shared (if any) whether this process
    reads or writes the page."""

    def page_step(page: Any, config: MkDocsConfig, files: Any, *args: Any, **kwargs: Any) -> None:
        shared = config.plugins.get(STATE)
        if not isinstance(shared, Shared):
            original(page, config, files, *args, **kwargs)
            return
        shared.phases[phase].step(original, page, config, files, *args, **kwargs)

    page_step.sd_shared = True  # type: ignore[attr-defined]
    page_step.__wrapped__ = original  # type: ignore[attr-defined]
    return page_step


class Shared:
    """One build's share of its pages between processes: the reading pass and the writing pass."""

    def __init__(self, processes: int) -> None:
        self.phases = {"read": Reading(processes), "write": Writing(processes)}

    @event_priority(100)  # before hooks/site_output.py removes the staging folder the children write into
    def on_build_error(self, error: Exception) -> None:
        """Kill and reap the children (the build failed elsewhere)."""
        del error
        for phase in self.phases.values():
            phase.stop()


class Phase:
    """One pass over the pages, shared between this process and forked children."""

    name = "書く"  # the pass, in messages

    def __init__(self, processes: int) -> None:
        self.processes = processes
        self.planned = False
        self.mine: set[int] = set()  # ids of the files whose pages this process does
        self.theirs: set[int] = set()  # ids of the files whose pages the children do
        self.children: list[Child] = []
        self.doc: list[File] = []  # the files of the pass, in MkDocs' order
        self.last: int | None = None  # id of the last file: the children's results are taken there

    def step(
        self,
        original: Callable[..., None],
        page: Any,
        config: MkDocsConfig,
        files: Any,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        def do(page: Any) -> None:  # MkDocs' step for one page, with this call's arguments
            original(page, config, files, *args, **kwargs)

        if not self.planned:
            self.planned = True
            doc = self.pages(page, files)
            count = min(self.processes, len(doc))
            forced = bool(os.environ.get(PROCESSES_ENV, "").strip())
            if count >= 2 and (forced or len(doc) >= MIN_PAGES) and _one_thread():
                self.doc = doc
                self.fork(self.runs(doc, count), do, config)
                self.last = id(doc[-1])
        if not self.children or id(page.file) not in self.theirs:
            do(page)
        if self.children and id(page.file) == self.last:
            self.collect(config, files)

    def pages(self, page: Any, files: Any) -> list[File]:
        """The files of this pass, in MkDocs' order (empty if `page` is not the first: then nothing is shared)."""
        raise NotImplementedError

    def runs(self, doc: list[File], count: int) -> list[list[File]]:
        """The files of each process, this one's first."""
        raise NotImplementedError

    def work(self, do: Step, run: list[File], config: MkDocsConfig) -> dict[str, Any]:
        """In a child: do the run's pages; what the parent needs of them."""
        raise NotImplementedError

    def take(self, config: MkDocsConfig, files: Any, result: dict[str, Any]) -> None:
        """In the parent: take a child's results."""
        raise NotImplementedError

    def fork(self, runs: list[list[File]], do: Step, config: MkDocsConfig) -> None:
        self.mine = {id(f) for f in runs[0]}
        self.theirs = {id(f) for run in runs[1:] for f in run}
        sys.stdout.flush()
        sys.stderr.flush()
        atexit.register(self.stop)  # an interrupted build (Ctrl-C, SystemExit) leaves no child behind
        gc.freeze()  # the children share the parent's objects; a collection there would copy every page
        try:
            for run in runs[1:]:
                self.children.append(Child.fork(self.name, lambda r=run: _in_child(self.work, do, r, config)))
        except BaseException:
            self.stop()
            raise
        finally:
            gc.unfreeze()
        self.forked(do, config)

    def forked(self, do: Step, config: MkDocsConfig) -> None:
        """In the parent, right after the children have started."""

    def collect(self, config: MkDocsConfig, files: Any) -> None:
        """Wait for every child; take its results in page order; stop with the first error."""
        failure: BaseException | None = None
        try:
            for child in list(self.children):
                result = child.result()
                self.children.remove(child)
                for record in result.get("records", []):
                    logging.getLogger(record.name).handle(record)
                if failure is None and "error" in result:
                    failure = _error(result["error"])
                if failure is None:
                    self.take(config, files, result)
        finally:
            self.stop()
        if failure is not None:
            raise failure

    def stop(self) -> None:
        """Kill and reap the children still running (the build failed or was interrupted)."""
        children, self.children = self.children, []
        for child in children:
            child.kill()
        atexit.unregister(self.stop)


class Reading(Phase):
    """Reading and converting the pages (`_populate_page`): each process takes every n-th page, and hands back
    what MkDocs and the plugins left on the page object."""

    name = "読む"

    def pages(self, page: Any, files: Any) -> list[File]:
        doc = list(files.documentation_pages(inclusion=InclusionLevel.is_included))
        return doc if doc and doc[0] is page.file else []

    def runs(self, doc: list[File], count: int) -> list[list[File]]:
        """Every page is in the queue; each process takes the next one when it is done with its last (pages differ
        a lot: the home page holds every goal), so the processes end together."""
        log.info("%d ページを %d つのプロセスで読みます", len(doc), count)
        try:
            self.queue: Queue | None = Queue(len(doc))
        except OSError:  # a pipe this large is not allowed here: every n-th page to each process
            self.queue = None
            return [doc[k::count] for k in range(count)]
        return [[] for _ in range(count - 1)] + [
            doc
        ]  # `theirs` until the parent has taken its own (`forked`)

    def forked(self, do: Step, config: MkDocsConfig) -> None:
        """Read pages from the queue with the children; the rest are theirs."""
        if self.queue is None:
            return
        try:
            for file in self.queue.files(self.doc):
                _read(do, file, config)
                self.mine.add(id(file))
        finally:
            self.queue.close()
        self.theirs -= self.mine

    def work(self, do: Step, run: list[File], config: MkDocsConfig) -> dict[str, Any]:
        before = kept(config)
        pages = {}
        for file in self.queue.files(self.doc) if self.queue is not None else run:
            _read(do, file, config)
            pages[file.src_uri] = _page_state(file.page)
        # the macros' results, for the adapter's snapshot (macros/snapshot.py)
        calls = since(before, kept(config)).get("calls", {})
        return {"pages": pages, "calls": calls}

    def take(self, config: MkDocsConfig, files: Any, result: dict[str, Any]) -> None:
        for src, state in result["pages"].items():
            file = files.get_file_from_path(src)
            if file.page is None:
                Page(None, file, config)
            links = state.pop("links_to_anchors", None)
            if links is not None:
                state["links_to_anchors"] = {files.get_file_from_path(k): v for k, v in links.items()}
            file.page.__dict__.update(state)
        give(config, {"calls": result.get("calls", {})})


def _read(do: Step, file: File, config: MkDocsConfig) -> None:
    if file.page is None and file.inclusion.is_not_in_nav():
        Page(None, file, config)  # as MkDocs' loop does for a page outside the navigation
    do(file.page)


class Queue:
    """The indices of a pass's pages in a pipe, written before the fork: each process reads the next one (a read
    of 4 bytes from a pipe is not split between readers) until the pipe is empty."""

    def __init__(self, count: int) -> None:
        self.read, write = os.pipe()
        try:
            data = struct.pack(f"<{count}I", *range(count))
            if len(data) > PIPE_SIZE:  # more than fits before the pipe blocks the writer
                fcntl.fcntl(write, fcntl.F_SETPIPE_SZ, len(data))
            os.write(write, data)  # the whole at once: the pipe holds it
        except BaseException:
            self.close()
            raise
        finally:
            os.close(write)  # readers see the end once it is empty

    def files(self, doc: list[File]) -> Iterator[File]:
        while len(chunk := os.read(self.read, 4)) == 4:
            yield doc[struct.unpack("<I", chunk)[0]]

    def close(self) -> None:
        if self.read >= 0:
            os.close(self.read)
            self.read = -1


# What MkDocs' `_populate_page` leaves on a page (mkdocs 1.6: read_source, the plugins' events, render).
PAGE_FIELDS = ("markdown", "meta", "content", "toc", "_title_from_render", "present_anchor_ids", "title")


def _page_state(page: Any) -> dict[str, Any]:
    state = {k: page.__dict__[k] for k in PAGE_FIELDS if k in page.__dict__}
    links = page.__dict__.get("links_to_anchors")
    if links is not None:
        state["links_to_anchors"] = {f.src_uri: v for f, v in links.items()}
    return state


class Writing(Phase):
    """Writing the pages (`_build_page`): each process takes a contiguous run of about equal work, so that the
    search entries come back in page order. What the writing pass leaves on the page objects themselves (the
    description in `page.meta`, the search plugin's cleaned `page.content`) stays in the child: nothing after
    this pass reads it (the PDF, which does, is built in one process)."""

    def pages(self, page: Any, files: Any) -> list[File]:
        doc = [f for f in files if f.page is not None]
        return doc if doc and doc[0].page is page else []

    def runs(self, doc: list[File], count: int) -> list[list[File]]:
        log.info("%d ページを %d つのプロセスで書きます", len(doc), count)
        starts = cut([len(f.page.content or "") + PAGE_WEIGHT for f in doc], count)
        return [doc[a:b] for a, b in zip(starts, [*starts[1:], len(doc)], strict=True)]

    def work(self, do: Step, run: list[File], config: MkDocsConfig) -> dict[str, Any]:
        before = kept(config)
        for file in run:
            do(file.page)
        return since(before, kept(config))

    def take(self, config: MkDocsConfig, files: Any, result: dict[str, Any]) -> None:
        give(config, result)


def cut(weights: list[int], count: int) -> list[int]:
    """The first index of each of `count` contiguous, non-empty runs of about equal total weight (the first is 0);
    `count` is at most the number of weights."""
    prefix = list(itertools.accumulate(weights, initial=0))
    total, size = prefix[-1], len(weights)
    starts = [0]
    for k in range(1, count):
        target = total * k / count
        index = bisect.bisect_left(
            prefix, target
        )  # the first cut whose runs before it weigh the target or more
        if 0 < index and target - prefix[index - 1] < prefix[index] - target:
            index -= 1  # the cut before it is closer
        starts.append(max(starts[-1] + 1, min(index, size - (count - k))))
    return starts


# --- the children ------------------------------------------------------------------------------------------------


class Child:
    """A forked child doing one run of pages; its result is a pickle in an anonymous temporary file (no name: it
    goes with the last descriptor, whatever ends the build)."""

    def __init__(self, pid: int, out: int, name: str) -> None:
        self.pid, self.out, self.name = pid, out, name

    @classmethod
    def fork(cls, name: str, work: Callable[[], dict[str, Any]]) -> Child:
        with tempfile.TemporaryFile(prefix="sd-parallel-") as file:  # unlinked already
            out = os.dup(file.fileno())  # the parent reads it from offset 0 when the child is done
        parent = os.getpid()
        try:
            pid = os.fork()
        except BaseException:
            os.close(out)
            raise
        if pid == 0:  # the child: never returns to MkDocs (nor to a test runner that builds in-process)
            code = 1
            try:
                _die_with(parent)
                if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
                    signal.signal(
                        signal.SIGINT, signal.SIG_DFL
                    )  # Ctrl-C stops it at once (an ignored one stays)
                result = work()
                try:
                    data = pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL)
                except Exception as exc:  # noqa: BLE001 (a plugin left something that does not pickle)
                    data = pickle.dumps({"error": _pickled_error(exc), "records": result.get("records", [])})
                with os.fdopen(out, "wb") as file:
                    file.write(data)
                code = 0
            except BaseException:  # noqa: BLE001 (the parent reports the exit code; the trace goes to stderr)
                traceback.print_exc()
            finally:
                os._exit(code)  # no atexit handlers: the parent owns the build's folders
        return cls(pid, out, name)

    def result(self) -> dict[str, Any]:
        try:
            _, status = os.waitpid(self.pid, 0)
            self.pid = 0
            code = os.waitstatus_to_exitcode(status)
            size = os.fstat(self.out).st_size
            data = os.pread(self.out, size, 0) if size else b""
            if code != 0 or not data:
                text = f"ページを{self.name}プロセスが異常終了しました（終了コード {code}）。"
                return {"error": ("PluginError", text, "")}
            result: dict[str, Any] = pickle.loads(data)
            return result
        finally:
            os.close(self.out)
            self.out = -1

    def kill(self) -> None:
        if self.pid:
            try:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
            self.pid = 0
        if self.out >= 0:
            os.close(self.out)
            self.out = -1


def _die_with(parent: int) -> None:
    """Linux: this child is killed when the parent dies (the parent killed with SIGKILL or SIGTERM)."""
    libc = ctypes.util.find_library("c")
    if libc:
        pr_set_pdeathsig = 1
        ctypes.CDLL(libc, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the call
        os._exit(1)


def _one_thread() -> bool:
    """Whether this process runs one thread (a fork copies only the calling thread: a lock another thread held
    would stay locked in the child). Command-line builds do; test runners with worker threads do not."""
    try:
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:
        return threading.active_count() == 1


def _in_child(
    work: Callable[[Step, list[File], MkDocsConfig], dict[str, Any]],
    do: Step,
    run: list[File],
    config: MkDocsConfig,
) -> dict[str, Any]:
    """In a child: the pass's work on the run, the log and the error, if any."""
    records = _capture_logs()
    result: dict[str, Any] = {}
    try:
        result.update(work(do, run, config))
    except BaseException as exc:  # noqa: BLE001 (handed to the parent, which raises it)
        result = {"error": _pickled_error(exc)}
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
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 (a bad format string: what one process would print, roughly)
            message = f"{record.msg!s} {record.args!r}"
        copy.msg, copy.args, copy.exc_info = message, None, None
        self.records.append(copy)


def _capture_logs() -> list[logging.LogRecord]:
    """Replace every logger's handlers in this child by one that keeps the records for the parent."""
    records: list[logging.LogRecord] = []
    capture = _Capture(records)
    loggers = [
        logging.getLogger(),
        *(v for v in logging.Logger.manager.loggerDict.values() if isinstance(v, logging.Logger)),
    ]
    for logger in loggers:
        if logger.handlers:
            logger.handlers = [capture]
    return records


def _pickled_error(exc: BaseException) -> tuple[str, str, str] | tuple[bytes, str]:
    """The exception as the parent can raise it again, with the child's traceback."""
    trace = "".join(traceback.format_exception(exc))
    try:
        data = pickle.dumps(exc)
        pickle.loads(data)
        return (data, trace)
    except Exception:  # noqa: BLE001 (an exception that does not pickle: its class name and text)
        return (type(exc).__name__, str(exc), trace)


def _error(error: tuple[Any, ...]) -> BaseException:
    if isinstance(error[0], bytes):
        exc: BaseException = pickle.loads(error[0])
        trace = error[1]
    else:
        name, text, trace = error
        exc = PluginError(f"{name}: {text}")
    if trace:
        exc.add_note(f"（ページを読み書きした子プロセスでの経過）\n{trace.rstrip()}")
    return exc


# --- what the plugins keep of a page -----------------------------------------------------------------------------


def kept(config: MkDocsConfig) -> dict[str, Any]:
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
    snapshot = getattr(macros, "variables", {}).get("sd_snapshot") if macros is not None else None
    if snapshot is not None:  # the macro calls rendered for the adapter's snapshot (macros/snapshot.py)
        out["calls"] = dict(snapshot.calls)
    return out


def since(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """What a child's run added."""
    out: dict[str, Any] = {}
    if "search" in after:
        out["search"] = after["search"][len(before.get("search", [])) :]
    for key in ("images", "written", "calls"):
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
    if result.get("calls"):
        snapshot = config.plugins["macros"].variables["sd_snapshot"]  # type: ignore[attr-defined]
        snapshot.calls.update(result["calls"])
        snapshot.added = True

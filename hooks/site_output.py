"""MkDocs hook: build into a temporary sibling folder and replace `site/` only when the build has succeeded.

A failed, aborted (strict-mode warnings) or interrupted build leaves the previous site exactly as it was; two
builds into one folder each write their own copy and swap it in whole, one after the other (under a lock), so
neither sees the other's half-written files. On Linux the swap is one `renameat2(RENAME_EXCHANGE)`: there is no
moment without a site. Copies left behind by a killed build are removed by the next build.

It also tells the macros adapter whether this is `mkdocs serve` (macros.PREVIEW_ENV): the preview shows data
problems in the browser instead of stopping, and makes `mkdocs serve` notice a saved file sooner (`on_serve`).
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import ctypes.util
import errno
import fcntl
import logging
import os
import shutil
import threading
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import event_priority
from mkdocs.utils import CountHandler

from macros import PREVIEW_ENV

if TYPE_CHECKING:  # `mkdocs build` does not load the live-reload server
    from mkdocs.livereload import LiveReloadServer

log = logging.getLogger("mkdocs.hooks.site_output")
STAGING = ".building-"  # <site>.building-<pid>-<random>, beside the site folder
POLL_SECONDS = 0.1  # how often `mkdocs serve` looks for saved files (MkDocs' own default: 0.5 s)
# How long `mkdocs serve` waits after a change for more changes before it rebuilds (MkDocs' own: 0.1 s). The
# observer reports all the changes of one poll at once, so a longer wait would only catch the next poll's; 30 ms
# leave its thread time to hand them all over.
BUILD_DELAY = 0.03


def on_startup(command: str, dirty: bool) -> None:
    """Remember whether MkDocs serves a preview (the adapter reads it when it loads the data)."""
    del dirty
    os.environ[PREVIEW_ENV] = "1" if command == "serve" else "0"


def on_serve(server: LiveReloadServer, config: MkDocsConfig, builder: object) -> LiveReloadServer:
    """Look for saved files every POLL_SECONDS instead of every 0.5 s, and rebuild BUILD_DELAY after the last
    change instead of 0.1 s.

    MkDocs watches by polling (the same on every platform and file system) and rebuilds 0.1 s after the last
    change it saw: a save waited 0.25 s on average (up to 0.5 s) before the rebuild began. The polling observer
    hands over every change it found in one poll together (the callbacks run one after the other in its thread),
    so MkDocs' 0.1 s after them catches nothing that BUILD_DELAY does not, but the changes of the next poll,
    POLL_SECONDS later (0.5 s with MkDocs' own observer, which 0.1 s never reached either). One poll of the watched
    folders (docs/, data/, macros/, mkdocs.yml) takes about 0.5 ms. The watches MkDocs has made so far (docs/,
    the config file, the theme with --watch-theme) move to a faster observer before it starts; the ones made
    after this event (`watch:` in mkdocs.yml) go to it directly. If MkDocs' server changes shape, its own
    observer stays.
    """
    del config, builder
    watched = getattr(server, "_watched_paths", None)  # path -> number of watch() calls (MkDocs 1.6)
    polling = type(server.observer)  # watchdog's PollingObserver, as MkDocs made it (not imported here)
    if isinstance(getattr(server, "build_delay", None), float):
        server.build_delay = min(server.build_delay, BUILD_DELAY)
    if not isinstance(watched, dict) or polling.__name__ != "PollingObserver" or server.observer.is_alive():
        return server
    counts = dict(watched)
    for path, count in counts.items():
        for _ in range(count):
            server.unwatch(path)
    server.observer = polling(timeout=POLL_SECONDS)
    for path, count in counts.items():
        for _ in range(count):
            server.watch(path)
    return server


@event_priority(100)  # before every plugin reads site_dir
def on_config(config: MkDocsConfig) -> MkDocsConfig:
    """Point the build at a fresh staging folder beside the site folder.

    What the later events need is kept by an object made for this build and registered with this build's
    plugins (its events run like a hook's), so nothing of one build stays in this module for another.
    """
    final = Path(config.site_dir).absolute()
    final.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale(final)
    staging = final.with_name(f"{final.name}{STAGING}{os.getpid()}-{uuid.uuid4().hex[:8]}")
    staging.mkdir()
    config.site_dir = str(staging)
    atexit.register(_discard, staging)
    config.plugins[f"{__name__}:output"] = Output(final, staging)
    return config


class Output:
    """One build's site folder and its staging folder."""

    def __init__(self, final: Path, staging: Path) -> None:
        self.final, self.staging = final, staging

    @event_priority(-10_000)  # after every plugin and hook has written its files
    def on_post_build(self, config: MkDocsConfig) -> None:
        """Swap the finished site in, unless strict mode is about to abort the build."""
        final, staging = self.final, self.staging
        config.site_dir = str(final)
        if config.strict and _warned():
            log.debug("site not replaced: the strict build is failing")
            _discard(staging)
            return
        with _locked(final):
            if not os.path.lexists(final):
                with contextlib.suppress(FileNotFoundError):
                    os.rename(staging, final)
            if os.path.lexists(staging):
                _exchange(staging, final)
        if os.environ.get(PREVIEW_ENV) == "1":
            # `mkdocs serve` shows the new site as soon as this event returns: remove the previous one meanwhile.
            # Not a daemon thread, so that Python waits for it at exit and leaves no half-removed folder.
            threading.Thread(target=_discard, args=(staging,), name="site_output-discard").start()
        else:
            _discard(staging)  # now the previous site
        log.info(f"サイトを {final} に書きました。")

    def on_build_error(self, error: Exception) -> None:
        """Throw the staging folder away; the previous site stays."""
        del error
        _discard(self.staging)


# --- helpers ------------------------------------------------------------------------------------------------


def _warned() -> bool:
    """Whether MkDocs' strict-mode counter has seen a warning (it aborts right after on_post_build)."""
    return any(isinstance(h, CountHandler) and h.get_counts() for h in logging.getLogger("mkdocs").handlers)


def _discard(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def _remove_stale(final: Path) -> None:
    """Remove staging folders of builds whose process is gone."""
    for path in final.parent.glob(f"{final.name}{STAGING}*"):
        pid = path.name.removeprefix(f"{final.name}{STAGING}").split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            _discard(path)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def _locked(final: Path):
    """An exclusive lock for swapping `final` (a lock file beside it)."""
    lock = final.with_name(f".{final.name}.lock")
    with open(lock, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> None:
    """Swap two paths atomically (Linux renameat2); elsewhere, two renames (under the caller's lock)."""
    libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is not None:
        result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
        if result == 0:
            return
        if ctypes.get_errno() not in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
            raise OSError(ctypes.get_errno(), os.strerror(ctypes.get_errno()), str(b))
    old = b.with_name(f"{b.name}{STAGING}{os.getpid()}-old-{uuid.uuid4().hex[:8]}")
    os.rename(b, old)
    os.rename(a, b)
    os.rename(old, a)

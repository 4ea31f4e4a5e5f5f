"""`mkdocs serve`: a saved file is noticed within hooks/site_output.py's POLL_SECONDS and rebuilt after its
BUILD_DELAY, the edited text is served (no stale page), and the previous sites, removed beside the build, are all
gone when the server stops; hooks/preview_cache.py's rebuilds reuse only what did not change."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from mkdocs.livereload import LiveReloadServer

from tests.conftest import ROOT, build_config, copy_project
from tests.test_hardening import interruptible


def _site_output():
    """hooks/site_output.py as MkDocs loads it (by path)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("site_output_under_test", ROOT / "hooks" / "site_output.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_saved_file_is_noticed_by_the_faster_observer(tmp_path: Path):
    site_output = _site_output()
    docs, data = tmp_path / "docs", tmp_path / "data"
    docs.mkdir()
    data.mkdir()
    (docs / "index.md").write_text("a\n", encoding="utf-8")
    (data / "strategy.yaml").write_text("a: 1\n", encoding="utf-8")
    server = LiveReloadServer(builder=lambda: None, host="127.0.0.1", port=0, root=str(tmp_path / "site"))
    server.watch(str(docs))  # what MkDocs watches before the on_serve event
    server = site_output.on_serve(server, config=None, builder=None)
    server.watch(str(data))  # `watch:` in mkdocs.yml, after it
    assert server.observer.timeout == site_output.POLL_SECONDS < 0.5
    assert server.build_delay == site_output.BUILD_DELAY < 0.1  # MkDocs' own wait after a change
    try:
        server.observer.start()
        for edited in (docs / "index.md", data / "strategy.yaml"):
            time.sleep(0.3)  # the observer's first snapshot
            with server._rebuild_cond:
                server._want_rebuild = False
            edited.write_text("b: 2\n", encoding="utf-8")
            deadline = time.monotonic() + 30
            while not server._want_rebuild and time.monotonic() < deadline:
                time.sleep(0.01)
            assert server._want_rebuild, f"{edited.name}: the save was not noticed"
    finally:
        server.observer.stop()
        server.observer.join(timeout=10)


@pytest.mark.slow  # a real `mkdocs serve`: a build and two rebuilds
def test_serve_shows_each_saved_edit_and_leaves_no_old_site(tmp_path: Path):
    project = copy_project(tmp_path / "project")
    temp = tmp_path / "tmp"  # MkDocs serves from a folder made here (tempfile.mkdtemp)
    temp.mkdir()
    data = project / "data" / "strategy.yaml"
    original = data.read_text(encoding="utf-8")
    chapter = re.search(r"^chapters:\n  - id: (\S+)\n(?:    .*\n)*?    title: (.+)$", original, re.MULTILINE)
    assert chapter
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k != "ENABLE_PDF_EXPORT"}
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-X", "faulthandler", "-m", "mkdocs", "serve", "-a", f"127.0.0.1:{port}"],
        cwd=project,
        env={**env, "NO_MKDOCS_2_WARNING": "1", "TMPDIR": str(temp), "SOURCE_DATE_EPOCH": "1669852800"},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=interruptible,  # noqa: PLW1509 (SIGINT below stops it even from a background shell)
    )
    url = f"http://127.0.0.1:{port}/{chapter[1]}/"

    def page() -> str:
        try:
            with urllib.request.urlopen(url, timeout=30) as response:
                return response.read().decode("utf-8")
        except OSError:
            return ""

    try:
        deadline = time.monotonic() + 300
        while chapter[2] not in page():
            assert time.monotonic() < deadline, "mkdocs serve did not serve the chapter"
            time.sleep(0.2)
        for marker in ("（一回目の保存）", "（二回目の保存）"):
            data.write_text(
                original[: chapter.end(2)] + marker + original[chapter.end(2) :], encoding="utf-8"
            )
            deadline = time.monotonic() + 300
            while marker not in page():
                assert time.monotonic() < deadline, f"{marker} was never served"
                time.sleep(0.05)
        assert "（一回目の保存）" not in page()
        # While it serves, the previous sites go (removed beside the rebuild): only the served site is left.
        deadline = time.monotonic() + 60
        while len([p for p in temp.iterdir() if p.name.startswith("mkdocs_")]) > 1:
            assert time.monotonic() < deadline, sorted(p.name for p in temp.iterdir())
            time.sleep(0.1)
    finally:
        os.killpg(server.pid, signal.SIGINT)
        try:
            server.wait(timeout=120)
        except subprocess.TimeoutExpired:  # say where it hangs (faulthandler prints every thread on SIGABRT)
            server.send_signal(signal.SIGABRT)
            server.wait(timeout=30)
            log.close()
            tail = (tmp_path / "serve.log").read_text(encoding="utf-8", errors="replace")[-6000:]
            raise AssertionError(f"mkdocs serve did not stop on SIGINT:\n{tail}") from None
        log.close()
    # The served site and every previous one removed (left there: Jinja's bytecode cache, and the site's lock file
    # of hooks/site_output.py, which is never removed since another build may hold it).
    assert [p.name for p in temp.iterdir() if p.is_dir() and not p.name.startswith("_jinja2-cache")] == []


# --- hooks/preview_cache.py: `mkdocs serve` converts and indexes only what changed ---------------------------------

MEMO = "hooks/preview_cache.py:memo"


def _edit_title(project: Path, marker: str) -> None:
    """Put `marker` at the end of the first chapter's title (as the bench's live preview does)."""
    data = project / "data" / "strategy.yaml"
    text = data.read_text(encoding="utf-8")
    chapter = re.search(r"^chapters:\n  - id: (\S+)\n(?:    .*\n)*?    title: (.+)$", text, re.MULTILINE)
    assert chapter
    data.write_text(text[: chapter.end(2)] + marker + text[chapter.end(2) :], encoding="utf-8")


def _files(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


def test_a_preview_rebuild_reuses_unchanged_pages_and_writes_what_a_cold_build_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """Two preview builds in one process, as `mkdocs serve` makes them: after an edit of one chapter's title, the
    pages whose Markdown did not change are not converted again, the pages whose HTML did not change are not
    indexed again, the edited page is (a miss), the theme's files are not listed again, and the site is byte for
    byte the site of a build without the memo. A setting that changes every page's links (use_directory_urls)
    makes every page a miss; a file added to a folder of the theme makes MkDocs list the theme again."""
    from macros import PREVIEW_ENV

    monkeypatch.setenv(PREVIEW_ENV, "1")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1669852800")
    project = copy_project(tmp_path / "project")
    # A first save: the data now differs from its edition in data/editions/, which becomes a past edition with
    # pages of its own (so the page set of the next build is this one's).
    _edit_title(project, "（一回目の保存）")
    first = build_config(project, tmp_path / "first")
    hook = first["hooks"]["hooks/preview_cache.py"]
    assert first.plugins[MEMO].stats["converted"] + first.plugins[MEMO].stats["reused"] >= 30

    _edit_title(project, "（二回目の保存）")
    warm = build_config(project, tmp_path / "warm")
    stats = warm.plugins[MEMO].stats
    pages = stats["converted"] + stats["reused"]
    # The chapter's page, the 新旧対照表 and the page that lists the chapters: the only new Markdown.
    assert pages >= 30 and 1 <= stats["converted"] <= 4 and stats["reused"] == pages - stats["converted"], (
        stats
    )
    assert 1 <= stats["indexed"] <= 4 and stats["index_reused"] == pages - stats["indexed"], stats
    assert (first.plugins[MEMO].stats["theme_listed"], stats["theme_reused"], stats["theme_listed"]) == (
        1,
        1,
        0,
    )

    monkeypatch.setattr(hook, "MEMO", False)
    cold = build_config(project, tmp_path / "cold")
    assert MEMO not in cold.plugins
    warm_files, cold_files = _files(tmp_path / "warm"), _files(tmp_path / "cold")
    assert sorted(warm_files) == sorted(cold_files)
    assert [name for name in warm_files if warm_files[name] != cold_files[name]] == []
    assert "（一回目の保存）（二回目の保存）" in warm_files["index.html"].decode("utf-8")

    monkeypatch.setattr(hook, "MEMO", True)
    flat = build_config(project, tmp_path / "flat", use_directory_urls=False)
    assert flat.plugins[MEMO].stats["reused"] == 0, flat.plugins[MEMO].stats
    monkeypatch.setattr(hook, "MEMO", False)
    build_config(project, tmp_path / "flat-cold", use_directory_urls=False)
    assert _files(tmp_path / "flat") == _files(tmp_path / "flat-cold")

    added = project / "docs" / "overrides" / "partials" / "preview-test.txt"  # in a folder below the theme's
    added.write_text("（テーマに加えたファイル）\n", encoding="utf-8")
    monkeypatch.setattr(hook, "MEMO", True)
    again = build_config(project, tmp_path / "again")
    assert (again.plugins[MEMO].stats["theme_listed"], again.plugins[MEMO].stats["theme_reused"]) == (1, 0)
    assert (tmp_path / "again" / "partials" / "preview-test.txt").is_file()


def test_a_site_build_keeps_nothing_for_a_preview(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """`mkdocs build` (and scripts/build, CI) converts every page itself: the memo is for `mkdocs serve` only."""
    from macros import PREVIEW_ENV

    monkeypatch.setenv(PREVIEW_ENV, "0")
    config = build_config(copy_project(tmp_path / "project"), tmp_path / "site")
    assert MEMO not in config.plugins


def test_a_conversion_that_logs_is_converted_again_and_logs_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
):
    """A page whose conversion logs something (here MkDocs' note on a link it cannot check) is never kept: each
    preview build converts it and says it again (strict mode counts warnings the same way)."""
    import logging

    from macros import PREVIEW_ENV

    monkeypatch.setenv(PREVIEW_ENV, "1")
    project = copy_project(tmp_path / "project")
    page = project / "docs" / "about" / "accessibility.md"
    page.write_text(page.read_text(encoding="utf-8") + "\n[別の場所](elsewhere/)\n", encoding="utf-8")
    caplog.set_level(logging.INFO, logger="mkdocs")
    for run in range(2):
        caplog.clear()
        config = build_config(project, tmp_path / f"site{run}")
        notes = [r.getMessage() for r in caplog.records if "'elsewhere/'" in r.getMessage()]
        assert len(notes) == 1 and "about/accessibility.md" in notes[0], notes
    assert 1 <= config.plugins[MEMO].stats["converted"] <= 2, config.plugins[MEMO].stats

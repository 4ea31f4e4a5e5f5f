"""`mkdocs serve`: a saved file is noticed within hooks/site_output.py's POLL_SECONDS, the edited text is served
(no stale page), and the previous sites, removed beside the build, are all gone when the server stops."""

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

from tests.conftest import ROOT, copy_project


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
    server = subprocess.Popen(
        [sys.executable, "-m", "mkdocs", "serve", "-a", f"127.0.0.1:{port}"],
        cwd=project,
        env={**env, "NO_MKDOCS_2_WARNING": "1", "TMPDIR": str(temp), "SOURCE_DATE_EPOCH": "1669852800"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
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
        server.wait(timeout=120)
    # The served site and every previous one removed (left there: Jinja's bytecode cache, and the site's lock file
    # of hooks/site_output.py, which is never removed since another build may hold it).
    assert [p.name for p in temp.iterdir() if p.is_dir() and not p.name.startswith("_jinja2-cache")] == []

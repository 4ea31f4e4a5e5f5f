"""scripts/venv_startup.py: .venv's startup file gives mkdocs-macros `requests` at its first use, not at import.

A build must not import `requests` (issue #16: 0.06–0.09 s of CPU per build), and code that does use it must get
the real module, as if nothing were deferred.
"""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import pytest

from tests.conftest import ROOT

STARTUP = ROOT / "scripts" / "venv_startup.py"


def python(code: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Run code in a fresh interpreter of this virtualenv with the repository's startup file (not .venv's copy:
    `-S` skips the .pth files), the folder tmp_path first on sys.path."""
    prelude = textwrap.dedent(
        f"""
        import importlib.util, sys
        sys.path[:0] = [{str(tmp_path)!r}, {sysconfig.get_path("purelib")!r}]
        spec = importlib.util.spec_from_file_location("venv_startup", {str(STARTUP)!r})
        startup = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(startup)
        """
    )
    return subprocess.run(
        [sys.executable, "-S", "-c", prelude + textwrap.dedent(code)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_setup_installed_the_startup_file():
    site_packages = Path(sysconfig.get_path("purelib"))
    installed = site_packages / "morioka_strategy_startup.py"
    assert installed.exists(), "scripts/setup を実行してください（.venv の起動ファイルがありません）"
    assert installed.read_bytes() == STARTUP.read_bytes(), "scripts/setup を実行してください（古い写しです）"
    pth = site_packages / "morioka_strategy_startup.pth"
    assert pth.read_text(encoding="utf-8") == "import morioka_strategy_startup\n"


def test_a_site_build_does_not_import_requests(tmp_path: Path):
    """A real `mkdocs build` of the repository in this virtualenv, as scripts/build runs it: mkdocs-macros is
    loaded, and neither requests nor what it would bring (urllib3, ssl) is."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "mkdocs", "build", "-q", "-d", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        env={"PATH": "/usr/bin:/bin", "NO_MKDOCS_2_WARNING": "1", "SOURCE_DATE_EPOCH": "1669852800"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    imported = {
        line.rsplit("|", 1)[1].strip()
        for line in result.stderr.splitlines()
        if line.startswith("import time:")
    }
    assert "mkdocs_macros.util" in imported  # the plugin that imports requests was loaded
    assert not imported & {"requests", "urllib3", "ssl", "charset_normalizer"}, sorted(
        imported & {"requests", "urllib3"}
    )
    assert (tmp_path / "site" / "index.html").exists()


def test_mkdocs_macros_gets_the_real_requests_at_first_use(tmp_path: Path):
    result = python(
        """
        import inspect
        import mkdocs_macros.util as util
        placeholder = util.requests
        assert type(placeholder).__name__ == "Deferred", type(placeholder)
        assert not {"requests", "urllib3", "ssl"} & set(sys.modules)  # nothing imported, nothing left behind
        get = placeholder.get  # the first read imports requests
        import requests
        assert type(requests).__name__ == "module" and sys.modules["requests"] is requests
        assert get is requests.get and placeholder.Session is requests.Session  # later reads too
        assert placeholder.exceptions.RequestException is requests.exceptions.RequestException
        assert "def is_on_pypi" in util.__loader__.get_source(util.__name__)  # the module's own loader answers
        assert inspect.getsource(util.is_on_pypi).startswith("def is_on_pypi")
        print("ok")
        """,
        tmp_path,
    )
    assert result.returncode == 0 and result.stdout == "ok\n", result.stderr


def test_a_requests_already_imported_is_used_as_it_is(tmp_path: Path):
    result = python(
        """
        import requests
        import mkdocs_macros.util as util
        assert util.requests is requests
        print("ok")
        """,
        tmp_path,
    )
    assert result.returncode == 0 and result.stdout == "ok\n", result.stderr


def test_other_importers_get_requests_at_once(tmp_path: Path):
    (tmp_path / "other_importer.py").write_text("import requests\n", encoding="utf-8")
    result = python(
        """
        import mkdocs_macros.util, other_importer
        assert type(other_importer.requests).__name__ == "module" and "urllib3" in sys.modules
        print("ok")
        """,
        tmp_path,
    )
    assert result.returncode == 0 and result.stdout == "ok\n", result.stderr


def test_only_the_importers_own_import_statement_is_deferred(tmp_path: Path):
    """While the importer runs, a module it imports gets the real requests, and so do its own other forms of
    import (`from requests import`, a submodule): nothing is deferred for them, and nothing is loaded twice."""
    (tmp_path / "helper_here.py").write_text("import requests\n", encoding="utf-8")
    (tmp_path / "importer_here.py").write_text(
        "import requests\nimport helper_here\nfrom requests import get\nimport requests.adapters as adapters\n",
        encoding="utf-8",
    )
    result = python(
        """
        startup.DEFERRED["importer_here"] = ("requests",)
        import importer_here, helper_here, requests
        assert type(helper_here.requests).__name__ == "module" and helper_here.requests is requests
        assert importer_here.get is requests.get and importer_here.adapters is sys.modules["requests.adapters"]
        assert requests.adapters is importer_here.adapters
        assert importer_here.requests.Session is requests.Session  # bound before requests was imported
        print("ok")
        """,
        tmp_path,
    )
    assert result.returncode == 0 and result.stdout == "ok\n", result.stderr


def test_a_module_that_is_not_installed_still_fails_to_import(tmp_path: Path):
    (tmp_path / "importer_here.py").write_text("import no_such_module_here\n", encoding="utf-8")
    result = python(
        """
        startup.DEFERRED["importer_here"] = ("no_such_module_here",)
        try:
            import importer_here
        except ModuleNotFoundError as exc:
            print(exc.name)
        """,
        tmp_path,
    )
    assert result.returncode == 0 and result.stdout == "no_such_module_here\n", result.stderr


@pytest.mark.parametrize("reads", [1, 2])
def test_a_failing_import_fails_at_every_read(tmp_path: Path, reads: int):
    (tmp_path / "broken_here.py").write_text('raise RuntimeError("broken on import")\n', encoding="utf-8")
    (tmp_path / "importer_here.py").write_text("import broken_here\n", encoding="utf-8")
    result = python(
        f"""
        startup.DEFERRED["importer_here"] = ("broken_here",)
        import importer_here
        assert type(importer_here.broken_here).__name__ == "Deferred"
        for _ in range({reads}):
            try:
                importer_here.broken_here.anything
            except RuntimeError as exc:
                print(exc)
        """,
        tmp_path,
    )
    assert result.returncode == 0 and result.stdout == "broken on import\n" * reads, result.stderr

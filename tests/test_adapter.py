"""The hooks reach the project through one mechanism (project.py, listed first) and keep no build state of
their own: no sys.path changes, no module globals that one build fills and another could read."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, build_site, copy_project, read_pages

HOOKS = sorted((ROOT / "hooks").glob("*.py"))


def config_hooks(name: str) -> list[str]:
    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("!", lambda loader, suffix, node: None)
    return yaml.load((ROOT / name).read_text(encoding="utf-8"), Loader=Loader)["hooks"]


@pytest.mark.parametrize("path", HOOKS, ids=lambda p: p.name)
def test_no_hook_changes_sys_path(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    changes = {f"sys.path.{verb}" for verb in ("insert", "append", "extend", "remove", "pop", "clear")}
    touched = [
        n.lineno
        for n in ast.walk(tree)
        if (isinstance(n, ast.Attribute) and ast.unparse(n) in changes)
        or (
            isinstance(n, (ast.Assign, ast.AugAssign, ast.AnnAssign))
            and any(
                ast.unparse(t).startswith("sys.path")
                for t in (n.targets if isinstance(n, ast.Assign) else [n.target])
            )
        )
    ]
    assert not touched, (
        f"{path.name} changes sys.path at lines {touched}: import the project through project.py"
    )


MUTATORS = {
    "append",
    "extend",
    "insert",
    "add",
    "update",
    "setdefault",
    "pop",
    "popitem",
    "remove",
    "discard",
    "clear",
}


def mutable_globals(tree: ast.Module) -> set[str]:
    """Names a module assigns empty containers to at its top level, rebinds with `global`, or binds to a
    container (dict, list, set) that its functions change (item assignment, `del`, update, append, clear, …)."""
    found = {name for n in ast.walk(tree) if isinstance(n, ast.Global) for name in n.names}
    containers = set()
    for node in tree.body:
        target, value = None, None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign):
            target, value = node.target, node.value
        literal = isinstance(value, (ast.Dict, ast.List, ast.Set))
        call = isinstance(value, ast.Call) and ast.unparse(value.func) in ("dict", "list", "set")
        if isinstance(target, ast.Name) and (literal or call):
            containers.add(target.id)
            empty = not ast.unparse(value)[1:-1] if literal else not (value.args or value.keywords)
            if empty:
                found.add(target.id)
    functions = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    for node in (n for f in functions for n in ast.walk(f)):
        changed = None
        if isinstance(node, ast.Subscript) and isinstance(node.ctx, (ast.Store, ast.Del)):
            changed = node.value
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Subscript):
            changed = node.target.value
        elif (
            isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in MUTATORS
        ):
            changed = node.func.value
        if isinstance(changed, ast.Name) and changed.id in containers:
            found.add(changed.id)
    return found


def test_the_state_finder_finds_state():
    assert mutable_globals(ast.parse("_rendered: dict[str, bytes] = {}\nA = (1,)")) == {"_rendered"}
    assert mutable_globals(ast.parse("_seen = set()\nB = set([1])")) == {"_seen"}
    assert mutable_globals(ast.parse("x = None\ndef f():\n    global x\n    x = 1")) == {"x"}
    counters = "STATS = {'n': 0}\nNAMES = {'a': 1}\ndef f():\n    STATS['n'] += 1\n    return NAMES['a']"
    assert mutable_globals(ast.parse(counters)) == {"STATS"}
    assert mutable_globals(ast.parse("S = dict(a=1)\ndef f(config):\n    S.update(config)")) == {"S"}
    assert mutable_globals(ast.parse("S = [1]\ndef f(config):\n    del S[0]")) == {"S"}
    assert mutable_globals(ast.parse("S = {'a': 1}\ndef f(config):\n    config.update(S)")) == set()


@pytest.mark.parametrize("path", HOOKS, ids=lambda p: p.name)
def test_hooks_keep_no_build_state_in_module_globals(path: Path):
    state = mutable_globals(ast.parse(path.read_text(encoding="utf-8")))
    assert not state, f"{path.name} keeps build state in module globals: {sorted(state)}"


def test_project_py_comes_first_in_both_configs():
    for name in ("mkdocs.yml", "mkdocs-pdf.yml"):
        assert config_hooks(name)[0] == "project.py", name


def test_the_hooks_import_the_project_with_no_path_of_their_own(fresh_build):
    """A build in a fresh interpreter whose sys.path holds no project folder (another working directory, no
    PYTHONPATH, `-I`) imports every hook: only project.py makes `macros` importable."""
    assert fresh_build["hooks"] == sorted(config_hooks("mkdocs.yml"))
    assert fresh_build["macros"] == str(ROOT / "macros" / "__init__.py")


@pytest.mark.parametrize("use_directory_urls", [True, False])
def test_page_urls_are_mkdocs_own(tmp_path: Path, use_directory_urls: bool):
    """macros.pages' URLs and links are MkDocs': for every page of the build (the generated document pages and
    the editions' pages included), with directory URLs and without."""
    from mkdocs.config import load_config
    from mkdocs.structure.files import get_files

    from macros.pages import relative_url, url_of

    config = load_config(
        str(ROOT / "mkdocs.yml"), site_dir=str(tmp_path / "site"), use_directory_urls=use_directory_urls
    )
    config = config.plugins.on_config(config)
    files = config.plugins.on_files(get_files(config), config=config)
    pages = [f for f in files.documentation_pages()]
    assert len(pages) > 15
    for page in pages:
        assert url_of(page.src_uri, use_directory_urls) == ("" if page.url == "./" else page.url), (
            page.src_uri
        )
    for here in pages[:: max(1, len(pages) // 12)]:
        for there in pages:
            if there is not here:
                expected = there.url_relative_to(here)
                assert relative_url(here.src_uri, there.src_uri, "", use_directory_urls) == expected
                assert relative_url(here.src_uri, there.src_uri, "x", use_directory_urls) == f"{expected}#x"


def test_the_editions_cache_tells_directory_urls_apart():
    """`mkdocs build --no-directory-urls` after a build with them: the editions cache (hooks/editions.py) must not
    serve the first build's pages, whose files and links sit elsewhere."""
    from mkdocs.config import load_config

    digests = set()
    for use_directory_urls in (True, False):
        config = load_config(str(ROOT / "mkdocs.yml"), use_directory_urls=use_directory_urls)
        config = config.plugins.on_config(config)
        digests.add(config["hooks"]["hooks/editions.py"]._site_digest(config))
    assert len(digests) == 2


@pytest.fixture(scope="module")
def file_urls_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy with a second edition frozen (so that it has archive pages and a 新旧対照表), built without directory
    URLs (`mkdocs build --no-directory-urls`): every page is a file (`about/open-data.html`)."""
    import datetime

    from macros.editions import freeze
    from tests.test_comparison import revised
    from tests.test_editions import SECOND, SUMMARY

    base = tmp_path_factory.mktemp("file-urls")
    project = copy_project(base / "project")
    data = project / "data" / "strategy.yaml"
    data.write_text(revised(), encoding="utf-8")
    freeze(
        project, datetime.date.fromisoformat(SECOND), "第3回アドバイザーボード", "策定", SUMMARY, str(data)
    )
    assert "\nuse_directory_urls: true\n" in (project / "mkdocs.yml").read_text(encoding="utf-8")
    return build_site(project, base / "site", use_directory_urls=False)


def test_without_directory_urls_every_link_reaches_a_file(file_urls_site: Path):
    """With `use_directory_urls: false` every internal link of every page (navigation, open data, the editions'
    pages and files, the 新旧対照表, the 改訂履歴) leads to a file that exists, and its anchor to an id there."""
    site = file_urls_site
    pages = read_pages(site)
    ids = {name: {e["id"] for e in soup.select("[id]")} for name, soup in pages.items()}
    links: set[tuple[str, str]] = set()
    broken = []
    for name, soup in pages.items():
        for tag in soup.select("a[href], link[href], script[src], img[src]"):
            href = tag.get("href") or tag.get("src")
            if re.match(r"^([a-z]+:|//)", href) or tag.name == "link" and "canonical" in tag.get("rel", []):
                continue
            path, _, anchor = href.partition("#")
            target = (site / name).parent / path if path else site / name
            inside = target.resolve().is_relative_to(site.resolve())
            key = target.resolve().relative_to(site.resolve()).as_posix() if inside else ""
            links.add((name, key))
            if (
                not inside
                or not target.is_file()
                or (anchor and key.endswith(".html") and anchor not in ids.get(key, ()))
            ):
                broken.append((name, href))
    assert broken == []
    assert len(pages) > 30 and "about/open-data.html" in pages and not (site / "about" / "open-data").exists()
    reached = {key for _name, key in links}
    for expected in (
        "data/strategy.json",  # the open data, from about/open-data.html
        "editions/2022-12-01/index.html",  # a past edition's home, from the 改訂履歴
        "editions/2022-12-01/data/strategy.json",  # a past edition's data, from its home
        "editions/2023-03-24/comparison.html",  # the 新旧対照表
        "editions/2023-03-24/comparison.md",  # and its Markdown, from its page
        "guidelines/viewpoint-guidelines.html",  # the current page, from a past edition's banner
    ):
        assert expected in reached, expected
    assert ("about/open-data.html", "data/strategy.csv") in links or (
        "about/open-data.html",
        "data/guidelines.csv",
    ) in links

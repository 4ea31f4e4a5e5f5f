"""macros/snapshot.py: a build of unchanged inputs answered from the adapter's snapshot, byte for byte the same
site, without importing pydantic or the model; every input change gives the changed site; bad data and damaged
snapshots behave as without the snapshot.

The builds run in fresh interpreters (a test process has pydantic imported already, and a copy's own `macros` is
imported only by a build of the copy), each with its own user cache (XDG_CACHE_HOME)."""

from __future__ import annotations

import io
import json
import os
import pickle
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import macros
from macros import snapshot
from tests.conftest import ROOT, build_config, copy_project

# Hooks the copy gets last: after the build, which of the modules that a snapshot build never needs are loaded.
RECORDER = """
import json, os, sys

from mkdocs.plugins import event_priority

HEAVY = ("pydantic", "macros.model", "macros.editions", "macros.archive", "macros.render", "macros.publication")


@event_priority(-10000)  # after every other hook (hooks/editions.py writes the editions' files at -110, -120)
def on_post_build(config):
    loaded = sorted(m for m in sys.modules if m in HEAVY or m.startswith(tuple(h + "." for h in HEAVY)))
    with open(os.environ["RECORD_MODULES"], "w", encoding="utf-8") as f:
        json.dump(loaded, f)
"""


def project_with_recorder(dest: Path) -> Path:
    project = copy_project(dest)
    (project / "hooks" / "zz_record_modules.py").write_text(RECORDER, encoding="utf-8")
    config = project / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    anchor = "  - hooks/site_output.py"
    assert anchor in text
    config.write_text(text.replace(anchor, "  - hooks/zz_record_modules.py\n" + anchor, 1), encoding="utf-8")
    return project


def environment(cache: Path, record: Path, **env: str) -> dict[str, str]:
    """A build's environment: this one without PYTHONPATH or a forced process count, its own caches, the recorder's
    file."""
    result = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "STRATEGY_BUILD_PROCESSES")}
    result.update(
        XDG_CACHE_HOME=str(cache),
        EDITIONS_CACHE=str(cache / "editions"),
        RECORD_MODULES=str(record),
        NO_MKDOCS_2_WARNING="1",
        **env,
    )
    return result


def build(project: Path, site: Path, cache: Path, *options: str, fails: bool = False, **env: str) -> Any:
    """`mkdocs build --strict` of a project in a fresh interpreter: the heavy modules loaded at its end (or, with
    `fails`, the error output of a build that must fail)."""
    record = site.with_name(site.name + ".modules.json")
    command = [sys.executable, "-I", "-m", "mkdocs", "build", "-q", "-s", "-f", str(project / "mkdocs.yml")]
    run = subprocess.run(
        [*command, *options, "-d", str(site)],
        cwd=project,
        env=environment(cache, record, **env),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if fails:
        assert run.returncode != 0
        return run.stderr
    assert run.returncode == 0, run.stderr[-3000:]
    return json.loads(record.read_text(encoding="utf-8"))


def files(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()}


def snapshots(cache: Path) -> list[Path]:
    folder = cache / "morioka-strategy" / snapshot.FOLDER
    return sorted(p for p in folder.iterdir() if not p.name.startswith(".")) if folder.is_dir() else []


@pytest.fixture(scope="module")
def warm(tmp_path_factory) -> dict:
    """A copy of the project built with an empty cache (its pages written by two processes, hooks/parallel.py:
    the children's macro calls reach the snapshot too), then again from the snapshot (one process)."""
    work = tmp_path_factory.mktemp("snapshot")
    project = project_with_recorder(work / "project")
    cache = work / "cache"
    cold = build(project, work / "cold", cache, STRATEGY_BUILD_PROCESSES="2")
    stored = snapshots(cache)
    warm = build(project, work / "warm", cache)
    return {"work": work, "project": project, "cache": cache, "cold": cold, "warm": warm, "stored": stored}


def test_a_warm_build_makes_the_same_site_without_the_model(warm):
    assert "pydantic" in warm["cold"] and "macros.model" in warm["cold"]  # the full path ran
    assert warm["warm"] == []  # answered from the snapshot: no pydantic, no model, no renderer
    assert len(warm["stored"]) == 1 and snapshots(warm["cache"]) == warm["stored"]
    cold, again = files(warm["work"] / "cold"), files(warm["work"] / "warm")
    assert sorted(cold) == sorted(again)
    assert [name for name in cold if cold[name] != again[name]] == []


def test_the_snapshot_holds_plain_values_only(warm, monkeypatch: pytest.MonkeyPatch):
    [entry] = warm["stored"]
    stored = snapshot._Builtins(io.BytesIO(entry.read_bytes())).load()  # refuses any class: builtins only
    assert stored["format"] == snapshot.FORMAT and stored["calls"]
    # A pickle naming a class (here a path) is refused, never imported: the build takes the full path.
    entry_key = entry.stem
    bad = warm["work"] / "bad-cache"
    bad_entry = bad / "morioka-strategy" / snapshot.FOLDER / entry.name
    bad_entry.parent.mkdir(parents=True)
    bad_entry.write_bytes(pickle.dumps({**stored, "conf": {**stored["conf"], "site_name": Path("x")}}))
    monkeypatch.setenv("XDG_CACHE_HOME", str(bad))
    assert snapshot.read(entry_key) is None
    bad_entry.write_bytes(pickle.dumps(stored))
    assert snapshot.read(entry_key) is not None


def test_the_key_reads_the_files_the_adapter_reads():
    from macros.editions import EDITIONS_DIR
    from macros.publication import PUBLICATION_FILE

    assert snapshot.INPUTS == (macros.DATA_FILE, PUBLICATION_FILE, EDITIONS_DIR)
    assert macros.PUBLICATION_FILE == PUBLICATION_FILE
    assert snapshot.PREVIEW_ENV == macros.PREVIEW_ENV


def test_a_warm_build_gives_mkdocs_the_same_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """In-process builds (the model is imported here anyway): the second is answered from the snapshot and sets the
    same config values (the PDF cover's too, which only the PDF shows) and variables."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    configs = [build_config(ROOT, tmp_path / f"site{n}") for n in range(2)]
    variables = [c.plugins["macros"].variables for c in configs]
    assert "strategy" in variables[0] and "strategy" not in variables[1]  # the second from the snapshot

    def seen(config: Any, variables: dict) -> dict:
        return {
            "conf": [config[k] for k in ("site_name", "site_url", "copyright", "nav", "markdown_extensions")],
            "extra": {k: config.extra[k] for k in ("footer", "pdf_cover")},
            "variables": [variables[k] for k in ("open_data_files", "open_data", "document_page_paths")],
            "types": [type(t) for page in config["nav"] for t in page],  # Markup titles stay Markup
        }

    assert seen(configs[0], variables[0]) == seen(configs[1], variables[1])


def _heading(project: Path) -> None:
    data = project / "data" / "strategy.yaml"
    text = data.read_text(encoding="utf-8")
    old = "    title: 戦略骨子を踏まえた行動指針案\n"
    assert text.count(old) == 1
    data.write_text(text.replace(old, "    title: 戦略骨子を踏まえた行動指針案（改）\n"), encoding="utf-8")


def _publisher(project: Path) -> None:
    (project / "data" / "publication.yaml").write_text(
        "publisher: テスト発行者\n"
        "licence:\n  name: テスト利用条件\n  url: https://example.jp/licence/\n  attribution: 出典：テスト\n"
        "contact:\n  name: テスト課\n  url: https://example.jp/contact/\n",
        encoding="utf-8",
    )


def _template(project: Path) -> None:
    template = project / "macros" / "templates" / "home.html.j2"
    template.write_text(
        template.read_text(encoding="utf-8") + "\n<!-- sd-snapshot-test -->\n", encoding="utf-8"
    )


def _links_resolve(site: Path) -> bool:
    """Whether every relative link of the home page's article names a file of the site (with
    `--no-directory-urls`, no link ends with a folder)."""
    page = (site / "index.html").read_text(encoding="utf-8")
    article = page[page.index("<article") : page.index("</article>")]
    hrefs = [h for h in re.findall(r'href="([^"#?]+)', article) if not re.match(r"[a-z]+:|/", h)]
    assert hrefs
    return all((site / h).is_file() for h in hrefs)


CHANGES = {
    "heading": (
        _heading,
        (),
        lambda site: "行動指針案（改）" in (site / "guidelines" / "index.html").read_text("utf-8"),
    ),
    "publisher": (_publisher, (), lambda site: "テスト発行者" in (site / "index.html").read_text("utf-8")),
    "template": (_template, (), lambda site: "sd-snapshot-test" in (site / "index.html").read_text("utf-8")),
    "use_directory_urls": (lambda p: None, ("--no-directory-urls",), _links_resolve),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_each_input_change_shows_in_a_warm_build(warm, change: str, tmp_path: Path):
    edit, options, shows = CHANGES[change]
    project = project_with_recorder(tmp_path / "project")  # the same inputs as the warm project, so far
    cache = tmp_path / "cache"
    shutil.copytree(warm["cache"], cache)
    edit(project)
    loaded = build(project, tmp_path / "site", cache, *options)
    assert "pydantic" in loaded  # the full path
    assert shows(tmp_path / "site")
    assert not shows(warm["work"] / "warm")  # the site before the change did not show it


def test_invalid_data_after_a_valid_build_lists_the_problems(warm, tmp_path: Path):
    project = project_with_recorder(tmp_path / "project")
    cache = tmp_path / "cache"
    shutil.copytree(warm["cache"], cache)
    site = tmp_path / "site"
    assert build(project, site, cache) == []  # from the snapshot
    data = project / "data" / "strategy.yaml"
    text = data.read_text(encoding="utf-8")
    data.write_text(
        text.replace("  date: 2022-12-01\n", "  date: 2022-13-01\n  dates: x\n", 1), encoding="utf-8"
    )
    warm_error = build(project, site, cache, fails=True)
    cold_error = build(project, tmp_path / "other", tmp_path / "empty", fails=True)
    assert warm_error == cold_error
    assert "原稿に 2 件の問題があります。サイトは作られていません。" in warm_error
    assert "data/strategy.yaml:14:9: 値「2022-13-01」を読めません。" in warm_error
    assert "data/strategy.yaml:15:10: 「dates」という項目は使えません" in warm_error
    assert [p.name for p in snapshots(cache)] == [
        p.name for p in warm["stored"]
    ]  # nothing stored for bad data
    assert files(site) == files(warm["work"] / "warm")  # the previous site is kept


def test_a_call_not_in_the_snapshot_is_rendered_from_the_model(warm, tmp_path: Path):
    """A page whose macro call the snapshot does not hold: the model is loaded for it, the site is the one an
    empty cache gives, and the snapshot is written again with the call (the next build needs no model)."""
    project = project_with_recorder(tmp_path / "project")
    page = project / "docs" / "about" / "revisions-copy.md"
    page.write_text(
        (project / "docs" / "about" / "revisions.md").read_text(encoding="utf-8"), encoding="utf-8"
    )
    cache = tmp_path / "cache"
    shutil.copytree(warm["cache"], cache)
    assert "pydantic" in build(project, tmp_path / "site", cache)  # the model, for the new page's call
    build(project, tmp_path / "cold", tmp_path / "empty")
    assert files(tmp_path / "site") == files(tmp_path / "cold")
    assert "about/revisions-copy/index.html" in files(tmp_path / "site")
    assert build(project, tmp_path / "again", cache) == []  # the call was added to the snapshot
    assert files(tmp_path / "again") == files(tmp_path / "cold")


@pytest.mark.parametrize("damage", ["garbage", "truncated", "old format"])
def test_a_damaged_snapshot_is_ignored_and_written_again(warm, damage: str, tmp_path: Path):
    cache = tmp_path / "cache"
    shutil.copytree(warm["cache"], cache)
    [entry] = snapshots(cache)
    good = entry.read_bytes()
    if damage == "garbage":
        entry.write_bytes(b"\x80\x05garbage")
    elif damage == "truncated":
        entry.write_bytes(good[: len(good) // 2])
    else:
        stored = pickle.loads(good)
        entry.write_bytes(pickle.dumps({**stored, "format": snapshot.FORMAT - 1}))
    loaded = build(warm["project"], tmp_path / "site", cache)
    assert "pydantic" in loaded  # the full path
    assert files(tmp_path / "site") == files(warm["work"] / "cold")
    assert snapshots(cache) == [entry]  # written again under the same key
    again = snapshot._Builtins(io.BytesIO(entry.read_bytes())).load()
    assert again["format"] == snapshot.FORMAT and again["calls"].keys() == pickle.loads(good)["calls"].keys()


# --- past editions: answered from the snapshot and the editions' cache -----------------------------------------

SECOND = "2023-03-24"


def publish(project: Path, date: str) -> None:
    """`python -m macros edition …` in the project, as the editor runs it: the current text becomes an edition."""
    environ = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    command = [
        sys.executable,
        "-m",
        "macros",
        "edition",
        "--date",
        date,
        "--label",
        "第3回アドバイザーボード「戦略案」",
    ]
    run = subprocess.run(
        [*command, "--status", "策定", "--summary", "行動指針の見出しを改めました。"],
        cwd=project,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr


@pytest.fixture(scope="module")
def past(tmp_path_factory) -> dict:
    """A copy whose data was edited after the frozen edition (so 2022-12-01 is a past edition with pages of its
    own), built with an empty cache, then from the snapshot."""
    work = tmp_path_factory.mktemp("past")
    project = project_with_recorder(work / "project")
    _heading(project)
    cache = work / "cache"
    cold = build(project, work / "cold", cache)
    warm = build(project, work / "warm", cache)
    return {"work": work, "project": project, "cache": cache, "cold": cold, "warm": warm}


def test_a_site_with_a_past_edition_is_answered_from_the_snapshot(past):
    assert "pydantic" in past["cold"]
    assert past["warm"] == []  # no pydantic, no model, no editions, no archive
    cold, warm = files(past["work"] / "cold"), files(past["work"] / "warm")
    assert "editions/2022-12-01/guidelines/index.html" in cold  # the past edition's pages
    assert "editions/2022-12-01/data/strategy.json" in cold
    assert sorted(cold) == sorted(warm)
    assert [name for name in cold if cold[name] != warm[name]] == []


def test_a_second_edition_is_answered_from_the_snapshot_too(past, tmp_path: Path):
    project = project_with_recorder(tmp_path / "project")
    _heading(project)
    cache = tmp_path / "cache"
    shutil.copytree(past["cache"], cache)
    publish(project, SECOND)
    assert "pydantic" in build(project, tmp_path / "first", cache)  # new inputs: the full path
    assert build(project, tmp_path / "warm", cache) == []
    build(project, tmp_path / "cold", tmp_path / "empty")
    warm, cold = files(tmp_path / "warm"), files(tmp_path / "cold")
    assert f"editions/{SECOND}/comparison/index.html" in cold and f"editions/{SECOND}/comparison.md" in cold
    assert "行動指針案（改）" in cold[f"editions/{SECOND}/comparison.md"].decode("utf-8")
    assert sorted(cold) == sorted(warm)
    assert [name for name in cold if cold[name] != warm[name]] == []
    assert files(tmp_path / "first") == cold


@pytest.mark.parametrize("lost", ["everything", "pages", "one page", "data"])
def test_a_lost_editions_cache_loads_the_model_and_gives_the_same_site(past, lost: str, tmp_path: Path):
    cache = tmp_path / "cache"
    shutil.copytree(past["cache"], cache)
    editions = cache / "editions"
    if lost == "everything":
        shutil.rmtree(editions)
    elif lost == "one page":
        shutil.rmtree(min((editions / "pages").iterdir()))
    else:
        shutil.rmtree(editions / lost)
    loaded = build(past["project"], tmp_path / "site", cache)
    # A past edition's open data need its model (loaded lazily); a page is the `edition_page` macro's result,
    # which the snapshot holds.
    assert ("pydantic" in loaded) == (lost in ("everything", "data"))
    cold, again = files(past["work"] / "cold"), files(tmp_path / "site")
    assert "editions/2022-12-01/data/strategy.json" in again
    assert sorted(cold) == sorted(again)
    assert [name for name in cold if cold[name] != again[name]] == []
    assert build(past["project"], tmp_path / "again", cache) == []  # the cache is whole again
    assert files(tmp_path / "again") == cold


def _slug(variables: dict) -> None:
    plan = variables["edition_plan"]
    plan["editions"][0]["slug"] = "../../x"
    plan["editions"][0]["data_dir"] = "editions/../../x/data"  # as the hook would make it from the slug
    plan["pages"] = []  # so that no page's folder disagrees with the slug: the slug alone is wrong


def _data_dir(variables: dict) -> None:
    plan = variables["edition_plan"]
    plan["editions"][0]["data_dir"] = "../outside/data"


def _page(variables: dict) -> None:
    plan = variables["edition_plan"]
    plan["pages"][0]["src"] = "../../x.md"


def _template_code(variables: dict) -> None:
    plan = variables["edition_plan"]
    page = plan["pages"][0]
    page["content"] = page["content"].replace('title: "', 'title: "{{ config.site_dir }}', 1)


def _data_name(variables: dict) -> None:
    files = variables["open_data_files"]
    files["../x.json"] = files.pop("strategy.json")


HOSTILE = {
    "slug": _slug,
    "data_dir": _data_dir,
    "page": _page,
    "template code": _template_code,
    "open data name": _data_name,
}


@pytest.mark.parametrize("change", list(HOSTILE))
def test_a_hostile_plan_in_the_snapshot_is_not_used(past, change: str, tmp_path: Path):
    """A snapshot whose plan names paths outside the edition's folder (or front matter with template code): the
    plan is made again from the model, nothing is written outside the site, the site is the cold one."""
    cache = tmp_path / "cache"
    shutil.copytree(past["cache"], cache)
    [entry] = snapshots(cache)
    stored = pickle.loads(entry.read_bytes())
    HOSTILE[change](stored["variables"])
    entry.write_bytes(pickle.dumps(stored))
    work = tmp_path / "work"
    work.mkdir()
    site = work / "deep" / "site"
    loaded = build(past["project"], site, cache)
    assert "pydantic" in loaded  # the plan (or the snapshot) made again from the model
    assert sorted(p.name for p in work.iterdir()) == ["deep"]
    beside = sorted(p.name for p in (work / "deep").iterdir())
    assert beside == [".site.lock", "site", "site.modules.json"]  # hooks/site_output.py's lock
    cold, again = files(past["work"] / "cold"), files(site)
    assert sorted(cold) == sorted(again)
    assert [name for name in cold if cold[name] != again[name]] == []
    assert build(past["project"], work / "again", cache) == []  # the snapshot was stored again, whole


def test_the_hook_and_the_adapter_agree_on_the_generated_pages():
    import importlib.util

    from macros import archive

    spec = importlib.util.spec_from_file_location("sd_editions_hook", ROOT / "hooks" / "editions.py")
    assert spec is not None and spec.loader is not None
    hook = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hook)
    assert hook.MACRO_CALL == archive.MACRO_CALL
    assert hook.CACHED_TEMPLATE == macros.CACHED_TEMPLATE


def pdf_build(project: Path, site: Path, cache: Path) -> None:
    """`mkdocs build -f mkdocs-pdf.yml` with the council PDF, in a fresh interpreter with its own caches."""
    environ = environment(
        cache,
        site.with_name(site.name + ".modules.json"),
        ENABLE_PDF_EXPORT="1",
        SOURCE_DATE_EPOCH="1669852800",
    )
    command = [
        sys.executable,
        "-I",
        "-m",
        "mkdocs",
        "build",
        "-q",
        "-s",
        "-f",
        str(project / "mkdocs-pdf.yml"),
    ]
    run = subprocess.run(
        [*command, "-d", str(site)],
        cwd=project,
        env=environ,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-3000:]


@pytest.mark.pdf
def test_the_pdfs_of_past_editions_from_the_snapshot_are_the_cold_ones(tmp_path: Path):
    """With the council PDF: a warm build (answered from the snapshot) and one whose editions' PDFs were deleted
    (the model loaded for the 新旧対照表 PDF and the past edition's PDF) give the cold build's files, byte for
    byte."""
    project = copy_project(tmp_path / "project")
    _heading(project)
    publish(project, SECOND)
    cache = tmp_path / "cache"
    pdf_build(project, tmp_path / "cold", cache)
    cold = files(tmp_path / "cold")
    for name in ("pdf/strategy.pdf", "editions/2022-12-01/strategy.pdf", f"editions/{SECOND}/comparison.pdf"):
        assert cold[name].startswith(b"%PDF")
    assert cold[f"editions/{SECOND}/strategy.pdf"] == cold["pdf/strategy.pdf"]
    assert snapshots(cache)
    pdf_build(project, tmp_path / "warm", cache)
    assert files(tmp_path / "warm") == cold
    kept = sorted((cache / "editions").glob("*.pdf"))
    assert len(kept) == 2  # the 新旧対照表 and the past edition
    for pdf in kept:
        pdf.unlink()
    pdf_build(project, tmp_path / "lazy", cache)
    assert files(tmp_path / "lazy") == cold
    text = subprocess.run(
        ["pdftotext", "-raw", str(tmp_path / "lazy" / "editions" / SECOND / "comparison.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert (
        "改正後: 第3回アドバイザーボード「戦略案」（2023年3月24日・策定） 改正前: 第2回" in text
    )  # new, then old
    assert len(sorted((cache / "editions").glob("*.pdf"))) == 2


# --- a process running other code than the files say; stored values of the wrong shape; call keys ---------------

BUILDS = """
import sys
from pathlib import Path
from mkdocs.commands.build import build
from mkdocs.config import load_config

project, edit, *sites = sys.argv[1:]
sys.path.insert(0, project)
import macros  # as project.py does, before the first build
for number, site in enumerate(sites):
    if number == int(edit):  # macros/ edited while this process runs (as under `mkdocs serve`)
        ja = Path(project) / "macros" / "ja.py"
        ja.write_text(ja.read_text(encoding="utf-8").replace('日"', '日（改）"'), encoding="utf-8")
    build(load_config(str(Path(project) / "mkdocs.yml"), site_dir=site, strict=True))
"""


@pytest.mark.parametrize("edit", [0, 1], ids=["before-the-first-build", "between-builds"])
def test_a_process_running_old_code_stores_nothing_for_the_new(tmp_path: Path, edit: int):
    """`mkdocs serve` keeps the macros modules it imported while macros/ is edited: its rebuild after the edit runs
    the old code, and must not leave the old code's pages under the new code's key for the next process."""
    project = project_with_recorder(tmp_path / "project")
    ja = project / "macros" / "ja.py"
    assert ja.read_text(encoding="utf-8").count('日"') >= 1
    cache = tmp_path / "cache"
    environ = environment(cache, tmp_path / "modules.json")

    def builds(edit: int, *sites: str) -> None:  # in one process, macros/ edited before build number `edit`
        command = [
            sys.executable,
            "-I",
            "-c",
            BUILDS,
            str(project),
            str(edit),
            *(str(tmp_path / s) for s in sites),
        ]
        run = subprocess.run(
            command, cwd=project, env=environ, capture_output=True, text=True, timeout=300, check=False
        )
        assert run.returncode == 0, run.stderr[-3000:]

    builds(edit, "one", "two")
    # The document's date on the home page comes from the adapter (hooks/citizen.py's page dates are not in it).
    date = "2022年12月1日"
    assert date in (tmp_path / "one" / "index.html").read_text(encoding="utf-8")
    assert f"{date}（改）" not in (tmp_path / "two" / "index.html").read_text(
        encoding="utf-8"
    )  # the old code ran
    builds(-1, "three")  # a new process: the new code's key
    assert f"{date}（改）" in (tmp_path / "three" / "index.html").read_text(encoding="utf-8")


def stored_entry(cache: Path) -> tuple[Path, dict]:
    (entry,) = snapshots(cache)
    return entry, pickle.loads(entry.read_bytes())


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: d["variables"]["open_data_files"].update({"../../outside.json": b"{}"}),
        lambda d: d["variables"]["document_page_paths"].append("../outside.md"),
        lambda d: d["conf"].pop("site_url"),
        lambda d: d["conf"].update(footer=[1, 2]),
    ],
    ids=["open-data-name", "page-path", "conf-key", "conf-value"],
)
def test_stored_values_of_another_shape_are_not_used(tmp_path: Path, damage):
    project = project_with_recorder(tmp_path / "project")
    cache = tmp_path / "cache"
    build(project, tmp_path / "cold", cache)
    entry, data = stored_entry(cache)
    damage(data)
    entry.write_bytes(pickle.dumps(data))
    again = build(project, tmp_path / "again", cache)
    assert "pydantic" in again  # the full path ran
    assert files(tmp_path / "again") == files(tmp_path / "cold")
    assert not list(tmp_path.rglob("outside*"))


def test_call_keys_only_for_arguments_shown_whole():
    from macros.export import FILES, Published

    assert snapshot.call_key("site_page", "index.md", ("home.html.j2",), {}) is not None
    assert snapshot.call_key("site_page", "a.md", (), {"files": [Published(FILES[0], 10)]}) is not None

    class Shown:  # a repr that leaves content out, as MkDocs' Page does
        def __init__(self, title: str, text: str) -> None:
            self.title, self.text = title, text

        def __repr__(self) -> str:
            return f"Shown(title={self.title!r})"

    assert snapshot.call_key("site_page", "a.md", (Shown("t", "x"),), {}) is None
    assert snapshot.call_key("site_page", "a.md", (), {"x": object()}) is None

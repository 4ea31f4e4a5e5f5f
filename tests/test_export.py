"""Open data: the CLI export read back against the model, and the same files and page in a real build."""

from __future__ import annotations

import codecs
import csv
import io
import json
import posixpath
import re
import subprocess
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from mkdocs.exceptions import Abort

import macros
import macros.loader
from macros.export import FILES, export, render, table
from macros.model import Strategy
from tests.conftest import DATA, ROOT, build_site, copy_project

SCHEMA = ROOT / "data" / "strategy.schema.json"
CSV_FILES = ["goals.csv", "viewpoints.csv", "guidelines.csv", "solutions.csv", "issues.csv", "remarks.csv"]
PAGE = "about/open-data/index.html"


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> Path:
    """`python -m macros export DIR`, run as an editor would."""
    out = tmp_path_factory.mktemp("export") / "data"
    subprocess.run([sys.executable, "-m", "macros", "export", str(out)], cwd=ROOT, check=True)
    return out


def read_csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_bytes().decode("utf-8-sig"), newline="")))


def by_id(path: Path) -> dict[str, dict[str, str]]:
    return {row["id"]: row for row in read_csv(path)}


# --- the CLI export, read back ------------------------------------------------------------------------------


def test_the_cli_writes_every_described_file(exported: Path):
    assert sorted(p.name for p in exported.iterdir()) == sorted(f.name for f in FILES)
    assert {"strategy.json", "metadata.json", "strategy.yaml", "strategy.schema.json", *CSV_FILES} == {
        f.name for f in FILES
    }


def test_metadata_has_the_source_edition_and_no_publication_settings(exported: Path, strategy: Strategy):
    """Unset publication settings are null: the open data claims no licence, publisher or contact."""
    data = json.loads((exported / "metadata.json").read_text(encoding="utf-8"))
    assert data["document"] == {
        "title": strategy.meta.title,
        "meeting": strategy.meta.meeting,
        "document": strategy.meta.document,
        "date": "2022-12-01",
        "status": "案",
    }
    assert data["publication"] == {
        "publisher": None,
        "site_url": None,
        "licence": None,
        "contact": None,
        "source_page": None,
    }


def test_json_is_the_validated_model(exported: Path, strategy: Strategy):
    raw = (exported / "strategy.json").read_bytes()
    assert not raw.startswith(codecs.BOM_UTF8) and raw.endswith(b"}\n")
    data = json.loads(raw)
    assert data == strategy.model_dump(mode="json")
    assert list(data) == list(Strategy.model_fields)  # the model's field order, not sorted
    assert Strategy.model_validate_json(raw) == strategy  # strict model: JSON dates are ISO strings
    assert "盛岡市" in raw.decode("utf-8")  # not \\u escaped


def test_yaml_and_schema_are_generated_from_the_model(exported: Path, strategy: Strategy):
    from macros.loader import load_text
    from macros.model import parse

    published = (exported / "strategy.yaml").read_text(encoding="utf-8")
    assert parse(load_text(published)) == strategy  # the same model, in canonical YAML
    assert "原文注" in DATA.read_text(encoding="utf-8") and "原文注" not in published  # comments stay private
    assert (
        exported / "strategy.schema.json"
    ).read_bytes() == SCHEMA.read_bytes()  # the committed one is current


def test_yaml_written_in_pieces_is_the_whole_dump(strategy: Strategy):
    """model_yaml writes each chapter (each top-level field, each item of a top-level list) on its own and keeps
    it by its values: the result is PyYAML's dump of the whole model, on the real data, on 10× synthetic data,
    after an edit (only the edited chapter is written again), and on values that share an object (anchors)."""
    import datetime
    from types import SimpleNamespace

    import yaml

    from bench.synth import scale
    from macros import export
    from macros.loader import load_file, load_text
    from macros.model import parse

    def whole(model) -> bytes:
        data = model.model_dump(mode="python")
        dumped = yaml.safe_dump(
            data, allow_unicode=True, sort_keys=False, default_flow_style=False, width=1_000_000
        )
        return dumped.encode("utf-8")

    ten = parse(
        load_text(yaml.safe_dump(scale(load_file(DATA).data, 10), allow_unicode=True, sort_keys=False))
    )
    for model in (strategy, ten):
        assert export.model_yaml(model) == whole(model)
    edited = strategy.model_copy(
        update={
            "chapters": [
                strategy.chapters[0].model_copy(update={"title": "（編集）"}),
                *strategy.chapters[1:],
            ]
        }
    )
    before = len(export._pieces)
    assert export.model_yaml(edited) == whole(edited)
    assert "（編集）" in export.model_yaml(edited).decode("utf-8")
    assert len(export._pieces) == before + 1  # the edited chapter; the others and the framework were kept

    day = datetime.date(2022, 12, 1)
    shared = {"when": day}
    for data in (
        {"items": [shared, shared]},  # one object twice: PyYAML writes an anchor and an alias
        {"items": [{"a": day}, {"b": day}]},
        {"items": [{"n": 1}], "meta": {"n": "1"}},
        {"items": [{"n": "1"}], "meta": {"n": 1}},
        {"items": [], "yes": "no", "text": "010"},
    ):
        model = SimpleNamespace(model_dump=lambda mode, data=data: data)
        assert export.model_yaml(model) == whole(model), data


@pytest.mark.parametrize("name", CSV_FILES)
def test_csv_has_bom_crlf_and_the_described_header(exported: Path, name: str):
    raw = (exported / name).read_bytes()
    assert raw.startswith(codecs.BOM_UTF8)
    assert raw.endswith(b"\r\n") and b"\n" not in raw.replace(b"\r\n", b"")
    header = next(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    file = next(f for f in FILES if f.name == name)
    assert header[0] == "id"
    assert header == [c.name for c in file.columns]
    assert all(c.description for c in file.columns)


def test_goals_and_viewpoints_csv(exported: Path, strategy: Strategy):
    goals = by_id(exported / "goals.csv")
    assert list(goals) == [g.id for g in strategy.framework.goals]
    for g in strategy.framework.goals:
        row = goals[g.id]
        assert (row["number"], row["label"], row["title"], row["description"]) == (
            str(g.number),
            g.label,
            g.title,
            g.description,
        )
    viewpoints = by_id(exported / "viewpoints.csv")
    assert list(viewpoints) == [v.id for v in strategy.framework.viewpoints]
    for v in strategy.framework.viewpoints:
        assert viewpoints[v.id] == {"id": v.id, "number": str(v.number), "name": v.name, "goal": v.goal}


def test_guidelines_csv(exported: Path, strategy: Strategy):
    rows = by_id(exported / "guidelines.csv")
    assert list(rows) == [g.id for g in strategy.framework.guidelines]
    for g in strategy.framework.guidelines:
        assert rows[g.id] == {
            "id": g.id,
            "viewpoint": g.viewpoint,
            "goal": g.goal,
            "number": str(g.number),
            "title": g.title,
            "description": g.description,
        }


def test_solutions_and_issues_csv(exported: Path, strategy: Strategy):
    solutions = by_id(exported / "solutions.csv")
    expected = {s.id: (v.id, s.text) for v in strategy.framework.viewpoints for s in v.solutions}
    assert {i: (r["viewpoint"], r["text"]) for i, r in solutions.items()} == expected
    assert list(solutions) == list(expected)
    issues = by_id(exported / "issues.csv")
    expected_issues = {
        i.id: (v.id, c.id, c.name, i.text)
        for v in strategy.framework.viewpoints
        for c in v.categories
        for i in c.issues
    }
    assert {i: (r["viewpoint"], r["category"], r["category_name"], r["text"]) for i, r in issues.items()} == (
        expected_issues
    )
    assert list(issues) == list(expected_issues)


def test_remarks_csv(exported: Path, strategy: Strategy):
    rows = by_id(exported / "remarks.csv")
    assert list(rows) == [r.id for r in strategy.remarks]
    for r in strategy.remarks:
        row = rows[r.id]
        assert (row["number"], row["text"], row["page"]) == (str(r.number), r.text, r.page)
        assert row["addressed_by"].split() == r.addressed_by
        assert row["response"] == (r.response or "")


def test_remarks_csv_joins_addressed_by_and_keeps_the_response(strategy: Strategy):
    # The real data has neither yet, so give the first remark both.
    data = strategy.model_dump(mode="python")
    remark = next(_remark_items(data))[0]
    remark.update(addressed_by=["life-1", "goal-life"], response="対応します")
    changed = Strategy.model_validate(data)
    header, first, *_ = table(next(f for f in FILES if f.name == "remarks.csv"), changed)
    row = dict(zip(header, first, strict=True))
    assert (row["id"], row["addressed_by"], row["response"]) == (
        remark["id"],
        "life-1 goal-life",
        "対応します",
    )


def _remark_items(node: object):
    if isinstance(node, dict):
        if node.get("type") == "remarks":
            yield node["items"]
        for value in node.values():
            yield from _remark_items(value)
    elif isinstance(node, list):
        for value in node:
            yield from _remark_items(value)


def test_output_is_deterministic_and_ignores_the_yaml_as_data(
    exported: Path, strategy: Strategy, tmp_path: Path
):
    assert render(strategy) == {f.name: (exported / f.name).read_bytes() for f in FILES}
    # Every file comes from the model: nothing on disk is read (or copied) while exporting.
    export(strategy, tmp_path / "out")
    for f in FILES:
        assert (tmp_path / "out" / f.name).read_bytes() == (exported / f.name).read_bytes(), f.name


def test_cli_refuses_invalid_data(tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(DATA.read_text(encoding="utf-8").replace("id: goal-life\n", "id: Goal Life\n", 1), "utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "macros", "export", str(tmp_path / "out"), "--data", str(bad)],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1 and "bad.yaml:" in result.stderr
    assert not (tmp_path / "out").exists()


# --- the real build -----------------------------------------------------------------------------------------


def test_site_data_is_the_cli_export(site: Path, exported: Path):
    data = site / "data"
    assert sorted(p.name for p in data.iterdir()) == sorted(f.name for f in FILES)
    for f in FILES:
        assert (data / f.name).read_bytes() == (exported / f.name).read_bytes(), f.name


def test_page_lists_every_file_with_its_size_and_a_working_link(site: Path, strategy: Strategy):
    soup = BeautifulSoup((site / PAGE).read_text(encoding="utf-8"), "html.parser")
    article = soup.select_one("article")
    assert article.select_one("h1").get_text(strip=True).startswith("オープンデータ")
    rows = article.select("table.sd-open-data-files tbody tr")
    assert [r.select_one("th a").get_text() for r in rows] == [f.name for f in FILES]
    for row, f in zip(rows, FILES, strict=True):
        href = row.select_one("th a")["href"]
        target = site / posixpath.normpath(posixpath.join(posixpath.dirname(PAGE), href))
        assert target == site / "data" / f.name and target.is_file(), href
        size = target.stat().st_size
        cells = row.select("td")
        assert cells[1].get_text() == f.format
        assert int(cells[2]["data-bytes"]) == size
        assert re.match(rf"{size:,} バイト（{size / 1024:.1f} KB）", cells[2].get_text())
    for f in FILES:
        if f.columns:
            heading = article.select_one(f"#open-data-{f.name.replace('.', '-')}")
            table = heading.find_next("table")
            listed = [(tr.th.get_text(), tr.td.get_text()) for tr in table.select("tbody tr")]
            assert listed == [(c.name, c.description) for c in f.columns]
    # No licence is set (data/publication.yaml): the page claims none and says that none is given.
    assert article.select_one('a[rel="license"]') is None
    assert (
        "利用条件（ライセンス）は、まだ示されていません。"
        in article.select_one(".sd-open-data-licence").get_text()
    )
    nav = soup.select_one("nav.md-nav--primary").get_text(" ")
    assert nav.index("オープンデータ") < nav.index("改訂履歴")


def test_the_build_parses_the_yaml_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    calls: list[str] = []
    real = macros.loader.load_text

    def counting(text: str, path: str = "data/strategy.yaml") -> macros.loader.Loaded:
        calls.append(path)
        return real(text, path)

    monkeypatch.setattr(macros.loader, "load_text", counting)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # no model from an earlier build
    macros.load_strategy.cache_clear()
    site = build_site(ROOT, tmp_path / "site")
    # The data file once (the editions' registry, the publication settings and the ふりがな list are other
    # files), and the frozen edition that equals the current text is not parsed again.
    assert [c for c in calls if c.endswith(("strategy.yaml", "2022-12-01.yaml"))] == ["data/strategy.yaml"]
    assert (site / "data" / "strategy.json").is_file()


def test_a_failing_strict_build_writes_no_data(tmp_path: Path):
    project = copy_project(tmp_path / "project")
    (project / "docs" / "broken.md").write_text("# 壊れたリンク\n\n[どこにもない](missing.md)\n", "utf-8")
    with pytest.raises(Abort):
        build_site(project, tmp_path / "site")
    # Pages were written into a staging folder, then strict mode aborted: no site, no data (hooks/site_output.py).
    assert not (tmp_path / "site").exists()
    assert not list(tmp_path.glob("site.building-*"))


def test_rendered_files_are_kept_by_content(
    strategy: Strategy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """A build of unchanged data reads the files back (macros/export.py's cache); changed text, a changed
    publication setting or a damaged cache entry never gives old bytes."""
    from macros import export as module
    from macros.publication import Publication

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(module, "_last", [])
    fresh = module._render(strategy, Publication())
    assert render(strategy) == fresh
    [entry] = (tmp_path / "morioka-strategy" / "export").iterdir()
    module._last.clear()
    calls: list[int] = []
    real = module._render
    monkeypatch.setattr(module, "_render", lambda *a: calls.append(1) or real(*a))
    assert render(strategy) == fresh and not calls  # read back, not rendered

    meta = strategy.meta.model_copy(update={"title": strategy.meta.title + "（改）"})
    changed = strategy.model_copy(update={"meta": meta})
    assert render(changed)["strategy.yaml"] != fresh["strategy.yaml"] and calls == [1]
    assert b"\xef\xbc\x88\xe6\x94\xb9\xef\xbc\x89" in render(changed)["strategy.json"]  # （改）
    assert render(strategy, Publication(publisher="盛岡市")) != fresh and calls == [1, 1]

    entry.write_text("{", encoding="utf-8")
    module._last.clear()
    assert render(strategy) == fresh and calls == [1, 1, 1]  # damaged: rendered again


def test_a_model_named_by_its_data_file_is_not_dumped_for_the_cache_key(
    strategy: Strategy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """The adapter names the model by its data file's digest: the cache key then needs no dump of the model (which
    makes pydantic build the serializer of a model read back from macros/modelcache.py), and another digest is
    another entry."""
    from macros import export as module
    from macros.model import Strategy as Model
    from macros.publication import Publication

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(module, "_last", [])
    fresh = module._render(strategy, Publication())
    dumped: list[int] = []
    real_dump = Model.model_dump
    monkeypatch.setattr(
        Model, "model_dump", lambda self, *a, **k: dumped.append(1) or real_dump(self, *a, **k)
    )
    assert render(strategy, data_digest="a" * 64) == fresh  # made (its files dump the model)
    module._last.clear()
    dumped.clear()
    calls: list[int] = []
    real = module._render
    monkeypatch.setattr(module, "_render", lambda *a: calls.append(1) or real(*a))
    assert render(strategy, data_digest="a" * 64) == fresh and not calls  # read back by the digest
    assert not dumped  # the key named the model without dumping it
    module._last.clear()
    assert render(strategy, data_digest="b" * 64) == fresh and calls == [1]  # another file: made again

"""Unit tests of the search segmentation (hooks/search_ja.py, and docs/javascripts/search-ja.js through node's
test runner) and of the open-data hook's on_config."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import ROOT, iter_texts
from mkdocs.config import load_config
from mkdocs.exceptions import PluginError

from hooks import search_ja
from hooks.search_ja import PAIR_FENCE, ZWSP, segment_text, split_run

# Compounds of the document and the words the index holds for them (SudachiPy mode A).
COMPOUNDS = {
    "デジタル格差": ["デジタル", "格差"],
    "行政手続": ["行政", "手続"],
    "マイナンバーカード": ["マイナンバー", "カード"],
}


def test_japanese_runs_are_split_into_words_and_fenced():
    pairs: list[str] = []
    out = segment_text("デジタル格差の解消", pairs)
    assert out == ZWSP + ZWSP.join(["デジタル", "格差", "の", "解消"]) + ZWSP
    assert pairs == [PAIR_FENCE + p + PAIR_FENCE for p in ("デジタル格差", "格差の", "の解消")]
    for compound, words in COMPOUNDS.items():
        assert split_run(compound) == words


def test_tags_and_text_without_japanese_are_left_alone():
    out = segment_text('<a href="x">行政手続</a> ICT 2022')
    assert out == f'<a href="x">{ZWSP}行政{ZWSP}手続{ZWSP}</a> ICT 2022'
    assert segment_text("ICT and DX") == "ICT and DX"


def test_the_index_is_rewritten_with_the_segmented_words_and_their_pairs(tmp_path: Path):
    (tmp_path / "search").mkdir()
    index = {
        "config": {"fields": {"title": {"boost": 1000}}},
        "docs": [{"title": "行政手続", "text": "<p>デジタル格差</p>"}],
    }
    (tmp_path / "search" / "search_index.json").write_text(
        json.dumps(index, ensure_ascii=False), encoding="utf-8"
    )
    config = load_config(str(ROOT / "mkdocs.yml"), site_dir=str(tmp_path))
    search_ja.on_post_build(config)
    doc = json.loads((tmp_path / "search" / "search_index.json").read_text(encoding="utf-8"))
    assert doc["docs"][0]["title"] == segment_text("行政手続")
    assert doc["docs"][0]["text"] == segment_text("<p>デジタル格差</p>")
    assert doc["docs"][0]["pairs"] == f"{PAIR_FENCE}行政手続{PAIR_FENCE} {PAIR_FENCE}デジタル格差{PAIR_FENCE}"
    assert doc["config"]["fields"]["pairs"] == {"boost": search_ja.PAIR_BOOST}


def test_the_script_declares_the_hooks_constants():
    """docs/javascripts/search-ja.js (which the node tests run) holds the hook's constants as the build writes
    them: Japanese characters and the pair fence have one source, hooks/search_ja.py."""
    script = (ROOT / "docs" / search_ja.SCRIPT).read_text(encoding="utf-8")
    assert search_ja.with_constants(script) == script
    assert search_ja.js_constants() in script
    assert 'const FENCE = "\\ue000"' in search_ja.js_constants()


def test_the_build_writes_the_constants_into_the_script(tmp_path: Path):
    script = (ROOT / "docs" / search_ja.SCRIPT).read_text(encoding="utf-8")
    built = tmp_path / search_ja.SCRIPT
    built.parent.mkdir(parents=True)
    built.write_text(
        script.replace('"\\ue000"', '"\\ue001"').replace("\\uff66-\\uff9f", ""), encoding="utf-8"
    )
    config = load_config(str(ROOT / "mkdocs.yml"), site_dir=str(tmp_path))
    search_ja.on_post_build(config)
    assert built.read_text(encoding="utf-8") == script
    built.write_text(script.replace(search_ja.JS_END, ""), encoding="utf-8")
    with pytest.raises(PluginError, match="shared constants"):
        search_ja.on_post_build(config)


def test_the_open_data_page_gets_every_file_with_its_size(monkeypatch: pytest.MonkeyPatch):
    from macros import snapshot
    from macros.export import FILES, render

    monkeypatch.setattr(snapshot, "read", lambda key: None)  # the model loaded, not the adapter's snapshot
    config = load_config(str(ROOT / "mkdocs.yml"))
    config = config.plugins.on_config(config)  # the macros adapter, then the hooks (opendata among them)
    variables = config.plugins["macros"].variables
    rendered = render(variables["strategy"], variables["publication"])
    listed = variables["open_data"]
    assert [p.file for p in listed] == list(FILES)
    assert [p.size for p in listed] == [len(rendered[f.name]) for f in FILES]
    assert all(p.size > 0 for p in listed)


def test_the_query_script_under_node(strategy, tmp_path: Path):
    """docs/javascripts/search-ja.js's rewrite() (tests/js/), with an index of the document's texts segmented by
    the hook: the compounds' required words are the index's words."""
    node = shutil.which("node")
    assert node, "node is missing: run scripts/setup"
    docs = [{"location": "", "title": "", "text": segment_text(text)} for text in iter_texts(strategy)]
    assert all(any(compound in d["text"].replace(ZWSP, "") for d in docs) for compound in COMPOUNDS)
    (tmp_path / "index.json").write_text(json.dumps({"docs": docs}, ensure_ascii=False), encoding="utf-8")
    separator = search_ja._search_config(load_config(str(ROOT / "mkdocs.yml"))).separator
    env = dict(
        os.environ,
        SEARCH_JA_INDEX=str(tmp_path / "index.json"),
        SEARCH_JA_EXPECTED=json.dumps(COMPOUNDS, ensure_ascii=False),
        SEARCH_JA_CONSTANTS=json.dumps({"fence": PAIR_FENCE, "separator": separator}, ensure_ascii=False),
    )
    run = subprocess.run(
        [node, "--test", str(ROOT / "tests" / "js")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert "# fail 0" in run.stdout and "# skipped 0" in run.stdout, run.stdout[-2000:]


# --- Material's search entries, with the pages' HTML read by macros.html_scan.feed_plain -------------------------


def _sections(parser) -> list[tuple]:
    return [
        (s.el.tag, sorted(s.el.attrs.items()), s.depth, s.id, s.title, s.text, s.is_excluded())
        for s in parser.data
    ]


def test_search_entries_are_materials_own(site_config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Every page's HTML that the search plugin reads gives the same sections through feed_plain as through
    Material's HTMLParser, and the index of a build with the hook's reading is byte for byte the index of a build
    with Material's own `add_entry_from_context`."""
    from conftest import build_site
    from material.plugins.search.plugin import Parser

    from macros.html_scan import feed_plain

    hook = site_config["hooks"]["hooks/search_ja.py"]  # the module the builds of this process use
    contents: list[str] = []
    monkeypatch.setattr(
        hook, "feed_plain", lambda parser, markup: contents.append(markup) or feed_plain(parser, markup)
    )
    fast = build_site(ROOT, tmp_path / "fast")
    plain = 0
    for markup in contents:
        ours, theirs = Parser(), Parser()
        if feed_plain(ours, markup):
            plain += 1
        else:
            ours.feed(markup)
        ours.close()
        theirs.feed(markup)
        theirs.close()
        assert _sections(ours) == _sections(theirs)
    assert len(contents) >= 15 and plain > 0.9 * len(contents)

    monkeypatch.setattr(hook, "FAST_PARSE", False)
    contents.clear()
    own = build_site(ROOT, tmp_path / "own")
    assert contents == []  # Material's own method read the pages
    index = "search/search_index.json"
    assert (fast / index).read_bytes() == (own / index).read_bytes()
    assert (Path(site_config.site_dir) / index).read_bytes() == (own / index).read_bytes()

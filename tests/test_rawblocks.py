"""macros/rawblocks.py: the document pages' HTML blocks carried past Python-Markdown's and MkDocs' HTML parsing,
with the same site as before, byte for byte, and their ids still valid link targets."""

from __future__ import annotations

import filecmp
from pathlib import Path

import markdown
import pytest
from mkdocs.exceptions import Abort
from mkdocs.structure.pages import _HTMLHandler

from macros import rawblocks, snapshot
from macros.pages import Links, all_pages, anchor_pages
from macros.render import render_page
from tests.conftest import ROOT, build_site, copy_project

ANCHORS_WARN = {"validation": {"links": {"anchors": "warn"}}}


def differing(left: Path, right: Path) -> list[str]:
    """Every file that is not in both trees or differs in a byte."""
    out: list[str] = []
    cmp = filecmp.dircmp(left, right)
    out += [f"{left}/{n}" for n in cmp.left_only] + [f"{right}/{n}" for n in cmp.right_only]
    out += [f"{left}/{n}" for n in cmp.funny_files]
    _, mismatch, errors = filecmp.cmpfiles(left, right, cmp.common_files, shallow=False)
    out += [f"{left}/{n}" for n in mismatch + errors]
    for sub in cmp.common_dirs:
        out += differing(left / sub, right / sub)
    return out


def test_the_site_is_the_same_as_with_html_blocks_in_the_markdown(
    site: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """The session's site (blocks carried as tokens) against a build whose blocks are plain HTML in the Markdown,
    as before macros/rawblocks.py: every file, byte for byte (pages, search index, open data, sitemap)."""
    carried: list[str] = []
    real = rawblocks.token
    monkeypatch.setattr(rawblocks, "token", lambda block: carried.append(block) or block)
    monkeypatch.setattr(snapshot, "read", lambda key: None)  # rendered now, not the snapshot's results
    before = build_site(ROOT, tmp_path / "site")
    assert len(carried) > 50  # the adapter renders its blocks through rawblocks.token
    assert sum(real(b) != b for b in carried) > 0.9 * len(carried)  # and nearly all of them are carried
    assert differing(before, site) == []


def test_a_block_comes_back_as_html_block_parsing_would_give_it():
    """Python-Markdown on its own, with and without the extension, on blocks of every shape the pages have."""
    blocks = [
        '<div class="a">\n<p id="x">1 &amp; 2 <strong>3</strong></p>\n</div>',
        "<p>a</p>\n<ul>\n<li>x</li>\n</ul>",
        '<ol>\n<li id="y">\n<p>t</p>\n</li>\n</ol>',
    ]
    heading = "## 見出し {#h}"
    for joined in ("\n\n", "\n\n\n"):
        plain = heading + "\n\n" + joined.join(blocks) + "\n"
        tokens = heading + "\n\n" + joined.join(rawblocks.token(b) for b in blocks) + "\n"
        assert rawblocks.PREFIX in tokens and "<" not in tokens.split("\n", 1)[1]
        assert rawblocks.expand(tokens) == plain
        expected = markdown.markdown(plain, extensions=["attr_list"])
        assert markdown.markdown(tokens, extensions=["attr_list", "macros.rawblocks"]) == expected


def test_blocks_it_cannot_carry_stay_html():
    for block in (
        "<!-- note -->\n<p>a</p>",
        "text <b>b</b>",
        "<span>inline</span>",
        '<div markdown="1">*a*</div>',
    ):
        assert rawblocks.token(block) == block


def test_the_ids_are_the_ones_mkdocs_records(strategy):
    """For every block of every document page: the ids macros/rawblocks.py registers are MkDocs' own."""
    anchors = anchor_pages(strategy)
    blocks: list[str] = []
    for page in all_pages(strategy):
        render_page(strategy, page, Links(page.path, anchors), raw=lambda b: blocks.append(b) or b)
    blocks += [
        '<a name="n" id="i"></a><p name="not" ID="up" data-id="no">',
        "<p id='q&amp;r'>",
        "<div id=bare class=x>",
        # data text reaches attribute values (aria-label): an ` id=` inside one is no id
        '<div aria-label="長期 id=ghostから"><a aria-label="長期 id=ghost" title=\'name=x\'>t</a></div>',
        "<div data-x=a=b id=\"i&amp;j\"><p title='id=q' id='r'>s</p></div>",
    ]
    found = 0
    for block in blocks:
        handler = _HTMLHandler()
        handler.feed(block)
        handler.close()
        assert rawblocks.anchor_ids(block) == handler.present_anchor_ids, block
        found += len(handler.present_anchor_ids)
    assert found > 50


def test_an_id_inside_a_block_is_a_link_target(tmp_path: Path):
    """A link to an id that only an HTML block holds (a step of the appendix) passes strict anchor validation; a
    link to an id that no page holds does not (the check runs)."""
    project = copy_project(tmp_path / "project")
    page = project / "docs" / "about" / "anchor-test.md"
    page.write_text("# 試験\n\n[手順](../appendix/index.md#step-skeleton)\n", encoding="utf-8")
    site = build_site(project, tmp_path / "site", **ANCHORS_WARN)
    assert 'id="step-skeleton"' in (site / "appendix" / "index.html").read_text(encoding="utf-8")
    page.write_text("# 試験\n\n[手順](../appendix/index.md#no-such-step)\n", encoding="utf-8")
    with pytest.raises(Abort):
        build_site(project, tmp_path / "site2", **ANCHORS_WARN)

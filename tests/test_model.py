"""The model on the real data, and on bad inputs: every problem named with its line and column."""

from __future__ import annotations

import subprocess
import sys

import pytest

from macros.loader import DataError, load_text
from macros.model import (
    RemarksBlock,
    Strategy,
    parse,
)
from tests.conftest import DATA, ROOT, iter_texts

TEXT = DATA.read_text(encoding="utf-8")


def line_of(needle: str, text: str = TEXT) -> int:
    """1-based line of the first occurrence of `needle`."""
    index = text.index(needle)
    return text.count("\n", 0, index) + 1


def problems_for(old: str, new: str) -> list:
    assert TEXT.count(old) >= 1, old
    with pytest.raises(DataError) as info:
        parse(load_text(TEXT.replace(old, new, 1)))
    return info.value.problems


def test_real_data_is_complete(strategy: Strategy):
    fw = strategy.framework
    assert [g.id for g in fw.goals] == ["goal-life", "goal-economy", "goal-town"]
    assert [v.id for v in fw.viewpoints] == ["life", "economy", "town"]
    assert len(fw.guidelines) == 9
    assert [c.id for c in fw.concepts] == ["quality", "cost", "delivery"]
    assert strategy.adopted_concept.label == "Quality優位案"
    assert [r.number for r in strategy.remarks] == list(range(1, 28))
    assert [c.heading for c in strategy.chapters] == [
        "1. 本戦略骨子のリバイズ",
        "2. 戦略骨子を踏まえた行動指針案",
        "3. 市民・企業の意識・意見の取込み",
        "4. 庁内（組織・職員）の意識・意見の取込み",
        "5. 【参考】岩手県DX推進計画（素案）",
        "APPENDIX",
    ]
    assert strategy.meta.date.isoformat() == "2022-12-01"
    assert TEXT.splitlines()[0] == "# yaml-language-server: $schema=./strategy.schema.json"


def test_model_is_frozen(strategy: Strategy):
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        strategy.meta.title = "x"  # type: ignore[misc]


def test_no_personal_data_or_residue(strategy: Strategy):
    # Form-screen widgets, the replaced e-mail marker and photo captions never reach the published text.
    texts = list(iter_texts(strategy))
    assert len(texts) > 300
    for residue in ("アカウントを切り替える", "必須", "メールアドレス", "@", "当日写真", "WSの様子"):
        assert not any(residue in t for t in texts), residue


# (description, old text, new text, the text whose line the error must name, words the message must contain)
BAD_INPUTS = [
    (
        "unknown style of a text block (the block also has a key `text`: the error is on the style's line)",
        "                style: note\n",
        "                style: notex\n",
        "style: notex",
        ["style", "notex"],
    ),
    (
        "line break in the document's title (the site's name, the PDF cover, the share images)",
        "  title: 盛岡市デジタル化によるまちづくり推進戦略\n",
        '  title: "盛岡市デジタル化による\\nまちづくり推進戦略"\n',
        '  title: "盛岡市デジタル化による',
        ["title", "一行で"],
    ),
    (
        "line break in the meeting's name",
        "  meeting: 第2回盛岡市デジタル化によるまちづくり推進戦略 アドバイザーボード\n",
        "  meeting: |\n    第2回\n    アドバイザーボード\n",
        "  meeting: |",
        ["meeting", "一行で", "改行"],
    ),
    (
        "unknown guideline goal",
        "goal: goal-life\n      number: 1\n      title: やさしい",
        "goal: goal-nine\n      number: 1\n      title: やさしい",
        "goal: goal-nine",
        ["goal-nine", "存在しません", "goal-life"],
    ),
    (
        "misspelt key",
        "      adopted: true\n",
        "      adoptd: true\n",
        "adoptd",
        ["adoptd", "使える項目", "adopted"],
    ),
    (
        "duplicate key",
        "  status: 案\n",
        "  status: 案\n  status: 確定\n",
        "  status: 確定",
        ["重複", "status"],
    ),
    (
        "unknown block type",
        "- type: remark_summary",
        "- type: remark_sumary",
        "type: remark_sumary",
        ["remark_sumary", "使える type"],
    ),
    (
        "duplicate id",
        "id: remark-02",
        "id: remark-01",
        "id: remark-01\n                    number: 2",
        ["remark-01", "既に使われて"],
    ),
    ("remark numbering gap", "number: 27", "number: 28", "type: remarks", ["欠番"]),
    (
        # the guidelines are numbered per viewpoint: life's second guideline numbered 3
        "guideline numbering gap in a viewpoint",
        "viewpoint: life\n      goal: goal-life\n      number: 2",
        "viewpoint: life\n      goal: goal-life\n      number: 3",
        "  concepts:",
        ["視点「life」の行動指針", "欠番", "[1, 3, 3]"],
    ),
    ("boolean-looking key", "  status: 案\n", "  no: 案\n", "  no: 案", ["no", "使える項目"]),
    ("yaml tag", "  status: 案\n", "  status: !!python/name:os.system 案\n", "!!python", ["タグ"]),
    ("anchor", "  status: 案\n", "  status: &s 案\n", "&s", ["アンカー"]),
    (
        "table width",
        '["2", Sさん, "19", 専門学校生]',
        '["2", Sさん, "19", 専門学校生, x]',
        "type: table\n                title: 参加者",
        ["列数"],
    ),
    (
        "impossible date",
        "date: 2022-12-01\n  status",
        "date: 2022-13-01\n  status",
        "date: 2022-13-01",
        ["日付"],
    ),
    ("unknown marker", "marker: tags", "marker: tag", "marker: tag", ["tag", "使える値"]),
    (
        "unknown emphasis style",
        "emphasis: underline\n",
        "emphasis: italic\n",
        "emphasis: italic\n",
        ["emphasis", "italic", "bold、underline"],
    ),
    ("empty title", "title: 骨子策定", 'title: ""', 'title: ""', ["空"]),
    (
        "goal differs from viewpoint's",
        "viewpoint: life\n      goal: goal-life\n      number: 2",
        "viewpoint: life\n      goal: goal-town\n      number: 2",
        "id: life-2",
        ["goal-town", "一致しません"],
    ),
    ("bad id", "id: remark-02", "id: Remark_02", "id: Remark_02", ["Remark_02", "半角英小文字"]),
    ("status as a boolean", "status: 案", "status: true", "status: true", ["status", "囲み"]),
    ("two adopted concepts", "adopted: false", "adopted: true", "  concepts:", ["ちょうど一つ"]),
    (
        "unknown remark reference",
        "remarks: [remark-23]",
        "remarks: [remark-99]",
        "remarks: [remark-99]",
        ["remark-99", "存在しません"],
    ),
    (
        "unknown addressed_by",
        "page: p.2\n",
        "page: p.2\n                    addressed_by: [life-9]\n",
        "addressed_by: [life-9]",
        ["life-9"],
    ),
    ("missing required field", "      motto: ファスト・チャレンジ\n", "", "id: delivery", ["motto", "必須"]),
    ("bad minutes page", "page: p.10", "page: 10頁", "page: 10頁", ["page", "書式"]),
    (
        "unknown viewpoint in list",
        "viewpoint: economy\n                items:",
        "viewpoint: economi\n                items:",
        "viewpoint: economi",
        ["economi", "視点"],
    ),
    (
        "broken yaml",
        "  status: 案\n",
        "  status: 案\n   oops: [\n",
        "oops",
        ["YAML の書き方"],
    ),
]


@pytest.mark.parametrize(
    ("old", "new", "at", "words"), [b[1:] for b in BAD_INPUTS], ids=[b[0] for b in BAD_INPUTS]
)
def test_bad_input_names_the_line(old: str, new: str, at: str, words: list[str]):
    broken = TEXT.replace(old, new, 1)
    problems = problems_for(old, new)
    expected_line = line_of(at, broken)
    messages = [str(p) for p in problems]
    assert any(p.line == expected_line for p in problems), (expected_line, messages)
    hit = next(str(p) for p in problems if p.line == expected_line)
    assert hit.startswith(f"data/strategy.yaml:{expected_line}:")
    for word in words:
        assert any(word in m for m in messages), (word, messages)


def test_every_problem_at_once():
    broken = TEXT.replace("id: remark-02", "id: remark-01", 1).replace("marker: tags", "marker: tag", 1)
    broken = broken.replace("goal: goal-life\n      number: 1", "goal: goal-x\n      number: 1", 1)
    with pytest.raises(DataError) as info:
        parse(load_text(broken))
    lines = {p.line for p in info.value.problems}
    assert {
        line_of("remark-01\n                    number: 2", broken),
        line_of("marker: tag", broken),
        line_of("goal: goal-x", broken),
    } <= lines


def test_check_command(tmp_path):
    ok = subprocess.run(
        [sys.executable, "-m", "macros", "check", str(DATA)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    bad = tmp_path / "strategy.yaml"
    bad.write_text(
        TEXT.replace("marker: tags", "marker: tag", 1).replace(
            "  status: 案\n", "  status: 案\n  status: x\n"
        ),
        encoding="utf-8",
    )
    # The same command in-process (its `main`) for the bad file, in both formats.
    status, stdout = check_in_process(str(bad))
    assert status == 1
    lines = stdout.strip().splitlines()
    assert len(lines) == 2 and all(line.startswith(f"{bad}:") for line in lines), stdout
    status, stdout = check_in_process("--format", "github", str(bad))
    assert status == 1
    assert stdout.startswith(f"::error file={bad},line="), stdout


def check_in_process(*args: str) -> tuple[int, str]:
    """`python -m macros check ARGS` through the command's `main`: (exit status, standard output)."""
    import contextlib
    import io

    from macros.__main__ import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = main(["check", *args])
    return status, out.getvalue()


def test_schema_is_current():
    out = subprocess.run(
        [sys.executable, "-m", "macros", "schema", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr


def test_schema_describes_fields():
    import json

    schema = json.loads((ROOT / "data" / "strategy.schema.json").read_text(encoding="utf-8"))
    guideline = schema["$defs"]["Guideline"]
    assert guideline["additionalProperties"] is False
    assert "description" in guideline["properties"]["id"]


def test_remarks_block_is_the_only_remarks_source(strategy: Strategy):
    blocks = list(strategy.blocks(RemarksBlock))
    assert len(blocks) == 1 and len(blocks[0].items) == 27


# --- validation cannot skip the references ------------------------------------------------------------------


def dangling(data: dict) -> dict:
    """The real data with the first guideline pointing at a viewpoint that does not exist."""
    data["framework"]["guidelines"][0]["viewpoint"] = "nowhere"
    return data


def test_model_validate_without_context_still_checks_references():
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="視点「nowhere」は存在しません"):
        Strategy.model_validate(dangling(load_text(TEXT).data))
    data = load_text(TEXT).data
    assert Strategy.model_validate(data).ids == parse(load_text(TEXT)).ids  # the real data passes


def test_model_validate_json_without_context_still_checks_references(strategy: Strategy):
    import json

    from pydantic import ValidationError

    data = dangling(json.loads(strategy.model_dump_json()))
    with pytest.raises(ValidationError, match="視点「nowhere」は存在しません"):
        Strategy.model_validate_json(json.dumps(data, ensure_ascii=False))


def test_other_ways_in_stop_instead_of_skipping_the_references(strategy: Strategy):
    from pydantic import ValidationError

    from macros.model import MISSING_CONTEXT, Guideline

    data = load_text(TEXT).data
    with pytest.raises(ValidationError, match="文脈がありません") as info:
        Strategy(**data)
    assert all(MISSING_CONTEXT in e["msg"] for e in info.value.errors())
    with pytest.raises(ValidationError, match="文脈がありません"):
        Strategy.model_validate(data, context={"unrelated": True})
    with pytest.raises(ValidationError, match="文脈がありません"):
        Guideline.model_validate(strategy.framework.guidelines[0].model_dump())

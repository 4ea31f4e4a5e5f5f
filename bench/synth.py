"""Synthetic strategy data: the real document scaled n times, same schema, unique ids.

The framework grows n times (categories, issues, solutions and guidelines per viewpoint, renumbered), and
every chapter is repeated n times with its ids suffixed. Blocks that draw the whole framework (tables of all
viewpoints, guidelines, solutions; figures) stay in the original chapters only, so that the amount of
content, not its square, grows with n.
"""

from __future__ import annotations

import copy
import hashlib
import shutil
import sys
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from macros.loader import load_file
from macros.model import Strategy, parse

# Blocks that render framework-wide lists or anchor framework ids: kept once, in the original chapters.
FRAMEWORK_BLOCKS = {"viewpoint_issues", "viewpoint_guidelines", "solutions", "skeleton", "structure", "goals"}
# The document has one list of remarks and one summary of them: copies extend those, renumbered.
REMARK_BLOCKS = {"remarks", "remark_summary"}
PROJECT_PARTS = ("mkdocs.yml", "mkdocs-pdf.yml", "project.py", "data", "docs", "macros", "hooks")


def _suffix_ids(node: Any, suffix: str) -> Any:
    """Suffix every `id` and every remark reference (chapter-local ids) below `node`, in place."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "id" and isinstance(value, str):
                node[key] = value + suffix
            elif key == "remarks" and isinstance(value, list):
                node[key] = [r + suffix for r in value]
            else:
                _suffix_ids(value, suffix)
    elif isinstance(node, list):
        for item in node:
            _suffix_ids(item, suffix)
    return node


def _drop_framework_blocks(node: Any) -> None:
    """Remove framework-wide blocks (and concept cards, which anchor the concept) from a chapter copy."""
    if isinstance(node, dict):
        if isinstance(node.get("blocks"), list):
            node["blocks"] = [
                b
                for b in node["blocks"]
                if b.get("type") not in FRAMEWORK_BLOCKS | REMARK_BLOCKS
                and not (b.get("type") == "concept" and b.get("form", "card") == "card")
            ]
        for value in node.values():
            _drop_framework_blocks(value)
    elif isinstance(node, list):
        for item in node:
            _drop_framework_blocks(item)


def scale(data: dict[str, Any], n: int) -> dict[str, Any]:
    """Return a copy of the plain data, n times larger; n=1 returns an equal copy."""
    out = copy.deepcopy(data)
    if n == 1:
        return out
    fw = out["framework"]
    for v in fw["viewpoints"]:
        for key in ("categories", "solutions"):
            v[key] = v[key] + [
                _suffix_ids(copy.deepcopy(x), f"-x{k}") for k in range(2, n + 1) for x in v[key]
            ]
    guidelines = []
    for v in fw["viewpoints"]:
        own = [g for g in fw["guidelines"] if g["viewpoint"] == v["id"]]
        copies = [_suffix_ids(copy.deepcopy(g), f"-x{k}") for k in range(2, n + 1) for g in own]
        for number, g in enumerate(own + copies, start=1):
            g["number"] = number
        guidelines += own + copies
    fw["guidelines"] = guidelines
    chapters = list(out["chapters"])
    for k in range(2, n + 1):
        for chapter in out["chapters"]:
            twin = _suffix_ids(copy.deepcopy(chapter), f"-x{k}")
            twin["title"] = f"{chapter['title']}（複製 {k}）"
            _drop_framework_blocks(twin)
            chapters.append(twin)
    out["chapters"] = chapters
    for block in _blocks(out["chapters"]):
        if block["type"] == "remarks":
            twins = [_suffix_ids(copy.deepcopy(r), f"-x{k}") for k in range(2, n + 1) for r in block["items"]]
            block["items"] = block["items"] + twins
            for number, remark in enumerate(block["items"], start=1):
                remark["number"] = number
        elif block["type"] == "remark_summary":
            twins = [
                _suffix_ids(copy.deepcopy(t), f"-x{k}") for k in range(2, n + 1) for t in block["themes"]
            ]
            block["themes"] = block["themes"] + twins
    return out


def _blocks(node: Any) -> list[dict[str, Any]]:
    """Every block below `node` (plain data), in document order."""
    if isinstance(node, list):
        return [b for item in node for b in _blocks(item)]
    if isinstance(node, dict):
        return [*node.get("blocks", []), *_blocks(node.get("sections", []))]
    return []


def write_project(dest: Path, n: int, source: Path = ROOT) -> Strategy:
    """Copy the project to `dest` with data scaled n times and a docs page for every new document page."""
    dest.mkdir(parents=True, exist_ok=True)
    for part in PROJECT_PARTS:
        src = source / part
        if src.is_dir():
            shutil.copytree(src, dest / part, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, dest / part)
    data_file = dest / "data" / "strategy.yaml"
    if n != 1:
        data = scale(load_file(source / "data" / "strategy.yaml").data, n)
        text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=10_000)
        data_file.write_text(text, encoding="utf-8")
        _freeze_as_the_only_edition(dest, data_file)
    return parse(load_file(data_file))


def _freeze_as_the_only_edition(dest: Path, data_file: Path) -> None:
    """The scaled text as the one published edition (its frozen copy and digest), as the real data is today: a
    build then makes the current text only, not an archive of the real text and a 新旧対照表 to the scaled one."""
    registry = dest / "data" / "editions" / "index.yaml"
    entries = yaml.safe_load(registry.read_text(encoding="utf-8"))["editions"]
    assert len(entries) == 1, "bench/synth.py expects the one edition of today's data"
    frozen = dest / "data" / "editions" / f"{entries[0]['date']}.yaml"
    shutil.copyfile(data_file, frozen)
    old, new = entries[0]["sha256"], hashlib.sha256(frozen.read_bytes()).hexdigest()
    registry.write_text(registry.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")

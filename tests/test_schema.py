"""The JSON Schema that editors' YAML language server uses: it accepts the real data and flags mistakes."""

from __future__ import annotations

import json
import re

import jsonschema
import pytest
import yaml

from tests.conftest import DATA, ROOT

SCHEMA_PATH = ROOT / "data" / "strategy.schema.json"
TEXT = DATA.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def validator() -> jsonschema.protocols.Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def as_json(text: str):
    """The YAML as a language server sees it (dates become strings in JSON)."""
    return json.loads(json.dumps(yaml.safe_load(text), default=str))


def test_modeline_points_to_the_schema_by_a_relative_path():
    match = re.match(r"# yaml-language-server: \$schema=(\S+)\n", TEXT)
    assert match and not match.group(1).startswith(("/", "http"))
    assert (DATA.parent / match.group(1)).resolve() == SCHEMA_PATH.resolve()


def test_schema_accepts_the_real_data(validator):
    assert list(validator.iter_errors(as_json(TEXT))) == []


@pytest.mark.parametrize(
    ("old", "new", "path_part"),
    [
        ("      adopted: true\n", "      adoptd: true\n", "adoptd"),
        ("marker: tags", "marker: tag", "marker"),
        ("- type: remark_summary", "- type: remark_sumary", "type"),
        ("id: remark-02", "id: Remark_02", "id"),
    ],
)
def test_schema_flags_mistakes_as_an_editor_types_them(validator, old, new, path_part):
    errors = list(validator.iter_errors(as_json(TEXT.replace(old, new, 1))))
    assert errors
    assert any(path_part in (str(e.message) + "/".join(map(str, e.absolute_path))) for e in errors), errors


def test_schema_offers_descriptions_for_completion():
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    described = [
        name
        for definition in schema["$defs"].values()
        for name, prop in definition.get("properties", {}).items()
        if "description" in prop
    ]
    assert len(described) > 50

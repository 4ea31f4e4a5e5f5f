"""The typed model of the strategy document, validated once.

`parse(loaded)` turns the loader's plain data into frozen pydantic objects. Structural errors and reference
errors (an id that does not exist, a duplicate id) are collected by pydantic in one pass, because the ids that
the file defines are gathered first and handed to the validators as context; a validation without them raises
instead of skipping the checks. One module per concern:

- `schema`: the pydantic classes (descriptions in Japanese: editors see them through data/strategy.schema.json);
- `refs`: ids and references (the ids gathered from the plain data, the validators that check them);
- `messages`: the Japanese wording of every problem;
- `introspection`: what the schema allows at an error's location (field names, block types);
- `layout`: what the pages assume of a valid model.

Callers import from `macros.model`; the names below are its interface.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from ..loader import DataError, Loaded, Problem

# The package's interface: what callers import from `macros.model` (re-exported, hence the noqa).
from .introspection import BLOCK_TYPES  # noqa: F401
from .layout import RESERVED_FOLDERS, RESERVED_IDS, RESERVED_PREFIXES, RESERVED_SUFFIXES, layout  # noqa: F401
from .messages import MAX_PROBLEMS, capped, field_loc, message, union_member  # noqa: F401
from .refs import ITEM_REF_KINDS, MISSING_CONTEXT, context_for  # noqa: F401
from .schema import *
from .schema import ID_PATTERN, Strategy, json_schema  # noqa: F401

_message = message  # the name macros/publication.py imports


def parse(loaded: Loaded) -> Strategy:
    """Validate plain data into the model; raise DataError naming every problem with its line.

    Beyond the types, the layout that the templates and pages assume is checked here too (see `layout`), so
    that a file that passes `check` builds.
    """
    problems = list(loaded.problems)
    seen = {(p.line, p.column) for p in problems}  # the loader's message about a value is the better one
    strategy = None
    try:
        strategy = Strategy.model_validate(loaded.data, context=context_for(loaded.data))
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        # A value that matches no member of a union: if some member got further, its error is the useful one.
        deeper = {field_loc(e)[:n] for e in errors if not union_member(e) for n in range(len(e["loc"]))}
        messages: set[tuple[tuple[Any, ...], str]] = set()
        for error in errors:
            loc, text = field_loc(error), message(error)
            if union_member(error) and loc in deeper:
                continue
            if (loc, text) in messages:  # one message per value, not one per member of a union
                continue
            messages.add((loc, text))
            line, column = loaded.locate(data_loc(loaded.data, error["loc"]))
            if (line, column) not in seen or error["type"] == "value_error":
                problems.append(Problem(line, column, text, loaded.path))
    except RecursionError:
        problems.append(Problem(1, 1, "入れ子が深すぎます。字下げを確かめてください。", loaded.path))
    if strategy is not None and not problems:
        for loc, text in layout(strategy):
            problems.append(Problem(*loaded.locate(loc), text, loaded.path))
    if problems:
        raise DataError(capped(problems, loaded.path))
    return strategy


def data_loc(data: Any, loc: Any) -> tuple[Any, ...]:
    """A pydantic error location as a path in the data: without the tag pydantic puts after a block (the union
    is told apart by `type`), which is no key. (A `type: text` block has a key `text` too: its `style` was
    located at its `text:` line.)"""
    node, path = data, []
    for part in loc:
        if isinstance(part, str) and isinstance(node, dict) and node.get("type") == part:
            continue
        path.append(part)
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            node = None
    return tuple(path)


def load(path: str | Any, raw: bytes | None = None) -> Strategy:
    """Read, parse and validate a data file (or its bytes `raw`, already read): the model, or a DataError with
    every problem."""
    from ..loader import load_bytes, load_file

    try:
        return parse(load_file(path) if raw is None else load_bytes(raw, path))
    except RecursionError:
        raise DataError(
            [Problem(1, 1, "入れ子が深すぎます。字下げを確かめてください。", str(path))]
        ) from None

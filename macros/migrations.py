"""Schema evolution: bring a frozen edition's plain data up to the current model before validating it.

A frozen edition (data/editions/DATE.yaml) never changes, but the model does. The registry records, for every
edition, the model version it was frozen under (`model:`); `migrate` applies, in order, each step from that
version to `MODEL_VERSION`. A step is a pure function on plain data (dicts and lists from the loader) that
returns the data of the next version; it never edits the file.

When you change the model in a way that old data no longer validates (a renamed key, a new required field, a
split block type):
1. raise `MODEL_VERSION` by one;
2. add `MIGRATIONS[old_version] = step`, turning data of the old version into data of the new one;
3. `tests/test_editions.py` loads, validates and renders every frozen edition through `migrate`.
Editions frozen afterwards are recorded with the new version and need no step.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

MODEL_VERSION = 1

# version n -> the step that turns data of version n into data of version n + 1
MIGRATIONS: dict[int, Callable[[Any], Any]] = {}


class MigrationError(ValueError):
    """An edition's model version has no path to the current model."""


def migrate(data: Any, version: int) -> Any:
    """The data of a frozen edition, frozen under model `version`, as data of the current model (a copy)."""
    if version > MODEL_VERSION:
        raise MigrationError(
            f"model {version} は、このプログラムのモデル（{MODEL_VERSION}）より新しい版です。プログラムを更新してください。"
        )
    result = copy.deepcopy(data)
    for step in range(version, MODEL_VERSION):
        if step not in MIGRATIONS:
            raise MigrationError(
                f"model {step} から {step + 1} への移行（macros/migrations.py）がありません。"
            )
        result = MIGRATIONS[step](result)
    return result

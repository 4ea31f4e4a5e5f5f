"""Type introspection of the schema: which model class a pydantic error location points into, the block types,
every field name. The messages (macros/model/messages.py) use it to name what an editor may write.
"""

from __future__ import annotations

import types
import typing
from typing import Annotated, Any, Union

from pydantic import BaseModel

from .schema import BLOCK_MODELS, Strategy


def allowed_keys(loc: tuple[Any, ...]) -> list[str]:
    """The keys that the model accepts at `loc` (a pydantic error location)."""
    annotation: Any = Strategy
    for part in loc:
        annotation = step(annotation, part)
        if annotation is None:
            return []
    model = model_of(annotation, None)
    return list(model.model_fields) if model else []


def model_of(annotation: Any, tag: Any) -> type[BaseModel] | None:
    """The model class inside an annotation (Annotated, Optional, or a tagged union member named `tag`)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) is Annotated:
        return model_of(args[0], tag)
    models = [m for a in args if (m := model_of(a, tag)) is not None] if is_union(annotation) else []
    return next((m for m in models if tag_of(m) == tag), models[0] if len(models) == 1 else None)


def is_union(annotation: Any) -> bool:
    return typing.get_origin(annotation) in (Union, types.UnionType)


def step(annotation: Any, part: Any) -> Any:
    """Step into a type by one part of a pydantic error location."""
    while typing.get_origin(annotation) is Annotated:
        annotation = typing.get_args(annotation)[0]
    if is_union(annotation):
        if (
            isinstance(part, str)
            and (member := model_of(annotation, part)) is not None
            and tag_of(member) == part
        ):
            return member
        lists = [a for a in typing.get_args(annotation) if typing.get_origin(a) is list]
        if isinstance(part, int) and lists:
            return typing.get_args(lists[0])[0]
        model = model_of(annotation, None)
        return step(model, part) if model else None
    if typing.get_origin(annotation) is list:
        return typing.get_args(annotation)[0] if isinstance(part, int) else None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel) and isinstance(part, str):
        field = annotation.model_fields.get(part)
        return field.annotation if field else None
    return None


def tag_of(model: type[BaseModel]) -> str | None:
    field = model.model_fields.get("type")
    if field is None:
        return None
    args = typing.get_args(field.annotation)
    return args[0] if args else None


BLOCK_TYPES = [tag_of(m) for m in BLOCK_MODELS]


def all_models() -> set[type[BaseModel]]:
    found: set[type[BaseModel]] = set()

    def visit(annotation: Any) -> None:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if annotation in found:
                return
            found.add(annotation)
            for f in annotation.model_fields.values():
                visit(f.annotation)
        for arg in typing.get_args(annotation):
            visit(arg)

    visit(Strategy)
    return found


# Every field name and block type: the parts of an error location an editor can find in the file.
FIELD_NAMES = frozenset(
    {name for m in all_models() for name in m.model_fields} | {t for t in BLOCK_TYPES if t}
)

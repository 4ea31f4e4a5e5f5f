"""A bounded memo for work that `mkdocs serve` repeats on every save with the same inputs.

Results are kept by a key that names every input; past `limit` entries the memo starts again (a site has some
hundred pages, so a save finds what the last one kept). One process, no files: for results kept between builds,
see macros/usercache.py.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class Kept(Generic[K, V]):
    """Results by key, at most `limit` of them."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._kept: dict[K, V] = {}

    def get(self, key: K) -> V | None:
        return self._kept.get(key)

    def __contains__(self, key: Any) -> bool:
        return key in self._kept

    def __getitem__(self, key: K) -> V:
        return self._kept[key]

    def __len__(self) -> int:
        return len(self._kept)

    def keep(self, key: K, value: V) -> V:
        """Keep a result (the memo starts again when it is full) and return it."""
        if len(self._kept) >= self.limit:
            self._kept.clear()
        self._kept[key] = value
        return value

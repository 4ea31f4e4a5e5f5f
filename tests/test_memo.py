"""macros/memo.py: results kept by key, at most a limit of them."""

from __future__ import annotations

from macros.memo import Kept


def test_a_full_memo_starts_again():
    kept: Kept[str, int] = Kept(2)
    assert kept.keep("a", 1) == 1 and kept.keep("b", 2) == 2
    assert "a" in kept and kept["b"] == 2 and kept.get("c") is None and len(kept) == 2
    kept.keep("c", 3)  # full: the memo starts again with this one
    assert len(kept) == 1 and "a" not in kept and kept.get("c") == 3

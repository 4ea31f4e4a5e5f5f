"""The one SudachiPy dictionary of a process.

The word spans of table cells (macros/words.py, split mode C), the ふりがな (macros/furigana.py, mode A) and the
search index (hooks/search_ja.py, mode A) each make their own tokenizer from this dictionary: loading it costs about
0.05 s of CPU, which a build paid three times when each loaded its own. Tokenizers of one dictionary give the same
results as tokenizers of separate ones.
"""

from __future__ import annotations

import functools
from typing import Any


@functools.cache
def dictionary() -> Any:
    """SudachiPy's core dictionary (sudachidict_core), loaded on first use."""
    from sudachipy import Dictionary

    return Dictionary(dict="core")
